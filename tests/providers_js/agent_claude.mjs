// agent_claude.mjs: the agent API over a provider engine that streams reasoning
// (engines.fromConfig against the fake Anthropic Messages server of tests/providers_e2e.rs). Step 1
// streams thinking, text and two tool_use blocks whose input arrives in pieces; step 2 streams
// text. The emitter must see the reasoning segment (with its `source`), the text segments, the
// calls with their argument pieces and the metadata as it arrives, with the JS payload shapes.
import gp from "geppetto";
import EventEmitter from "events";
import { agentTools } from "./common.mjs";

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error("agent_claude.mjs: " + what + ": expected " + e + ", got " + a);
}

const events = new EventEmitter();
const seen = [];
events.on("event", (e) => seen.push(e));
const reasoningDeltas = [];
events.on(gp.consts.AgentEvent.REASONING_DELTA, (e) => reasoningDeltas.push(e));

const engine = gp.engines.fromConfig({
  provider: "claude",
  model: "claude-sonnet-4-5",
  baseURL: ENV.FAKE_PROVIDER_URL + "/v1",
  apiKey: "sk-ant-fake-e2e-0004",
  maxTokens: 1024,
});
const agent = gp.agent().engine(engine).tool(agentTools()).events(events).build();
const session = agent.session().build();
const result = session.next().system("You are a weather bot.").user("Weather in Paris, and double 21?").run();

eq(result.text(), "Checking both.\nHello, world!", "text of both steps");
eq(seen.map((e) => e.type), [
  "run-started",
  "provider-call-started",
  "provider-call-metadata-updated",
  "reasoning-segment-started", "reasoning-delta", "reasoning-delta", "reasoning-segment-finished",
  "text-segment-started", "text-delta",
  "tool-call-started", "tool-call-arguments-delta", "tool-call-arguments-delta", "tool-call-arguments-delta",
  "tool-call-started", "tool-call-arguments-delta", "tool-call-arguments-delta",
  "provider-call-metadata-updated",
  "text-segment-finished",
  "tool-call-requested", "tool-call-requested",
  "provider-call-finished",
  "tool-execution-started", "tool-result-ready", "tool-call-finished",
  "tool-execution-started", "tool-result-ready", "tool-call-finished",
  "provider-call-started",
  "provider-call-metadata-updated",
  "text-segment-started", "text-delta", "text-delta",
  "provider-call-metadata-updated",
  "text-segment-finished",
  "provider-call-finished",
  "run-finished",
], "event order");

const segment = (e) => {
  const { type, role, source, delta, text, sequence, finishReason } = e;
  return { type, role, source, delta, text, sequence, finishReason };
};
const reasoning = seen.filter((e) => e.type.startsWith("reasoning-"));
eq(reasoning.map(segment), [
  { type: "reasoning-segment-started", role: "assistant", source: "thinking" },
  { type: "reasoning-delta", source: "thinking", delta: "I need the weather", text: "I need the weather", sequence: 1 },
  { type: "reasoning-delta", source: "thinking", delta: " and a doubling.", text: "I need the weather and a doubling.", sequence: 2 },
  { type: "reasoning-segment-finished", source: "thinking", text: "I need the weather and a doubling.", finishReason: null },
], "reasoning segment");
eq(new Set(reasoning.map((e) => e.correlation.segment_id)).size, 1, "one segment id for the reasoning segment");
eq(reasoningDeltas.map((e) => e.text), ["I need the weather", "I need the weather and a doubling."], "named emission of reasoning-delta");
eq(Object.keys(reasoningDeltas[0]).filter((k) => !["timestampMs", "sessionId", "inferenceId", "turnId", "correlation"].includes(k)),
  ["type", "rawPayload", "source", "delta", "text", "sequence"], "reasoning-delta fields");
eq(reasoningDeltas.map((e) => JSON.parse(e.rawPayload).delta), [
  { type: "thinking_delta", thinking: "I need the weather" },
  { type: "thinking_delta", thinking: " and a doubling." },
], "rawPayload: the raw event of each reasoning delta");

const texts = seen.filter((e) => e.type.startsWith("text-"));
eq(texts.map(segment), [
  { type: "text-segment-started", role: "assistant" },
  { type: "text-delta", delta: "Checking both.", text: "Checking both.", sequence: 1 },
  { type: "text-segment-finished", text: "Checking both.", finishReason: "tool_use" },
  { type: "text-segment-started", role: "assistant" },
  { type: "text-delta", delta: "Hello", text: "Hello", sequence: 1 },
  { type: "text-delta", delta: ", world!", text: "Hello, world!", sequence: 2 },
  { type: "text-segment-finished", text: "Hello, world!", finishReason: "end_turn" },
], "text segments");
eq(texts.every((e) => !("source" in e)), true, "text events have no source");

eq(seen.filter((e) => e.type === "tool-call-arguments-delta").map((e) => [e.toolCall.id, e.toolCall.sequence, e.toolCall.arguments]), [
  ["toolu_weather", 1, '{"location": "Pa'],
  ["toolu_weather", 2, '{"location": "Paris", "un'],
  ["toolu_weather", 3, '{"location": "Paris", "unit": "c"}'],
  ["toolu_double", 1, '{"n": '],
  ["toolu_double", 2, '{"n": 21}'],
], "argument pieces");
eq(seen.filter((e) => e.type === "provider-call-metadata-updated").map((e) => [e.stopReason, e.stopSequence, e.usage]), [
  [null, null, { input_tokens: 472, output_tokens: 2 }],
  ["tool_use", null, { input_tokens: 472, output_tokens: 89 }],
  [null, null, { input_tokens: 25, output_tokens: 1, cached_tokens: 0, cache_creation_input_tokens: 0 }],
  ["end_turn", null, { input_tokens: 25, output_tokens: 15, cached_tokens: 0, cache_creation_input_tokens: 0 }],
], "metadata as it arrives");
eq(result.events().map((e) => e.type), seen.map((e) => e.type).filter((t) => !t.endsWith("-delta")), "recorded events: no deltas");
console.log("agent_claude.mjs: ok");
