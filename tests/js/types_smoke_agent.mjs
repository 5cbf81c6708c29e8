// Type-checked by `tsc -p docs/types/tsconfig.json` (docs/codegen.md) and run by tests/js_scripts.rs:
// the agent API and `events` as a script written against js-api-agent.md uses them (ES module form,
// named imports from "events").
import gp from "geppetto";
import EventEmitter, { EventEmitter as Named, once, on, errorMonitor } from "events";
import NodeEvents from "node:events";

class Bus extends EventEmitter {}
const bus = new Bus();
bus.on(errorMonitor, () => {});
const seen = [];
bus.on(gp.consts.AgentEvent.TEXT_DELTA, (e) => seen.push(e.delta));
const tool = gp.tool("add").description("adds").input(gp.schema.object().property("a", gp.schema.number()).required("a")).handler((args) => args.a + 1).build();
const agent = gp.agent().name("types").engine(gp.engines.echo({ reply: "ok" })).tool(tool).toolLoop({ maxIterations: 2 }).events(bus).events(new Named()).events(new NodeEvents()).runDefaults({ tags: { t: 1 } }).build();
const session = agent.session().id("types").metadata("k", "v").build();
const result = session.next().system().user((m) => m.text("hi").imageURL("http://x/y.png", { detail: "low" })).run({ timeoutMs: 5000 });
const handle = session.next().user("again").runAsync();
const ready = once(bus, gp.consts.AgentEvent.RUN_FINISHED);
const finished = on(bus, gp.consts.AgentEvent.RUN_FINISHED);
const second = await handle.promise;
const first = await finished.next();
await finished.return();
if (first.done || first.value[0].type !== "run-finished") throw new Error("on() iterator");
await ready;
const turn = second.outputTurn().toJSON();
const stop = result.stopReason();
const persisted = result.persistence()?.ok ?? null;
if (result.text() !== "ok" || second.text() !== "ok" || session.turnCount() !== 2 || turn.blocks.length !== 5) throw new Error("agent run");
if (stop !== "stop" || persisted !== null || seen.join() !== "ok,ok") throw new Error("run details: " + JSON.stringify([stop, persisted, seen]));
console.log("types_smoke_agent: ok");
