// agent_long_stream.mjs: a long provider stream (ENV.DELTAS text deltas `t1 `, `t2 `, ..., served
// by tests/providers_e2e.rs) into an agent with a pass-through JS middleware and a listener that
// checks every delta (and reads the cumulative `text` of many): more events than the per-run
// delivery backlog holds, while the middleware's `next()` keeps the owner in the middle of a JS
// turn, through a synchronous run() and a runAsync(). Every delta arrives once, in order, with
// its text so far.
import gp from "geppetto";
import EventEmitter from "events";

const N = Number(ENV.DELTAS);
function check(cond, what) {
  if (!cond) throw new Error("agent_long_stream.mjs: " + what);
}

const events = new EventEmitter();
let deltas = 0;
let length = 0;
let problem = null;
events.on("text-segment-started", () => {
  deltas = 0;
  length = 0;
});
events.on("text-delta", (e) => {
  deltas++;
  length += e.delta.length;
  // Reading every cumulative text would make the listener itself quadratic: every 97th and the last.
  const read = deltas % 97 === 0 || deltas === N;
  if (problem === null && (e.sequence !== deltas || e.delta !== `t${deltas} ` || (read && e.text.length !== length))) {
    problem = `delta ${deltas}: sequence ${e.sequence}, delta ${JSON.stringify(e.delta)}, text length ${e.text.length}`;
  }
});

const engine = gp.engines.fromConfig({
  provider: "openai",
  model: "gpt-4o-mini",
  baseURL: ENV.FAKE_PROVIDER_URL + "/v1",
  apiKey: "sk-fake-long-stream-0001",
});
let wrapped = 0;
const session = gp
  .agent()
  .engine(engine)
  .middleware((turn, next) => {
    wrapped++;
    return next(turn);
  })
  .events(events)
  .build()
  .session()
  .build();
const expected = Array.from({ length: N }, (_, i) => `t${i + 1} `).join("");

const first = session.next().user("first").run();
check(problem === null, "run(): " + problem);
check(deltas === N, `run(): ${deltas} deltas, expected ${N}`);
check(first.text() === expected, "run(): text of " + first.text().length + " characters");

const second = await session.next().user("second").runAsync().promise;
check(problem === null, "runAsync(): " + problem);
check(deltas === N, `runAsync(): ${deltas} deltas, expected ${N}`);
check(second.text() === expected, "runAsync(): text of " + second.text().length + " characters");
check(second.events().every((e) => e.type !== "text-delta"), "no deltas recorded");
check(wrapped === 2, `middleware ran ${wrapped} times`);
console.log("agent_long_stream.mjs: ok");
