// agent_stores.js: turn stores (js-api-agent.md § Turn stores). Run by tests/agent_stores.rs as
// `geppetto run --turns-db <tmp>/turns.db --turn-store audit=<tmp>/audit.db agent_stores.js`.
const gp = require("geppetto");
const EventEmitter = require("events");

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(what + ": expected " + e + ", got " + a);
}
// Compares ignoring key order (stored payloads are written with sorted keys, as Go does).
function stable(v) {
  if (Array.isArray(v)) return "[" + v.map(stable).join(",") + "]";
  if (v !== null && typeof v === "object") {
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + stable(v[k])).join(",") + "}";
  }
  return JSON.stringify(v);
}
function expectThrow(fn, name, message) {
  try {
    fn();
  } catch (e) {
    eq([e.name, e.message], [name, message], "thrown error");
    return;
  }
  throw new Error("expected a throw: " + message);
}

eq(Object.keys(gp.turnStores), ["default", "get"], "turnStores has exactly default and get");
expectThrow(() => gp.turnStores.get(), "TypeError", "turnStores.get requires a store name");
expectThrow(() => gp.turnStores.get(" "), "TypeError", "turnStores.get store name must not be empty");
expectThrow(() => gp.turnStores.get("nope"), "Error", 'geppetto turn store "nope" is not configured');
const store = gp.turnStores.default();
eq([store.name(), gp.turnStores.get("default").name()], ["default", "default"], "the default store");
const audit = gp.turnStores.get("audit");
expectThrow(() => store.list(3), "Error", "turn store query must be an object");
eq([store.list(), store.loadLatest()], [[], null], "empty store");

// With --turns-db, every agent run persists unless it opts out.
const agent = gp.agent().name("demo").engine(gp.engines.echo({ reply: "stored" })).build();
const s = agent.session().id("s1").build();
const r1 = s.next().user("one").run();
eq(r1.persistence(), { store: "default", ok: true }, "persistence()");
s.next().user("two").run();
const list = store.list({ sessionId: "s1" });
eq(list.length, 2, "two snapshots");
eq(list.map((x) => x.turn.toJSON().blocks.length), [4, 2], "newest first");
const latest = store.loadLatest({ sessionId: "s1" });
eq(
  [latest.convId, latest.sessionId, latest.turnId, latest.phase, latest.runtimeKey, typeof latest.createdAtMs],
  ["s1", "s1", s.latestTurn().toJSON().id, "final", "demo", "number"],
  "snapshot fields"
);
eq(latest.inferenceId, s.latestTurn().toJSON().metadata.inference_id, "inference id");
eq(stable(latest.turn.toJSON()), stable(s.latestTurn().toJSON()), "the stored turn reads back equal");
eq(Object.keys(latest.toJSON()), ["convId", "sessionId", "turnId", "phase", "runtimeKey", "inferenceId", "createdAtMs", "turn"], "snapshot toJSON");
eq(store.list({ limit: 1 }).length, 1, "limit");
eq(store.list({ phase: "draft" }).length, 0, "phase filter");
eq(store.loadLatest().sessionId, "s1", "loadLatest without ids (improved)");

// Opting out, other stores, failed runs.
const quiet = gp.agent().engine(gp.engines.echo()).store(null).build().session().id("quiet").build();
eq(quiet.next().user("x").run().persistence(), null, "store(null) disables persistence");
const toAudit = gp.agent().engine(gp.engines.echo()).store(audit).build().session().id("a1").build();
eq(toAudit.next().user("x").run().persistence(), { store: "audit", ok: true }, "agent().store(ts)");
eq([audit.list().length, store.list({ sessionId: "a1" }).length], [1, 0], "persisted to the chosen store only");
const optOut = agent.session().id("s3").persist(false).build();
optOut.next().user("x").run();
eq(store.list({ sessionId: "s3" }).length, 0, "session persist(false)");
const failing = gp.agent().engine(gp.engines.fromFunction(() => { throw new Error("no"); })).build().session().id("f1").build();
expectThrow(() => failing.next().user("x").run(), "Error", "js engine callback: no");
eq(store.list({ sessionId: "f1" }).length, 0, "failed runs write nothing");

// resumeLatest: the stored turn becomes the first history entry.
const resumed = agent.session().id("s1").resumeLatest().build();
eq([resumed.turnCount(), resumed.latestTurn().toJSON().id], [1, s.latestTurn().toJSON().id], "resumeLatest");
eq(resumed.next().user("three").run().outputTurn().toJSON().blocks.length, 6, "a resumed session continues");
expectThrow(() => agent.session().id("none").resumeLatest({ required: true }).build(), "Error", 'no stored turn found for session "none"');
eq(agent.session().id("none").resumeLatest().build().turnCount(), 0, "resume without a stored turn");
// A fork inherits persistence.
const fork = s.fork().id("s1-fork").build();
fork.next().user("forked").run();
eq(store.list({ sessionId: "s1-fork" }).length, 1, "forks persist like their origin");

// A closed store fails uses; runs still succeed and report the failure.
const emitter = new EventEmitter();
const logs = [];
emitter.on("log", (e) => logs.push(e));
const toClosed = gp.agent().engine(gp.engines.echo()).store(audit).events(emitter).build().session().id("a2").build();
audit.close();
audit.close();
expectThrow(() => audit.list(), "Error", 'turn store "audit" is closed');
const r = toClosed.next().user("x").run();
eq(r.persistence(), { store: "audit", ok: false, error: 'turn store "audit" is closed' }, "persistence failure is reported");
eq(toClosed.turnCount(), 1, "and the run succeeded");
eq([logs.length, logs[0].level, logs[0].message, logs[0].fields], [1, "error", "turn store persist failed", { store: "audit", error: 'turn store "audit" is closed' }], "log event");
eq(r.events().map((e) => e.type).slice(-2), ["log", "run-finished"], "log before run-finished");

console.log("agent_stores.js: ok");
