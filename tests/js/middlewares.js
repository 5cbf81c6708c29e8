// middlewares.js: JS middlewares (fromJS), host middlewares (go: systemPrompt, reorderToolResults,
// turnLogging), chain order, errors, and the middleware ctx object.
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

/** A function engine that records every turn it receives and appends "engine". */
function recordingEngine(log) {
  const seen = [];
  const engine = gp.engines.fromFunction((turn) => {
    if (log) log.push("engine");
    seen.push(turn);
    return T.appendBlock(turn, T.newAssistantBlock("engine"));
  });
  return { engine, seen };
}

// ---- ordering: the first middleware added is the outermost --------------------------------------
{
  const log = [];
  const { engine } = recordingEngine(log);
  const mk = (name) =>
    gp.middlewares.fromJS((turn, next) => {
      log.push(name + ":before");
      const out = next(turn);
      log.push(name + ":after");
      return out;
    }, name);
  const session = gp.createBuilder().withEngine(engine).useMiddleware(mk("A")).useMiddleware(mk("B")).buildSession();
  session.run(user("x"));
  eq(log, ["A:before", "B:before", "engine", "B:after", "A:after"], "builder middleware order");

  // Same rule through createSession({middlewares}), mixing refs and bare functions.
  log.length = 0;
  const s2 = gp.createSession({
    engine,
    middlewares: [
      mk("first"),
      (turn, next) => {
        log.push("bare:before");
        return next(turn);
      },
    ],
  });
  s2.run(user("y"));
  eq(log, ["first:before", "bare:before", "engine", "first:after"], "createSession middleware order");
}

// ---- next() with and without an argument; return value rules ---------------------------------
{
  const { engine, seen } = recordingEngine();

  // next() without argument passes the incoming turn.
  const noArg = gp.createSession({ engine, middlewares: [gp.middlewares.fromJS((turn, next) => next())] });
  const out1 = noArg.run(user("incoming"));
  eq(seen[seen.length - 1].blocks[0].payload.text, "incoming", "next() passes the incoming turn");
  eq(last(out1).payload.text, "engine", "next() output returned");

  // next(turn) passes the given turn; its output is what next returns.
  let nextOutput = null;
  const withArg = gp.createSession({
    engine,
    middlewares: [
      gp.middlewares.fromJS((turn, next) => {
        const changed = T.appendBlock(turn, T.newUserBlock("added by middleware"));
        nextOutput = next(changed);
        return T.appendBlock(nextOutput, T.newAssistantBlock("post-processed"));
      }),
    ],
  });
  const out2 = withArg.run(user("q"));
  eq(seen[seen.length - 1].blocks.map((b) => b.payload.text), ["q", "added by middleware"], "next(turn) passes turn");
  eq(last(nextOutput).payload.text, "engine", "next returns the output turn of the chain below");
  eq(out2.blocks.map((b) => b.payload.text), ["q", "added by middleware", "engine", "post-processed"], "middleware output");

  // Returning undefined (or null) returns the incoming turn. Without calling next, the engine
  // never runs and the turn comes back as it went in.
  for (const ret of [undefined, null]) {
    const before = seen.length;
    const shortCircuit = gp.createSession({
      engine,
      middlewares: [
        gp.middlewares.fromJS((turn) => {
          turn.blocks.push(T.newAssistantBlock("mutated copy"));
          return ret;
        }),
      ],
    });
    const out = shortCircuit.run(user("untouched"));
    eq(seen.length, before, `return ${ret} without next: engine not called`);
    eq(out.blocks.map((b) => b.payload.text), ["untouched"], `return ${ret}: incoming turn returned`);
  }
}

// ---- errors ---------------------------------------------------------------------------------
{
  const { engine } = recordingEngine();
  const thrower = (name) =>
    gp.middlewares.fromJS(() => {
      throw new Error("middleware broke");
    }, name);
  expectThrow(() => gp.createSession({ engine, middlewares: [thrower("guard")] }).run(user("x")), "guard: middleware broke");
  expectThrow(() => gp.createSession({ engine, middlewares: [thrower()] }).run(user("x")), "js-middleware: middleware broke");
  expectThrow(() => gp.middlewares.fromJS(), "fromJS requires callback argument");

  // Errors from below are thrown into JS and can be handled there.
  const failing = gp.engines.fromFunction(() => {
    throw new Error("engine down");
  });
  let caught = "";
  const recovering = gp.middlewares.fromJS((turn, next) => {
    try {
      return next(turn);
    } catch (e) {
      caught = msgOf(e);
      return T.appendBlock(turn, T.newAssistantBlock("fallback answer"));
    }
  }, "recover");
  const out = gp.createSession({ engine: failing, middlewares: [recovering] }).run(user("x"));
  assert(caught.includes("js engine callback: engine down"), "error from below seen in JS: " + caught);
  eq(last(out).payload.text, "fallback answer", "middleware recovered from an engine error");

  // Host middleware errors.
  expectThrow(() => gp.middlewares.go(), "go middleware requires name argument");
  expectThrow(
    () => gp.createSession({ engine, middlewares: [gp.middlewares.go("noSuchMiddleware")] }).run(user("x")),
    "unknown go middleware: noSuchMiddleware"
  );
  expectThrow(
    () => gp.createBuilder().withEngine(engine).useGoMiddleware("alsoMissing").buildSession().run(user("x")),
    "unknown go middleware: alsoMissing"
  );
}

// ---- go: systemPrompt --------------------------------------------------------------------------
{
  const { engine, seen } = recordingEngine();
  const sp = (prompt) => gp.middlewares.go("systemPrompt", { prompt });

  // No system block: one is inserted at index 0.
  gp.createSession({ engine, middlewares: [sp("You are terse.")] }).run(user("hello"));
  let got = seen[seen.length - 1];
  eq(got.blocks.map((b) => b.kind), ["system", "user"], "system block inserted at 0");
  eq(got.blocks[0].payload.text, "You are terse.", "system prompt text");

  // A system block exists: its text is replaced and metadata middleware:"systemprompt" set.
  const withSystem = T.newTurn({ blocks: [T.newUserBlock("hi"), T.newSystemBlock("old prompt")] });
  gp.createSession({ engine, middlewares: [sp("new prompt")] }).run(withSystem);
  got = seen[seen.length - 1];
  eq(got.blocks.length, 2, "no extra block when a system block exists");
  const sys = got.blocks.find((b) => b.kind === "system");
  eq(sys.payload.text, "new prompt", "system text replaced");
  eq(sys.metadata && sys.metadata.middleware, "systemprompt", "replaced block tagged");

  // Idempotent: running again on the output does not add a second system block.
  const session = gp.createSession({ engine, middlewares: [sp("stable")] });
  const first = session.run(user("one"));
  session.run(T.appendBlock(first, T.newUserBlock("two")));
  got = seen[seen.length - 1];
  eq(got.blocks.filter((b) => b.kind === "system").length, 1, "exactly one system block after two runs");
  eq(got.blocks[0].payload.text, "stable", "system prompt still first");

  // Empty prompt: no-op.
  gp.createSession({ engine, middlewares: [sp("")] }).run(user("plain"));
  eq(seen[seen.length - 1].blocks.map((b) => b.kind), ["user"], "empty prompt is a no-op");

  // useGoMiddleware is the builder spelling of the same thing.
  gp.createBuilder().withEngine(engine).useGoMiddleware("systemPrompt", { prompt: "via builder" }).buildSession().run(user("b"));
  eq(seen[seen.length - 1].blocks[0].payload.text, "via builder", "useGoMiddleware systemPrompt");
}

// ---- go: reorderToolResults -------------------------------------------------------------------
{
  const { engine, seen } = recordingEngine();
  const scrambled = T.newTurn({
    blocks: [
      T.newUserBlock("do two things"),
      T.newToolCallBlock("a", "go_double", { n: 1 }),
      T.newToolCallBlock("b", "go_double", { n: 2 }),
      T.newAssistantBlock("thinking out loud"),
      T.newToolUseBlock("b", "{\"value\":4}"),
      T.newToolUseBlock("a", "{\"value\":2}"),
    ],
  });
  gp.createSession({ engine, middlewares: [gp.middlewares.go("reorderToolResults")] }).run(scrambled);
  const got = seen[seen.length - 1];
  eq(got.blocks.length, 6, "reorderToolResults never changes the block count");
  eq(
    got.blocks.map((b) => b.kind + ":" + (b.payload.id || b.payload.text)),
    ["user:do two things", "tool_call:a", "tool_call:b", "tool_use:a", "tool_use:b", "llm_text:thinking out loud"],
    "tool_use blocks moved after their call run, in call order"
  );
}

// ---- go: turnLogging never changes the turn --------------------------------------------------
{
  const { engine } = recordingEngine();
  const plain = gp.createSession({ engine }).run(T.newTurn({ id: "fixed", blocks: [T.newUserBlock("same")] }));
  const logged = gp
    .createSession({ engine, middlewares: [gp.middlewares.go("turnLogging")] })
    .run(T.newTurn({ id: "fixed", blocks: [T.newUserBlock("same")] }));
  eq(logged.blocks, plain.blocks, "turnLogging leaves blocks alone");
  eq(logged.id, plain.id, "turnLogging leaves the id alone");
}

// ---- ctx -----------------------------------------------------------------------------------------
{
  const { engine } = recordingEngine();
  const ctxs = [];
  const mw = gp.middlewares.fromJS((turn, next, ctx) => {
    ctxs.push(ctx);
    return next(turn);
  }, "ctx-probe");
  const session = gp.createSession({ engine, middlewares: [mw] });

  // Without timeout and tags.
  const out = session.run(user("x"));
  let ctx = ctxs[0];
  eq(ctx.middlewareName, "ctx-probe", "ctx.middlewareName");
  assert(typeof ctx.timestampMs === "number" && ctx.timestampMs > 1.6e12, "ctx.timestampMs is epoch ms");
  eq(ctx.sessionId, out.metadata.session_id, "ctx.sessionId is the session id");
  eq(ctx.inferenceId, out.metadata.inference_id, "ctx.inferenceId is this run's inference id");
  assert(!("deadlineMs" in ctx), "no deadlineMs without timeoutMs: " + JSON.stringify(ctx));
  assert(!("tags" in ctx), "no tags without tags: " + JSON.stringify(ctx));
  for (const k of Object.keys(ctx)) assert(ctx[k] !== null, `ctx.${k} is absent rather than null`);

  // With timeout and tags.
  const before = Date.now();
  const out2 = session.run(user("y"), { timeoutMs: 5000, tags: { tenant: "acme", n: 1, nested: { ok: true } } });
  ctx = ctxs[1];
  eq(ctx.tags, { tenant: "acme", n: 1, nested: { ok: true } }, "ctx.tags");
  assert(typeof ctx.deadlineMs === "number", "ctx.deadlineMs present with timeoutMs");
  assert(ctx.deadlineMs >= before + 4000 && ctx.deadlineMs <= Date.now() + 5000 + 1000, "deadlineMs ~ now + timeoutMs");
  eq(ctx.inferenceId, out2.metadata.inference_id, "ctx.inferenceId of second run");
  assert(ctxs[0].inferenceId !== ctxs[1].inferenceId, "fresh inference id per run");

  // Default name in ctx.
  const anon = [];
  gp.createSession({ engine, middlewares: [(turn, next, c) => (anon.push(c), next(turn))] }).run(user("z"));
  eq(anon[0].middlewareName, "js-middleware", "default middlewareName for a bare function");
}

console.log("middlewares.js: ok");
