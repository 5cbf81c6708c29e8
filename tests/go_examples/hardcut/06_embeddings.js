// Stand-in for the Go project's examples/js/geppetto/hardcut/06_embeddings.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");
const reg = gp.inferenceProfiles.load(GEPPETTO_PHASE123_PROFILE);
const emb = gp.embeddings(reg.resolve({ profile: "assistant" }));
const m = emb.model();
if (m.name !== "text-embedding-3-small" || m.dimensions !== 4) throw new Error(JSON.stringify(m));
m
