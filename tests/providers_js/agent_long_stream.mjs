// agent_long_stream.mjs: a long provider stream (ENV.AGENT_DELTAS one-character text deltas, served
// by tests/providers_e2e.rs) into an agent whose listener reads every delta's cumulative `text`:
// more events than the per-run delivery backlog holds, through a synchronous run() and a
// runAsync(). Every delta arrives once, in order, with its text so far.
import gp from "geppetto";
import EventEmitter from "events";

const N = Number(ENV.AGENT_DELTAS);
function check(cond, what) {
  if (!cond) throw new Error("agent_long_stream.mjs: " + what);
}

const events = new EventEmitter();
let deltas = 0;
let problem = null;
events.on("text-segment-started", () => {
  deltas = 0;
});
events.on("text-delta", (e) => {
  deltas++;
  if (problem === null && (e.sequence !== deltas || e.text.length !== deltas || e.delta !== "x")) {
    problem = `delta ${deltas}: sequence ${e.sequence}, text length ${e.text.length}`;
  }
});

const engine = gp.engines.fromConfig({
  provider: "openai",
  model: "fake-model",
  baseURL: ENV.FAKE_PROVIDER_URL + "/v1",
  apiKey: "sk-fake-long-stream-0001",
});
const session = gp.agent().engine(engine).events(events).build().session().build();

const first = session.next().user("first").run();
check(problem === null, "run(): " + problem);
check(deltas === N, `run(): ${deltas} deltas, expected ${N}`);
check(first.text().length === N, "run(): text length " + first.text().length);

const second = await session.next().user("second").runAsync().promise;
check(problem === null, "runAsync(): " + problem);
check(deltas === N, `runAsync(): ${deltas} deltas, expected ${N}`);
check(second.text().length === N, "runAsync(): text length " + second.text().length);
check(second.events().every((e) => e.type !== "text-delta"), "no deltas recorded");
console.log("agent_long_stream.mjs: ok");
