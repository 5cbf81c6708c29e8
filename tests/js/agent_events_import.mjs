// ES module imports of the events module: default and named exports, both module names.
import EventEmitter, { EventEmitter as Named, once } from "events";
import NodeEvents from "node:events";

if (Named !== EventEmitter || NodeEvents !== EventEmitter) throw new Error("one constructor under every name");
if (once !== EventEmitter.once) throw new Error("named export once");
const e = new EventEmitter();
const args = once(e, "go");
e.emit("go", "a", 1);
const got = await args;
if (JSON.stringify(got) !== '["a",1]') throw new Error("once() resolved with " + JSON.stringify(got));
console.log("agent_events_import: ok");
