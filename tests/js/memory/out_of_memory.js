// Run with `geppetto run --max-memory 64M` (tests/js_scripts.rs does): the heap limit is a
// catchable error, and once the script lets go of what it held, the same runtime keeps working.

// A runaway allocation loop, as in issue 11: 1 MiB strings kept forever.
function hog() {
  const held = [];
  while (true) held.push("x".repeat(1 << 20) + held.length);
}

for (let round = 1; round <= 3; round++) {
  let caught = null;
  try {
    hog();
  } catch (error) {
    caught = error;
  }
  assert(caught instanceof InternalError, "round " + round + ": expected InternalError, got " + caught);
  assert(caught.message === "out of memory", "round " + round + ": message " + caught.message);

  // `held` is gone with hog()'s frame: the runtime has its memory back.
  const again = [];
  for (let i = 0; i < 16; i++) again.push("y".repeat(1 << 20) + i);
  assert(again.length === 16 && again[15].endsWith("15"), "allocating after the error works");
}

// The geppetto module still works in the same runtime.
const gp = require("geppetto");
const session = gp.createSession({ engine: gp.engines.echo({ reply: "still alive" }) });
const out = session.run(gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("hello")] }));
const reply = out.blocks[out.blocks.length - 1];
assert(reply.payload.text === "still alive", "a session runs after out of memory: " + JSON.stringify(out));
console.log("out of memory caught three times; runtime still works");
