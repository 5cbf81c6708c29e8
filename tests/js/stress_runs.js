// stress_runs.js: many concurrent start() runs on one runtime, half of them cancelled at random
// moments. Size: ENV.GEPPETTO_STRESS_RUNS (default 300; CI keeps the default, raise it to run large).
const gp = require("geppetto");

const N = Number(ENV.GEPPETTO_STRESS_RUNS || 300);
const user = (text) => ({ blocks: [{ kind: "user", role: "user", payload: { text } }] });

// Engine: first step asks for the `inc` tool, second step answers with the tool's result.
const engine = gp.engines.fromFunction((turn) => {
  const use = turn.blocks.find((b) => b.kind === "tool_use");
  if (!use) {
    const n = Number(turn.blocks[0].payload.text.split(" ")[1]);
    turn.blocks.push({ kind: "tool_call", role: "assistant", id: "c" + n, payload: { id: "c" + n, name: "inc", args: { n } } });
  } else {
    turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "r" + JSON.parse(use.payload.result).n } });
  }
  return turn;
});
const tools = gp.tools.createRegistry().register({ name: "inc", handler: ({ n }) => ({ n: n + 1 }) });
const middleware = gp.middlewares.fromJS((turn, next) => next(turn), "pass");

async function main() {
  const runs = [];
  for (let i = 0; i < N; i++) {
    const session = gp.createSession({ engine, middlewares: [middleware], tools });
    const handle = session.start(user("go " + i));
    const run = { i, session, handle, events: [], settled: false, lateEvents: 0, cancelled: false };
    handle.on("*", (event) => {
      if (run.settled) run.lateEvents++;
      run.events.push(event);
    });
    if (i % 2 === 1) {
      run.cancelled = true;
      if (i % 4 === 1) handle.cancel(); // same JS turn: always wins
      else setTimeout(() => handle.cancel(), Math.floor(Math.random() * 5));
    }
    runs.push(run);
  }
  const outcomes = await Promise.allSettled(
    runs.map((run) => run.handle.promise.finally(() => { run.settled = true; })),
  );
  let resolved = 0;
  let rejected = 0;
  for (const run of runs) {
    const outcome = outcomes[run.i];
    assert(run.lateEvents === 0, "run " + run.i + ": no event after settlement");
    assert(run.events.length > 0 ? run.events[0].type === "start" : run.cancelled, "run " + run.i + ": starts with start");
    for (const event of run.events) {
      assert(event.runId === run.handle.runId && event.sessionId === run.handle.sessionId, "run " + run.i + ": events stay in their run");
    }
    const types = run.events.map((e) => e.type);
    const execute = types.indexOf("tool-call-execute");
    const result = types.indexOf("tool-call-execution-result");
    assert(execute === -1 || result === -1 || execute < result, "run " + run.i + ": tool events in order");
    if (outcome.status === "fulfilled") {
      resolved++;
      const last = outcome.value.blocks[outcome.value.blocks.length - 1];
      assert(last.payload.text === "r" + (run.i + 1), "run " + run.i + ": result");
      assert(types[types.length - 1] === "final", "run " + run.i + ": ends with final");
      assert(run.session.turnCount() === 1 && run.session.latest().blocks.length === 4, "run " + run.i + ": history holds the output");
    } else {
      rejected++;
      assert(run.cancelled, "run " + run.i + ": only cancelled runs reject (" + outcome.reason.message + ")");
      assert(outcome.reason instanceof Error && outcome.reason.message.includes("canceled"), "run " + run.i + ": rejects with canceled");
      assert(run.session.turnCount() === 1 && run.session.latest().blocks.length === 1, "run " + run.i + ": history intact after cancel");
    }
    assert(!run.session.isRunning(), "run " + run.i + ": not running after settlement");
  }
  assert(rejected >= Math.floor(N / 4), "every same-turn cancel rejected (" + rejected + ")");

  // A synchronous run nested in a tool handler of an async run.
  const inner = gp.createSession({ engine: gp.engines.echo({ reply: "inner" }) });
  const nestingTools = gp.tools.createRegistry().register({
    name: "nest",
    handler: () => inner.run(user("from a tool")).blocks[1].payload.text,
  });
  const outer = gp.createSession({
    engine: gp.engines.fromFunction((turn) => {
      const use = turn.blocks.find((b) => b.kind === "tool_use");
      turn.blocks.push(use
        ? { kind: "llm_text", role: "assistant", payload: { text: "outer got " + JSON.parse(use.payload.result) } }
        : { kind: "tool_call", role: "assistant", id: "n1", payload: { id: "n1", name: "nest", args: {} } });
      return turn;
    }),
    tools: nestingTools,
  });
  const nested = await outer.runAsync(user("nest"));
  assert(nested.blocks[nested.blocks.length - 1].payload.text === "outer got inner", "nested sync run in a tool handler");

  // The runtime is still usable.
  const after = gp.createSession({ engine: gp.engines.echo() }).run(user("still there?"));
  assert(after.blocks[1].payload.text === "READY", "runtime usable after the storm");
  console.log("stress_runs.js: ok (" + N + " runs, " + resolved + " resolved, " + rejected + " cancelled)");
}

main();
