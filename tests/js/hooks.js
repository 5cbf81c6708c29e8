// hooks.js: tool hooks (beforeToolCall, afterToolCall, onToolError), their actions, the retry
// policy, fail-open vs fail-closed, the three ways to install hooks, and the hook payloads.
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
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}
const user = (text) => T.newTurn({ blocks: [T.newUserBlock(text)] });
const last = (turn) => turn.blocks[turn.blocks.length - 1];

/** Engine: asks for `calls` after a user block, then answers "done". */
function scriptedEngine(calls) {
  return gp.engines.fromFunction((turn) => {
    if (turn.blocks[turn.blocks.length - 1].kind === "user") {
      let t = turn;
      for (const c of calls) t = T.appendBlock(t, T.newToolCallBlock(c.id, c.name, c.args));
      return t;
    }
    return T.appendBlock(turn, T.newAssistantBlock("done"));
  });
}

// Counters for the JS tools below.
const count = { double: 0, fail: 0, flaky: 0 };
function registry() {
  return gp.tools
    .createRegistry()
    .useGoTools()
    .register({ name: "js_double", handler: ({ n }) => (count.double++, { value: n * 2 }) })
    .register({
      name: "always_fails",
      handler: () => {
        count.fail++;
        throw new Error("tool failure");
      },
    })
    .register({
      name: "fails_once",
      handler: () => {
        count.flaky++;
        if (count.flaky === 1) throw new Error("first try fails");
        return "recovered";
      },
    });
}
function resetCounts() {
  count.double = 0;
  count.fail = 0;
  count.flaky = 0;
}

/** Runs one turn with one tool call and the given hooks; returns the single tool_use payload. */
function runOne(call, hooks, toolLoop, runOpts) {
  const out = gp
    .createSession({ engine: scriptedEngine([call]), tools: registry(), toolHooks: hooks, toolLoop: toolLoop || {} })
    .run(user("go"), runOpts);
  assert(last(out).payload.text === "done", "the run went on to the final answer");
  const uses = out.blocks.filter((b) => b.kind === "tool_use");
  assert(uses.length === 1, "one tool_use block");
  return { payload: uses[0].payload, out };
}
const parsed = (payload) => (payload.result === null ? null : JSON.parse(payload.result));
const dbl = (n) => ({ id: "call-" + n, name: "js_double", args: { n } });

// ---- beforeToolCall: abort forms -------------------------------------------------------------
{
  resetCounts();
  let p = runOne(dbl(1), { beforeToolCall: () => ({ action: "abort" }) }).payload;
  assert(p.error.includes("aborted by beforeToolCall"), "abort default error: " + p.error);
  eq(p.result, null, "aborted call has no result");
  eq(count.double, 0, "aborted tool did not run");

  p = runOne(dbl(1), { beforeToolCall: () => ({ abort: true }) }).payload;
  assert(p.error.includes("aborted by beforeToolCall"), "abort:true default error: " + p.error);

  p = runOne(dbl(1), { beforeToolCall: () => ({ action: gp.consts.HookAction.ABORT, error: "blocked by policy" }) }).payload;
  assert(p.error.includes("blocked by policy"), "abort with custom error: " + p.error);

  p = runOne(dbl(1), { beforeToolCall: () => ({ abort: true, error: "nope" }) }).payload;
  assert(p.error.includes("nope"), "abort:true with custom error: " + p.error);
  eq(count.double, 0, "no aborted tool ever ran");

  // A hook abort never fails the run, even with toolErrorHandling "abort".
  p = runOne(dbl(1), { beforeToolCall: () => ({ action: "abort" }) }, { toolErrorHandling: "abort" }).payload;
  assert(p.error.includes("aborted by beforeToolCall"), "hook abort under toolErrorHandling abort");
}

// ---- beforeToolCall: rewriting the call ---------------------------------------------------------
{
  resetCounts();
  let p = runOne(dbl(1), { beforeToolCall: () => ({ call: { args: { n: 5 } } }) }).payload;
  eq(parsed(p), { value: 10 }, "rewrite args via call");
  p = runOne(dbl(1), { beforeToolCall: () => ({ args: { n: 7 } }) }).payload;
  eq(parsed(p), { value: 14 }, "rewrite args via top-level key");
  p = runOne(dbl(1), { beforeToolCall: () => ({ call: { name: "go_concat", args: { a: "re", b: "named" } } }) }).payload;
  eq(parsed(p), { value: "renamed" }, "rewrite name and args via call");
  p = runOne(dbl(1), { beforeToolCall: () => ({ name: "go_double", args: { n: 50 } }) }).payload;
  eq(parsed(p), { value: 100 }, "rewrite name via top-level keys");
  eq(p.id, "call-1", "tool_use keeps the call id");
  // Returning nothing leaves the call alone.
  p = runOne(dbl(3), { beforeToolCall: () => undefined }).payload;
  eq(parsed(p), { value: 6 }, "undefined return: call unchanged");
}

// ---- afterToolCall -------------------------------------------------------------------------------
{
  resetCounts();
  let p = runOne(dbl(2), { afterToolCall: () => ({ result: { value: 99 } }) }).payload;
  eq(parsed(p), { value: 99 }, "after replaces the result");
  eq(p.error, "", "replaced result has no error");

  p = runOne(dbl(2), { afterToolCall: () => ({ error: "rejected by reviewer" }) }).payload;
  assert(p.error.includes("rejected by reviewer"), "after sets an error: " + p.error);

  // Clearing the error of a failed call, with a fallback result.
  p = runOne({ id: "f1", name: "always_fails", args: {} }, { afterToolCall: () => ({ error: "", result: "fallback" }) }).payload;
  eq(p.error, "", "after clears the error");
  eq(parsed(p), "fallback", "after supplies a fallback result");

  resetCounts();
  p = runOne(dbl(2), { afterToolCall: () => ({ action: "abort" }) }).payload;
  assert(p.error.includes("aborted by afterToolCall"), "after abort default error: " + p.error);
  eq(count.double, 1, "the tool ran before afterToolCall aborted");
  p = runOne(dbl(2), { afterToolCall: () => ({ abort: true, error: "too late" }) }).payload;
  assert(p.error.includes("too late"), "after abort:true with error: " + p.error);

  // afterToolCall payload.
  let seen = null;
  runOne(dbl(21), { afterToolCall: (payload) => ((seen = payload), undefined) });
  eq(seen.phase, "afterToolCall", "after phase");
  eq(seen.call, { id: "call-21", name: "js_double", args: { n: 21 } }, "after call");
  const value = typeof seen.result.value === "string" ? JSON.parse(seen.result.value) : seen.result.value;
  eq(value, { value: 42 }, "after result.value");
  assert(!seen.result.error, "after result.error empty on success");
  assert(typeof seen.result.durationMs === "number" && seen.result.durationMs >= 0, "after result.durationMs");
  assert(typeof seen.timestampMs === "number", "after timestampMs");
}

// ---- onToolError: explicit actions ------------------------------------------------------------
{
  resetCounts();
  let p = runOne({ id: "o1", name: "fails_once", args: {} }, { onToolError: () => ({ action: "retry", backoffMs: 1 }) }).payload;
  eq(count.flaky, 2, "retry action: tried twice");
  eq(parsed(p), "recovered", "retry action: success recorded");
  eq(p.error, "", "retry action: no error");

  resetCounts();
  // Without backoffMs the retry waits the default backoff, so keep retryBackoffMs small here.
  p = runOne({ id: "o2", name: "fails_once", args: {} }, { onToolError: () => ({ retry: true }) }, { retryBackoffMs: 1 }).payload;
  eq(count.flaky, 2, "retry:true retries");
  eq(parsed(p), "recovered", "retry:true success");

  // Stopping forms: even with toolErrorHandling retry, the tool runs once and the error is kept.
  const stops = [{ action: "abort" }, { action: "continue" }, { abort: true }, { retry: false }];
  for (const decision of stops) {
    resetCounts();
    p = runOne(
      { id: "o3", name: "always_fails", args: {} },
      { onToolError: () => decision },
      { toolErrorHandling: "retry", retryMaxRetries: 3, retryBackoffMs: 1 }
    ).payload;
    eq(count.fail, 1, "no retry after " + JSON.stringify(decision));
    assert(p.error.length > 0, "an error is recorded after " + JSON.stringify(decision));
    if (!decision.abort && decision.action !== "abort") {
      assert(p.error.includes("js tool always_fails: tool failure"), "tool error kept after " + JSON.stringify(decision) + ": " + p.error);
    }
  }
}

// ---- onToolError: default behaviour, attempt counter, payload ------------------------------------
{
  // toolErrorHandling "retry": anything else retries while attempt < retryMaxRetries.
  resetCounts();
  const payloads = [];
  const p = runOne(
    { id: "d1", name: "always_fails", args: { x: 1 } },
    { onToolError: (payload) => (payloads.push(payload), { note: "no decision" }) },
    { toolErrorHandling: "retry", retryMaxRetries: 2, retryBackoffMs: 4, retryBackoffFactor: 2 },
    { tags: { suite: "hooks" } }
  ).payload;
  eq(count.fail, 3, "default retry: 1 try + retryMaxRetries");
  eq(payloads.map((x) => x.attempt), [0, 1, 2], "attempt counter from 0");
  eq(payloads.map((x) => x.defaultRetry), [true, true, false], "defaultRetry");
  eq(payloads[0].defaultBackoffMs, 4, "defaultBackoffMs attempt 0 = retryBackoffMs");
  eq(payloads[1].defaultBackoffMs, 8, "defaultBackoffMs attempt 1 = retryBackoffMs * factor");
  eq(payloads[0].phase, "onToolError", "onToolError phase");
  eq(payloads[0].call, { id: "d1", name: "always_fails", args: { x: 1 } }, "onToolError call");
  assert(String(payloads[0].error).includes("tool failure"), "onToolError error: " + payloads[0].error);
  eq(payloads[0].tags, { suite: "hooks" }, "onToolError tags");
  assert(typeof payloads[0].sessionId === "string" && typeof payloads[0].inferenceId === "string", "onToolError ids");
  assert(p.error.includes("tool failure"), "final error recorded");

  // Default "continue": no retry, and defaultRetry is false.
  resetCounts();
  const cont = [];
  runOne({ id: "d2", name: "always_fails", args: {} }, { onToolError: (x) => (cont.push(x), undefined) });
  eq(count.fail, 1, "continue: one attempt");
  eq(cont.map((x) => x.defaultRetry), [false], "continue: defaultRetry false");

  // maxHookRetries bounds hook-driven retries.
  resetCounts();
  const bounded = [];
  runOne(
    { id: "d3", name: "always_fails", args: {} },
    { onToolError: (x) => (bounded.push(x.attempt), { action: "retry", backoffMs: 0 }), maxHookRetries: 3 }
  );
  eq(bounded, [0, 1, 2], "hook consulted while attempt < maxHookRetries");
  eq(count.fail, 4, "tool ran maxHookRetries + 1 times");

  // The default maxHookRetries is 10.
  resetCounts();
  const unbounded = [];
  runOne({ id: "d4", name: "always_fails", args: {} }, { onToolError: (x) => (unbounded.push(x.attempt), { retry: true, backoffMs: 0 }) });
  eq(unbounded.length, 10, "default maxHookRetries is 10");
  eq(count.fail, 11, "tool ran 11 times");
}

// ---- fail-open vs fail-closed -------------------------------------------------------------------
{
  const throwing = (phase) => () => {
    throw new Error(phase + " exploded");
  };
  // Fail-open: a throwing hook is ignored, the tool runs normally.
  const openForms = [
    { hookErrorPolicy: "fail-open" },
    { hookErrorPolicy: "open" },
    { onHookError: "fail-open" },
    { onHookError: "open" },
    { failOpen: true },
    { hookErrorPolicy: "fail-closed", failOpen: true }, // failOpen overrides the policy string
  ];
  for (const form of openForms) {
    resetCounts();
    const hooks = Object.assign({ beforeToolCall: throwing("before"), afterToolCall: throwing("after") }, form);
    const p = runOne(dbl(4), hooks).payload;
    eq(count.double, 1, "fail-open runs the tool: " + JSON.stringify(form));
    eq(parsed(p), { value: 8 }, "fail-open keeps the result: " + JSON.stringify(form));
    eq(p.error, "", "fail-open: no error: " + JSON.stringify(form));
  }

  // Fail-closed (the default): the call fails with "<hookName> hook: <message>".
  const closedForms = [{}, { hookErrorPolicy: "fail-closed" }, { hookErrorPolicy: "fail-open", failOpen: false }, { onHookError: "open", failOpen: false }];
  for (const form of closedForms) {
    resetCounts();
    const p = runOne(dbl(4), Object.assign({ beforeToolCall: throwing("before") }, form)).payload;
    assert(p.error.includes("beforeToolCall hook: before exploded"), "fail-closed before: " + JSON.stringify(form) + " " + p.error);
    eq(count.double, 0, "fail-closed: tool did not run: " + JSON.stringify(form));
  }
  let p = runOne(dbl(4), { afterToolCall: throwing("after") }).payload;
  assert(p.error.includes("afterToolCall hook: after exploded"), "fail-closed after: " + p.error);
  p = runOne({ id: "c9", name: "always_fails", args: {} }, { onToolError: throwing("onerror") }).payload;
  assert(p.error.includes("onToolError hook: onerror exploded"), "fail-closed onToolError: " + p.error);
}

// ---- installing hooks: option, builder, settings.hooks; errors --------------------------------------
{
  const calls = [];
  const hooks = { beforeToolCall: (x) => (calls.push(x.call.name), undefined) };
  const engine = scriptedEngine([dbl(1)]);
  gp.createSession({ engine, tools: registry(), toolHooks: hooks }).run(user("a"));
  gp.createBuilder().withEngine(engine).withTools(registry()).withToolHooks(hooks).buildSession().run(user("b"));
  gp.createBuilder().withEngine(engine).withTools(registry(), { hooks }).buildSession().run(user("c"));
  gp.createSession({ engine, tools: registry(), toolLoop: { hooks } }).run(user("d"));
  eq(calls, ["js_double", "js_double", "js_double", "js_double"], "hooks installed four ways");

  expectThrow(() => gp.createBuilder().withToolHooks(), "withToolHooks requires hooks object");
  expectThrow(() => gp.createSession({ engine, tools: registry(), toolHooks: 42 }), "tool hooks must be an object");
  expectThrow(() => gp.createSession({ engine, tools: registry(), toolHooks: "hooks" }), "tool hooks must be an object");
  expectThrow(() => gp.createSession({ engine, tools: registry(), toolLoop: { hooks: 7 } }), "tool hooks must be an object");
}

// ---- beforeToolCall payload -------------------------------------------------------------------
{
  let seen = null;
  const { out } = runOne(dbl(2), { beforeToolCall: (x) => ((seen = x), undefined) }, {}, { tags: { trace: "t-1" } });
  eq(seen.phase, "beforeToolCall", "before phase");
  eq(seen.call, { id: "call-2", name: "js_double", args: { n: 2 } }, "before call");
  eq(seen.sessionId, out.metadata.session_id, "before sessionId");
  eq(seen.inferenceId, out.metadata.inference_id, "before inferenceId");
  eq(seen.tags, { trace: "t-1" }, "before tags");
  assert(typeof seen.timestampMs === "number" && seen.timestampMs > 1.6e12, "before timestampMs");
}

console.log("hooks.js: ok");
