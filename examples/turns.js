// turns.js: building and inspecting turns and blocks with the `turns` helpers.
//
//   geppetto run examples/turns.js
const gp = require("geppetto");
const { turns, consts } = gp;

// A turn: {id, blocks, metadata?, data?}. newTurn fills in a fresh UUID when no id is given.
const started = turns.newTurn({
  blocks: [turns.newSystemBlock("You are a calculator."), turns.newUserBlock("What is 2 + 2?")],
  metadata: { my_app: { request: 17 } }, // your own keys survive every round trip
});
console.log("new turn id:", started.id);

// appendBlock returns a new turn; the original is left alone.
const withCall = turns.appendBlock(started, turns.newToolCallBlock("call-1", "add", { a: 2, b: 2 }));
const withResult = turns.appendBlock(withCall, turns.newToolUseBlock("call-1", "4"));
const turn = turns.appendBlock(withResult, turns.newAssistantBlock("2 + 2 = 4"));

for (const b of turn.blocks) {
  const summary = b.payload.text !== undefined ? b.payload.text : JSON.stringify(b.payload);
  console.log(`  [${b.kind}/${b.role || "-"}] ${summary}`);
}

// normalize turns loose input into the canonical shape: kinds are case-insensitive, unknown kinds
// become "other", and `text`/`args`/`result`/`id`/`name`/`error` may be given at the top level.
const loose = turns.normalize({
  blocks: [
    { kind: "USER", role: "user", text: "shorthand text" },
    { kind: "Tool_Call", id: "c9", name: "lookup", args: { q: "x" } },
    { kind: "sticker", payload: { emoji: "🎉" } },
  ],
  data: {},
});
console.log("normalized kinds:", loose.blocks.map((b) => b.kind).join(", "));

assert(turn.blocks.length === 5, "five blocks");
const myApp = /** @type {{request: number}} */ (turn.metadata.my_app);
assert(myApp.request === 17, "own metadata kept");
assert(loose.blocks[0].kind === consts.BlockKind.USER && loose.blocks[0].payload.text === "shorthand text", "shorthand text");
assert(loose.blocks[1].payload.name === "lookup", "shorthand name");
assert(loose.blocks[2].kind === consts.BlockKind.OTHER, "unknown kind becomes other");
assert(!("data" in loose), "empty maps are omitted");
