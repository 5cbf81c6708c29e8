// hostile_input.mjs: calls every function of the `geppetto` module (namespaces, handle methods,
// builder and registry methods) and the harness globals with generated hostile arguments and a
// generated `this`, then checks that the same runtime still runs a session, a tool loop and a
// start() correctly. Run by tests/hostile_input.rs; see docs/reliability.md.
//
//   GEPPETTO_HOSTILE_SEED=<u32> GEPPETTO_HOSTILE_ITERATIONS=<n> geppetto run tests/generated_input/hostile_input.mjs
//
// Checks: every throw (and every rejection) is an Error with a non-empty message, no message
// mentions a panic; the Rust side (tests/hostile_input.rs) checks the exit status and that no
// panic text reaches stdout or stderr.
import gp from "geppetto";
import { seededRandom } from "./prng.mjs";
const T = gp.turns;

const SEED = Number(ENV.GEPPETTO_HOSTILE_SEED || 1) >>> 0;
const ITERATIONS = Math.max(0, Math.floor(Number(ENV.GEPPETTO_HOSTILE_ITERATIONS || 1000))) || 0;

const random = seededRandom(SEED);
const pick = (items) => items[Math.floor(random() * items.length)];
const chance = (p) => random() < p;

// ---- hostile values --------------------------------------------------------------------------
const HUGE = "x".repeat(10 * 1024 * 1024); // 10 MB
const NUMBERS = [NaN, Infinity, -Infinity, -0, 0, 1, 3, 0.5, -1, -12345, 1e300, -1e300, 2 ** 31, 2 ** 32,
  2 ** 53 + 1, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON];
const STRINGS = ["", " ", "x", "\uD800", "\uDC00x\uD800", "a\u0000b", "\u0000", "__proto__", "constructor",
  "toString", "*", "openai", "claude", "gemini", "systemPrompt", "go_double", "auto", "retry", "abort",
  "fail-open", "user", "tool_call", "😀".repeat(1000), "{\"a\":", "\n\r\t"];

function cyclicObject() {
  const o = { a: 1 };
  o.self = o;
  return o;
}
function cyclicArray() {
  const a = [1];
  a.push(a);
  return a;
}
function throwingGetter() {
  return Object.defineProperty({}, "blocks", { enumerable: true, get() { throw new Error("getter says no"); } });
}
function throwingToJSON() {
  return { toJSON() { throw new Error("toJSON says no"); } };
}
function throwingProxy() {
  const fail = () => { throw new Error("proxy trap says no"); };
  return new Proxy({}, { get: fail, has: fail, ownKeys: fail, getOwnPropertyDescriptor: fail, set: fail,
    defineProperty: fail, deleteProperty: fail, getPrototypeOf: fail, apply: fail });
}
function throwingFunctionProxy() {
  const fail = () => { throw new Error("function proxy says no"); };
  return new Proxy(function () {}, { get: fail, apply: fail, has: fail });
}
function deepArray(depth) {
  let v = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
function throwingValueOf() {
  return { valueOf() { throw new Error("valueOf says no"); }, toString() { throw new Error("toString says no"); } };
}

// Handles to mix in, so calls get past the first type check now and then.
const echoEngine = gp.engines.echo({ reply: "hostile" });
const fnEngine = gp.engines.fromFunction((turn) => T.appendBlock(turn, T.newAssistantBlock("fn")));
const validTurn = () => T.newTurn({ blocks: [T.newUserBlock("hi")] });

function functionValue() {
  return pick([
    () => undefined,
    () => { throw new Error("callback says no"); },
    () => { throw "a string, not an Error"; }, // eslint-disable-line no-throw-literal
    async () => 1,
    (turn) => turn,
    () => ({ blocks: "not an array" }),
    () => hostile(1),
    function () { return this; },
    throwingFunctionProxy(),
    Symbol,
    Math.max,
  ]);
}

function objectValue(depth) {
  return pick([
    () => ({}),
    () => [],
    () => Object.create(null),
    () => Object.freeze({ engine: echoEngine, blocks: [], name: "frozen" }),
    cyclicObject,
    cyclicArray,
    throwingGetter,
    throwingToJSON,
    throwingProxy,
    throwingValueOf,
    () => deepArray(200000),
    () => new Date(NaN),
    () => /re/g,
    () => new Map([[1, 2]]),
    () => new Error("an error as data"),
    () => Promise.resolve(1),
    () => new Uint8Array(16),
    () => validTurn(),
    () => ({ blocks: [hostile(depth + 1), { kind: hostile(depth + 1), payload: hostile(depth + 1) }] }),
    () => ({ kind: hostile(depth + 1), role: hostile(depth + 1), text: hostile(depth + 1), payload: hostile(depth + 1) }),
    () => ({ engine: pick([echoEngine, fnEngine, hostile(depth + 1)]), middlewares: hostile(depth + 1),
      tools: hostile(depth + 1), toolLoop: optionsValue(depth + 1), toolHooks: hooksValue(depth + 1) }),
    () => optionsValue(depth + 1),
    () => hooksValue(depth + 1),
    () => ({ name: hostile(depth + 1), description: hostile(depth + 1), parameters: hostile(depth + 1), handler: functionValue() }),
    () => ({ apiType: pick(["openai", "openai-responses", "claude", "anthropic", "gemini", hostile(depth + 1)]),
      model: hostile(depth + 1), apiKey: "k", baseURL: pick(["http://127.0.0.1:9", hostile(depth + 1)]),
      temperature: numberValue(), topP: numberValue(), maxTokens: numberValue(), timeoutSeconds: numberValue(),
      timeoutMs: numberValue() }),
  ])();
}

// Tool-loop settings and run options with hostile values (never letting a run wait for real:
// the engines in play never ask for tools).
function optionsValue(depth) {
  const o = {};
  for (const key of ["enabled", "maxIterations", "maxParallelTools", "executionTimeoutMs", "toolChoice",
    "toolErrorHandling", "retryMaxRetries", "retryBackoffMs", "retryBackoffFactor", "allowedTools", "timeoutMs", "tags"]) {
    if (chance(0.3)) o[key] = chance(0.6) ? numberValue() : hostile(depth + 1);
  }
  return o;
}
function hooksValue(depth) {
  const o = {};
  for (const key of ["beforeToolCall", "afterToolCall", "onToolError"]) if (chance(0.4)) o[key] = chance(0.7) ? functionValue() : hostile(depth + 1);
  for (const key of ["hookErrorPolicy", "onHookError", "failOpen", "maxHookRetries"]) if (chance(0.3)) o[key] = hostile(depth + 1);
  return o;
}

function numberValue() {
  return pick(NUMBERS);
}

function hostile(depth) {
  if (depth > 2) return pick([undefined, null, 0, "", NaN]);
  switch (Math.floor(random() * 11)) {
    case 0: return numberValue();
    case 1: return pick(STRINGS);
    case 2: return chance(0.05) ? HUGE : pick(STRINGS);
    case 3: return pick([undefined, null, true, false]);
    case 4: return pick([10n, -(2n ** 80n), Symbol("s"), Symbol.iterator]);
    case 5: return functionValue();
    case 6: case 7: return objectValue(depth);
    case 8: return pick([echoEngine, fnEngine, gp.tools.createRegistry(), gp.middlewares.go("systemPrompt", { prompt: "p" }),
      gp.middlewares.fromJS((t, next) => next(t)), gp.createBuilder(), gp.createSession({ engine: echoEngine })]);
    case 9: return validTurn();
    default: return gp;
  }
}

// ---- targets: every function reachable from the module, plus the harness globals -------------
function session() {
  return gp.createSession({ engine: pick([echoEngine, fnEngine]) });
}
function targets() {
  const list = [];
  const add = (name, holder) => {
    for (const key of Object.keys(holder)) if (typeof holder[key] === "function") list.push([name + "." + key, holder[key], holder]);
  };
  add("gp", gp);
  add("gp.turns", gp.turns);
  add("gp.engines", gp.engines);
  add("gp.middlewares", gp.middlewares);
  add("gp.tools", gp.tools);
  add("registry", gp.tools.createRegistry().register({ name: "t", handler: (args) => args }));
  add("builder", gp.createBuilder());
  add("session", session());
  const handle = session().start(validTurn());
  watch("runHandle", handle); // hostile calls may cancel it
  add("runHandle", handle);
  for (const name of ["sleep", "setTimeout", "clearTimeout", "assert", "require"]) list.push([name, globalThis[name], globalThis]);
  list.push(["console.log", console.log, console]);
  list.push(["console.error", console.error, console]);
  return list;
}

// ---- the run ---------------------------------------------------------------------------------
const failures = [];
let calls = 0;
let throws = 0;
let rejections = 0;
const pending = [];

const messages = new Map(); // error message (numbers elided) -> count, for GEPPETTO_HOSTILE_VERBOSE
function checkError(where, e) {
  const message = e instanceof Error ? String(e.message) : undefined;
  if (message !== undefined) {
    const key = where.replace(/^#\d+ /, "").replace(/\(.*/, "") + ": " + message.slice(0, 90).replace(/\d+/g, "N");
    messages.set(key, (messages.get(key) || 0) + 1);
  }
  if (!(e instanceof Error)) failures.push(`${where}: threw a non-Error ${typeof e}: ${safeText(e)}`);
  else if (message === "") failures.push(`${where}: threw an Error with an empty message`);
  else if (/panick|panic/i.test(message)) failures.push(`${where}: panic text reached JS: ${message.slice(0, 300)}`);
}
function safeText(value) {
  try {
    return String(value).slice(0, 200);
  } catch (e) {
    return "<unprintable>";
  }
}
// A promise (or a handle's promise) from a call: its rejection must be a proper Error as well.
function watch(where, value) {
  let promise;
  try {
    promise = value instanceof Promise ? value : value && typeof value === "object" && value.promise instanceof Promise ? value.promise : undefined;
  } catch (e) {
    return;
  }
  if (promise) pending.push(promise.then(() => undefined, (e) => { rejections++; checkError(where + " (rejection)", e); }));
}

// Arguments that are valid but for one hostile field, so calls get past the argument checks of
// the glue and reach the native side's option and turn decoding.
const field = (base, keys) => {
  const key = pick(keys);
  base[key] = chance(0.5) ? numberValue() : hostile(1);
  return base;
};
const TOOL_LOOP_KEYS = ["enabled", "maxIterations", "maxParallelTools", "executionTimeoutMs", "toolChoice",
  "toolErrorHandling", "retryMaxRetries", "retryBackoffMs", "retryBackoffFactor", "allowedTools", "hooks"];
const HOOK_KEYS = ["beforeToolCall", "afterToolCall", "onToolError", "hookErrorPolicy", "onHookError", "failOpen", "maxHookRetries"];
const PROVIDER_KEYS = ["apiType", "provider", "model", "apiKey", "baseURL", "temperature", "topP", "maxTokens",
  "timeoutSeconds", "timeoutMs", "profile"];
const hostileTurn = () => field({ blocks: [field({ kind: "user", role: "user", payload: { text: "hi" } }, ["kind", "role", "payload", "id", "metadata", "text"])] },
  ["id", "metadata", "data", "blocks"]);
const runOptions = () => field({}, ["timeoutMs", "tags"]);
const SHAPED = {
  "gp.createSession": () => [field({ engine: echoEngine, toolLoop: {}, toolHooks: {} }, ["middlewares", "tools", "toolLoop", "toolHooks"])],
  "gp.createBuilder": () => [field({ engine: echoEngine }, ["middlewares", "tools", "toolLoop", "toolHooks"])],
  "gp.runInference": () => [pick([echoEngine, fnEngine]), chance(0.5) ? hostileTurn() : validTurn(), runOptions()],
  "gp.turns.newTurn": () => [field({ blocks: [] }, ["id", "blocks", "metadata", "data"])],
  "gp.turns.normalize": () => [hostileTurn()],
  "gp.turns.appendBlock": () => [validTurn(), field({ kind: "user", payload: {} }, ["kind", "role", "payload", "id", "metadata", "args", "result"])],
  "gp.engines.fromConfig": () => [field({ apiType: "openai", model: "m", apiKey: "k" }, PROVIDER_KEYS)],
  "gp.engines.fromProfile": () => [pick(["4o-mini", "claude-x", "gemini-y", "o3", hostile(1)]), field({ apiKey: "k" }, PROVIDER_KEYS)],
  "gp.middlewares.go": () => [pick(["systemPrompt", "reorderToolResults", "turnLogging"]), field({ prompt: "p" }, ["prompt"])],
  "registry.register": () => [field({ name: "t" + Math.floor(random() * 4), handler: (args) => args }, ["name", "description", "parameters", "handler"])],
  "registry.call": () => [pick(["t", "go_double", "go_concat"]), field({ n: 1, a: "a", b: "b" }, ["n", "a", "b"])],
  "registry.useGoTools": () => [[pick(["go_double", "go_concat", hostile(1)])]],
  "builder.withToolLoop": () => [field({}, TOOL_LOOP_KEYS)],
  "builder.withTools": () => [gp.tools.createRegistry(), field({}, TOOL_LOOP_KEYS)],
  "builder.withToolHooks": () => [field({}, HOOK_KEYS)],
  "builder.useGoMiddleware": () => [pick(["systemPrompt", "nope", ""]), field({}, ["prompt"])],
  "session.run": () => [chance(0.5) ? hostileTurn() : validTurn(), runOptions()],
  "session.runAsync": () => [chance(0.5) ? hostileTurn() : validTurn(), runOptions()],
  "session.start": () => [chance(0.5) ? hostileTurn() : validTurn(), runOptions()],
  "session.append": () => [hostileTurn()],
  "session.getTurn": () => [numberValue()],
  "session.turnsRange": () => [numberValue(), numberValue()],
  "runHandle.on": () => [pick(["*", "", " final ", "partial", hostile(1)]), functionValue()],
  sleep: () => [pick([0, 1, 0.25, NaN, -1, Infinity, 1e300, 2 ** 31, -0])],
  setTimeout: () => [functionValue(), numberValue()],
};

function callOnce(list, index) {
  const [name, fn] = pick(list);
  let args = [];
  if (SHAPED[name] && chance(0.5)) {
    args = SHAPED[name]();
  } else {
    const n = Math.floor(random() * 5);
    for (let i = 0; i < n; i++) args.push(name.startsWith("console.") ? pick(NUMBERS.concat(STRINGS)) : hostile(0));
  }
  const self = chance(0.5) ? undefined : hostile(0);
  const where = `#${index} ${name}(${args.map((a) => typeof a).join(", ")})`;
  calls++;
  let result;
  try {
    result = Reflect.apply(fn, self, args);
  } catch (e) {
    // A throwing function passed where a callback or value is expected may surface as itself.
    if (!(typeof e === "string" && e === "a string, not an Error")) {
      throws++;
      checkError(where, e);
    }
    return;
  }
  if (name === "setTimeout" && typeof result === "number") clearTimeout(result);
  watch(where, result);
}

let list = targets();
for (let i = 0; i < ITERATIONS; i++) {
  if (i % 50 === 49) list = targets(); // fresh handles now and then (hostile calls may have changed them)
  callOnce(list, i);
}

async function afterwards() {
  await Promise.all(pending);
  // The same runtime still works: a session, a tool loop and a start().
  const s = gp.createSession({ engine: gp.engines.echo({ reply: "still fine" }) });
  const out = s.run(validTurn());
  assert(out.blocks[1].payload.text === "still fine", "session run after the hostile calls");

  const registry = gp.tools.createRegistry().register({ name: "inc", handler: ({ n }) => ({ n: n + 1 }) });
  const loopEngine = gp.engines.fromFunction((turn) => {
    const use = turn.blocks.find((b) => b.kind === "tool_use");
    return T.appendBlock(turn, use ? T.newAssistantBlock("result " + use.payload.result)
      : T.newToolCallBlock("c1", "inc", { n: 41 }));
  });
  const looped = gp.createBuilder().withEngine(loopEngine).withTools(registry, { maxIterations: 3 }).buildSession().run(validTurn());
  const text = looped.blocks[looped.blocks.length - 1].payload.text;
  assert(text === 'result {"n":42}', "tool loop after the hostile calls: " + text);

  const events = [];
  const h = gp.createSession({ engine: gp.engines.echo({ reply: "streamed" }) }).start(validTurn());
  h.on("*", (e) => events.push(e.type));
  const started = await h.promise;
  assert(started.blocks[1].payload.text === "streamed", "start() after the hostile calls");
  assert(JSON.stringify(events) === '["start","final"]', "start() events: " + JSON.stringify(events));

  if (failures.length > 0) {
    throw new Error(`hostile input (seed ${SEED}): ${failures.length} failures:\n` + failures.slice(0, 40).join("\n"));
  }
  if (ENV.GEPPETTO_HOSTILE_VERBOSE) {
    for (const [key, count] of [...messages].sort((a, b) => b[1] - a[1])) console.error(`${count}\t${key}`);
  }
  console.log(`hostile: ok seed=${SEED} calls=${calls} throws=${throws} rejections=${rejections}`);
}

afterwards().catch((e) => {
  console.error(`hostile input failed (seed ${SEED}): ${e && e.stack ? e.message + "\n" + e.stack : e}`);
  throw e;
});
