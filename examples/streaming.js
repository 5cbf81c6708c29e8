// streaming.js: session.start() returns a RunHandle right away. Subscribe to events with on(),
// await handle.promise for the result, and cancel() whenever you like.
//
//   geppetto run examples/streaming.js
const gp = require("geppetto");
const { turns, consts } = gp;

const model = gp.engines.fromFunction((turn) => {
  if (turn.blocks[turn.blocks.length - 1].kind === "user") {
    return turns.appendBlock(turn, turns.newToolCallBlock("call-1", "go_double", { n: 21 }));
  }
  const use = turn.blocks.find((b) => b.kind === "tool_use");
  return turns.appendBlock(turn, turns.newAssistantBlock("The answer is " + JSON.parse(String(use.payload.result)).value));
});
const tools = gp.tools.createRegistry().useGoTools();

async function main() {
  // 1. Listen to a run. Listeners added in the same synchronous JS turn as start() see every event.
  const session = gp.createSession({ engine: model, tools });
  const handle = session.start(turns.newTurn({ blocks: [turns.newUserBlock("What is 2 x 21?")] }), { tags: { demo: "streaming" } });
  console.log(`run ${handle.runId} (session ${handle.sessionId}, inference ${handle.inferenceId})`);

  const types = [];
  handle
    .on(consts.EventType.START, () => console.log("  [start] the model is thinking"))
    .on(consts.EventType.TOOL_CALL_EXECUTE, (ev) => console.log(`  [tool] ${ev.toolCall.name}(${ev.toolCall.input})`))
    .on(consts.EventType.TOOL_CALL_EXECUTION_RESULT, (ev) => console.log(`  [tool] ${ev.toolResult.id} -> ${ev.toolResult.result}`))
    .on(consts.EventType.PARTIAL, (ev) => console.log("  [partial]", ev.delta)) // provider engines stream deltas
    .on(consts.EventType.FINAL, (ev) => console.log("  [final]", ev.text))
    .on("*", (ev) => types.push(ev.type)); // "*" sees everything, after the exact-type listeners

  const out = await handle.promise; // every event has been delivered by now
  console.log("events:", types.join(", "));
  console.log("result:", out.blocks[out.blocks.length - 1].payload.text);
  assert(types[0] === "start" && types[types.length - 1] === "final", "start first, final last");
  assert(types.includes("tool-call-execute") && types.includes("tool-call-execution-result"), "tool events");

  // 2. Cancel a run that waits on a slow tool.
  let timer = null;
  const slowTools = gp.tools.createRegistry().register({
    name: "go_double",
    handler: () => new Promise((resolve) => (timer = setTimeout(() => resolve({ value: 0 }), 10000))),
  });
  const slowSession = gp.createSession({ engine: model, tools: slowTools });
  const slow = slowSession.start(turns.newTurn({ blocks: [turns.newUserBlock("this will take forever")] }));
  slow.on(consts.EventType.TOOL_CALL_EXECUTE, () => {
    console.log("  tool started; cancelling in 50 ms");
    setTimeout(() => slow.cancel(), 50);
  });
  let cancelError = null;
  try {
    await slow.promise;
  } catch (e) {
    cancelError = e;
    console.log("cancelled run rejected:", e.message);
  } finally {
    clearTimeout(timer); // don't keep the process alive for the abandoned tool's timer
  }
  assert(cancelError instanceof Error && cancelError.message.includes("canceled"), "rejects with a cancellation Error");
  console.log("history after cancel:", slowSession.turnCount(), "turn(s), latest has", slowSession.latest().blocks.length, "block(s)");

  // 3. A deadline: timeoutMs cancels the run when it is hit.
  const timed = gp.createSession({ engine: model, tools: slowTools });
  let timedOut = false;
  try {
    await timed.start(turns.newTurn({ blocks: [turns.newUserBlock("hurry")] }), { timeoutMs: 100 }).promise;
  } catch (e) {
    timedOut = e instanceof Error;
    console.log("timed-out run rejected:", e.message);
  } finally {
    clearTimeout(timer);
  }
  assert(timedOut, "the deadline cancelled the run");
}

main();
