// agent_tools.js: tools for agents. A schema-described JS tool and a host tool, a scripted
// offline "model" that calls them, and runAsync with its handle.
//
//   geppetto run examples/agent_tools.js
const gp = require("geppetto");

// A tool: name, description, input schema and handler.
const weather = gp
  .tool("weather")
  .description("Current weather for a city")
  .input(gp.schema.object().property("city", gp.schema.string().description("City name")).required("city"))
  .handler((args) => ({ city: args.city, forecast: "sunny", celsius: 21 }))
  .build();

const registry = gp.toolRegistry().add(weather).addGo("go_double");
console.log("tools:", registry.list().map((t) => t.name).join(", "));
console.log("direct call:", JSON.stringify(registry.call("weather", { city: "Paris" })));

// An offline model: asks for the weather, then answers with the tool's result.
const model = gp.engines.fromFunction((turn) => {
  const result = turn.blocks.find((b) => b.kind === "tool_use");
  if (!result) {
    turn.blocks.push({ id: "call-1", kind: "tool_call", role: "assistant", payload: { id: "call-1", name: "weather", args: { city: "Paris" } } });
  } else {
    turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "The tool says: " + result.payload.result } });
  }
  return turn;
});

const agent = gp.agent().engine(model).tool(registry).toolLoop({ maxIterations: 4 }).build();
const session = agent.session().build();

async function main() {
  const handle = session.next().user("What is the weather in Paris?").runAsync();
  const result = await handle.promise;
  console.log("assistant:", result.text());
  console.log("events:", result.events().map((e) => e.type).join(" "));
  assert(result.text().includes("sunny"), "the answer uses the tool result");
}

main();
