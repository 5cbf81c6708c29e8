// Stand-in for the Go project's examples/js/geppetto/25_profiles.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");
const file = globalThis.GEPPETTO_PHASE123_PROFILE || "examples/js/geppetto/profiles/50-hardcut-phase123.yaml";
const registry = gp.inferenceProfiles.load(file);
const settings = registry.resolve({ profile: "assistant" });
const json = settings.toJSON();
console.log("engine:", json.chat.engine);
if (JSON.stringify(json).includes("example-secret")) throw new Error("secret leaked");
console.log("api keys:", Object.keys(json.api.api_keys).join(","));
const c = settings.clone();
if (c.toJSON().provenance.profileSlug !== "assistant") throw new Error("clone lost provenance: " + JSON.stringify(c.toJSON().provenance));
console.log(JSON.stringify(settings.toJSON().provenance));
registry.close();
registry.close();
console.log("ok");
