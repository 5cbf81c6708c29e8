// Stand-in for the Go project's examples/js/geppetto/hardcut/04_tools.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");
const schema = gp.schema.object().property("a", gp.schema.number().description("first")).property("b", gp.schema.number()).required("a", "b").build();
console.log(JSON.stringify(schema.toJSON()));
const add = gp.tool("add").description("adds").input(schema).handler((args, ctx) => ({ sum: args.a + args.b, ok: typeof ctx.callId })).build();
console.log(JSON.stringify(add.toJSON()));
const reg = gp.toolRegistry().add(add);
console.log(JSON.stringify(reg.call("add", { a: 2, b: 3 })));
console.log(reg.list()[0].name, JSON.stringify(reg.list()));
const p = gp.inferenceProfiles.load(GEPPETTO_PHASE123_PROFILE);
const agent = gp.agent("tools").inference(p.resolve("assistant")).tool(reg).toolLoop({ maxIterations: 3 }).build();
const s = agent.session().build();
const b = s.next().system("be brief").user(m => m.text("describe").imageURL("https://example.com/a.png", { detail: "low" }));
console.log(typeof b.run, typeof b.runAsync);
