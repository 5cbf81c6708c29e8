// option_ranges.js: every option a script passes is checked where it enters. Out-of-range numbers
// (NaN, ±Infinity, negatives, fractions for counts, 1e300) and wrong types give a catchable
// RangeError/TypeError naming the option and what it accepts, never a crash; the runtime keeps
// working afterwards.
const gp = require("geppetto");

function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}

const engine = gp.engines.echo({ reply: "ok" });
const registry = gp.tools.createRegistry().register({ name: "t", handler: () => 1 });
const session = () => gp.createSession({ engine });
const seed = { blocks: [{ kind: "user", payload: { text: "hi" } }] };
const config = (extra) => Object.assign({ apiType: "openai", model: "m", apiKey: "k", baseURL: "http://127.0.0.1:9/v1" }, extra);

// [name, call, error class, message substring]
const cases = [
  ["fromConfig timeoutMs 1e300", () => gp.engines.fromConfig(config({ timeoutMs: 1e300 })), RangeError,
    "timeoutMs must be a number from 0 to 9007199254740991, got 1e+300"],
  ["fromConfig timeoutMs NaN", () => gp.engines.fromConfig(config({ timeoutMs: NaN })), RangeError, "timeoutMs must be a number"],
  ["fromConfig timeoutSeconds Infinity", () => gp.engines.fromConfig(config({ timeoutSeconds: Infinity })), RangeError,
    "timeoutSeconds must be a number from 0 to"],
  ["fromConfig maxTokens 1e300", () => gp.engines.fromConfig(config({ maxTokens: 1e300 })), RangeError,
    "maxTokens must be an integer from 1 to 4294967295, got 1e+300"],
  ["fromConfig maxTokens fraction", () => gp.engines.fromConfig(config({ maxTokens: 2.5 })), RangeError, "got 2.5"],
  ["fromConfig temperature -1", () => gp.engines.fromConfig(config({ temperature: -1 })), RangeError,
    "temperature must be a number from 0 to 2, got -1"],
  ["fromConfig topP string", () => gp.engines.fromConfig(config({ topP: "high" })), TypeError, "topP must be a number, got string"],
  ["fromConfig model number", () => gp.engines.fromConfig(config({ model: 5 })), TypeError, "model must be a string, got number"],
  ["fromConfig no model", () => gp.engines.fromConfig({ apiType: "openai" }), TypeError, "fromConfig requires model"],
  ["fromProfile timeoutMs -Infinity", () => gp.engines.fromProfile("gpt-4o", { timeoutMs: -Infinity }), RangeError, "timeoutMs must be"],
  ["run timeoutMs 1e300", () => session().run(seed, { timeoutMs: 1e300 }), RangeError,
    "timeoutMs must be a number from 0 to 9007199254740991, got 1e+300"],
  ["run timeoutMs Infinity", () => session().run(seed, { timeoutMs: Infinity }), RangeError, "got Infinity"],
  ["run timeoutMs negative", () => session().run(seed, { timeoutMs: -1 }), TypeError, "timeoutMs must be >= 0"],
  ["start timeoutMs NaN", () => session().start(seed, { timeoutMs: NaN }), RangeError, "got NaN"],
  ["run tags string", () => session().run(seed, { tags: "x" }), TypeError, "tags must be an object, got string"],
  ["maxIterations 1e300", () => gp.createBuilder().withTools(registry, { maxIterations: 1e300 }), RangeError,
    "maxIterations must be an integer from -4294967295 to 4294967295, got 1e+300"],
  ["maxParallelTools fraction", () => gp.createSession({ engine, tools: registry, toolLoop: { maxParallelTools: 1.5 } }), RangeError,
    "maxParallelTools must be an integer from -4294967295 to 4294967295, got 1.5"],
  ["retryMaxRetries NaN", () => gp.createBuilder().withToolLoop({ retryMaxRetries: NaN }), RangeError, "retryMaxRetries"],
  ["executionTimeoutMs 1e300", () => gp.createBuilder({ toolLoop: { executionTimeoutMs: 1e300 } }), RangeError, "executionTimeoutMs"],
  ["retryBackoffFactor Infinity", () => gp.createBuilder().withToolLoop({ retryBackoffFactor: Infinity }), RangeError, "retryBackoffFactor"],
  ["allowedTools not strings", () => gp.createBuilder().withToolLoop({ allowedTools: [1] }), TypeError, "allowedTools must be an array of strings"],
  ["maxHookRetries Infinity", () => gp.createSession({ engine, tools: registry, toolHooks: { maxHookRetries: Infinity } }), RangeError,
    "maxHookRetries"],
  ["failOpen string", () => gp.createSession({ engine, tools: registry, toolHooks: { failOpen: "yes" } }), TypeError,
    "failOpen must be a boolean, got string"],
  ["cyclic tags", () => { const t = {}; t.t = t; session().run(seed, { tags: t }); }, TypeError, "circular"],
  ["throwing getter", () => session().run(seed, { get timeoutMs() { throw new Error("getter says no"); } }), Error, "getter says no"],
];

for (const [name, call, type, text] of cases) {
  const e = thrown(call);
  assert(e !== null, name + ": expected a throw");
  assert(e instanceof type, name + ": expected " + type.name + ", got " + (e && e.name) + ": " + (e && e.message));
  assert(String(e.message).includes(text), name + ": got " + e.message);
  assert(!String(e.message).includes("panicked"), name + ": panic text reached JS");
}

// In-range values are accepted, and the runtime still works after all those throws.
gp.engines.fromConfig(config({ timeoutMs: 1500.7, maxTokens: 4294967295, temperature: 2, topP: 0 }));
// Negative and zero counts and durations keep the meanings the original gave them.
const s = gp.createSession({ engine, tools: registry, toolLoop: { maxIterations: 0, maxParallelTools: -1, executionTimeoutMs: -1, retryMaxRetries: -2 } });
const out = s.run(seed, { timeoutMs: 9007199254740991, tags: { k: 1 } });
assert(out.blocks[out.blocks.length - 1].payload.text === "ok", "a run with extreme but valid options completes");

// A hook answer out of range is the hook's error (fail-closed), not a wait of 1e300 ms.
{
  const failing = gp.tools.createRegistry().register({ name: "boom", handler: () => { throw new Error("down"); } });
  let calls = 0;
  const engine2 = gp.engines.fromFunction((turn) => {
    calls++;
    if (calls === 1) turn.blocks.push({ kind: "tool_call", role: "assistant", payload: { id: "c1", name: "boom", args: {} } });
    else turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "done" } });
    return turn;
  });
  const hooked = gp.createSession({ engine: engine2, tools: failing, toolHooks: { onToolError: () => ({ retry: true, backoffMs: 1e300 }) } });
  const result = hooked.run(seed);
  const use = result.blocks.find((b) => b.kind === "tool_use");
  assert(use.payload.error === "onToolError hook: backoffMs must be a number from 0 to 9007199254740991, got 1e+300",
    "hook answer out of range: " + use.payload.error);
}

// Free-form values follow JSON.stringify's rules when they cross into Rust.
const registry2 = gp.tools.createRegistry().register({ name: "echo", handler: (args) => args });
const echoed = registry2.call("echo", { a: undefined, b: NaN, c: -0, d: new Date(0), e: [undefined, () => 1], f: "\ud800" });
assert(JSON.stringify(echoed) === JSON.stringify({ b: null, c: 0, d: "1970-01-01T00:00:00.000Z", e: [null, null], f: "\ufffd" }),
  "tool args follow JSON rules: " + JSON.stringify(echoed));

console.log("option_ranges.js: ok");
