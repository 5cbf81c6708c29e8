// agent_spec_stores.js: js-api-agent.md § Turn stores and § A run, as a script written against the
// spec would check them, with a default store (`--turns-db`) and a named one (`--turn-store
// other=PATH`): the order append → persist → run-finished, failed and cancelled runs writing nothing,
// query validation and defaults, resume stamping, persistence choices. Run by tests/agent_stores.rs.
const gp = require("geppetto");
const EventEmitter = require("events");

const checks = [];
const same = (a, b, what) => { if (JSON.stringify(a) !== JSON.stringify(b)) checks.push(`${what}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`); };
// JSON with every object's keys sorted (a stored turn comes back with its maps in key order).
const canonical = (v) => Array.isArray(v) ? v.map(canonical) : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v;
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return [e.name, e.message];
  }
  return null;
}

const store = gp.turnStores.default();
const other = gp.turnStores.get("other");
same([store.name(), gp.turnStores.get("default").name(), other.name()], ["default", "default", "other"], "store names");

// Appended, then persisted, then run-finished, then run() returns.
const emitter = new EventEmitter();
const echo = gp.agent().name("spec").engine(gp.engines.echo({ reply: "stored" })).events(emitter).build();
const session = echo.session().id("order").build();
let atFinish = null;
emitter.on("run-finished", () => { atFinish = [session.turnCount(), store.list({ sessionId: "order" }).length, session.isRunning()]; });
const result = session.next().user("one").run();
same(atFinish, [1, 1, true], "run-finished sees the appended and persisted turn, the run still active");
same(result.persistence(), { store: "default", ok: true }, "persistence()");
const snapshot = store.loadLatest({ sessionId: "order" });
same([snapshot.convId, snapshot.sessionId, snapshot.turnId, snapshot.phase, snapshot.runtimeKey, snapshot.inferenceId],
  ["order", "order", result.outputTurn().toJSON().id, "final", "spec", result.outputTurn().toJSON().metadata.inference_id], "snapshot fields");
same(canonical(snapshot.turn.toJSON()), canonical(result.outputTurn().toJSON()), "the stored turn is the output turn");
same(Object.keys(snapshot.toJSON()), ["convId", "sessionId", "turnId", "phase", "runtimeKey", "inferenceId", "createdAtMs", "turn"], "snapshot toJSON keys");

// Failed and cancelled runs write nothing.
const failing = gp.agent().engine(gp.engines.fromFunction(() => { throw new Error("no"); })).build().session().id("failed").build();
same(thrown(() => failing.next().user("x").run()), ["Error", "js engine callback: no"], "failed run");
const slow = gp.agent().engine(gp.engines.fromFunction((t) => { sleep(500); return t; })).build().session().id("deadline").build();
same(thrown(() => slow.next().user("x").run({ timeoutMs: 20 })), ["Error", "inference canceled: deadline exceeded"], "deadline run");
same([store.list({ sessionId: "failed" }).length, store.list({ sessionId: "deadline" }).length], [0, 0], "nothing persisted");

// Queries: validation, spellings, defaults.
same(thrown(() => store.list(5)), ["Error", "turn store query must be an object"], "non-object query");
same(thrown(() => store.loadLatest("x")), ["Error", "turn store query must be an object"], "non-object loadLatest query");
same([store.list({ conversationId: "order" }).length, store.list({ sessionID: "order" }).length, store.list({ convId: "order", phase: "draft" }).length], [1, 1, 0], "query spellings");
same(store.list({ sinceMs: Date.now() + 60000 }).length, 0, "sinceMs");
same(store.loadLatest({ sessionId: "nobody" }), null, "loadLatest of nothing");
for (let i = 0; i < 102; i++) echo.session().id("bulk").build().next().user("b" + i).run();
same([store.list().length, store.list({ limit: 0 }).length, store.list({ limit: 3 }).length, store.list({ limit: 500 }).length], [100, 100, 3, 103], "limit default 100");
same(store.loadLatest().sessionId, "bulk", "loadLatest without ids: newest of all sessions");

// resumeLatest imports the turn under the new session id, without fork stamps.
const resumed = echo.session().id("copy").resumeLatest({ sessionId: "order" }).build();
const imported = resumed.latestTurn().toJSON();
same([resumed.turnCount(), imported.id, imported.metadata.session_id, "geppetto.forkedFromSource@v1" in imported.metadata],
  [1, snapshot.turnId, "copy", false], "resumeLatest");
same(thrown(() => echo.session().id("none").resumeLatest({ required: true }).build()), ["Error", 'no stored turn found for session "none"'], "required resume");

// Persistence choices: agent store → session resume source; persist(0) disables; store(null) opts out.
const toOther = gp.agent().engine(gp.engines.echo()).store(other).build();
same(toOther.session().id("o").build().next().user("x").run().persistence(), { store: "other", ok: true }, "agent().store(ts)");
same([other.list({ sessionId: "o" }).length, store.list({ sessionId: "o" }).length], [1, 0], "only the chosen store");
same(toOther.session().id("o").resumeLatest({ required: true }).build().turnCount(), 1, "resume from the agent's store");
same(echo.session().id("off").persist(0).build().next().user("x").run().persistence(), null, "persist(0) disables");
same(gp.agent().engine(gp.engines.echo()).store(null).build().session().id("off2").build().next().user("x").run().persistence(), null, "store(null)");
same(store.list({ sessionId: "off" }).length + store.list({ sessionId: "off2" }).length, 0, "opted-out runs not persisted");

// close() closes the store for every wrapper and agent using it; idempotent.
other.close();
other.close();
same(thrown(() => gp.turnStores.get("other").list()), ["Error", 'turn store "other" is closed'], "closed for every wrapper");
same(toOther.session().build().next().user("x").run().persistence(), { store: "other", ok: false, error: 'turn store "other" is closed' }, "closed for agents");

if (checks.length) throw new Error("spec mismatches:\n" + checks.join("\n"));
console.log("agent_spec_stores: ok");
