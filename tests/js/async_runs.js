// async_runs.js: runAsync, start() cancellation paths (cancel, cancelActive, timeoutMs), one run
// per session, a synchronous run nested in a tool handler of an async run, and many concurrent
// runs. Event delivery details are in start.mjs.
const gp = require("geppetto");
const T = gp.turns;

// ---- tiny local helpers ----------------------------------------------------------------------
function msgOf(e) {
  return e !== null && typeof e === "object" && "message" in e ? String(e.message) : String(e);
}
function expectThrow(fn, text) {
  let threw = false;
  let err;
  try {
    fn();
  } catch (e) {
    threw = true;
    err = e;
  }
  if (!threw) throw new Error(`expected an error containing "${text}", nothing was thrown`);
  if (!msgOf(err).includes(text)) {
    throw new Error(`expected an error containing "${text}", got "${msgOf(err)}"`);
  }
  return err;
}
/**
 * Awaits a promise (or a function returning one) and checks the rejection. The contract names one
 * behaviour for a failing runAsync/start: a rejected Promise, never a synchronous throw, so a
 * function that throws instead of returning a Promise fails the check.
 */
async function expectReject(promiseOrFn, text) {
  let promise = promiseOrFn;
  if (typeof promiseOrFn === "function") {
    try {
      promise = promiseOrFn();
    } catch (e) {
      throw new Error(`expected a rejected Promise matching ${text}, it threw synchronously: "${msgOf(e)}"`);
    }
  }
  if (!(promise instanceof Promise)) throw new Error(`expected a Promise matching ${text}, got ${typeof promise}`);
  let rejected = false;
  let err;
  try {
    await promise;
  } catch (e) {
    rejected = true;
    err = e;
  }
  if (!rejected) throw new Error(`expected a rejection containing "${text}", it resolved`);
  if (!(err instanceof Error)) throw new Error(`expected an Error rejection matching ${text}, got ${typeof err}`);
  const ok = text instanceof RegExp ? text.test(msgOf(err)) : msgOf(err).includes(text);
  if (!ok) throw new Error(`expected a rejection matching ${text}, got "${msgOf(err)}"`);
  return err;
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const user = (text, id) => T.newTurn(id ? { id, blocks: [T.newUserBlock(text)] } : { blocks: [T.newUserBlock(text)] });
const last = (turn) => turn.blocks[turn.blocks.length - 1];

/** Engine: asks for `calls` after a user block, then answers with `answer(turn)` or "done". */
function scriptedEngine(calls, answer) {
  return gp.engines.fromFunction((turn) => {
    if (turn.blocks[turn.blocks.length - 1].kind === "user") {
      let t = turn;
      for (const c of calls) t = T.appendBlock(t, T.newToolCallBlock(c.id, c.name, c.args));
      return t;
    }
    return T.appendBlock(turn, T.newAssistantBlock(answer ? answer(turn) : "done"));
  });
}
/** A session whose single tool call waits `ms` on a timer we can clear afterwards. */
function slowSession(ms) {
  const state = { timer: null, started: false };
  const tools = gp.tools.createRegistry().register({
    name: "slow",
    handler: () =>
      new Promise((resolve) => {
        state.started = true;
        state.timer = setTimeout(() => resolve("late"), ms);
      }),
  });
  const session = gp.createSession({ engine: scriptedEngine([{ id: "slow-1", name: "slow", args: {} }]), tools });
  return { session, state, cleanup: () => state.timer !== null && clearTimeout(state.timer) };
}

async function main() {
  // ---- runAsync ---------------------------------------------------------------------------------
  {
    const s = gp.createSession({ engine: gp.engines.echo({ reply: "async answer" }) });
    const p = s.runAsync(user("q"));
    assert(p instanceof Promise, "runAsync returns a Promise");
    const out = await p;
    eq(last(out).payload.text, "async answer", "runAsync resolves with the output turn");
    eq(s.latest().blocks, out.blocks, "runAsync stores the output");
    eq(s.isRunning(), false, "not running after runAsync settles");

    // runAsync without a seed, with options.
    const out2 = await s.runAsync(undefined, { tags: { a: 1 }, timeoutMs: 5000 });
    eq(out2.blocks.length, 3, "runAsync() re-runs the latest turn");

    // Failures reject with an Error carrying the failure text.
    const failing = gp.createSession({
      engine: gp.engines.fromFunction(() => {
        throw new Error("async engine failure");
      }),
    });
    const e = await expectReject(failing.runAsync(user("x")), "js engine callback: async engine failure");
    assert(e instanceof Error, "runAsync rejection is an Error");
    eq(failing.turnCount(), 1, "failed runAsync keeps the seed");
    await expectReject(() => gp.createSession({ engine: gp.engines.echo() }).runAsync(), "session has no seed turn (or seed turn is empty)");
  }

  // ---- cancel() --------------------------------------------------------------------------------
  {
    const { session, state, cleanup } = slowSession(5000);
    const seed = user("cancel me", "seed-cancel");
    const h = session.start(seed);
    setTimeout(() => h.cancel(), 30);
    const started = Date.now();
    const e = await expectReject(h.promise, "canceled");
    cleanup();
    assert(e instanceof Error, "cancellation rejects with an Error");
    assert(Date.now() - started < 2000, "cancel takes effect at once");
    assert(state.started, "the tool had started before the cancel");
    h.cancel(); // idempotent, also after settlement
    h.cancel();
    eq(session.isRunning(), false, "not running after cancel");
    eq(session.turnCount(), 1, "history after cancel: just the seed");
    eq(session.latest().id, "seed-cancel", "seed kept");
    eq(session.latest().blocks.map((b) => b.kind), ["user"], "no partial output stored");

    // Cancel in the same JS turn as start(), before anything ran.
    const ran = { engine: false };
    const s2 = gp.createSession({ engine: gp.engines.fromFunction((t) => ((ran.engine = true), t)) });
    const h2 = s2.start(user("never"));
    h2.cancel();
    h2.cancel();
    await expectReject(h2.promise, "canceled");
    eq(ran.engine, false, "a run cancelled before it started never calls the engine");
    eq(s2.turnCount(), 1, "immediate cancel keeps the seed");

    // The session is usable again afterwards.
    const { session: s3, cleanup: c3 } = slowSession(1);
    const again = await s3.start(user("quick")).promise;
    c3();
    eq(last(again).payload.text, "done", "session usable after a cancelled run");
  }

  // ---- cancelActive() on an async run ------------------------------------------------------------
  {
    const { session, cleanup } = slowSession(5000);
    const h = session.start(user("x"));
    eq(session.isRunning(), true, "isRunning() right after start()");
    setTimeout(() => session.cancelActive(), 20);
    await expectReject(h.promise, "canceled");
    cleanup();
    eq(session.isRunning(), false, "not running after cancelActive");
    expectThrow(() => session.cancelActive(), "session has no active inference");
  }

  // ---- timeoutMs cancels the run ------------------------------------------------------------------
  {
    const { session, cleanup } = slowSession(5000);
    const started = Date.now();
    const e = await expectReject(session.start(user("x"), { timeoutMs: 50 }).promise, /cancel|timeout|timed out|deadline/i);
    cleanup();
    assert(e instanceof Error, "timeout rejection is an Error");
    assert(Date.now() - started < 2000, "timeout fired promptly");
    eq(session.turnCount(), 1, "history after timeout: just the seed");

    // A timeout also interrupts runaway JS in the engine callback.
    const spinning = gp.createSession({
      engine: gp.engines.fromFunction(() => {
        while (true) {
          // runaway engine callback
        }
      }),
    });
    const t0 = Date.now();
    await expectReject(spinning.runAsync(user("spin"), { timeoutMs: 100 }), /cancel|timeout|timed out|deadline|interrupt/i);
    assert(Date.now() - t0 < 2000, "runaway engine interrupted by the timeout");
    // ... and for a synchronous run as well.
    expectThrow(() => spinning.run(user("spin"), { timeoutMs: 100 }), "");
    eq(spinning.isRunning(), false, "not running after the interrupted run");
  }

  // ---- one run at a time per session --------------------------------------------------------------
  {
    const { session, cleanup } = slowSession(5000);
    const h = session.start(user("first"));
    expectThrow(() => session.run(user("second")), "session already has an active inference");
    await expectReject(() => session.runAsync(user("third")), "session already has an active inference");
    expectThrow(() => session.start(user("fourth")), "session already has an active inference"); // start() has no handle to reject
    h.cancel();
    await expectReject(h.promise, "canceled");
    cleanup();
    // Runs refused because one is active append nothing: only the first seed is in the history.
    eq(session.turnCount(), 1, "refused seeds are not appended");
    eq(session.turns()[0].blocks[0].payload.text, "first", "first seed still first");
  }

  // ---- a synchronous run nested inside a tool handler of an async run -----------------------------
  {
    const inner = gp.createSession({ engine: gp.engines.echo({ reply: "inner answer" }) });
    const tools = gp.tools.createRegistry().register({
      name: "ask_inner",
      handler: ({ q }) => last(inner.run(user(q))).payload.text,
    });
    const outer = gp.createSession({
      engine: scriptedEngine([{ id: "n1", name: "ask_inner", args: { q: "nested?" } }], (t) => {
        const use = t.blocks.find((b) => b.kind === "tool_use");
        return "outer got " + JSON.parse(use.payload.result);
      }),
      tools,
    });
    const out = await outer.start(user("go")).promise;
    eq(last(out).payload.text, "outer got inner answer", "nested sync run inside an async run");
    eq(inner.turnCount(), 1, "inner session has its own history");

    // Also: a sync run nested in a tool handler of a sync run.
    const out2 = outer.run(user("again"));
    eq(last(out2).payload.text, "outer got inner answer", "nested sync run inside a sync run");

    // And a synchronous run (runInference) from inside a middleware of an async run.
    const summarizer = gp.engines.echo({ reply: "summary" });
    const withNested = gp.createSession({
      engine: gp.engines.echo({ reply: "main answer" }),
      middlewares: [
        gp.middlewares.fromJS((turn, next) => {
          const side = gp.runInference(summarizer, user("summarize"));
          const out = next(turn);
          return T.appendBlock(out, T.newAssistantBlock(last(side).payload.text));
        }, "side-run"),
      ],
    });
    const out3 = await withNested.runAsync(user("x"));
    eq(out3.blocks.map((b) => b.payload.text), ["x", "main answer", "summary"], "nested run inside a middleware");
  }

  // ---- many concurrent start() calls on many sessions ----------------------------------------------
  {
    const N = 100;
    const tools = gp.tools.createRegistry().register({ name: "inc", handler: ({ n }) => ({ n: n + 1 }) });
    const mw = gp.middlewares.fromJS((t, next) => next(t), "pass-through");
    const handles = [];
    const eventsBySession = new Map();
    for (let i = 0; i < N; i++) {
      const session = gp.createSession({
        engine: scriptedEngine([{ id: "inc-" + i, name: "inc", args: { n: i } }], (t) => {
          const use = t.blocks.find((b) => b.kind === "tool_use");
          return "r" + JSON.parse(use.payload.result).n;
        }),
        middlewares: [mw],
        tools,
      });
      const h = session.start(user("go " + i));
      const events = [];
      eventsBySession.set(h.sessionId, events);
      h.on("*", (ev) => events.push(ev));
      handles.push(h);
    }
    const outs = await Promise.all(handles.map((h) => h.promise));
    for (let i = 0; i < N; i++) {
      eq(last(outs[i]).payload.text, "r" + (i + 1), "concurrent run " + i + " result");
      const h = handles[i];
      eq(outs[i].metadata.session_id, h.sessionId, "concurrent run " + i + " session id");
      const events = eventsBySession.get(h.sessionId);
      assert(events.length >= 4, "concurrent run " + i + " got its events");
      eq(events[0].type, "start", "concurrent run " + i + " first event");
      eq(events[events.length - 1].type, "final", "concurrent run " + i + " last event");
      for (const ev of events) {
        assert(ev.sessionId === h.sessionId && ev.runId === h.runId, "no event crossed runs (" + i + ")");
      }
    }
    const runIds = new Set(handles.map((h) => h.runId));
    eq(runIds.size, N, "every run has its own runId");
  }

  console.log("async_runs.js: ok");
}

main();
