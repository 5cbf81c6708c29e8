// agent_spec_events_node.js: details of require("events") where a script written for Node 20 would
// notice a difference: validation errors (class, code, message), the "Unhandled error" text
// (util.inspect's form), listenerCount(name, listener), errorMonitor and the static helpers,
// EventEmitter.on's async iterator.
// Passes unchanged under `geppetto run` and under `node` (tests/events_node.rs runs both).
const EventEmitter = require("events");

const checks = [];
const same = (a, b, what) => { if (JSON.stringify(a) !== JSON.stringify(b)) checks.push(`${what}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`); };
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return [e.name, e.code, e.message];
  }
  return null;
}

// Max listeners: Node's validateNumber texts.
const e = new EventEmitter();
same(thrown(() => e.setMaxListeners(-1)), ["RangeError", "ERR_OUT_OF_RANGE", 'The value of "setMaxListeners" is out of range. It must be >= 0. Received -1'], "setMaxListeners(-1)");
same(thrown(() => e.setMaxListeners(NaN)), ["RangeError", "ERR_OUT_OF_RANGE", 'The value of "setMaxListeners" is out of range. It must be >= 0. Received NaN'], "setMaxListeners(NaN)");
same(thrown(() => e.setMaxListeners("1")), ["TypeError", "ERR_INVALID_ARG_TYPE", `The "setMaxListeners" argument must be of type number. Received type string ('1')`], "setMaxListeners('1')");
same(thrown(() => { EventEmitter.defaultMaxListeners = -1; }), ["RangeError", "ERR_OUT_OF_RANGE", 'The value of "defaultMaxListeners" is out of range. It must be >= 0. Received -1'], "defaultMaxListeners = -1");
same(thrown(() => { EventEmitter.defaultMaxListeners = "x"; }), ["TypeError", "ERR_INVALID_ARG_TYPE", `The "defaultMaxListeners" argument must be of type number. Received type string ('x')`], "defaultMaxListeners = 'x'");
same(EventEmitter.defaultMaxListeners, 10, "defaultMaxListeners unchanged by bad values");
same(thrown(() => e.on("x")), ["TypeError", "ERR_INVALID_ARG_TYPE", 'The "listener" argument must be of type function. Received undefined'], "on without a listener");

// defaultMaxListeners applies to every emitter without its own limit, existing ones included.
const early = new EventEmitter();
EventEmitter.defaultMaxListeners = 2;
same([early.getMaxListeners(), new EventEmitter().getMaxListeners()], [2, 2], "defaultMaxListeners is read live");
EventEmitter.defaultMaxListeners = 10;
early.setMaxListeners(0);
for (let i = 0; i < 12; i++) early.on("many", () => {});
same(early.listenerCount("many"), 12, "a limit of 0 never warns or throws");

// "Unhandled error." shows the value as util.inspect does.
const unhandled = (value) => { const r = thrown(() => new EventEmitter().emit("error", value)); return r && r[2]; };
same(unhandled({ a: 1, b: "s", c: [1, 2, { d: null }], e: undefined }), "Unhandled error. ({ a: 1, b: 's', c: [ 1, 2, { d: null } ], e: undefined })", "object");
same(unhandled([1, "x"]), "Unhandled error. ([ 1, 'x' ])", "array");
same([unhandled({}), unhandled([])], ["Unhandled error. ({})", "Unhandled error. ([])"], "empty object and array");
same(unhandled({ nested: { deep: { deeper: { x: 1 } } } }), "Unhandled error. ({ nested: { deep: { deeper: [Object] } } })", "depth");
same(unhandled("it's"), 'Unhandled error. ("it\'s")', "a string with a quote");
same(unhandled(() => 1), "Unhandled error. ([Function (anonymous)])", "a function");
same(unhandled(Symbol("q")), "Unhandled error. (Symbol(q))", "a symbol");
same(unhandled({ "a-b": 1 }), "Unhandled error. ({ 'a-b': 1 })", "a quoted key");
same(thrown(() => new EventEmitter().emit("error", null)), ["Error", "ERR_UNHANDLED_ERROR", "Unhandled error. (null)"], "null");
const cyclic = { a: 1 };
cyclic.self = cyclic;
same(unhandled(cyclic), "Unhandled error. (<ref *1> { a: 1, self: [Circular *1] })", "a cycle");

// listenerCount(name, listener) counts that function only (once wrappers by their original).
const f = () => {};
const g = () => {};
const counted = new EventEmitter();
counted.on("x", f).on("x", g).once("x", f);
same([counted.listenerCount("x"), counted.listenerCount("x", f), counted.listenerCount("x", g), counted.listenerCount("y", f)], [3, 2, 1, 0], "listenerCount(name, listener)");

// errorMonitor sees an "error" before the error listeners, and even when nothing handles it.
same(typeof EventEmitter.errorMonitor, "symbol", "errorMonitor");
const monitored = new EventEmitter();
const order = [];
monitored.on(EventEmitter.errorMonitor, (err) => order.push("monitor " + err.message));
same(thrown(() => monitored.emit("error", new Error("m1"))), ["Error", undefined, "m1"], "monitored unhandled error still throws");
monitored.on("error", (err) => order.push("listener " + err.message));
monitored.emit("error", new Error("m2"));
same(order, ["monitor m1", "monitor m2", "listener m2"], "errorMonitor order");

// Static helpers.
same(EventEmitter.listenerCount(counted, "x"), 3, "EventEmitter.listenerCount");
same(EventEmitter.getEventListeners(counted, "x").length, 3, "getEventListeners");
same(EventEmitter.getEventListeners(counted, "x")[2] === f, true, "getEventListeners unwraps once");
EventEmitter.setMaxListeners(3, counted, early);
same([counted.getMaxListeners(), early.getMaxListeners(), EventEmitter.getMaxListeners(counted)], [3, 3, 3], "setMaxListeners(n, ...emitters)");
same(EventEmitter.defaultMaxListeners, 10, "setMaxListeners with emitters leaves the default");
same(thrown(() => EventEmitter.setMaxListeners(-1)), ["RangeError", "ERR_OUT_OF_RANGE", 'The value of "setMaxListeners" is out of range. It must be >= 0. Received -1'], "static setMaxListeners(-1)");
EventEmitter.setMaxListeners(4);
same([EventEmitter.defaultMaxListeners, new EventEmitter().getMaxListeners()], [4, 4], "static setMaxListeners(n) sets the default");
EventEmitter.setMaxListeners();
same(EventEmitter.defaultMaxListeners, 4, "static setMaxListeners() keeps the default");
EventEmitter.defaultMaxListeners = 10;

// `once` listeners: `this`, arguments, and removal before the call.
const single = new EventEmitter();
let seen = null;
single.once("o", function (a, b) { seen = [this === single, a, b, single.listenerCount("o")]; });
same([single.emit("o", 1, 2), single.emit("o", 1, 2), seen], [true, false, [true, 1, 2, 0]], "once");

// A listener removed by an earlier one during emit still runs (the copy), as in Node.
const copied = new EventEmitter();
const ran = [];
copied.once("x", () => { ran.push(1); copied.removeAllListeners("x"); });
copied.on("x", () => ran.push(2));
copied.emit("x");
copied.emit("x");
same(ran, [1, 2], "emit runs over a copy");

// EventEmitter.on: an async iterator of argument arrays; queued events are kept; break detaches;
// an "error" rejects the next read.
async function iterate() {
  const source = new EventEmitter();
  const got = [];
  source.emit("tick", "queued");
  const ticks = EventEmitter.on(source, "tick");
  source.emit("tick", 1, "a");
  source.emit("tick", 2);
  setTimeout(() => source.emit("tick", 3), 5);
  for await (const args of ticks) {
    got.push(args);
    if (got.length === 3) break;
  }
  same([got, source.listenerCount("tick"), source.listenerCount("error")], [[[1, "a"], [2], [3]], 0, 0], "on(): values, break detaches");
  const failing = new EventEmitter();
  const reads = EventEmitter.on(failing, "tick");
  setTimeout(() => failing.emit("error", new Error("stop")), 5);
  let failure = null;
  try {
    for await (const args of reads) got.push(args);
  } catch (e) {
    failure = e.message;
  }
  same([failure, failing.listenerCount("tick"), failing.listenerCount("error")], ["stop", 0, 0], "on(): an error ends the iteration");
  same(await reads.next(), { value: undefined, done: true }, "on(): done after the error");
}

iterate().then(() => {
  if (checks.length) throw new Error("events mismatches:\n" + checks.join("\n"));
  console.log("agent_spec_events_node: ok");
});
