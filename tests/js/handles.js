// handles.js: opaque handles (engines, builders, sessions, middleware refs, tool registries).
// Each carries a hidden `__geppetto_ref` property that JS can neither see in enumerations nor
// change; the visible properties are documented; the wrong object gives a clear error.
const gp = require("geppetto");

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
const REF = "__geppetto_ref";

/** Checks every rule about the hidden reference property on one handle. */
function checkHidden(obj, what) {
  assert(REF in obj, `${what}: carries ${REF}`);
  const d = Object.getOwnPropertyDescriptor(obj, REF);
  assert(d !== undefined, `${what}: ${REF} is an own property`);
  assert(d.enumerable === false, `${what}: ${REF} is non-enumerable`);
  assert(d.writable === false, `${what}: ${REF} is non-writable`);
  assert(d.configurable === false, `${what}: ${REF} is non-configurable`);
  assert(!Object.keys(obj).includes(REF), `${what}: absent from Object.keys`);
  for (const k in obj) assert(k !== REF, `${what}: absent from for...in`);
  assert(!JSON.stringify(obj).includes(REF), `${what}: absent from JSON.stringify`);

  // Sloppy mode: assignment and delete are silently ignored; the value stays the same.
  const before = obj[REF];
  obj[REF] = 12345;
  obj[REF] = null;
  delete obj[REF];
  assert(obj[REF] === before, `${what}: ${REF} unchanged after assignment`);
  assert(REF in obj, `${what}: ${REF} survives delete`);
}

const user = (text) => gp.turns.newTurn({ blocks: [gp.turns.newUserBlock(text)] });
const lastText = (turn) => turn.blocks[turn.blocks.length - 1].payload.text;

// ---- engines ---------------------------------------------------------------------------------
const echo = gp.engines.echo({ reply: "still works" });
eq(echo.name, "echo", "echo engine name");
eq(JSON.parse(JSON.stringify(echo)), { name: "echo" }, "echo engine visible properties");
checkHidden(echo, "echo engine");

const fnEngine = gp.engines.fromFunction((turn) => gp.turns.appendBlock(turn, gp.turns.newAssistantBlock("fn")));
eq(fnEngine.name, "jsFunction", "fromFunction engine name");
checkHidden(fnEngine, "function engine");

// After the tampering attempts above, the engines still work.
eq(lastText(gp.createSession({ engine: echo }).run(user("x"))), "still works", "tampered echo engine still runs");
eq(lastText(gp.runInference(fnEngine, user("x"))), "fn", "tampered function engine still runs");

// ---- middleware refs -------------------------------------------------------------------------
const jsMw = gp.middlewares.fromJS((turn, next) => next(turn), "my-mw");
eq(jsMw.type, "js", "JS middleware ref type");
eq(jsMw.name, "my-mw", "JS middleware ref name");
checkHidden(jsMw, "JS middleware ref");
eq(gp.middlewares.fromJS((t, next) => next(t)).name, "js-middleware", "JS middleware default name");

const goMw = gp.middlewares.go("systemPrompt", { prompt: "be nice" });
eq(goMw.type, "go", "go middleware ref type");
eq(goMw.name, "systemPrompt", "go middleware ref name");
eq(goMw.options, { prompt: "be nice" }, "go middleware ref options");
const goMwNoOpts = gp.middlewares.go("turnLogging");
eq(goMwNoOpts.name, "turnLogging", "go middleware ref without options");
assert(goMwNoOpts.options === undefined, "go middleware ref without options has no options value");

// ---- builders, sessions, registries ------------------------------------------------------------
const registry = gp.tools.createRegistry();
checkHidden(registry, "tool registry");
const builder = gp.createBuilder();
checkHidden(builder, "builder");
const session = builder.withEngine(echo).useMiddleware(jsMw).withTools(registry).buildSession();
checkHidden(session, "session");
registry.register({ name: "noop", handler: () => "ok" });
eq(registry.call("noop", {}), "ok", "tampered registry still works");
eq(lastText(session.run(user("after tampering"))), "still works", "tampered session still runs");

// ---- wrong objects -----------------------------------------------------------------------------
// Each check builds all the way so the error may come from the call or from buildSession().
expectThrow(() => gp.createSession({ engine: {} }), "expected engine reference, got");
expectThrow(() => gp.createSession({ engine: { name: "echo" } }), "expected engine reference, got"); // forged
expectThrow(() => gp.createSession({ engine: registry }), "expected engine reference, got");
expectThrow(() => gp.createSession({ engine: "echo" }), "expected engine reference, got");
expectThrow(() => gp.createBuilder().withEngine({ name: "echo" }).buildSession(), "expected engine reference, got");
expectThrow(() => gp.runInference({}, user("x")), "expected engine reference, got");

expectThrow(() => gp.createSession({ engine: echo, tools: {} }), "expected tool registry reference, got");
expectThrow(() => gp.createSession({ engine: echo, tools: echo }), "expected tool registry reference, got");
expectThrow(() => gp.createBuilder().withEngine(echo).withTools({ list() {} }).buildSession(), "expected tool registry reference, got");

expectThrow(() => gp.createBuilder().withEngine(echo).useMiddleware(42).buildSession(), "unsupported middleware specification");
expectThrow(() => gp.createBuilder().withEngine(echo).useMiddleware({}).buildSession(), "unsupported middleware specification");
expectThrow(
  () => gp.createBuilder().withEngine(echo).useMiddleware({ type: "js", name: "forged" }).buildSession(),
  "unsupported middleware specification"
);
expectThrow(() => gp.createSession({ engine: echo, middlewares: ["text"] }), "unsupported middleware specification");

// The error names the type and value of what was passed.
const e = expectThrow(() => gp.createSession({ engine: 42 }), "expected engine reference, got");
assert(msgOf(e).includes("(value: "), "error shows the offending value: " + msgOf(e));

console.log("handles.js: ok");
