// agent_stress.js: many runAsync runs over many sessions of one agent with an emitter, some
// cancelled at random moments. Every promise settles once; every run's events end with exactly
// one run-* terminal event, and only after run-started; histories hold exactly the successful
// runs. Size: ENV.GEPPETTO_AGENT_STRESS_RUNS runs (default 300) over
// ENV.GEPPETTO_AGENT_STRESS_SESSIONS sessions (default 30); the large size is 1000 over 100.
const gp = require("geppetto");
const EventEmitter = require("events");

const RUNS = Number(ENV.GEPPETTO_AGENT_STRESS_RUNS || 300);
const SESSIONS = Number(ENV.GEPPETTO_AGENT_STRESS_SESSIONS || 30);

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
}

// A deterministic pseudo-random sequence (xorshift), so failures reproduce.
let seed = 12345;
function random() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) % 1000) / 1000;
}

const emitter = new EventEmitter();
const byRun = new Map();
emitter.on("event", (e) => {
  if (!byRun.has(e.inferenceId)) byRun.set(e.inferenceId, []);
  byRun.get(e.inferenceId).push(e.type);
});

// The model answers after a promise job or a short timer, so cancels land at different moments.
const engine = gp.engines.fromFunction((turn) => {
  const delay = Math.floor(random() * 3);
  turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "ok" } });
  if (delay === 0) return turn;
  return new Promise((resolve) => setTimeout(() => resolve(turn), delay));
});
const agent = gp.agent().engine(engine).events(emitter).build();
const sessions = [];
for (let i = 0; i < SESSIONS; i++) sessions.push({ session: agent.session().build(), ok: 0 });

let settled = 0;
let succeeded = 0;
let cancelled = 0;

async function worker(entry, runs) {
  for (let i = 0; i < runs; i++) {
    const handle = entry.session.next().user("run " + i).runAsync();
    const roll = random();
    if (roll < 0.15) handle.cancel();
    else if (roll < 0.3) setTimeout(() => handle.cancel(), Math.floor(random() * 3));
    let outcomes = 0;
    try {
      const result = await handle.promise;
      outcomes++;
      check(result.text() === "ok", "text");
      entry.ok++;
      succeeded++;
    } catch (e) {
      outcomes++;
      check(e.message === "inference canceled", "cancel text: " + e.message);
      cancelled++;
    }
    check(outcomes === 1, "settles once");
    settled++;
    handle.cancel();
  }
}

const perSession = Math.ceil(RUNS / SESSIONS);
Promise.all(sessions.map((entry) => worker(entry, perSession))).then(() => {
  check(settled === perSession * SESSIONS, "every promise settled");
  for (const entry of sessions) {
    check(entry.session.turnCount() === entry.ok, "history holds exactly the successful runs");
    check(!entry.session.isRunning(), "no session left running");
  }
  let terminal = 0;
  for (const types of byRun.values()) {
    check(types[0] === "run-started", "run-started first");
    const ends = types.filter((t) => t === "run-finished" || t === "run-stopped" || t === "run-failed");
    check(ends.length === 1 && types[types.length - 1] === ends[0], "exactly one terminal event, last");
    terminal++;
  }
  check(terminal === settled, "every run reported events: " + terminal + " of " + settled);
  console.log("agent_stress.js: " + settled + " runs (" + succeeded + " ok, " + cancelled + " cancelled) over " + SESSIONS + " sessions: ok");
});
