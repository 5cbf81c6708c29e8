// turns.js: the `turns` namespace (newTurn, normalize, appendBlock, new*Block helpers) and the
// turn/block codec rules shared by every function that takes a turn.
//
// Classic script (sloppy mode). Run with: geppetto run tests/js/turns.js
const gp = require("geppetto");
const T = gp.turns;

// ---- tiny local helpers ----------------------------------------------------------------------
function msgOf(e) {
  return e !== null && typeof e === "object" && "message" in e ? String(e.message) : String(e);
}
/** Calls fn and checks that it throws an Error whose message contains `text`. */
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
  if (!(err instanceof Error)) throw new Error(`expected an Error object for "${text}", got ${typeof err}`);
  return err;
}
/** JSON with sorted keys, so two values can be compared structurally. */
function stable(v) {
  if (Array.isArray(v)) return "[" + v.map(stable).join(",") + "]";
  if (v !== null && typeof v === "object") {
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + stable(v[k])).join(",") + "}";
  }
  return v === undefined ? "undefined" : JSON.stringify(v);
}
function eq(actual, expected, what) {
  if (stable(actual) !== stable(expected)) {
    throw new Error(`${what}: expected ${stable(expected)}, got ${stable(actual)}`);
  }
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---- block helpers ---------------------------------------------------------------------------
{
  const u = T.newUserBlock("hello");
  eq([u.kind, u.role, u.payload], ["user", "user", { text: "hello" }], "newUserBlock");

  const s = T.newSystemBlock("be brief");
  eq([s.kind, s.role, s.payload], ["system", "system", { text: "be brief" }], "newSystemBlock");

  const a = T.newAssistantBlock("hi there");
  eq([a.kind, a.role, a.payload], ["llm_text", "assistant", { text: "hi there" }], "newAssistantBlock");

  // A tool call block takes the call id as its block id too.
  const c = T.newToolCallBlock("call-1", "go_double", { n: 2 });
  eq(c.id, "call-1", "newToolCallBlock block id");
  eq(c.kind, "tool_call", "newToolCallBlock kind");
  eq(c.payload, { id: "call-1", name: "go_double", args: { n: 2 } }, "newToolCallBlock payload");

  // A tool use block: error defaults to "".
  const r = T.newToolUseBlock("call-1", { value: 4 });
  eq(r.kind, "tool_use", "newToolUseBlock kind");
  eq(r.payload, { id: "call-1", result: { value: 4 }, error: "" }, "newToolUseBlock payload");
  const rErr = T.newToolUseBlock("call-2", "", "it broke");
  eq(rErr.payload.id, "call-2", "newToolUseBlock id with error");
  eq(rErr.payload.error, "it broke", "newToolUseBlock error");

  // Helper argument errors.
  expectThrow(() => T.newToolCallBlock(), "turns.newToolCallBlock requires id, name, args");
  expectThrow(() => T.newToolCallBlock("id-only"), "turns.newToolCallBlock requires id, name, args");
  expectThrow(() => T.newToolCallBlock("id", "name"), "turns.newToolCallBlock requires id, name, args");
  expectThrow(() => T.newToolUseBlock(), "turns.newToolUseBlock requires id, result[, error]");
  expectThrow(() => T.newToolUseBlock("id-only"), "turns.newToolUseBlock requires id, result[, error]");
}

// ---- newTurn ---------------------------------------------------------------------------------
{
  // Without an id, a fresh UUID is generated each time.
  const t1 = T.newTurn();
  const t2 = T.newTurn({});
  assert(typeof t1.id === "string" && UUID.test(t1.id), "newTurn() id is a UUID: " + t1.id);
  assert(UUID.test(t2.id), "newTurn({}) id is a UUID");
  assert(t1.id !== t2.id, "two new turns get different ids");
  assert(Array.isArray(t1.blocks) && t1.blocks.length === 0, "newTurn() has no blocks");

  // Everything given is kept.
  const t = T.newTurn({
    id: "turn-42",
    blocks: [T.newSystemBlock("sys"), T.newUserBlock("question")],
    metadata: { custom_meta: { nested: [1, 2, 3] } },
    data: { my_data: "kept" },
  });
  eq(t.id, "turn-42", "newTurn id");
  eq(t.blocks.map((b) => b.kind), ["system", "user"], "newTurn block kinds");
  eq(t.blocks[1].payload.text, "question", "newTurn block text");
  eq(t.metadata.custom_meta, { nested: [1, 2, 3] }, "newTurn metadata");
  eq(t.data.my_data, "kept", "newTurn data");
}

// ---- normalize: kinds ------------------------------------------------------------------------
{
  const out = T.normalize({
    id: "k",
    blocks: [
      { kind: "USER", role: "user", payload: { text: "a" } },
      { kind: "Llm_Text", role: "assistant", payload: { text: "b" } },
      { kind: "Tool_Call", payload: { id: "c1", name: "x", args: {} } },
      { kind: "TOOL_USE", payload: { id: "c1", result: "1", error: "" } },
      { kind: "System", role: "system", payload: { text: "s" } },
      { kind: "reasoning", payload: { text: "r" } },
      { kind: "OTHER", payload: {} },
      { kind: "something-unknown", payload: { text: "?" } },
    ],
  });
  eq(
    out.blocks.map((b) => b.kind),
    ["user", "llm_text", "tool_call", "tool_use", "system", "reasoning", "other", "other"],
    "kinds are case-insensitive and unknown kinds become other"
  );
  // Every block has the canonical fields.
  for (const b of out.blocks) {
    assert("id" in b && "kind" in b && "role" in b && "payload" in b, "block fields: " + JSON.stringify(b));
  }
  eq(out.blocks[7].payload.text, "?", "payload of an unknown-kind block is kept");
}

// ---- normalize: payload shorthand ------------------------------------------------------------
{
  const out = T.normalize({
    id: "sh",
    blocks: [
      { kind: "user", role: "user", text: "short text" },
      { kind: "tool_call", id: "call-9", name: "go_concat", args: { a: "x", b: "y" } },
      { kind: "tool_use", id: "call-9", result: "\"xy\"", error: "" },
      { kind: "tool_use", id: "call-10", result: null, error: "failed" },
      // With an explicit payload, the shorthand keys are not merged into it.
      { kind: "user", role: "user", payload: { text: "from payload" }, text: "ignored" },
    ],
  });
  eq(out.blocks[0].payload.text, "short text", "text shorthand");
  eq(out.blocks[1].payload.id, "call-9", "id shorthand");
  eq(out.blocks[1].payload.name, "go_concat", "name shorthand");
  eq(out.blocks[1].payload.args, { a: "x", b: "y" }, "args shorthand");
  eq(out.blocks[2].payload.result, "\"xy\"", "result shorthand");
  eq(out.blocks[2].payload.error, "", "error shorthand (empty)");
  eq(out.blocks[3].payload.error, "failed", "error shorthand");
  eq(out.blocks[4].payload.text, "from payload", "payload wins over shorthand");
}

// ---- normalize: unknown keys preserved, empty maps omitted -----------------------------------
{
  const input = {
    id: "rt",
    blocks: [
      {
        id: "b1",
        kind: "user",
        role: "user",
        payload: { text: "hi", extra_payload_key: { deep: true } },
        metadata: { my_block_meta: [1, "two", null] },
      },
    ],
    metadata: { my_turn_meta: { a: 1 }, session_id: "not-a-real-session" },
    data: { my_data_key: { list: [1, 2] }, other: "x" },
  };
  const out = T.normalize(input);
  eq(out.id, "rt", "id round-trip");
  eq(out.blocks[0].id, "b1", "block id round-trip");
  eq(out.blocks[0].payload, { text: "hi", extra_payload_key: { deep: true } }, "payload round-trip");
  eq(out.blocks[0].metadata, { my_block_meta: [1, "two", null] }, "block metadata round-trip");
  eq(out.metadata, { my_turn_meta: { a: 1 }, session_id: "not-a-real-session" }, "turn metadata round-trip");
  eq(out.data, { my_data_key: { list: [1, 2] }, other: "x" }, "turn data round-trip");

  // normalize is idempotent: a canonical turn normalizes to itself.
  eq(T.normalize(out), out, "normalize(normalize(x)) == normalize(x)");

  // Empty metadata/data maps are omitted (absent, not {} and not null).
  const bare = T.normalize({
    id: "bare",
    blocks: [{ kind: "user", role: "user", payload: { text: "x" }, metadata: {} }],
    metadata: {},
    data: {},
  });
  assert(!("metadata" in bare), "empty turn metadata omitted: " + JSON.stringify(bare));
  assert(!("data" in bare), "empty turn data omitted: " + JSON.stringify(bare));
  assert(!("metadata" in bare.blocks[0]), "empty block metadata omitted: " + JSON.stringify(bare.blocks[0]));
}

// ---- normalize / appendBlock errors -----------------------------------------------------------
expectThrow(() => T.normalize(), "turns.normalize requires turn");
expectThrow(() => T.normalize(42), "turn must be an object");
expectThrow(() => T.normalize("a string"), "turn must be an object");
expectThrow(() => T.normalize({ blocks: [42] }), "block must be an object");
expectThrow(() => T.normalize({ blocks: ["text"] }), "block must be an object");
expectThrow(() => T.appendBlock(), "turns.appendBlock requires turn and block");
expectThrow(() => T.appendBlock(T.newTurn()), "turns.appendBlock requires turn and block");
expectThrow(() => T.appendBlock(42, T.newUserBlock("x")), "turn must be an object");
expectThrow(() => T.appendBlock(T.newTurn(), 42), "block must be an object");

// ---- appendBlock and copies --------------------------------------------------------------------
{
  const base = T.newTurn({ id: "base", blocks: [T.newUserBlock("one")] });
  const grown = T.appendBlock(base, T.newAssistantBlock("two"));
  eq(grown.id, "base", "appendBlock keeps the turn id");
  eq(grown.blocks.map((b) => b.payload.text), ["one", "two"], "appendBlock appends at the end");
  // The argument was decoded (copied): the input turn is unchanged.
  eq(base.blocks.length, 1, "appendBlock does not mutate its input");

  // Shorthand and case-insensitive kinds also work for appendBlock.
  const viaShorthand = T.appendBlock(base, { kind: "LLM_TEXT", role: "assistant", text: "short" });
  eq(viaShorthand.blocks[1].kind, "llm_text", "appendBlock normalizes kind");
  eq(viaShorthand.blocks[1].payload.text, "short", "appendBlock accepts shorthand");

  // normalize returns a copy: mutating one side never shows on the other.
  const copy = T.normalize(base);
  copy.blocks[0].payload.text = "mutated";
  copy.blocks.push(T.newUserBlock("extra"));
  eq(base.blocks[0].payload.text, "one", "normalize output is a copy (payload)");
  eq(base.blocks.length, 1, "normalize output is a copy (blocks)");
}

// ---- session state is never shared with JS -----------------------------------------------------
{
  const session = gp.createSession({ engine: gp.engines.echo({ reply: "pong" }) });
  const seed = T.newTurn({ id: "seed", blocks: [T.newUserBlock("ping")] });

  // Mutating the argument after append does not reach the session.
  const appended = session.append(seed);
  seed.blocks[0].payload.text = "changed after append";
  eq(session.latest().blocks[0].payload.text, "ping", "append copies its argument");

  // Mutating the returned copies does not reach the session either.
  appended.blocks.push(T.newUserBlock("sneaky"));
  const latest = session.latest();
  latest.blocks[0].payload.text = "mutated latest";
  latest.metadata = { hacked: true };
  session.turns()[0].blocks.length = 0;
  session.getTurn(0).id = "other-id";
  const fresh = session.latest();
  eq(fresh.blocks.length, 1, "session turn block count unchanged");
  eq(fresh.blocks[0].payload.text, "ping", "session turn text unchanged");
  eq(fresh.id, "seed", "session turn id unchanged");
  assert(!fresh.metadata || !("hacked" in fresh.metadata), "session turn metadata unchanged");

  // The same holds for the output of a run.
  const out = session.run();
  out.blocks.length = 0;
  const stored = session.latest();
  eq(stored.blocks.map((b) => b.kind), ["user", "llm_text"], "run output is a copy");
  eq(stored.blocks[1].payload.text, "pong", "echo reply stored");
}

console.log("turns.js: ok");
