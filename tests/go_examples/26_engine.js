// Stand-in for the Go project's examples/js/geppetto/26_engine.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");
const file = globalThis.GEPPETTO_PHASE123_PROFILE || "examples/js/geppetto/profiles/50-hardcut-phase123.yaml";
let threw = false;
try { gp.engine().inference({ chat: { engine: "gpt-4o-mini" } }); } catch (e) {
  threw = true;
  if (!/InferenceSettings wrapper/i.test(String(e))) throw new Error("bad message: " + e);
  console.log(String(e));
}
if (!threw) throw new Error("no throw");
const reg = gp.inferenceProfiles.load([file]);
const eng = gp.engine().inference(reg.resolve({ profile: "assistant" })).build();
console.log(eng.name, JSON.stringify(eng.metadata));
if (eng.metadata.profileSlug !== "assistant") throw new Error("profileSlug");
if (eng.metadata.registrySlug !== "hardcut") throw new Error("registrySlug");
if (eng.modelInfo.contextWindow !== 128000) throw new Error("contextWindow " + JSON.stringify(eng.modelInfo));
reg.close();
