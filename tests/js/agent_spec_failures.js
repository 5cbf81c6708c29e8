// agent_spec_failures.js: failed and deadline-stopped runs of offline engines, as js-api-agent.md
// states them: event order, `inference-error` delivery, payloads, a throwing listener changing
// nothing, history unchanged.
const gp = require("geppetto");
const EventEmitter = require("events");

const checks = [];
const same = (a, b, what) => { if (JSON.stringify(a) !== JSON.stringify(b)) checks.push(`${what}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`); };
const em = new EventEmitter();
const names = [];
const payloads = {};
em.on("event", (p) => { names.push(p.type); payloads[p.type] = p; });
em.on("inference-error", (p) => names.push("inference-error:" + p.message));
em.on("run-failed", () => { throw new Error("listener boom"); });

const bad = gp.agent().engine(gp.engines.fromFunction(() => { throw new Error("nope"); })).events(em).build().session().build();
let failure;
try {
  bad.next().user("u").run();
} catch (e) {
  failure = e;
}
same([failure && failure.message, bad.turnCount()], ["js engine callback: nope", 0], "failed run");
same(names, ["run-started", "provider-call-started", "error", "inference-error:js engine callback: nope", "provider-call-finished", "run-failed"], "failed run events");
same([payloads["run-failed"].error, payloads["run-failed"].message], ["js engine callback: nope", "js engine callback: nope"], "run-failed payload");
same([payloads["provider-call-finished"].finishClass, payloads["provider-call-finished"].hasToolCalls], ["failed", false], "failed provider-call-finished");

names.length = 0;
const slow = gp.agent().engine(gp.engines.fromFunction((t) => { for (;;) {} })).events(em).build().session().build();
try {
  slow.next().user("u").run({ timeoutMs: 50 });
  checks.push("deadline run returned");
} catch (e) {
  same(e.message, "inference canceled: deadline exceeded", "deadline text");
}
same(names, ["run-started", "provider-call-started", "interrupt", "provider-call-finished", "run-stopped"], "deadline events");
same([payloads["run-stopped"].reason, payloads.interrupt.text, payloads["provider-call-finished"].finishClass], ["deadline exceeded", "", "cancelled"], "deadline payloads");
same(slow.turnCount(), 0, "history unchanged after deadline");

if (checks.length) throw new Error("spec mismatches:\n" + checks.join("\n"));
