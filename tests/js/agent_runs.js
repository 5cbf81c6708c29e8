// agent_runs.js: runAsync and its handle, cancellation and deadlines, events delivered to emitters
// (order per engine kind and outcome, payload shapes, the two emit calls), listener failures, and
// a synchronous run() nested in a tool handler (js-api-agent.md § A run, § Events).
const gp = require("geppetto");
const EventEmitter = require("events");

// ---- tiny local helpers ----------------------------------------------------------------------
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(what + ": expected " + e + ", got " + a);
}
async function expectReject(promise, message) {
  try {
    await promise;
  } catch (e) {
    eq([e instanceof Error, e.message], [true, message], "rejection");
    return;
  }
  throw new Error("expected a rejection: " + message);
}
function recorder() {
  const emitter = new EventEmitter();
  const all = [];
  const named = [];
  emitter.on("event", (e) => all.push(e));
  for (const name of Object.values(gp.consts.AgentEvent)) {
    if (name !== "event") emitter.on(name, (e) => named.push([name, e]));
  }
  return { emitter, all, named, types: () => all.map((e) => e.type) };
}

// A scripted offline model: asks for go_double {n: 21} once, then answers with the tool result.
function toolModel() {
  return gp.engines.fromFunction((turn) => {
    const used = turn.blocks.find((b) => b.kind === "tool_use");
    if (!used) {
      turn.blocks.push({ id: "call-1", kind: "tool_call", role: "assistant", payload: { id: "call-1", name: "go_double", args: { n: 21 } } });
    } else {
      turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "result " + used.payload.result } });
    }
    return turn;
  });
}

async function main() {
  // ---- echo: event order, payloads, two emit calls ----------------------------------------
  {
    const rec = recorder();
    const s = gp.agent().name("ev").engine(gp.engines.echo({ reply: "hello" })).events(rec.emitter).build().session().id("S").build();
    const r = s.next().user("say hi").run();
    eq(rec.types(), ["run-started", "provider-call-started", "text-segment-started", "text-delta", "text-segment-finished", "provider-call-finished", "run-finished"], "echo events, delivered before run() returns");
    eq(rec.named.map((n) => n[0]), rec.types(), "each event is also emitted under its name");
    eq(rec.named.every((n, i) => n[1] !== rec.all[i] && JSON.stringify(n[1]) === JSON.stringify(rec.all[i])), true, "equal, distinct objects");
    const turnId = r.effectiveTurn().toJSON().id;
    const inferenceId = r.effectiveTurn().toJSON().metadata.inference_id;
    for (const e of rec.all) {
      eq([e.sessionId, e.inferenceId, e.turnId, typeof e.timestampMs], ["S", inferenceId, turnId, "number"], "ids on " + e.type);
      eq([e.correlation.session_id, e.correlation.run_id, e.correlation.turn_id], ["S", inferenceId, turnId], "correlation of " + e.type);
    }
    const [started, call, segment, delta, finished, callDone, done] = rec.all;
    eq(started.prompt, "say hi", "run-started prompt");
    eq(typeof call.correlation.provider_call_id, "string", "provider_call_id");
    eq(callDone.correlation.provider_call_id, call.correlation.provider_call_id, "one id per step");
    eq([segment.role, typeof segment.correlation.segment_id], ["assistant", "string"], "segment start");
    eq([delta.delta, delta.text, delta.sequence, delta.correlation.segment_id], ["hello", "hello", 1, segment.correlation.segment_id], "delta");
    eq([finished.text, finished.finishReason], ["hello", "stop"], "segment end");
    eq([callDone.stopReason, callDone.finishClass, callDone.hasToolCalls, "usage" in callDone, typeof callDone.durationMs], ["stop", "completed", false, false, "number"], "provider-call-finished");
    eq(done.status, "completed", "run-finished");
    eq(r.events().map((e) => e.type), ["run-started", "provider-call-started", "text-segment-started", "text-segment-finished", "provider-call-finished", "run-finished"], "RunResult.events() without deltas");
  }

  // ---- tools: the loop's events, ids on tool events -----------------------------------------
  {
    const rec = recorder();
    const s = gp.agent().engine(toolModel()).goTool("go_double").events(rec.emitter).build().session().build();
    const r = s.next().user("double 21").run();
    eq(r.text(), 'result {"value":42}', "tool answer");
    eq(rec.types(), [
      "run-started",
      "provider-call-started", "tool-call-started", "tool-call-requested", "provider-call-finished",
      "tool-execution-started", "tool-result-ready", "tool-call-finished",
      "provider-call-started", "text-segment-started", "text-delta", "text-segment-finished", "provider-call-finished",
      "run-finished",
    ], "tool loop events");
    const byType = (t) => rec.all.filter((e) => e.type === t);
    eq(byType("tool-call-requested")[0].toolCall, { id: "call-1", name: "go_double", input: '{"n":21}' }, "requested");
    eq(byType("provider-call-finished")[0].finishClass, "tool_calls_pending", "pending step");
    eq(byType("provider-call-finished")[0].stopReason, "tool_calls", "tool_calls stop reason");
    eq(byType("tool-execution-started")[0].toolCall, { id: "call-1", name: "go_double", input: '{"n":21}' }, "execution");
    eq(byType("tool-result-ready")[0].toolResult, { id: "call-1", name: "go_double", result: '{"value":42}', status: "success" }, "result");
    eq(byType("tool-call-finished")[0].toolCall, { id: "call-1", name: "go_double", status: "success" }, "finished");
    eq(byType("tool-result-ready")[0].correlation.tool_call_id, "call-1", "tool_call_id");
    eq(byType("tool-result-ready")[0].turnId, r.effectiveTurn().toJSON().id, "tool events carry the run's ids");
    const data = r.outputTurn().toJSON().data;
    eq(data.tool_definitions.map((d) => d.name), ["go_double"], "goTool offers only the named tool");
    eq(typeof data.tool_config, "object", "tool_config");
    // A run-time registry error fails the run with run-failed.
    const bad = gp.agent().engine(toolModel()).goTool("nope").events(rec.emitter).build().session().build();
    rec.all.length = 0;
    let message = "";
    try {
      bad.next().user("x").run();
    } catch (e) {
      message = e.message;
    }
    eq(message, 'resolved runtime tool "nope" not present in registry: tool not found: nope', "unknown goTool");
    eq(rec.types(), ["run-started", "run-failed"], "run-failed only");
    eq([rec.all[1].error, rec.all[1].message], [message, message], "run-failed fields");
  }

  // ---- a failing engine: inference-error, listener failures ---------------------------------
  {
    const rec = recorder();
    const noisy = { emit: (name) => { if (name === "run-started") throw new Error("listener boom"); } };
    const s = gp.agent().engine(gp.engines.fromFunction(() => { throw new Error("bad model"); })).events(noisy).events(rec.emitter).build().session().build();
    let message = "";
    try {
      s.next().user("x").run();
    } catch (e) {
      message = e.message;
    }
    eq(message, "js engine callback: bad model", "failure text");
    eq(rec.types(), ["run-started", "provider-call-started", "error", "provider-call-finished", "run-failed"], "failure events (a throwing listener changes nothing)");
    eq(rec.named[2][0], "inference-error", "type error is emitted as inference-error");
    eq([rec.all[2].error, rec.all[2].message], ["js engine callback: bad model", "js engine callback: bad model"], "error fields");
    eq([rec.all[3].finishClass, rec.all[3].stopReason], ["failed", null], "failed step");
  }

  // ---- runAsync: handle, events before settlement, cancel, deadline --------------------------
  {
    const rec = recorder();
    const a = gp.agent().engine(gp.engines.echo({ reply: "async" })).events(rec.emitter).build();
    const s = a.session().build();
    const h = s.next().user("go").runAsync();
    eq(Object.keys(h), ["promise", "cancel", "close"], "handle keys");
    eq([s.isRunning(), rec.all.length], [true, 0], "running, no event yet in this turn");
    let n = 0;
    rec.emitter.on("event", () => n++);
    const r = await h.promise;
    eq([r.text(), s.isRunning(), s.turnCount(), rec.all.length, n], ["async", false, 1, 7, 7], "events before settlement; late listeners in the same turn see all");
    h.cancel();
    h.close();

    // Refusals reject the promise; bad options throw.
    const prepared = s.next().user("x");
    const busy = s.next().user("again").runAsync();
    let refused = "";
    try {
      s.next();
    } catch (e) {
      refused = e.message;
    }
    eq(refused, "session already has an active inference", "next() while running");
    await expectReject(prepared.runAsync().promise, "session already has an active inference");
    await busy.promise;
    let threw = "";
    try {
      s.next().user("x").runAsync({ timeoutMs: -1 });
    } catch (e) {
      threw = e.message;
    }
    eq(threw, "timeoutMs must be >= 0", "bad options throw from runAsync");
    await expectReject(a.session().build().next().runAsync().promise, "session has no seed turn (or seed turn is empty)");

    // cancel() in the same JS turn always cancels; the history is unchanged.
    rec.all.length = 0;
    const { promise, cancel } = s.next().user("cancel me").runAsync();
    cancel();
    await expectReject(promise, "inference canceled");
    eq([s.turnCount(), s.isRunning()], [2, false], "cancelled run leaves the history");
    eq(rec.types(), ["run-started", "run-stopped"], "cancelled before the first step");
    eq(rec.all[1].reason, "cancelled", "run-stopped reason");

    // A deadline interrupts a slow callback.
    const slow = gp.agent().engine(gp.engines.fromFunction((t) => { sleep(2000); return t; })).events(rec.emitter).build().session().build();
    rec.all.length = 0;
    await expectReject(slow.next().user("slow").runAsync({ timeoutMs: 50 }).promise, "inference canceled: deadline exceeded");
    eq(rec.types(), ["run-started", "provider-call-started", "interrupt", "provider-call-finished", "run-stopped"], "deadline events");
    eq([rec.all[2].text, rec.all[3].finishClass, rec.all[4].reason], ["", "cancelled", "deadline exceeded"], "deadline payloads");
    eq(slow.turnCount(), 0, "nothing appended");

    // session.cancel() and close() cancel the active run.
    const hanging = gp.agent().engine(gp.engines.fromFunction(() => new Promise(() => {}))).build().session().build();
    const p = hanging.next().user("x").runAsync().promise;
    setTimeout(() => hanging.cancel(), 20);
    await expectReject(p, "inference canceled");
    eq(hanging.isRunning(), false, "cancel() ended the run");
    const p2 = hanging.next().user("y").runAsync().promise;
    setTimeout(() => hanging.close(), 20);
    await expectReject(p2, "inference canceled");
    let closed = "";
    try {
      hanging.next();
    } catch (e) {
      closed = e.message;
    }
    eq(closed, "session is closed", "closed");
  }

  // ---- other runs' events never arrive inside a synchronous run() -----------------------------
  {
    const asyncEmitter = new EventEmitter();
    let inSync = false;
    const leaked = [];
    let delivered = 0;
    asyncEmitter.on("event", (e) => { delivered++; if (inSync) leaked.push(e.type); });
    const background = gp.agent().engine(gp.engines.echo()).events(asyncEmitter).build().session().build();
    const foreground = gp.agent().engine(gp.engines.fromFunction((t) => { sleep(5); return t; })).build().session().build();
    const pending = background.next().user("background").runAsync();
    inSync = true;
    for (let i = 0; i < 5; i++) foreground.next().user("fg " + i).run();
    inSync = false;
    await pending.promise;
    eq(leaked, [], "no event of the async run was delivered inside run()");
    eq(delivered, 7, "all of them were delivered afterwards");
  }

  // ---- nested run() from a tool handler of a run ---------------------------------------------
  {
    const inner = gp.agent().engine(gp.engines.echo({ reply: "inner answer" })).build();
    const registry = gp.toolRegistry().add(
      gp.tool("ask_inner").description("asks another agent").handler(() => {
        const s = inner.session().build();
        return { answer: s.next().user("nested").run().text() };
      }).build()
    );
    const outer = gp.agent().engine(gp.engines.fromFunction((turn) => {
      const used = turn.blocks.find((b) => b.kind === "tool_use");
      if (!used) turn.blocks.push({ id: "c", kind: "tool_call", role: "assistant", payload: { id: "c", name: "ask_inner", args: {} } });
      else turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: JSON.parse(used.payload.result).answer } });
      return turn;
    })).tool(registry).build();
    eq(outer.session().build().next().user("outer").run().text(), "inner answer", "nested sync run");
    const asyncResult = await outer.session().build().next().user("outer").runAsync().promise;
    eq(asyncResult.text(), "inner answer", "nested run in an async run's tool");
  }

  console.log("agent_runs.js: ok");
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  throw e;
});
