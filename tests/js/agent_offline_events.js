// agent_offline_events.js: the offline engines' events, field by field (js-api-agent.md § Events,
// "Offline engines"): one whole text segment per added llm_text block, tool-call-started +
// tool-call-requested per added tool_call block, stop reason and usage from the returned turn, and
// none of the streaming-only events (reasoning-*, tool-call-arguments-delta,
// provider-call-metadata-updated), which only provider engines emit.
const gp = require("geppetto");
const EventEmitter = require("events");

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(what + ": expected " + e + ", got " + a);
}

// The payload without the ids and time that differ per run.
function shape(e) {
  const rest = Object.assign({}, e);
  for (const key of ["timestampMs", "sessionId", "inferenceId", "turnId", "correlation"]) delete rest[key];
  if ("durationMs" in rest) rest.durationMs = typeof rest.durationMs;
  return rest;
}

function record(engine) {
  const emitter = new EventEmitter();
  const seen = [];
  emitter.on("event", (e) => seen.push(e));
  const session = gp.agent().engine(engine).events(emitter).build().session().build();
  const result = session.next().user("hi").run();
  return { seen, result, shapes: seen.map(shape) };
}

// echo: one text segment of one delta.
{
  const { seen, shapes } = record(gp.engines.echo({ reply: "hello" }));
  eq(shapes, [
    { type: "run-started", prompt: "hi" },
    { type: "provider-call-started" },
    { type: "text-segment-started", role: "assistant" },
    { type: "text-delta", delta: "hello", text: "hello", sequence: 1 },
    { type: "text-segment-finished", text: "hello", finishReason: "stop" },
    { type: "provider-call-finished", stopReason: "stop", finishClass: "completed", hasToolCalls: false, durationMs: "number" },
    { type: "run-finished", status: "completed" },
  ], "echo payloads");
  const delta = seen[3];
  eq(Object.getOwnPropertyDescriptor(delta, "text").enumerable, true, "text-delta.text is enumerable");
  eq(seen.slice(2, 5).map((e) => e.correlation.segment_id === seen[2].correlation.segment_id), [true, true, true], "one segment id");
}

// fromFunction: reasoning blocks make no events, stop reason and usage come from the returned turn,
// a text and a tool call make one segment and one started + requested pair.
{
  const engine = gp.engines.fromFunction((turn) => {
    turn.blocks.push({ kind: "reasoning", role: "assistant", payload: { text: "thinking it over" } });
    turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "calling" } });
    turn.blocks.push({ id: "c1", kind: "tool_call", role: "assistant", payload: { id: "c1", name: "lookup", args: { q: "x" } } });
    turn.metadata.stop_reason = "tool_use";
    turn.metadata.usage = { input_tokens: 3, output_tokens: 2 };
    return turn;
  });
  const { seen, result, shapes } = record(engine);
  eq(shapes, [
    { type: "run-started", prompt: "hi" },
    { type: "provider-call-started" },
    { type: "text-segment-started", role: "assistant" },
    { type: "text-delta", delta: "calling", text: "calling", sequence: 1 },
    { type: "text-segment-finished", text: "calling", finishReason: "tool_use" },
    { type: "tool-call-started", toolCall: { id: "c1", name: "lookup" } },
    { type: "tool-call-requested", toolCall: { id: "c1", name: "lookup", input: '{"q":"x"}' } },
    { type: "provider-call-finished", stopReason: "tool_use", finishClass: "tool_calls_pending", hasToolCalls: true, usage: { input_tokens: 3, output_tokens: 2 }, durationMs: "number" },
    { type: "run-finished", status: "completed" },
  ], "fromFunction payloads");
  eq(seen.filter((e) => e.type.startsWith("tool-call-")).map((e) => e.correlation.tool_call_id), ["c1", "c1"], "tool_call_id");
  eq([result.stopReason(), result.usage()], ["tool_use", { input_tokens: 3, output_tokens: 2 }], "RunResult stop reason and usage");
  eq(result.events().map((e) => e.type), seen.map((e) => e.type).filter((t) => t !== "text-delta"), "recorded without deltas");
}

// The streaming-only names exist for emitters, but offline engines never emit them.
eq([gp.consts.AgentEvent.REASONING_DELTA, gp.consts.AgentEvent.TOOL_CALL_ARGUMENTS_DELTA], ["reasoning-delta", "tool-call-arguments-delta"], "consts");
