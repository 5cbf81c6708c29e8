// concurrent_runs.js: OBSERVE_RUNS (default 100) sessions started at once with start(). Each
// engine asks for one tool call whose id names its own session ("call-<session id>"), then
// answers. tests/observe_cli.rs runs it with --log-format json and checks that every tool.call span
// hangs under the session.run span of the session its id names.
const gp = require("geppetto");
const T = gp.turns;

const runs = Number(ENV.OBSERVE_RUNS || 100);
const registry = gp.tools.createRegistry().register({
  name: "whoami",
  description: "Answers the call id it was given",
  handler: (args, ctx) => ({ callId: ctx.callId }),
});
const engine = gp.engines.fromFunction((turn) => {
  if (turn.blocks[turn.blocks.length - 1].kind === "user") {
    return T.appendBlock(turn, T.newToolCallBlock("call-" + turn.metadata.session_id, "whoami", {}));
  }
  return T.appendBlock(turn, T.newAssistantBlock("done"));
});

const handles = [];
for (let i = 0; i < runs; i++) {
  const session = gp.createSession({ engine, tools: registry });
  handles.push(session.start(T.newTurn({ blocks: [T.newUserBlock("run " + i)] })));
}
Promise.all(handles.map((handle) => handle.promise)).then((outputs) => {
  for (const out of outputs) {
    const last = out.blocks[out.blocks.length - 1];
    if (last.payload.text !== "done") throw new Error("unexpected answer: " + JSON.stringify(last));
  }
  console.log("concurrent_runs.js: ok " + outputs.length);
});
