// echo_session.js: a session with the echo engine, run synchronously, asynchronously, and as a
// one-shot with runInference. Shows the metadata each run sets.
//
//   geppetto run examples/echo_session.js
const gp = require("geppetto");
const { turns } = gp;

const session = gp.createSession({ engine: gp.engines.echo({ reply: "  pong  " }) });

// Synchronous run: the reply is trimmed.
const out = session.run(turns.newTurn({ blocks: [turns.newUserBlock("ping")] }));
console.log("sync answer:", out.blocks[1].payload.text);
console.log("session_id:", out.metadata.session_id, "inference_id:", out.metadata.inference_id);
assert(out.blocks[1].payload.text === "pong", "trimmed reply");

// Asynchronous run (a Promise); without a seed it continues from the latest turn.
session.runAsync().then((turn) => {
  console.log("async run added block #" + turn.blocks.length + ":", turn.blocks[turn.blocks.length - 1].payload.text);
  assert(turn.metadata.session_id === out.metadata.session_id, "same session");
  assert(turn.metadata.inference_id !== out.metadata.inference_id, "each run has its own inference id");

  // One-shot helper: fresh session, append, run.
  const oneShot = gp.runInference(gp.engines.echo(), turns.newTurn({ blocks: [turns.newUserBlock("status?")] }));
  console.log("one-shot answer:", oneShot.blocks[1].payload.text); // "READY" is the default reply
  assert(oneShot.blocks[1].payload.text === "READY", "default echo reply");
});
