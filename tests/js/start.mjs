// start.mjs: session.start() and its RunHandle, as an ES module with top-level await.
// Covers handle fields, on() (chaining, "*", "", trimming, ordering, errors, throwing listeners),
// event shapes, and the delivery guarantees (all events before settlement, none after).
import gp from "geppetto";
const T = gp.turns;

// ---- tiny local helpers ----------------------------------------------------------------------
function msgOf(e) {
  return e !== null && typeof e === "object" && "message" in e ? String(e.message) : String(e);
}
function expectThrow(fn, text) {
  let threw = false;
  let err;
  try {
    fn();
  } catch (e) {
    threw = true;
    err = e;
  }
  if (!threw) throw new Error(`expected an error containing "${text}", nothing was thrown`);
  if (!msgOf(err).includes(text)) throw new Error(`expected an error containing "${text}", got "${msgOf(err)}"`);
  return err;
}
async function expectReject(p, text) {
  let rejected = false;
  let err;
  try {
    await p;
  } catch (e) {
    rejected = true;
    err = e;
  }
  if (!rejected) throw new Error(`expected a rejection containing "${text}", it resolved`);
  if (!msgOf(err).includes(text)) throw new Error(`expected a rejection containing "${text}", got "${msgOf(err)}"`);
  return err;
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const user = (text) => T.newTurn({ blocks: [T.newUserBlock(text)] });
const last = (turn) => turn.blocks[turn.blocks.length - 1];

/** Engine: one go_double call (and one failing call) after a user block, then "done". */
const engine = gp.engines.fromFunction((turn) => {
  if (last(turn).kind === "user") {
    return T.appendBlock(
      T.appendBlock(turn, T.newToolCallBlock("call-double", "go_double", { n: 21 })),
      T.newToolCallBlock("call-broken", "broken", { why: "test" })
    );
  }
  return T.appendBlock(turn, T.newAssistantBlock("done"));
});
const tools = gp.tools
  .createRegistry()
  .useGoTools(["go_double"])
  .register({
    name: "broken",
    handler: () => {
      throw new Error("broken tool");
    },
  });

// ---- handle fields and on() ------------------------------------------------------------------------
const session = gp.createSession({ engine, tools });
const h = session.start(user("double 21"));
assert(h.promise && typeof h.promise.then === "function", "handle.promise is a promise");
assert(typeof h.cancel === "function" && typeof h.on === "function", "handle.cancel / handle.on");
for (const k of ["runId", "sessionId", "inferenceId"]) {
  assert(typeof h[k] === "string" && h[k].length > 0, `handle.${k} is a non-empty string`);
}

const all = [];
const order = [];
const trimmed = [];
const emptyType = [];
// "*" subscribed first, exact types after: exact-type listeners still run first.
const same = h
  .on("*", (ev) => {
    all.push(ev);
    if (ev.type === "final") order.push("star-1");
  })
  .on("*", (ev) => {
    if (ev.type === "final") order.push("star-2");
  })
  .on("final", () => order.push("exact-1"))
  .on(gp.consts.EventType.FINAL, () => order.push("exact-2"))
  .on("  start  ", (ev) => trimmed.push(ev.type)) // the type is trimmed
  .on("", (ev) => emptyType.push(ev.type)) // "" means "*"
  .on("start", () => {
    throw new Error("a listener that throws"); // logged; must not affect the run
  });
assert(same === h, "on() returns the same handle");

expectThrow(() => h.on("start"), "on(eventType, callback) requires 2 arguments");
expectThrow(() => h.on(), "on(eventType, callback) requires 2 arguments");
expectThrow(() => h.on("start", 42), "on() callback must be a function");
expectThrow(() => h.on("start", "not a function"), "on() callback must be a function");

// Nothing is delivered while this synchronous JS turn is still running.
eq(all.length, 0, "no events delivered synchronously");

// Every event is delivered before the promise settles.
let countAtSettle = -1;
const out = await h.promise.then((turn) => {
  countAtSettle = all.length;
  return turn;
});
eq(last(out).payload.text, "done", "start() resolves with the output turn");
eq(out.metadata.session_id, h.sessionId, "handle.sessionId matches the turn");
eq(out.metadata.inference_id, h.inferenceId, "handle.inferenceId matches the turn");
assert(countAtSettle === all.length && all.length > 0, "all events delivered before settlement");

// No events after settlement.
await delay(30);
eq(all.length, countAtSettle, "no events after settlement");

// ---- ordering and routing ----------------------------------------------------------------------
const finals = all.filter((ev) => ev.type === "final").length;
eq(finals, 2, "two engine steps, two final events");
eq(order.slice(0, 4), ["exact-1", "exact-2", "star-1", "star-2"], "exact-type listeners before '*', each in subscription order");
eq(trimmed, ["start", "start"], "trimmed type receives its events");
eq(emptyType.length, all.length, "'' listener receives every event");
eq(all[0].type, "start", "first event is start");
eq(all[all.length - 1].type, "final", "last event is final");

// ---- event shapes ---------------------------------------------------------------------------------
for (const ev of all) {
  assert(typeof ev.type === "string", "event.type");
  assert(typeof ev.timestampMs === "number" && ev.timestampMs > 1.6e12, "event.timestampMs");
  eq(ev.sessionId, h.sessionId, ev.type + " event.sessionId");
  eq(ev.inferenceId, h.inferenceId, ev.type + " event.inferenceId");
  eq(ev.runId, h.runId, ev.type + " event.runId");
  for (const k of Object.keys(ev)) assert(ev[k] !== null, `${ev.type}.${k} absent rather than null`);
}
const finalEvents = all.filter((ev) => ev.type === "final");
for (const ev of finalEvents) assert(typeof ev.text === "string", "final event has text");
eq(finalEvents[finalEvents.length - 1].text, "done", "last final event text");

const executes = all.filter((ev) => ev.type === "tool-call-execute");
eq(executes.map((ev) => ev.toolCall.id), ["call-double", "call-broken"], "tool-call-execute per call");
eq(executes[0].toolCall.name, "go_double", "tool-call-execute name");
eq(typeof executes[0].toolCall.input, "string", "tool-call-execute input is a JSON string");
eq(JSON.parse(executes[0].toolCall.input), { n: 21 }, "tool-call-execute input");

const results = all.filter((ev) => ev.type === "tool-call-execution-result");
eq(results.map((ev) => ev.toolResult.id), ["call-double", "call-broken"], "tool-call-execution-result per call");
eq(JSON.parse(results[0].toolResult.result), { value: 42 }, "execution result JSON");
assert(String(results[1].toolResult.result).startsWith("Error: "), "failed call result: " + results[1].toolResult.result);
assert(String(results[1].toolResult.result).includes("broken tool"), "failed call result names the error");

// Each execute comes before its result, and both between the two engine steps.
const idx = (pred) => all.findIndex(pred);
assert(idx((e) => e.type === "tool-call-execute") < idx((e) => e.type === "tool-call-execution-result"), "execute before result");
assert(idx((e) => e.type === "final") < idx((e) => e.type === "tool-call-execute"), "first final before tool execution");

// Echo events: start then final with the reply text.
const echoEvents = [];
const echoRun = gp.createSession({ engine: gp.engines.echo({ reply: "hi!" }) }).start(user("x"));
echoRun.on("*", (ev) => echoEvents.push(ev));
await echoRun.promise;
eq(echoEvents.map((e) => e.type), ["start", "final"], "echo emits start and final");
eq(echoEvents[1].text, "hi!", "echo final text");

// ---- cancellation through the handle ------------------------------------------------------------
let pending = null;
const slowTools = gp.tools.createRegistry().register({
  name: "go_double", // shadows nothing: this registry has no host tools
  handler: () => new Promise((resolve) => (pending = setTimeout(() => resolve(0), 5000))),
});
const slow = gp.createSession({ engine, tools: slowTools });
const hs = slow.start(user("slow"));
const slowEvents = [];
hs.on("*", (ev) => slowEvents.push(ev.type));
setTimeout(() => hs.cancel(), 30);
const err = await expectReject(hs.promise, "canceled");
clearTimeout(pending);
assert(err instanceof Error, "cancel rejects with an Error");
hs.cancel(); // idempotent
const afterCancel = slowEvents.length;
await delay(30);
eq(slowEvents.length, afterCancel, "no events after a cancelled run settled");
eq(slow.turnCount(), 1, "history intact after cancel");

console.log("start.mjs: ok");
