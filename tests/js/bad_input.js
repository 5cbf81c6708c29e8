// bad_input.js: table-driven checks that bad turns and failing engines/middlewares give clear
// errors (or correct results), never a crash or a hang, and leave the session history intact.
const gp = require("geppetto");

function attempt(fn) {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    return { ok: false, message: String(e && e.message) };
  }
}

const cyclic = { blocks: [] };
cyclic.self = cyclic;
const cyclicBlock = { kind: "user", payload: { text: "x" } };
cyclicBlock.payload.loop = cyclicBlock;
const huge = "x".repeat(10 * 1024 * 1024);

// [name, input turn, expectation]: expectation is either {error: "substring"} or {check(turn)}.
const cases = [
  ["not an object", 42, { error: "turn must be an object" }],
  ["array turn", [], { error: "turn must be an object" }],
  ["non-object block", { blocks: [1] }, { error: "block must be an object" }],
  ["null block", { blocks: [null] }, { error: "block must be an object" }],
  ["unknown kind", { blocks: [{ kind: "hologram", payload: { text: "hi" } }] }, { check: (t) => t.blocks[0].kind === "other" }],
  ["non-string text", { blocks: [{ kind: "user", payload: { text: 12 } }] }, { check: (t) => t.blocks[0].payload.text === 12 }],
  ["cyclic turn", cyclic, { error: "circular" }],
  ["cyclic block", { blocks: [cyclicBlock] }, { error: "circular" }],
  ["huge turn (10 MB)", { blocks: [{ kind: "user", payload: { text: huge } }] }, { check: (t) => t.blocks[0].payload.text.length === huge.length }],
];

for (const [name, input, expectation] of cases) {
  const result = attempt(() => gp.turns.normalize(input));
  if (expectation.error !== undefined) {
    assert(!result.ok, name + ": expected an error");
    assert(result.message.toLowerCase().includes(expectation.error), name + ": got " + result.message);
  } else {
    assert(result.ok, name + ": unexpected error " + result.message);
    assert(expectation.check(result.value), name + ": wrong result");
  }
}

// The same inputs as run seeds: errors are thrown before anything is appended.
for (const [name, input, expectation] of cases) {
  if (expectation.error === undefined) continue;
  const session = gp.createSession({ engine: gp.engines.echo() });
  const result = attempt(() => session.run(input));
  assert(!result.ok, "run " + name + ": expected an error");
  assert(session.turnCount() === 0, "run " + name + ": history untouched");
}

// A huge turn runs end to end.
{
  const session = gp.createSession({ engine: gp.engines.echo({ reply: "big" }) });
  const out = session.run({ blocks: [{ kind: "user", payload: { text: huge } }] });
  assert(out.blocks.length === 2 && out.blocks[1].payload.text === "big", "huge turn runs");
}

// Failing engines and middlewares leave the history as before the run (plus the seed).
const failures = [
  ["throwing engine", { engine: gp.engines.fromFunction(() => { throw new Error("engine down"); }) }, "js engine callback: engine down"],
  ["engine returning a bad turn", { engine: gp.engines.fromFunction(() => 7) }, "js engine callback: turn must be an object"],
  ["throwing middleware", { engine: gp.engines.echo(), middlewares: [gp.middlewares.fromJS(() => { throw new Error("mw down"); }, "guard")] }, "guard: mw down"],
  ["middleware returning a bad turn", { engine: gp.engines.echo(), middlewares: [gp.middlewares.fromJS(() => "nope", "shaper")] }, "shaper: turn must be an object"],
];
for (const [name, options, text] of failures) {
  const session = gp.createSession(options);
  session.append({ blocks: [{ kind: "user", payload: { text: "first" } }] });
  const before = JSON.stringify(session.turns());
  const result = attempt(() => session.run({ blocks: [{ kind: "user", payload: { text: "second" } }] }));
  assert(!result.ok, name + ": expected a failure");
  assert(result.message.includes(text), name + ": got " + result.message);
  const after = session.turns();
  assert(after.length === 2, name + ": seed appended, nothing else");
  assert(JSON.stringify([after[0]]) === before, name + ": earlier history intact");
  assert(after[1].blocks.length === 1 && after[1].blocks[0].payload.text === "second", name + ": seed intact");
  assert(!session.isRunning(), name + ": not running after failure");
}

console.log("bad_input.js: ok");
