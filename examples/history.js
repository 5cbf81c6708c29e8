// history.js: a multi-turn conversation and the session history accessors.
//
//   geppetto run examples/history.js
const gp = require("geppetto");
const { turns } = gp;

// An engine that answers with how many user messages it has seen so far.
const engine = gp.engines.fromFunction((turn) => {
  const n = turn.blocks.filter((b) => b.kind === "user").length;
  return turns.appendBlock(turn, turns.newAssistantBlock(`you have said ${n} thing(s)`));
});
const session = gp.createSession({ engine });

// Each new turn continues from the latest one: copy its blocks and add the next user message.
function ask(text) {
  const previous = session.latest();
  const next = previous
    ? turns.appendBlock(turns.newTurn({ blocks: previous.blocks }), turns.newUserBlock(text))
    : turns.newTurn({ blocks: [turns.newUserBlock(text)] });
  const out = session.run(next);
  return out.blocks[out.blocks.length - 1].payload.text;
}

console.log("1:", ask("hello"));
console.log("2:", ask("how are you?"));
console.log("3:", ask("bye"));

console.log("turnCount:", session.turnCount());
session.turns().forEach((t, i) => console.log(`  turn ${i}: ${t.blocks.length} blocks, inference ${t.metadata.inference_id}`));

const latest = session.latest();
assert(latest.blocks[latest.blocks.length - 1].payload.text === "you have said 3 thing(s)", "the engine saw the whole history");
assert(session.getTurn(0) !== null && session.getTurn(session.turnCount()) === null, "getTurn out of range is null");
assert(session.turnsRange(-100, 100).length === session.turnCount(), "turnsRange clamps");

// History holds copies: changing what you got back does not change the session.
latest.blocks.length = 0;
assert(session.latest().blocks.length > 0, "copies, not live references");

// A failed run leaves the history as it was, plus the appended seed.
const before = session.turnCount();
const broken = gp.createSession({
  engine: gp.engines.fromFunction(() => {
    throw new Error("offline");
  }),
});
broken.append(turns.newTurn({ blocks: [turns.newUserBlock("earlier")] }));
try {
  broken.run(turns.newTurn({ blocks: [turns.newUserBlock("now")] }));
} catch (e) {
  console.log("failed run:", e.message, "- history length is", broken.turnCount());
}
assert(broken.turnCount() === 2, "earlier turn + seed");
assert(session.turnCount() === before, "other sessions untouched");
