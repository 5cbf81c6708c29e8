// detached_methods.js: as in the Go module, every handle method is an own property bound to its
// object, so it works when taken off the object (destructured, passed as a callback, called with
// another `this`). Covers the namespaces, RunHandle, session, builder and registry.
const gp = require("geppetto");

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}
function expectThrow(fn, text) {
  try {
    fn();
  } catch (e) {
    if (!String(e && e.message).includes(text)) throw new Error(`expected "${text}", got "${e && e.message}"`);
    return;
  }
  throw new Error(`expected an error containing "${text}", nothing was thrown`);
}

// Namespaces: plain functions.
const { newTurn, newUserBlock, appendBlock } = gp.turns;
const { echo } = gp.engines;
const { createRegistry } = gp.tools;
const { createSession, createBuilder, runInference } = gp;
const seed = (text) => newTurn({ blocks: [newUserBlock(text)] });
eq(appendBlock(seed("a"), newUserBlock("b")).blocks.length, 2, "detached turns.appendBlock");
eq(runInference(echo({ reply: "one-shot" }), seed("x")).blocks[1].payload.text, "one-shot", "detached runInference");

// Registry methods.
const registry = createRegistry();
const { register, useGoTools, useHostTools, list, call } = registry;
assert(register({ name: "twice", handler: ({ n }) => n * 2 }) === registry, "detached register returns the registry");
assert(useGoTools(["go_double"]) === registry, "detached useGoTools returns the registry");
assert(useHostTools.call(undefined, ["go_concat"]) === registry, "useHostTools with this = undefined");
eq(list().map((t) => t.name).sort(), ["go_concat", "go_double", "twice"], "detached list");
eq(call("twice", { n: 21 }), 42, "detached call");
eq([{ n: 1 }, { n: 2 }].map((args) => call("twice", args)), [2, 4], "call passed as a callback");

// Builder methods: each returns the builder, whatever `this` is.
const builder = createBuilder();
const { withEngine, useMiddleware, useGoMiddleware, withTools, withToolLoop, withToolHooks, buildSession } = builder;
assert(withEngine(gp.engines.fromFunction((t) => appendBlock(t, { kind: "tool_call", role: "assistant", payload: { id: "c1", name: "twice", args: { n: 5 } } }))) === builder, "detached withEngine");
const seen = [];
assert(useMiddleware((turn, next) => { seen.push("mw"); return next(turn); }) === builder, "detached useMiddleware");
assert(useGoMiddleware("systemPrompt", { prompt: "be brief" }) === builder, "detached useGoMiddleware");
assert(withTools.call({}, registry, { maxIterations: 1 }) === builder, "withTools with a foreign this");
assert(withToolLoop({ maxIterations: 1 }) === builder, "detached withToolLoop");
assert(withToolHooks({ beforeToolCall: () => undefined }) === builder, "detached withToolHooks");
const looped = buildSession();
expectThrow(() => looped.run(seed("go")), "max iterations (1) reached");
assert(seen.length === 1, "the detached builder's middleware ran");

// Session methods.
const session = createSession({ engine: echo({ reply: "pong" }) });
const { append, latest, turnCount, turns, getTurn, turnsRange, isRunning, cancelActive, run, runAsync, start } = session;
append(seed("first"));
eq(turnCount(), 1, "detached append/turnCount");
eq(run().blocks[1].payload.text, "pong", "detached run without seed");
eq(run.call(null, seed("second")).blocks.length, 2, "run with this = null");
eq(latest().blocks[0].payload.text, "second", "detached latest");
eq(turns().length, 2, "detached turns");
eq(getTurn(0).blocks[0].payload.text, "first", "detached getTurn");
eq(turnsRange(1).length, 1, "detached turnsRange");
eq(isRunning(), false, "detached isRunning");
expectThrow(() => cancelActive(), "session has no active inference");
const other = createSession({ engine: echo({ reply: "other" }) });
eq(other.run.call(session, seed("x")).blocks[1].payload.text, "other", "a method keeps its own session whatever this is");

async function main() {
  eq((await runAsync(seed("async"))).blocks[1].payload.text, "pong", "detached runAsync");

  // RunHandle: {promise, on, cancel} destructured before and after subscribing.
  const { promise, on, cancel, runId } = start(seed("streamed"));
  assert(typeof runId === "string" && runId !== "", "runId is an own property");
  const types = [];
  const returned = on("*", (event) => types.push(event.type));
  assert(typeof returned.on === "function" && returned.promise === promise, "detached on returns its handle");
  eq((await promise).blocks[1].payload.text, "pong", "detached promise");
  eq(types, ["start", "final"], "events through a detached on");

  const slow = createSession({
    engine: gp.engines.fromFunction(() => new Promise(() => {})), // never answers
  });
  const h = slow.start(seed("hang"));
  const stop = h.cancel;
  setTimeout(stop, 10);
  try {
    await h.promise;
    throw new Error("a cancelled run resolved");
  } catch (e) {
    assert(String(e.message).includes("canceled"), "detached cancel: " + e.message);
  }
  [1, 2].forEach(stop); // idempotent, and fine as a forEach callback
  console.log("detached_methods.js: ok");
}

main().catch((e) => {
  console.error("detached_methods.js failed:", e && e.stack ? e.stack : e);
  throw e;
});
