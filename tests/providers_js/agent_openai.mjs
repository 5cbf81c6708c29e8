// agent_openai.mjs: the agent API over a provider engine (engines.fromConfig against the fake
// OpenAI Chat Completions server of tests/providers_e2e.rs). The run streams two tool calls, then
// the text "Hello, world!"; the emitter must see the canonical provider, text and tool events in
// order, with cumulative delta texts and summed usage.
import gp from "geppetto";
import EventEmitter from "events";
import { agentTools } from "./common.mjs";

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error("agent_openai.mjs: " + what + ": expected " + e + ", got " + a);
}

const events = new EventEmitter();
const seen = [];
events.on("event", (e) => seen.push(e));

const engine = gp.engines.fromConfig({
  provider: "openai",
  model: "gpt-4o-mini",
  baseURL: ENV.FAKE_PROVIDER_URL + "/v1",
  apiKey: "sk-fake-openai-e2e-0001",
});
const agent = gp.agent().name("weather").engine(engine).tool(agentTools()).events(events).build();
const session = agent.session().build();
const result = await session.next().system("You are a weather bot.").user("Weather in Paris, and double 21?").runAsync().promise;

eq(result.text(), "Hello, world!", "text");
eq(result.stopReason(), "stop", "stop reason");
eq(result.usage(), { input_tokens: 92, output_tokens: 44, total_tokens: 136, cached_tokens: 0, reasoning_tokens: 0 }, "usage summed over both steps");
eq(seen.map((e) => e.type), [
  "run-started",
  "provider-call-started",
  "tool-call-started", "tool-call-arguments-delta", "tool-call-arguments-delta", "tool-call-arguments-delta", "tool-call-arguments-delta",
  "tool-call-started", "tool-call-arguments-delta", "tool-call-arguments-delta",
  "provider-call-metadata-updated", "provider-call-metadata-updated",
  "tool-call-requested", "tool-call-requested", "provider-call-finished",
  "tool-execution-started", "tool-result-ready", "tool-call-finished",
  "tool-execution-started", "tool-result-ready", "tool-call-finished",
  "provider-call-started", "text-segment-started", "text-delta", "text-delta", "text-delta",
  "provider-call-metadata-updated", "provider-call-metadata-updated", "text-segment-finished",
  "provider-call-finished",
  "run-finished",
], "event order");
const argumentDeltas = seen.filter((e) => e.type === "tool-call-arguments-delta");
eq(argumentDeltas.map((e) => e.toolCall), [
  { id: "call_weather", delta: '{"lo', arguments: '{"lo', sequence: 1 },
  { id: "call_weather", delta: 'cation": "Par', arguments: '{"location": "Par', sequence: 2 },
  { id: "call_weather", delta: 'is", "unit"', arguments: '{"location": "Paris", "unit"', sequence: 3 },
  { id: "call_weather", delta: ': "c"}', arguments: '{"location": "Paris", "unit": "c"}', sequence: 4 },
  { id: "call_double", delta: '{"n"', arguments: '{"n"', sequence: 1 },
  { id: "call_double", delta: ": 21}", arguments: '{"n": 21}', sequence: 2 },
], "argument deltas");
eq(seen.filter((e) => e.type.startsWith("tool-call-")).map((e) => e.correlation.tool_call_id), [
  "call_weather", "call_weather", "call_weather", "call_weather", "call_weather",
  "call_double", "call_double", "call_double",
  "call_weather", "call_double", "call_weather", "call_double",
], "tool call correlation");
eq(seen.filter((e) => e.type === "provider-call-metadata-updated").map((e) => [e.stopReason, e.stopSequence, e.usage]), [
  ["tool_calls", null, undefined],
  ["tool_calls", null, { input_tokens: 80, output_tokens: 40, total_tokens: 120 }],
  ["stop", null, undefined],
  ["stop", null, { input_tokens: 12, output_tokens: 4, total_tokens: 16, cached_tokens: 0, reasoning_tokens: 0 }],
], "metadata as it arrives");
eq(result.events().map((e) => e.type), seen.map((e) => e.type).filter((t) => !t.endsWith("-delta")), "recorded events: no deltas");
const deltas = seen.filter((e) => e.type === "text-delta");
eq(deltas.map((e) => [e.delta, e.text, e.sequence]), [["Hello", "Hello", 1], [", wor", "Hello, wor", 2], ["ld!", "Hello, world!", 3]], "deltas");
// Each delta carries the raw provider chunk it came from; the run's own events carry none.
eq(deltas.map((e) => JSON.parse(e.rawPayload).choices[0].delta.content), ["Hello", ", wor", "ld!"], "rawPayload: the chunk of each delta");
eq(seen.filter((e) => e.type.startsWith("run-") || e.type === "provider-call-started").map((e) => "rawPayload" in e), seen.filter((e) => e.type.startsWith("run-") || e.type === "provider-call-started").map(() => false), "no rawPayload outside the stream");
const steps = seen.filter((e) => e.type === "provider-call-finished");
eq(steps.map((e) => [e.finishClass, e.stopReason, e.hasToolCalls]), [["tool_calls_pending", "tool_calls", true], ["completed", "stop", false]], "steps");
eq(seen.filter((e) => e.type === "tool-call-requested").map((e) => [e.toolCall.id, e.toolCall.name, JSON.parse(e.toolCall.input)]),
  [["call_weather", "get_weather", { location: "Paris", unit: "c" }], ["call_double", "go_double", { n: 21 }]], "requested calls");
eq(seen.filter((e) => e.type === "tool-result-ready").map((e) => [e.toolResult.name, e.toolResult.status]), [["get_weather", "success"], ["go_double", "success"]], "results");
eq(new Set(seen.map((e) => e.turnId)).size, 1, "one turn id on every event");
eq(session.turnCount(), 1, "one turn appended");
console.log("agent_openai.mjs: ok");
