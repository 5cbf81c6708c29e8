// Stand-in for the Go project's examples/js/geppetto/hardcut/01_resolve.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");
const reg = gp.inferenceProfiles.load(globalThis.GEPPETTO_PHASE123_PROFILE);
console.log(JSON.stringify(reg.listRegistries()));
console.log(JSON.stringify(reg.listProfiles().map(p => p.slug)));
const s = reg.resolve({ registrySlug: "hardcut", profileSlug: "assistant" });
console.log(JSON.stringify(s.toJSON(), null, 2));
console.log(JSON.stringify(reg.resolve().toJSON().provenance));
