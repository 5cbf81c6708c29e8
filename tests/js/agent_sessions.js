// agent_sessions.js: gp.agent() builder, sessions, turn builders, run() and RunResult, failed
// runs, fork/base, metadata keys (js-api-agent.md § gp.agent(), § Sessions, § A run). Offline:
// engines.echo and engines.fromFunction.
const gp = require("geppetto");

// ---- tiny local helpers ----------------------------------------------------------------------
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(what + ": expected " + e + ", got " + a);
}
function expectThrow(fn, name, message) {
  try {
    fn();
  } catch (e) {
    eq([e.name, e.message], [name, message], "thrown error");
    return e;
  }
  throw new Error("expected a throw: " + message);
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// ---- the builder -----------------------------------------------------------------------------
{
  const b = gp.agent();
  expectThrow(() => b.engine(), "TypeError", "agent().engine requires engine argument");
  expectThrow(() => b.engine({}), "Error", "expected engine reference, got object (value: {})");
  expectThrow(() => b.inference(), "TypeError", "agent().inference requires a registry-resolved InferenceSettings wrapper");
  expectThrow(() => b.inference({}), "Error", "expected registry-resolved InferenceSettings wrapper, got object");
  expectThrow(() => b.middleware(), "TypeError", "agent().middleware requires middleware argument");
  expectThrow(() => b.middleware(3), "Error", "unsupported middleware specification");
  expectThrow(() => b.goMiddleware(""), "TypeError", "agent().goMiddleware requires middleware name");
  expectThrow(() => b.goMiddleware("nope"), "Error", "unknown go middleware: nope");
  expectThrow(() => b.tool(), "TypeError", "agent().tool requires a tool registry until gp.tool() lands");
  expectThrow(() => b.tool(5), "Error", "expected tool registry reference, got number (value: 5)");
  expectThrow(() => b.goTool(), "TypeError", "agent().goTool requires tool name");
  expectThrow(() => b.goTool("  "), "TypeError", "agent().goTool name must not be empty");
  expectThrow(() => b.events(), "TypeError", "agent().events requires event sink argument");
  expectThrow(() => b.events({}), "Error", "expected event sink reference or go-go-goja EventEmitter, got object (value: {})");
  expectThrow(() => b.store(), "TypeError", "agent().store requires a TurnStore wrapper or null");
  expectThrow(() => b.persistTo(), "TypeError", "agent().persistTo requires a TurnStore wrapper or null");
  expectThrow(() => b.store({}), "Error", "expected Go-owned TurnStore wrapper, got object (value: {})");
  expectThrow(() => b.defaultStore(), "Error", "geppetto default turn persistence is not configured");
  expectThrow(() => b.runDefaults(3), "TypeError", "run options must be an object");
  expectThrow(() => b.runDefaults({ timeoutMs: -1 }), "TypeError", "timeoutMs must be >= 0");
  expectThrow(() => b.toolLoop({ toolChoice: "sometimes" }), "TypeError", 'invalid toolChoice "sometimes", expected one of: auto, none, required');
  expectThrow(() => b.build(), "Error", "agent build requires engine(...) or inference(settings)");
  // Mutable: every method returns the builder itself; store(null) and defaultStore(false) opt out.
  eq(b.name("x") === b && b.store(null) === b && b.defaultStore(false) === b, true, "mutable builder");
  const { engine, build } = b;
  engine(gp.engines.echo());
  const agent = build();
  eq(Object.keys(agent), ["name", "session"], "an agent has only name and session");
  eq(agent.name, "x", "agent name");
  eq(typeof agent.run + typeof agent.ask + typeof agent.system, "undefinedundefinedundefined", "no run/ask/system");
  eq(Object.prototype.hasOwnProperty.call(agent, "__geppetto_ref") && !Object.keys(agent).includes("__geppetto_ref"), true, "hidden ref");
}

// ---- sessions and runs -----------------------------------------------------------------------
const agent = gp.agent().name("demo").engine(gp.engines.echo({ reply: "pong" })).build();
{
  const s = agent.session().id("  s1 ").name("first").build();
  eq([s.id(), s.name(), s.turnCount(), s.latestTurn(), s.isRunning()], ["s1", "first", 0, null, false], "a new session");
  eq(UUID.test(agent.session().build().id()), true, "a session without id gets a UUID");
  expectThrow(() => s.turn(), "TypeError", "session.turn requires an index");
  eq(s.turn(0), null, "turn out of range");
  expectThrow(() => s.next().run(), "Error", "session has no seed turn (or seed turn is empty)");
  eq(s.turnCount(), 0, "a refused run changes nothing");

  const { next } = s;
  const first = next().system("be brief").user("hi");
  const r = first.run();
  eq(Object.keys(r).sort(), ["effectiveTurn", "events", "inputTurn", "outputTurn", "persistence", "stopReason", "text", "toJSON", "usage"], "RunResult methods");
  eq([r.text(), r.stopReason(), r.usage(), r.persistence(), s.turnCount()], ["pong", "stop", null, null, 1], "first run");
  const input = r.inputTurn().toJSON();
  const effective = r.effectiveTurn().toJSON();
  const output = r.outputTurn().toJSON();
  eq(input.id, "", "the input turn has no id");
  eq(input.metadata, { session_id: "s1" }, "input metadata");
  eq(input.blocks.map((b) => [b.kind, b.role, b.payload.text, UUID.test(b.id)]), [["system", "system", "be brief", true], ["user", "user", "hi", true]], "input blocks");
  eq(UUID.test(effective.id) && UUID.test(effective.metadata.inference_id), true, "effective ids");
  eq(effective.metadata.runtime, { agentName: "demo", sessionName: "first" }, "runtime metadata");
  eq(output.id, effective.id, "the output keeps the effective id");
  eq([output.metadata.session_id, output.metadata.inference_id, output.metadata.stop_reason], ["s1", effective.metadata.inference_id, "stop"], "output metadata");
  eq(output.blocks.map((b) => b.kind), ["system", "user", "llm_text"], "output blocks");
  eq(r.toJSON(), { inputTurn: input, effectiveTurn: effective, outputTurn: output, text: "pong", usage: null, stopReason: "stop" }, "toJSON");
  eq(s.latestTurn().toJSON(), output, "the history holds the output");
  eq(r.outputTurn() !== r.outputTurn(), true, "every call gives a fresh wrapper");
  const w = s.turn(0);
  eq(w.clone().toJSON(), w.toJSON(), "clone");
  const plain = w.toJSON();
  plain.blocks.length = 0;
  eq(s.turn(0).toJSON().blocks.length, 3, "toJSON is a copy");

  // The next turn continues the conversation; text() is only this run's answer.
  const r2 = s.next().user("again").run({ tags: { k: 1 } });
  eq([r2.text(), s.turnCount(), r2.outputTurn().toJSON().blocks.length], ["pong", 2, 5], "second run");
  eq(r2.inputTurn().toJSON().id, "", "next() clears the id");
  eq(s.turns().map((t) => t.toJSON().blocks.length), [3, 5], "turns()");
  eq(s.turn(1).toJSON(), s.latestTurn().toJSON(), "turn(i)");
  eq(s.turn(1.5), null, "a fractional index");
}

// ---- turn builder ----------------------------------------------------------------------------
{
  const s = agent.session().build();
  const base = s.next();
  const withUser = base.user("a");
  eq(base !== withUser, true, "immutable: a new builder");
  expectThrow(() => base.metadata("k"), "TypeError", "session.next().metadata requires key and value");
  expectThrow(() => base.metadata(" ", 1), "TypeError", "session turn metadata key must not be empty");
  const r = withUser
    .assistant("earlier")
    .user((m) => {
      m.text("look").text("here").imageURL("http://x/y.png", { detail: "low" }).imageBytes("AAAA");
      return "ignored";
    })
    .metadata("topic", "cats")
    .metadata("usage", { input_tokens: 1 })
    .metadata("x@v2", true)
    .run();
  const blocks = r.inputTurn().toJSON().blocks;
  eq(blocks.map((b) => [b.kind, b.role]), [["user", "user"], ["llm_text", "assistant"], ["user", "user"]], "builder blocks");
  eq(blocks[2].payload, { text: "look\nhere", images: [{ url: "http://x/y.png", detail: "low" }, { media_type: "application/octet-stream", content: "AAAA" }] }, "message payload");
  const meta = r.inputTurn().toJSON().metadata;
  eq([meta["geppetto.topic@v1"], meta.usage, meta["x@v2"]], ["cats", { input_tokens: 1 }, true], "metadata key forms");
  eq(r.stopReason(), "stop", "the callback turn's usage is dropped before the step");
  expectThrow(() => s.next().user((m) => m.imageURL()), "TypeError", "imageURL requires url");
  expectThrow(() => s.next().user((m) => m.imageFile()), "TypeError", "imageFile requires path");
  expectThrow(() => s.next().user((m) => m.imageBytes(5)), "TypeError", "imageBytes requires base64/string content");
}

// ---- session metadata, run defaults ----------------------------------------------------------
{
  const sb = agent.session();
  expectThrow(() => sb.metadata("k"), "TypeError", "session().metadata requires key and value");
  expectThrow(() => sb.metadata("", 1), "TypeError", "session metadata key must not be empty");
  expectThrow(() => sb.base(), "TypeError", "session().base requires a Go-owned Turn wrapper");
  expectThrow(() => sb.base(7), "Error", "expected Go-owned Turn wrapper, got number");
  expectThrow(() => sb.store(), "TypeError", "session().store requires a TurnStore wrapper");
  expectThrow(() => sb.defaultStore(), "Error", "geppetto default turn persistence is not configured");
  expectThrow(() => sb.resumeLatest(3), "Error", "turn store query must be an object");
  expectThrow(() => agent.session().resumeLatest().build(), "Error", "resumeLatest requires a readable TurnStore");
  expectThrow(
    () => agent.session().base({ blocks: [] }).resumeLatest().build(),
    "Error",
    "session builder cannot use both base(turn) and resumeLatest()"
  );
  const s = sb.metadata("tenant", "acme").metadata("trace_id", "t-1").runDefaults({ timeoutMs: 5000 }).build();
  const meta = s.next().user("x").run().inputTurn().toJSON().metadata;
  eq([meta["geppetto.tenant@v1"], meta.trace_id], ["acme", "t-1"], "session metadata on every input turn");
}

// ---- failed runs leave the history untouched --------------------------------------------------
{
  let fail = false;
  const engine = gp.engines.fromFunction((turn) => {
    if (fail) throw new Error("boom");
    turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "ok" } });
    turn.metadata.usage = { input_tokens: 2, output_tokens: 1 };
    turn.metadata.stop_reason = "end_turn";
    return turn;
  });
  const s = gp.agent().engine(engine).build().session().build();
  const r = s.next().user("one").run();
  eq([r.usage(), r.stopReason()], [{ input_tokens: 2, output_tokens: 1 }, "end_turn"], "usage and stop reason from the callback");
  fail = true;
  expectThrow(() => s.next().user("two").run(), "Error", "js engine callback: boom");
  eq(s.turnCount(), 1, "the failed run added nothing");
  eq(s.latestTurn().toJSON().blocks.map((b) => b.payload.text), ["one", "ok"], "history as before");
  fail = false;
  const again = s.next().user("three").run();
  eq(again.outputTurn().toJSON().blocks.map((b) => b.payload.text), ["one", "ok", "three", "ok"], "the failed prompt is not repeated");
}

// ---- a middleware that answers without next(): no engine step --------------------------------
{
  const s = gp
    .agent()
    .engine(gp.engines.echo())
    .middleware((turn) => {
      turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "from middleware" } });
      return turn;
    })
    .build()
    .session()
    .build();
  const r = s.next().user("q").run();
  eq([r.text(), r.stopReason(), r.usage()], ["from middleware", null, null], "middleware answer");
  eq(r.events().map((e) => e.type), ["run-started", "run-finished"], "only run events");
}

// ---- fork and base ---------------------------------------------------------------------------
{
  const s = agent.session().id("origin").name("orig").metadata("tenant", "acme").build();
  expectThrow(() => s.fork(), "Error", "cannot fork an empty session");
  s.next().user("a").run();
  s.next().user("b").run();
  expectThrow(() => s.fork(5), "Error", "session.fork options must be an object, TurnWrapper, null, or undefined");
  expectThrow(() => s.fork({ at: 9 }), "Error", "session.fork at index 9 is out of range");
  expectThrow(() => s.fork({ at: "x" }), "Error", "session.fork at must be a turn index or TurnWrapper");

  const latest = s.fork().build();
  eq(latest.id() !== "origin" && latest.name() === "orig", true, "a fork gets a new id and keeps the name");
  const first = latest.latestTurn().toJSON();
  eq(first.id, s.latestTurn().toJSON().id, "an imported turn keeps its id");
  eq(first.metadata.session_id, latest.id(), "and gets the new session id");
  eq(
    [first.metadata["geppetto.forkedFromSource@v1"], first.metadata["geppetto.forkedFromSessionID@v1"], first.metadata["geppetto.forkedFromTurnID@v1"], typeof first.metadata["geppetto.forkedAtMs@v1"]],
    ["fork", "origin", first.id, "number"],
    "fork stamps"
  );
  const r = latest.next().user("c").run();
  eq(r.inputTurn().toJSON().metadata["geppetto.tenant@v1"], "acme", "session metadata is inherited");
  eq(s.turnCount(), 2, "the origin is unchanged");

  eq(s.fork({ at: 0 }).id("f0").build().latestTurn().toJSON().blocks.length, 2, "fork({at: 0})");
  eq(s.fork({}).build().latestTurn().toJSON().blocks.length, 4, "fork({}) = latest");
  eq(s.fork(s.turn(0)).build().latestTurn().toJSON().blocks.length, 2, "fork(wrapper)");
  eq(s.fork({ at: s.turn(0) }).build().turnCount(), 1, "fork({at: wrapper})");

  const seeded = agent
    .session()
    .base({ id: "plain", blocks: [{ kind: "user", payload: { text: "old" } }] })
    .build();
  const seed = seeded.latestTurn().toJSON();
  eq([seed.id, seed.metadata["geppetto.forkedFromSource@v1"], seed.metadata.session_id], ["plain", "base", seeded.id()], "base(plain turn)");
  eq(seeded.next().user("new").run().outputTurn().toJSON().blocks.map((b) => b.payload.text), ["old", "new", "pong"], "a based session continues");
  // Old-API turns seed new sessions.
  const old = gp.createSession({ engine: gp.engines.echo({ reply: "old" }) }).run(gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("legacy")] }));
  eq(agent.session().base(old).build().latestTurn().toJSON().blocks.length, 2, "base(old-API turn)");
}

// ---- close and cancel ------------------------------------------------------------------------
{
  const s = agent.session().build();
  s.cancel();
  s.close();
  expectThrow(() => s.next(), "Error", "session is closed");
}

console.log("agent_sessions.js: ok");
