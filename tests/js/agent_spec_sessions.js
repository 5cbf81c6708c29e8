// agent_spec_sessions.js: sessions, runs, RunResult and events as js-api-agent.md states them,
// written against the spec only (offline engines: engines.echo / engines.fromFunction).
const gp = require("geppetto");
const EventEmitter = require("events");

const checks = [];
const same = (a, b, what) => { if (JSON.stringify(a) !== JSON.stringify(b)) checks.push(`${what}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`); };
function throws(fn, text, type) {
  try {
    fn();
  } catch (e) {
    if (e.message !== text) checks.push(`expected "${text}", got "${e.message}"`);
    else if (type && !(e instanceof type)) checks.push(`"${text}" is not a ${type.name}`);
    return;
  }
  checks.push(`no error, expected "${text}"`);
}

const em = new EventEmitter();
const seen = [];
em.on("event", (p) => seen.push(p.type));
const agent = gp.agent().name("a1").engine(gp.engines.echo({ reply: "READY" })).events(em).build();
same(agent.name, "a1", "agent name");
const s = agent.session().id(" s1 ").metadata("k", "v").build();
same(s.id(), "s1", "trimmed id");
same(s.name(), "", "default name");
throws(() => s.next().run(), "session has no seed turn (or seed turn is empty)");
same(s.turnCount(), 0, "refused run changes nothing");

const r1 = s.next().user("hi").run();
same([r1.text(), r1.usage(), r1.stopReason(), r1.persistence(), s.turnCount()], ["READY", null, "stop", null, 1], "first run");
same(seen, ["run-started", "provider-call-started", "text-segment-started", "text-delta", "text-segment-finished", "provider-call-finished", "run-finished"], "emitted events");
same(r1.events().map((e) => e.type), ["run-started", "provider-call-started", "text-segment-started", "text-segment-finished", "provider-call-finished", "run-finished"], "recorded events");
const started = r1.events()[0];
same([started.prompt, started.sessionId, started.turnId === r1.effectiveTurn().toJSON().id], ["hi", "s1", true], "run-started payload");
same(started.correlation.run_id, started.inferenceId, "correlation run_id");
same(Object.keys(r1.toJSON()), ["inputTurn", "effectiveTurn", "outputTurn", "text", "usage", "stopReason"], "RunResult.toJSON keys");
const meta = r1.outputTurn().toJSON().metadata;
same([meta.session_id, meta["geppetto.k@v1"], meta.runtime.agentName, meta.runtime.sessionName, meta.stop_reason], ["s1", "v", "a1", "", "stop"], "output metadata");

// text() holds only what this run added
const r2 = s.next().user("again").run();
same(r2.text(), "READY", "second run text");
same(s.turnCount(), 2, "history grows one turn per run");

// fork / base
const f = s.fork({ at: 0 }).build();
const fm = f.latestTurn().toJSON().metadata;
same([f.turnCount(), f.id() !== s.id(), fm["geppetto.forkedFromSource@v1"], fm["geppetto.forkedFromSessionID@v1"], fm.session_id === f.id()], [1, true, "fork", "s1", true], "fork");
throws(() => s.fork(5), "session.fork options must be an object, TurnWrapper, null, or undefined");
throws(() => s.fork({ at: "x" }), "session.fork at must be a turn index or TurnWrapper");
throws(() => s.fork({ at: 9 }), "session.fork at index 9 is out of range");
throws(() => agent.session().build().fork(), "cannot fork an empty session");
throws(() => s.turn(), "session.turn requires an index", TypeError);
same(s.turn(99), null, "turn out of range");
const b = agent.session().base({ id: "t0", blocks: [{ kind: "user", role: "user", payload: { text: "old" } }] }).build();
same([b.turnCount(), b.latestTurn().toJSON().id, b.latestTurn().toJSON().metadata["geppetto.forkedFromSource@v1"]], [1, "t0", "base"], "base(plain turn)");
throws(() => agent.session().base(), "session().base requires a Go-owned Turn wrapper", TypeError);
throws(() => agent.session().base(5), "expected Go-owned Turn wrapper, got number");
throws(() => agent.session().metadata("a"), "session().metadata requires key and value", TypeError);
throws(() => s.next().metadata(), "session.next().metadata requires key and value", TypeError);
throws(() => s.next().metadata("", 1), "session turn metadata key must not be empty", TypeError);
throws(() => s.next().user("x").run(5), "run options must be an object");
throws(() => s.next().user("x").run({ timeoutMs: -1 }), "timeoutMs must be >= 0");
throws(() => s.next().user((m) => m.imageURL()), "imageURL requires url", TypeError);

// MessageBuilder and metadata key rule
const r3 = s.next().metadata("custom", 1).metadata("x@v2", 2).user((m) => m.text("a").text("b").imageBytes("AAA")).run();
const input = r3.inputTurn().toJSON();
same([input.metadata["geppetto.custom@v1"], input.metadata["x@v2"]], [1, 2], "metadata keys");
same(input.blocks[input.blocks.length - 1].payload, { text: "a\nb", images: [{ media_type: "application/octet-stream", content: "AAA" }] }, "message payload");

// fromFunction: usage and stop reason come from what the callback wrote
const usageAgent = gp.agent().engine(gp.engines.fromFunction((turn) => {
  turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "ok" } });
  turn.metadata = Object.assign({}, turn.metadata, { usage: { input_tokens: 3, output_tokens: 2 }, stop_reason: "end_turn" });
  return turn;
})).build();
const r4 = usageAgent.session().build().next().user("u").run();
same([r4.text(), r4.usage(), r4.stopReason()], ["ok", { input_tokens: 3, output_tokens: 2 }, "end_turn"], "fromFunction usage");

// a middleware that answers without next(): only the run events, stopReason null
const shortCircuit = gp.agent().engine(gp.engines.echo({ reply: "no" })).middleware((turn) => {
  turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "mw" } });
  return turn;
}).build();
const r5 = shortCircuit.session().build().next().user("u").run();
same([r5.text(), r5.stopReason(), r5.events().map((e) => e.type)], ["mw", null, ["run-started", "run-finished"]], "middleware answer");

// tool loop with an offline engine: the second step added no tool call (the first step's id-less
// tool_call block is not counted again), so it ends with "stop" and no tool-call events
let step = 0;
const toolEngine = gp.engines.fromFunction((turn) => {
  step++;
  if (step === 1) turn.blocks.push({ kind: "tool_call", role: "assistant", payload: { id: "c1", name: "add", args: { a: 1, b: 2 } } });
  else turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "sum done" } });
  return turn;
});
const adder = gp.toolRegistry().add(gp.tool("add").handler((a, ctx) => (ctx.callName === "add" ? a.a + a.b : -1)).build());
const names = [];
const toolRun = gp.agent().engine(toolEngine).tool(adder).events({ emit(name) { if (name !== "event") names.push(name); } }).build()
  .session().build().next().user("add").run();
same([toolRun.text(), toolRun.stopReason()], ["sum done", "stop"], "tool loop result");
same(names, ["run-started", "provider-call-started", "tool-call-started", "tool-call-requested", "provider-call-finished",
  "tool-execution-started", "tool-result-ready", "tool-call-finished",
  "provider-call-started", "text-segment-started", "text-delta", "text-segment-finished", "provider-call-finished", "run-finished"], "tool loop events");
same(toolRun.events().find((e) => e.type === "tool-result-ready").toolResult, { id: "c1", name: "add", result: "3", status: "success" }, "tool-result-ready");
same(toolRun.outputTurn().toJSON().data.tool_config.max_parallel_tools, 1, "agent maxParallelTools default");
same(toolRun.outputTurn().toJSON().data.tool_config.max_iterations, 20, "agent maxIterations default");

// runAsync: handle shape, cancel in the same JS turn, history unchanged
const h = s.next().user("cancel me").runAsync();
same(Object.keys(h).sort(), ["cancel", "close", "promise"], "runAsync handle keys");
same(s.isRunning(), true, "isRunning after runAsync");
throws(() => s.next(), "session already has an active inference");
h.cancel();
h.cancel();
const before = s.turnCount();
const done = h.promise.then(
  () => checks.push("cancelled run resolved"),
  (e) => {
    same([e.name, e.message, s.turnCount(), s.isRunning(), seen[seen.length - 1]], ["Error", "inference canceled", before, false, "run-stopped"], "cancelled runAsync");
    s.close();
    throws(() => s.next(), "session is closed");
  },
).then(() => {
  if (checks.length) throw new Error("spec mismatches:\n" + checks.join("\n"));
});
done
