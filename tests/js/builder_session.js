// builder_session.js: createBuilder and its methods, createSession, runInference, and every
// session method (append, latest, turnCount, turns, getTurn, turnsRange, isRunning, cancelActive,
// run) with their errors and the run metadata rules.
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
const user = (text, id) => T.newTurn(id ? { id, blocks: [T.newUserBlock(text)] } : { blocks: [T.newUserBlock(text)] });
const last = (turn) => turn.blocks[turn.blocks.length - 1];
const echo = gp.engines.echo({ reply: "ok" });

// ---- builder: every method returns a builder ----------------------------------------------------
{
  const registry = gp.tools.createRegistry().register({ name: "noop", handler: () => null });
  let b = gp.createBuilder();
  b = b.withEngine(echo);
  b = b.useMiddleware(gp.middlewares.fromJS((t, next) => next(t), "ref"));
  b = b.useMiddleware((t, next) => next(t)); // a bare function is accepted too
  b = b.useGoMiddleware("turnLogging");
  b = b.useGoMiddleware("systemPrompt", { prompt: "sys" });
  b = b.withTools(registry, { maxIterations: 3 });
  b = b.withToolLoop({ maxIterations: 4, toolChoice: "auto" });
  b = b.withToolHooks({ beforeToolCall: () => undefined });
  assert(typeof b.buildSession === "function", "chain keeps returning the builder");
  const session = b.buildSession();
  const out = session.run(user("hi"));
  eq(out.blocks.map((x) => x.kind), ["system", "user", "llm_text"], "built session runs its chain");

  // createBuilder(opts) takes the same options as createSession.
  const fromOpts = gp.createBuilder({ engine: echo, middlewares: [gp.middlewares.go("systemPrompt", { prompt: "p" })] }).buildSession();
  eq(fromOpts.run(user("x")).blocks[0].payload.text, "p", "createBuilder(opts)");
}

// ---- builder errors ------------------------------------------------------------------------------
expectThrow(() => gp.createBuilder().withEngine(), "withEngine requires engine argument");
expectThrow(() => gp.createBuilder().useMiddleware(), "useMiddleware requires middleware argument");
expectThrow(() => gp.createBuilder().useGoMiddleware(), "useGoMiddleware requires middleware name");
expectThrow(() => gp.createBuilder().withTools(), "withTools requires registry argument");
expectThrow(() => gp.createBuilder().buildSession(), "builder has no engine configured");
expectThrow(() => gp.createBuilder().useGoMiddleware("turnLogging").buildSession(), "builder has no engine configured");
expectThrow(() => gp.createBuilder(42), "options must be an object");
expectThrow(() => gp.createBuilder("engine"), "options must be an object");

// ---- createSession / runInference ---------------------------------------------------------------
expectThrow(() => gp.createSession(), "createSession requires options object with engine");
expectThrow(() => gp.createSession({}), "createSession requires options object with engine");
expectThrow(() => gp.createSession({ middlewares: [] }), "createSession requires options object with engine");
expectThrow(() => gp.runInference(), "runInference requires (engine, turn[, options])");
expectThrow(() => gp.runInference(echo), "runInference requires (engine, turn[, options])");
{
  const out = gp.runInference(echo, user("one-shot"));
  eq(out.blocks.map((b) => b.payload.text), ["one-shot", "ok"], "runInference output");
  assert(typeof out.metadata.session_id === "string", "runInference sets session_id");
  assert(typeof out.metadata.inference_id === "string", "runInference sets inference_id");
  // Options are accepted.
  const probe = gp.engines.fromFunction((t) => T.appendBlock(t, T.newAssistantBlock("p")));
  const out2 = gp.runInference(probe, user("x"), { timeoutMs: 2000, tags: { one: "shot" } });
  eq(last(out2).payload.text, "p", "runInference with options");
}

// ---- empty session ------------------------------------------------------------------------------
{
  const s = gp.createSession({ engine: echo });
  eq(s.latest(), null, "latest() of an empty session");
  eq(s.turnCount(), 0, "turnCount() of an empty session");
  eq(s.turns(), [], "turns() of an empty session");
  eq(s.getTurn(0), null, "getTurn(0) of an empty session");
  eq(s.turnsRange(), [], "turnsRange() of an empty session");
  eq(s.isRunning(), false, "isRunning() when idle");
  expectThrow(() => s.cancelActive(), "session has no active inference");
  expectThrow(() => s.run(), "session has no seed turn (or seed turn is empty)");
  // A latest turn without blocks is no seed either.
  s.append(T.newTurn({ blocks: [] }));
  expectThrow(() => s.run(), "session has no seed turn (or seed turn is empty)");
  // An empty seed is appended first, then refused (the contract's order): it stays the latest turn.
  expectThrow(() => s.run(T.newTurn({ blocks: [] })), "session has no seed turn (or seed turn is empty)");
  eq(s.turnCount(), 2, "the empty seed was appended before the run was refused");
  expectThrow(() => s.run(), "session has no seed turn (or seed turn is empty)");
  expectThrow(() => s.append(), "append requires a turn object");
}

// ---- append and history accessors ---------------------------------------------------------------
{
  const s = gp.createSession({ engine: echo });
  const a = s.append(user("first", "t-1"));
  eq(a.id, "t-1", "append returns the turn");
  assert(typeof a.metadata.session_id === "string" && a.metadata.session_id.length > 0, "append adds metadata.session_id");
  const sessionId = a.metadata.session_id;
  s.append(user("second", "t-2"));
  s.append(T.newTurn({ id: "t-3", blocks: [T.newUserBlock("third")], metadata: { mine: 1 } }));

  eq(s.turnCount(), 3, "turnCount after three appends");
  eq(s.turns().map((t) => t.id), ["t-1", "t-2", "t-3"], "turns() in order");
  eq(s.latest().id, "t-3", "latest()");
  eq(s.latest().metadata.mine, 1, "own metadata kept by append");
  eq(s.latest().metadata.session_id, sessionId, "every appended turn gets the same session_id");
  eq(s.getTurn(0).id, "t-1", "getTurn(0)");
  eq(s.getTurn(2).id, "t-3", "getTurn(2)");
  eq(s.getTurn(3), null, "getTurn past the end");
  eq(s.getTurn(99), null, "getTurn far past the end");
  eq(s.getTurn(-1), null, "getTurn negative");

  // turnsRange: defaults cover everything; out-of-range bounds are clamped.
  eq(s.turnsRange().map((t) => t.id), ["t-1", "t-2", "t-3"], "turnsRange()");
  eq(s.turnsRange(1).map((t) => t.id), ["t-2", "t-3"], "turnsRange(1)");
  eq(s.turnsRange(-10, 100).map((t) => t.id), ["t-1", "t-2", "t-3"], "turnsRange clamped both ends");
  eq(s.turnsRange(0, 1000).length, 3, "turnsRange end clamped");
  eq(s.turnsRange(5), [], "turnsRange start past the end");
  eq(s.turnsRange(7, 9), [], "turnsRange entirely past the end");
}

// ---- run: with and without seed, metadata ---------------------------------------------------------
{
  const s = gp.createSession({ engine: echo });
  const out1 = s.run(user("hello"));
  eq(out1.blocks.map((b) => b.kind), ["user", "llm_text"], "run(seed) output");
  assert(out1.id && typeof out1.id === "string", "run gives the turn an id");
  const sid = out1.metadata.session_id;
  const iid1 = out1.metadata.inference_id;
  assert(typeof sid === "string" && sid.length > 0, "run sets metadata.session_id");
  assert(typeof iid1 === "string" && iid1.length > 0, "run sets metadata.inference_id");
  // The output is stored as the latest turn.
  eq(s.latest().blocks, out1.blocks, "output stored as latest");
  eq(s.latest().metadata.inference_id, iid1, "stored output keeps inference_id");
  eq(s.turnCount(), 1, "run(seed) on an empty session leaves one turn");

  // run() without a seed re-runs the latest turn, with a fresh inference id.
  const out2 = s.run();
  eq(out2.blocks.map((b) => b.kind), ["user", "llm_text", "llm_text"], "run() uses the latest turn");
  eq(out2.metadata.session_id, sid, "same session id");
  assert(out2.metadata.inference_id !== iid1, "fresh inference id per run");

  // The seed turn's own id is kept.
  const out3 = s.run(user("again", "my-turn-id"));
  eq(out3.id, "my-turn-id", "seed id kept");
  eq(s.latest().id, "my-turn-id", "latest is the new output");
}

// ---- run options ----------------------------------------------------------------------------------
{
  const s = gp.createSession({ engine: echo });
  expectThrow(() => s.run(user("x"), 42), "run options must be an object");
  expectThrow(() => gp.createSession({ engine: echo }).run(user("x"), "fast"), "run options must be an object");
  expectThrow(() => gp.createSession({ engine: echo }).run(user("x"), { timeoutMs: -1 }), "timeoutMs must be >= 0");
  // Zero means no deadline; a positive timeout far in the future does not disturb a quick run.
  eq(last(gp.createSession({ engine: echo }).run(user("x"), { timeoutMs: 0 })).payload.text, "ok", "timeoutMs 0");
  eq(last(gp.createSession({ engine: echo }).run(user("x"), { timeoutMs: 10000 })).payload.text, "ok", "timeoutMs 10000");
  eq(last(gp.createSession({ engine: echo }).run(user("x"), {})).payload.text, "ok", "empty options");

  // Tags reach the middleware ctx of that run only.
  const seen = [];
  const probe = gp.createSession({
    engine: echo,
    middlewares: [gp.middlewares.fromJS((t, next, ctx) => (seen.push(ctx.tags), next(t)), "tags-probe")],
  });
  probe.run(user("a"), { tags: { request: "r-1", user: { id: 7 } } });
  probe.run(user("b"));
  eq(seen[0], { request: "r-1", user: { id: 7 } }, "tags reach middleware ctx");
  eq(seen[1], undefined, "tags do not leak into the next run");
}

// ---- isRunning during a synchronous run --------------------------------------------------------
{
  let session = null;
  let during = null;
  const engine = gp.engines.fromFunction((t) => {
    during = session.isRunning();
    // A second run on the same session while this one is active is refused.
    let refused = "";
    try {
      session.run();
    } catch (e) {
      refused = msgOf(e);
    }
    assert(refused.includes("session already has an active inference"), "nested run on same session refused: " + refused);
    return T.appendBlock(t, T.newAssistantBlock("done"));
  });
  session = gp.createSession({ engine });
  session.run(user("x"));
  eq(during, true, "isRunning() is true during the run");
  eq(session.isRunning(), false, "isRunning() is false afterwards");
  expectThrow(() => session.cancelActive(), "session has no active inference");
}

// ---- a failed run leaves the history as before, plus the seed ------------------------------------
{
  let fail = false;
  const engine = gp.engines.fromFunction((t) => {
    if (fail) throw new Error("flaky engine");
    return T.appendBlock(t, T.newAssistantBlock("fine"));
  });
  const s = gp.createSession({ engine });
  const good = s.run(user("first", "ok-turn"));
  fail = true;
  const seed = user("second", "failing-seed");
  expectThrow(() => s.run(seed), "js engine callback: flaky engine");
  eq(s.turnCount(), 2, "history = earlier output + appended seed");
  eq(s.getTurn(0).blocks, good.blocks, "earlier turn untouched");
  eq(s.latest().id, "failing-seed", "seed is the latest turn");
  eq(s.latest().blocks.map((b) => b.payload.text), ["second"], "seed has no output blocks");
  eq(s.isRunning(), false, "not running after failure");

  // Re-running without a seed after the engine recovers works from that seed.
  fail = false;
  const out = s.run();
  eq(out.blocks.map((b) => b.payload.text), ["second", "fine"], "retry from the stored seed");

  // Failed run without a seed: history exactly as before.
  fail = true;
  const countBefore = s.turnCount();
  const latestBefore = s.latest();
  expectThrow(() => s.run(), "flaky engine");
  eq(s.turnCount(), countBefore, "no seed: same turn count");
  eq(s.latest().blocks, latestBefore.blocks, "no seed: latest unchanged");
}

console.log("builder_session.js: ok");
