// soak.mjs: a mixed workload for a given duration on one runtime — start() with listeners, cancel
// at random points, run timeouts, failing tools, hooks that retry or abort, nested synchronous
// runs, and provider faults against the test's in-process fake provider (profile SOAK_PROFILE).
// Run by tests/soak.rs, which samples the process's RSS; see docs/reliability.md.
//
// Checks for every run: it settles exactly once, no event arrives after settlement, a successful
// run ends with a `final` event, and the session history is intact after a failure (as before the
// run, plus the seed) or holds the output after a success.
import gp from "geppetto";
import { seededRandom } from "./prng.mjs";
const T = gp.turns;

const SECONDS = Number(ENV.GEPPETTO_SOAK_SECS || 30);
const SEED = Number(ENV.GEPPETTO_SOAK_SEED || 1) >>> 0;
const CONCURRENCY = Number(ENV.GEPPETTO_SOAK_CONCURRENCY || 16);
const PROFILE = ENV.SOAK_PROFILE;

const random = seededRandom(SEED);
const pick = (items) => items[Math.floor(random() * items.length)];
const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));

const user = (text) => T.newTurn({ blocks: [T.newUserBlock(text)] });
const lastText = (turn) => {
  const block = turn.blocks[turn.blocks.length - 1];
  return block && block.payload ? block.payload.text : undefined;
};
const userText = (turn) => {
  const block = turn.blocks.filter((b) => b.kind === "user").pop();
  return block ? String(block.payload.text) : "";
};

// ---- engines -----------------------------------------------------------------------------------
const echo = gp.engines.echo({ reply: "echoed" });
// Answers after the delay named in the user text ("delay:<ms>"), from a timer.
const slow = gp.engines.fromFunction((turn) => {
  const ms = Number((/delay:(\d+)/.exec(userText(turn)) || [0, 0])[1]);
  return new Promise((resolve) => setTimeout(() => resolve(T.appendBlock(turn, T.newAssistantBlock("slept " + ms))), ms));
});
// Asks for the tools named in the user text ("tools:a,b"), then answers with the results.
const toolAsker = gp.engines.fromFunction((turn) => {
  const uses = turn.blocks.filter((b) => b.kind === "tool_use");
  if (uses.length > 0) {
    return T.appendBlock(turn, T.newAssistantBlock("results " + uses.map((u) => u.payload.error ? "E" : "ok").join(",")));
  }
  const names = ((/tools:([\w,]+)/.exec(userText(turn)) || [0, ""])[1]).split(",").filter(Boolean);
  let out = turn;
  names.forEach((name, i) => { out = T.appendBlock(out, T.newToolCallBlock("call" + i, name, { i })); });
  return out;
});
const provider = PROFILE ? gp.engines.fromProfile(PROFILE, { timeoutMs: 10000 }) : null;

// ---- tools and hooks ---------------------------------------------------------------------------
const innerEngine = gp.engines.echo({ reply: "inner" });
let innerRuns = 0;
const registry = gp.tools.createRegistry()
  .register({ name: "ok", handler: ({ i }) => ({ i }) })
  .register({ name: "fail", handler: () => { throw new Error("tool failure"); } })
  .register({ name: "later", handler: () => new Promise((resolve) => setTimeout(() => resolve("later"), between(0, 5))) })
  .register({
    name: "nested",
    handler: () => {
      // A synchronous run inside a tool handler of another run.
      innerRuns++;
      return lastText(gp.createSession({ engine: innerEngine }).run(user("nested " + innerRuns)));
    },
  });
let flaky = 0;
const hookSets = {
  none: undefined,
  retry: { onToolError: ({ attempt }) => (attempt < 2 ? { action: "retry", backoffMs: 1 } : { action: "continue" }) },
  abort: { beforeToolCall: ({ call }) => (call.name === "fail" ? { action: "abort" } : undefined) },
  throwing: { afterToolCall: () => { throw new Error("hook failure"); } },
  flaky: { beforeToolCall: () => ((flaky++ % 3 === 0) ? { abort: true, error: "flaky abort" } : undefined), failOpen: true },
};
const errorModes = ["continue", "abort", "retry"];

// ---- sessions ----------------------------------------------------------------------------------
function makeSession(kind) {
  switch (kind) {
    case "echo": return gp.createSession({ engine: echo });
    case "slow": return gp.createSession({ engine: slow });
    case "tools": {
      const hooks = pick(Object.keys(hookSets));
      return gp.createSession({
        engine: toolAsker,
        tools: registry,
        toolLoop: { maxIterations: 3, toolErrorHandling: pick(errorModes), retryMaxRetries: 1, retryBackoffMs: 1, executionTimeoutMs: 2000 },
        toolHooks: hookSets[hooks],
        middlewares: [gp.middlewares.fromJS((turn, next) => next(turn), "pass")],
      });
    }
    case "provider": return gp.createSession({ engine: provider });
    default: throw new Error("unknown session kind " + kind);
  }
}

function seedFor(kind) {
  switch (kind) {
    case "slow": return user("delay:" + between(0, 30));
    case "tools": return user("tools:" + Array.from({ length: between(1, 3) }, () => pick(["ok", "fail", "later", "nested"])).join(","));
    case "provider": return user("fault:" + pick(["ok", "ok", "500", "429", "truncated", "malformed", "slow", "empty"]));
    default: return user("hello");
  }
}

// ---- checks ------------------------------------------------------------------------------------
const failures = [];
const stats = { started: 0, ok: 0, failed: 0, cancelled: 0, timedOut: 0, sync: 0, events: 0 };
const fail = (what) => { if (failures.length < 50) failures.push(what); };

function checkHistory(label, session, before, seed, outcome) {
  const after = session.turns();
  if (after.length !== before.length + 1) return fail(`${label}: history has ${after.length} turns, expected ${before.length + 1}`);
  for (let i = 0; i < before.length; i++) {
    if (JSON.stringify(after[i]) !== JSON.stringify(before[i])) return fail(`${label}: turn ${i} changed by the run`);
  }
  const last = after[after.length - 1];
  if (outcome.ok) {
    if (JSON.stringify(last) !== JSON.stringify(outcome.value)) fail(`${label}: latest turn is not the output`);
  } else if (JSON.stringify(last.blocks) !== JSON.stringify(seed.blocks)) {
    fail(`${label}: after a failure the latest turn is not the seed`);
  }
}

// One asynchronous run, with a random cancellation or timeout.
function oneRun(index) {
  const kind = pick(provider ? ["echo", "slow", "tools", "tools", "provider", "provider"] : ["echo", "slow", "tools", "tools"]);
  const session = makeSession(kind);
  if (random() < 0.3) session.append(user("earlier turn"));
  const before = session.turns();
  const seed = seedFor(kind);
  const label = `run ${index} (${kind} "${userText(seed)}")`;
  const opts = random() < 0.2 ? { timeoutMs: between(1, 40) } : undefined;
  stats.started++;
  const handle = session.start(seed, opts);
  let settlements = 0;
  let settled = false;
  const seen = [];
  handle.on("*", (event) => {
    stats.events++;
    if (settled) fail(`${label}: ${event.type} event after settlement`);
    seen.push(event.type);
  });
  const cancelMode = random();
  if (cancelMode < 0.1) handle.cancel();
  else if (cancelMode < 0.25) setTimeout(handle.cancel, between(0, 20));
  else if (cancelMode < 0.3) setTimeout(() => { try { session.cancelActive(); } catch (e) { /* already done */ } }, between(0, 10));
  return handle.promise.then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error }),
  ).then((outcome) => {
    settlements++;
    settled = true;
    if (settlements !== 1) fail(`${label}: settled ${settlements} times`);
    if (outcome.ok) {
      stats.ok++;
      if (seen[seen.length - 1] !== "final") fail(`${label}: resolved, last event ${seen[seen.length - 1]}`);
    } else {
      const message = outcome.error instanceof Error ? outcome.error.message : "";
      if (!message) fail(`${label}: rejected without an Error message: ${String(outcome.error)}`);
      if (/panic/i.test(message)) fail(`${label}: panic text: ${message}`);
      if (message.includes("deadline")) stats.timedOut++;
      else if (message.includes("canceled")) stats.cancelled++;
      else stats.failed++;
    }
    if (session.isRunning()) fail(`${label}: session still running after settlement`);
    checkHistory(label, session, before, seed, outcome);
    // Late events would arrive before the next macrotask; look once more then.
    return new Promise((resolve) => setTimeout(resolve, 0));
  });
}

// A synchronous run now and then (between asynchronous ones).
function oneSyncRun() {
  const session = makeSession(pick(["echo", "tools"]));
  const seed = seedFor("tools");
  const before = session.turns();
  stats.sync++;
  try {
    const out = session.run(seed);
    checkHistory("sync run", session, before, seed, { ok: true, value: out });
  } catch (e) {
    if (!(e instanceof Error) || !e.message) fail("sync run threw without an Error message");
    checkHistory("sync run", session, before, seed, { ok: false, error: e });
  }
}

async function worker(deadline, id) {
  let n = 0;
  while (Date.now() < deadline && failures.length === 0) {
    await oneRun(id * 1000000 + n++);
    if (random() < 0.05) oneSyncRun();
  }
}

async function main() {
  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  let running = true;
  const report = () => {
    if (!running) return;
    console.log(`soak: progress t=${Math.round((Date.now() - started) / 1000)}s started=${stats.started}`);
    setTimeout(report, 5000);
  };
  setTimeout(report, 5000);
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, id) => worker(deadline, id)));
  running = false;
  if (failures.length > 0) throw new Error(`soak (seed ${SEED}): ${failures.length} failures:\n` + failures.join("\n"));
  const settled = stats.ok + stats.failed + stats.cancelled + stats.timedOut;
  if (settled !== stats.started) throw new Error(`soak: ${stats.started} runs started, ${settled} settled`);
  console.log(`soak: ok seed=${SEED} secs=${SECONDS} ${JSON.stringify(stats)} nested=${innerRuns}`);
}

main().catch((e) => {
  console.error(`soak failed (seed ${SEED}): ${e && e.message}`);
  throw e;
});
