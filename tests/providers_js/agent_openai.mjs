// agent_openai.mjs: the agent API over a provider engine (engines.fromConfig against the fake
// OpenAI Chat Completions server of tests/providers_e2e.rs). The run streams two tool calls, then
// the text "Hello, world!"; the emitter must see the canonical provider, text and tool events in
// order, with cumulative delta texts and summed usage.
import gp from "geppetto";
import EventEmitter from "events";

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error("agent_openai.mjs: " + what + ": expected " + e + ", got " + a);
}

const weather = gp
  .tool("get_weather")
  .description("Current weather for a city")
  .input({
    type: "object",
    properties: {
      location: { type: "string", description: "City name" },
      unit: { type: "string", enum: ["c", "f"] },
    },
    required: ["location"],
  })
  .handler((args) => ({ location: args.location, temperature: 18, unit: args.unit }))
  .build();
const double = gp
  .tool("go_double")
  .description("Double a number")
  .input(gp.schema.object().property("n", gp.schema.number()).required("n"))
  .handler((args) => ({ value: args.n * 2 }))
  .build();

const events = new EventEmitter();
const seen = [];
events.on("event", (e) => seen.push(e));

const engine = gp.engines.fromConfig({
  provider: "openai",
  model: "gpt-4o-mini",
  baseURL: ENV.FAKE_PROVIDER_URL + "/v1",
  apiKey: "sk-fake-openai-e2e-0001",
});
const agent = gp.agent().name("weather").engine(engine).tool(gp.toolRegistry().add(weather).add(double)).events(events).build();
const session = agent.session().build();
const result = await session.next().system("You are a weather bot.").user("Weather in Paris, and double 21?").runAsync().promise;

eq(result.text(), "Hello, world!", "text");
eq(result.stopReason(), "stop", "stop reason");
eq(result.usage(), { input_tokens: 92, output_tokens: 44, total_tokens: 136, cached_tokens: 0, reasoning_tokens: 0 }, "usage summed over both steps");
eq(seen.map((e) => e.type), [
  "run-started",
  "provider-call-started", "tool-call-started", "tool-call-requested", "tool-call-started", "tool-call-requested",
  "provider-call-metadata-updated", "provider-call-finished",
  "tool-execution-started", "tool-result-ready", "tool-call-finished",
  "tool-execution-started", "tool-result-ready", "tool-call-finished",
  "provider-call-started", "text-segment-started", "text-delta", "text-delta", "text-delta", "text-segment-finished",
  "provider-call-metadata-updated", "provider-call-finished",
  "run-finished",
], "event order");
const deltas = seen.filter((e) => e.type === "text-delta");
eq(deltas.map((e) => [e.delta, e.text, e.sequence]), [["Hello", "Hello", 1], [", wor", "Hello, wor", 2], ["ld!", "Hello, world!", 3]], "deltas");
const steps = seen.filter((e) => e.type === "provider-call-finished");
eq(steps.map((e) => [e.finishClass, e.stopReason, e.hasToolCalls]), [["tool_calls_pending", "tool_calls", true], ["completed", "stop", false]], "steps");
eq(seen.filter((e) => e.type === "tool-call-requested").map((e) => [e.toolCall.id, e.toolCall.name, JSON.parse(e.toolCall.input)]),
  [["call_weather", "get_weather", { location: "Paris", unit: "c" }], ["call_double", "go_double", { n: 21 }]], "requested calls");
eq(seen.filter((e) => e.type === "tool-result-ready").map((e) => [e.toolResult.name, e.toolResult.status]), [["get_weather", "success"], ["go_double", "success"]], "results");
eq(new Set(seen.map((e) => e.turnId)).size, 1, "one turn id on every event");
eq(session.turnCount(), 1, "one turn appended");
console.log("agent_openai.mjs: ok");
