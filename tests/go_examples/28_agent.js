// Stand-in for the Go project's examples/js/geppetto/28_agent.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");
const reg = gp.inferenceProfiles.load(GEPPETTO_PHASE123_PROFILE);
const settings = reg.resolve("assistant");
const agent = gp.agent("demo").inference(settings).build();
if (typeof agent.session !== "function") throw new Error("no session");
for (const k of ["run", "ask", "system"]) if (Object.prototype.hasOwnProperty.call(agent, k)) throw new Error("own " + k);
const session = agent.session().build();
console.log("session id", session.id().length > 0, agent.name);
