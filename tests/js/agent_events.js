// require("events"): the Node 20 EventEmitter subset of js-api-agent.md. This script passes
// unchanged under `geppetto run` and under `node` (tests/events_node.rs runs both).
const EventEmitter = require("events");

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(what + ": expected " + e + ", got " + a);
}
function expectThrow(fn, check, what) {
  try {
    fn();
  } catch (e) {
    check(e);
    return;
  }
  throw new Error(what + ": expected a throw");
}

// Module shape.
check(typeof EventEmitter === "function", "export is a function");
check(EventEmitter.EventEmitter === EventEmitter, "EventEmitter.EventEmitter");
check(require("node:events") === EventEmitter, "node:events is the same module");
eq(EventEmitter.defaultMaxListeners, 10, "defaultMaxListeners");
check(typeof EventEmitter.once === "function", "static once");

// on/emit order, `this`, return values, arguments.
{
  const e = new EventEmitter();
  const seen = [];
  check(e.emit("x") === false, "emit without listeners is false");
  check(e.on("x", function (a, b) { seen.push(["first", a, b, this === e]); }) === e, "on returns the emitter");
  e.addListener("x", (a) => seen.push(["second", a]));
  e.prependListener("x", () => seen.push(["prepended"]));
  check(e.emit("x", 1, 2) === true, "emit with listeners is true");
  eq(seen, [["prepended"], ["first", 1, 2, true], ["second", 1]], "listener order");
  eq(e.listenerCount("x"), 3, "listenerCount");
  eq(e.listenerCount("nothing"), 0, "listenerCount of an unknown event");
}

// once/prependOnceListener, listeners() unwraps, rawListeners() does not.
{
  const e = new EventEmitter();
  const seen = [];
  function a() { seen.push("a"); }
  function b() { seen.push("b"); }
  e.once("x", a);
  e.prependOnceListener("x", b);
  eq(e.listeners("x").map((f) => f.name), ["b", "a"], "listeners unwrapped");
  check(e.listeners("x")[1] === a, "listeners() returns the original function");
  check(e.rawListeners("x")[1] !== a && e.rawListeners("x")[1].listener === a, "rawListeners keeps wrappers");
  e.emit("x");
  e.emit("x");
  eq(seen, ["b", "a"], "once listeners run once");
  eq(e.listenerCount("x"), 0, "once listeners are removed");
  const copy = e.listeners("x");
  copy.push(a);
  eq(e.listenerCount("x"), 0, "listeners() is a copy");
}

// off removes the most recently added matching listener; once wrappers by their original.
{
  const e = new EventEmitter();
  const seen = [];
  const f = (tag) => seen.push(tag);
  const g = () => seen.push("g");
  e.on("x", f);
  e.on("x", g);
  e.on("x", f);
  check(e.off("x", f) === e, "off returns the emitter");
  eq(e.rawListeners("x").length, 2, "one removed");
  check(e.rawListeners("x")[0] === f && e.rawListeners("x")[1] === g, "the last matching was removed");
  e.once("y", f);
  e.removeListener("y", f);
  eq(e.listenerCount("y"), 0, "a once listener is removed by its original function");
  e.removeListener("nothing", f);
}

// Listeners run over a copy taken before the first call.
{
  const e = new EventEmitter();
  const seen = [];
  function late() { seen.push("late"); }
  function second() { seen.push("second"); }
  e.on("x", () => {
    seen.push("first");
    e.on("x", late);
    e.off("x", second);
  });
  e.on("x", second);
  e.emit("x");
  eq(seen, ["first", "second"], "added/removed during emit: the copy runs");
  seen.length = 0;
  e.emit("x");
  eq(seen, ["first", "late"], "the next emit sees the changes");
}

// A throwing listener propagates out of emit and stops the rest.
{
  const e = new EventEmitter();
  const seen = [];
  e.on("x", () => { throw new Error("listener boom"); });
  e.on("x", () => seen.push("after"));
  expectThrow(() => e.emit("x"), (err) => eq(err.message, "listener boom", "thrown message"), "throwing listener");
  eq(seen, [], "later listeners did not run");
}

// "error" without a listener throws.
{
  const e = new EventEmitter();
  const boom = new Error("boom");
  expectThrow(() => e.emit("error", boom), (err) => check(err === boom, "the Error itself"), "error Error");
  expectThrow(() => e.emit("error", "text"), (err) => {
    check(err instanceof Error, "an Error");
    eq(err.message, "Unhandled error. ('text')", "message for a string");
    eq(err.code, "ERR_UNHANDLED_ERROR", "code");
    eq(err.context, "text", "context");
  }, "error string");
  expectThrow(() => e.emit("error", 42), (err) => eq(err.message, "Unhandled error. (42)", "message for a number"), "error number");
  expectThrow(() => e.emit("error"), (err) => eq(err.message, "Unhandled error. (undefined)", "message for undefined"), "error undefined");
  let got;
  e.on("error", (err) => { got = err; });
  check(e.emit("error", boom) === true, "handled error");
  check(got === boom, "error listener gets the error");
}

// newListener before adding, removeListener after removing.
{
  const e = new EventEmitter();
  const log = [];
  e.on("newListener", (name, listener) => log.push(["new", name, e.listenerCount(name), listener.name]));
  function h() {}
  e.on("x", h);
  e.once("y", h);
  e.on("removeListener", (name, listener) => log.push(["removed", name, e.listenerCount(name), listener.name]));
  e.off("x", h);
  e.emit("y");
  eq(log, [
    ["new", "x", 0, "h"],
    ["new", "y", 0, "h"],
    ["new", "removeListener", 0, ""],
    ["removed", "x", 0, "h"],
    ["removed", "y", 0, "h"],
  ], "newListener/removeListener order and arguments");
}

// removeAllListeners, eventNames with symbols in insertion order.
{
  const e = new EventEmitter();
  const sym = Symbol("s");
  const noop = () => {};
  e.on("b", noop);
  e.on(sym, noop);
  e.on("a", noop);
  const names = e.eventNames();
  eq(names.length, 3, "three names");
  // As Node (Reflect.ownKeys): strings in insertion order, then symbols.
  check(names[0] === "b" && names[1] === "a" && names[2] === sym, "insertion order, symbols last");
  check(e.removeAllListeners("b") === e, "removeAllListeners returns the emitter");
  eq(e.listenerCount("b"), 0, "b removed");
  eq(e.eventNames().length, 2, "two names left");
  const removed = [];
  e.on("removeListener", (name) => removed.push(typeof name === "symbol" ? "sym" : name));
  e.removeAllListeners();
  eq(removed, ["a", "sym"], "removeListener fires for each removed listener");
  eq(e.eventNames(), [], "nothing left");
}

// Max listeners: a number, warns (never throws) when exceeded.
{
  const e = new EventEmitter();
  eq(e.getMaxListeners(), 10, "default max");
  check(e.setMaxListeners(1) === e, "setMaxListeners returns the emitter");
  eq(e.getMaxListeners(), 1, "max set");
  e.setMaxListeners(0);
  for (let i = 0; i < 20; i++) e.on("x", () => {});
  eq(e.listenerCount("x"), 20, "0 means unlimited");
  expectThrow(() => e.setMaxListeners(-1), (err) => check(err instanceof RangeError, "RangeError"), "negative max");
  expectThrow(() => e.on("x", 5), (err) => {
    check(err instanceof TypeError, "TypeError");
    check(err.message.startsWith('The "listener" argument must be of type function'), err.message);
  }, "non-function listener");
}

// Subclasses: ES classes and EventEmitter.call(this).
{
  class Bus extends EventEmitter {
    constructor() {
      super();
      this.label = "bus";
    }
  }
  const bus = new Bus();
  let got = null;
  bus.on("ping", function (v) { got = [this.label, v]; });
  bus.emit("ping", 7);
  eq(got, ["bus", 7], "class subclass");
  check(bus instanceof EventEmitter, "instanceof");

  function Legacy() {
    EventEmitter.call(this);
  }
  Legacy.prototype = Object.create(EventEmitter.prototype);
  Legacy.prototype.constructor = Legacy;
  const legacy = new Legacy();
  let count = 0;
  legacy.on("x", () => count++);
  legacy.emit("x");
  eq(count, 1, "EventEmitter.call(this) subclass");
  const other = new Legacy();
  eq(other.listenerCount("x"), 0, "instances do not share listeners");
}

// EventEmitter.once: resolves with the argument array; rejects on "error" first.
const done = [];
{
  const e = new EventEmitter();
  const p = EventEmitter.once(e, "ready").then((args) => {
    eq(args, [1, "two"], "once() arguments");
    eq(e.listenerCount("error"), 0, "error listener removed after resolve");
    done.push("resolved");
  });
  e.emit("ready", 1, "two");
  const f = new EventEmitter();
  const q = EventEmitter.once(f, "ready").then(
    () => { throw new Error("should reject"); },
    (err) => {
      eq(err.message, "bad", "rejection error");
      eq(f.listenerCount("ready"), 0, "ready listener removed after reject");
      done.push("rejected");
    }
  );
  f.emit("error", new Error("bad"));
  Promise.all([p, q]).then(() => {
    eq(done, ["resolved", "rejected"], "both settled");
    console.log("agent_events: ok");
  });
}
