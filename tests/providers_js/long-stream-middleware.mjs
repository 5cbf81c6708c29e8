// long-stream-middleware.mjs: a streamed answer far longer than the event backlog (6,000 deltas)
// below a JS middleware, run with `start()`. While the middleware's `next()` waits, the owner is
// in the middle of a JS turn and delivers no event; the provider stream must go on regardless (it
// once waited for room that only the end of that turn could make: a deadlock). Every delta
// arrives, in order, once the turn ends.
import gp from "geppetto";

const script = "long-stream-middleware.mjs";
const DELTAS = Number(ENV.DELTAS);
const fail = (what) => {
  throw new Error(`${script}: ${what}`);
};

const engine = gp.engines.fromConfig({
  apiType: "openai",
  model: "gpt-4o-mini",
  apiKey: "sk-fake-long-stream",
  baseURL: ENV.FAKE_PROVIDER_URL + "/v1",
});
let wrapped = 0;
const passThrough = gp.middlewares.fromJS((turn, next) => {
  wrapped++;
  return next(turn);
}, "pass-through");
const session = gp.createSession({ engine, middlewares: [passThrough] });
const run = session.start(gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("stream")] }));
let count = 0;
let outOfOrder = 0;
run.on("partial", (event) => {
  count++;
  if (event.delta !== `t${count} `) outOfOrder++;
});
const out = await run.promise;
const expected = Array.from({ length: DELTAS }, (_, i) => `t${i + 1} `).join("");
if (wrapped !== 1) fail(`middleware ran ${wrapped} times`);
if (count !== DELTAS) fail(`${count} partial events, expected ${DELTAS}`);
if (outOfOrder !== 0) fail(`${outOfOrder} deltas out of order`);
const text = out.blocks[out.blocks.length - 1].payload.text;
if (text !== expected) fail(`final text of ${text.length} characters, expected ${expected.length}`);
console.log(`${script}: ok`);
