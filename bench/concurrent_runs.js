// concurrent_runs.js: N concurrent start() runs on one runtime, each a two-step tool loop (a JS
// engine that first asks for the `inc` tool, then answers), through one JS middleware, with one JS
// tool call; every event is checked (none lost, none reordered, none after settlement).
// The peer benchmark in ../shared/bench/peer-ai-sdk does the same with the Vercel AI SDK in Node.
//
//   N=10000 geppetto run bench/concurrent_runs.js
// `geppetto bench runs --n 10000` runs this same script (built in) and adds wall time and peak RSS.
const gp = require("geppetto");

const N = Number(ENV.N || 10000);
const MIDDLEWARE = ENV.MIDDLEWARE !== "0";
let toolCalls = 0;
let steps = 0;
let modelCalls = 0;

const engine = gp.engines.fromFunction((turn) => {
  modelCalls++;
  const use = turn.blocks.find((b) => b.kind === "tool_use");
  if (!use) {
    turn.blocks.push({ kind: "tool_call", role: "assistant", id: "c1", payload: { id: "c1", name: "inc", args: { n: 1 } } });
  } else {
    turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "done" } });
  }
  return turn;
});
const tools = gp.tools.createRegistry().register({
  name: "inc",
  description: "inc",
  parameters: { type: "object", properties: { n: { type: "number" } } },
  handler: ({ n }) => { toolCalls++; return { n: n + 1 }; },
});
const middleware = gp.middlewares.fromJS((turn, next) => { const out = next(turn); steps++; return out; }, "steps");

async function main() {
  const t0 = Date.now();
  const runs = [];
  for (let i = 0; i < N; i++) {
    const session = gp.createSession({ engine, tools, middlewares: MIDDLEWARE ? [middleware] : [] });
    const handle = session.start({ blocks: [{ kind: "user", role: "user", payload: { text: "go " + i } }] });
    const run = { handle, types: [], late: 0, settled: false };
    handle.on("*", (event) => {
      if (run.settled) run.late++;
      run.types.push(event.type);
    });
    runs.push(run);
  }
  const outs = await Promise.all(runs.map((run) => run.handle.promise.then((out) => { run.settled = true; return out; })));
  const ms = Date.now() - t0;
  const expected = "start,final,tool-call-execute,tool-call-execution-result,start,final";
  let ok = 0;
  let badEvents = 0;
  for (let i = 0; i < N; i++) {
    if (outs[i].blocks[outs[i].blocks.length - 1].payload.text === "done") ok++;
    if (runs[i].types.join(",") !== expected || runs[i].late !== 0) badEvents++;
  }
  if (ok !== N || toolCalls !== N || badEvents !== 0) {
    throw new Error(`FAILED ok=${ok} toolCalls=${toolCalls} badEvents=${badEvents}`);
  }
  const result = { runs: N, ms, runs_per_s: Math.round(N / (ms / 1000)), model_calls: modelCalls, steps, middleware: MIDDLEWARE, events_checked: N * 6 };
  globalThis.benchResult = result; // read by `geppetto bench runs`
  if (ENV.QUIET !== "1") console.log(JSON.stringify(result));
}

main();
