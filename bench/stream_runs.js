// stream_runs.js: N concurrent streamed runs on one runtime, each start()ed with an OpenAI Chat
// Completions engine against a server that streams K deltas of "tok " (K = the request's
// max_tokens), with a `partial` listener that counts deltas; every final text is checked.
// The peer benchmark is ../shared/bench/peer-ai-sdk/stream_runs.mjs (the Vercel AI SDK in Node),
// against ../shared/bench/fake-openai/server.mjs.
//
//   BASE_URL=http://127.0.0.1:8787/v1 N=200 K=1000 geppetto run bench/stream_runs.js
// `geppetto bench stream --n 200 --k 1000` runs this same script (built in) against a fake server
// of its own, and adds wall time and peak RSS.
const gp = require("geppetto");

const N = Number(ENV.N || 200);
const K = Number(ENV.K || 1000);
const BASE_URL = ENV.BASE_URL || "http://127.0.0.1:8787/v1";

async function main() {
  const engine = gp.engines.fromConfig({ apiType: "openai", baseURL: BASE_URL, apiKey: "bench", model: "bench-model", maxTokens: K });
  let deltas = 0;
  const t0 = Date.now();
  const runs = [];
  for (let i = 0; i < N; i++) {
    const handle = gp.createSession({ engine }).start({ blocks: [{ kind: "user", role: "user", payload: { text: "stream " + i } }] });
    const run = { count: 0, badDeltas: 0, lastCompletion: -1, text: null };
    handle.on("partial", (event) => {
      deltas++;
      run.count++;
      if (event.delta !== "tok ") run.badDeltas++;
      // The whole completion is read once per run (reading it costs O(text so far)).
      if (run.count === K) run.lastCompletion = event.completion.length;
    });
    runs.push(handle.promise.then((out) => {
      run.text = out.blocks[out.blocks.length - 1].payload.text;
      return run;
    }));
  }
  const done = await Promise.all(runs);
  const ms = Date.now() - t0;
  const expected = "tok ".repeat(K);
  let ok = 0;
  for (const run of done) {
    if (run.text === expected && run.count === K && run.badDeltas === 0 && run.lastCompletion === expected.length) ok++;
  }
  if (ok !== N) {
    const first = done.find((run) => run.text !== expected || run.count !== K || run.badDeltas !== 0 || run.lastCompletion !== expected.length);
    throw new Error(`FAILED ok=${ok}/${N}: a run had ${first.count} partial events (${first.badDeltas} not "tok "), last completion length ${first.lastCompletion}, final text length ${first.text === null ? "none" : first.text.length}; expected ${K} deltas and ${expected.length} characters`);
  }
  const result = { runs: N, k: K, deltas, ms, deltas_per_s: Math.round(deltas / (ms / 1000)) };
  globalThis.benchResult = result; // read by `geppetto bench stream`
  if (ENV.QUIET !== "1") console.log(JSON.stringify(result));
}

main();
