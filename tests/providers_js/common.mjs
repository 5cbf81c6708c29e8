// common.mjs: the two-step tool loop every provider script runs against its fake server (the
// scripts are run by tests/providers_e2e.rs, which passes the server's address in
// FAKE_PROVIDER_URL and checks the requests). Step 1 streams two tool calls (`get_weather` for
// Paris, `go_double` of 21), step 2 streams the text "Hello, world!". `runToolLoop` registers the
// tools, runs the session with `start()`, collects the events and asserts the tool arguments and
// results, the output turn, the turn and step metadata and the events against what the provider
// script expects; it prints `<script>: ok` last.
import gp from "geppetto";
const T = gp.turns;

// ---- tiny local helpers ----------------------------------------------------------------------
/** `value` with object keys sorted, so comparisons ignore key order. */
function canon(value) {
  if (Array.isArray(value)) return value.map(canon);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = canon(value[key]);
    return out;
  }
  return value;
}
/** `eq(actual, expected, what)` and `check(cond, what)` for `script`, naming it in their errors. */
function asserts(script) {
  return {
    eq(actual, expected, what) {
      const a = JSON.stringify(canon(actual));
      const b = JSON.stringify(canon(expected));
      if (a !== b) throw new Error(`${script}: ${what}: expected ${b}, got ${a}`);
    },
    check(cond, what) {
      if (!cond) throw new Error(`${script}: ${what}`);
    },
  };
}
/** Tool arguments as an object, whether a block holds them as an object or as JSON text. */
const argsOf = (args) => (typeof args === "string" ? JSON.parse(args) : args);
/** Event types in order, consecutive `partial` events collapsed into one. */
function collapsedTypes(events) {
  const types = [];
  for (const ev of events) {
    if (ev.type === "partial" && types[types.length - 1] === "partial") continue;
    types.push(ev.type);
  }
  return types;
}

// ---- tools -------------------------------------------------------------------------------------
/** The two tools for the agent API scripts: `gp.tool` specs in a `gp.toolRegistry()`. */
export function agentTools() {
  const weather = gp
    .tool("get_weather")
    .description("Current weather for a city")
    .input({
      type: "object",
      properties: {
        location: { type: "string", description: "City name" },
        unit: { type: "string", enum: ["c", "f"] },
      },
      required: ["location"],
    })
    .handler((args) => ({ location: args.location, temperature: 18, unit: args.unit }))
    .build();
  const double = gp
    .tool("go_double")
    .description("Double a number")
    .input(gp.schema.object().property("n", gp.schema.number()).required("n"))
    .handler((args) => ({ value: args.n * 2 }))
    .build();
  return gp.toolRegistry().add(weather).add(double);
}
/** The two tools, recording each call in `called`. */
function registerTools(called) {
  return gp.tools
    .createRegistry()
    .register({
      name: "get_weather",
      description: "Current weather for a city",
      parameters: {
        type: "object",
        properties: {
          location: { type: "string", description: "City name" },
          unit: { type: "string", enum: ["c", "f"] },
        },
        required: ["location"],
      },
      handler: (args) => {
        called.push({ name: "get_weather", args });
        return { location: args.location, temperature: 18, unit: args.unit };
      },
    })
    .register({
      name: "go_double",
      description: "Double a number",
      parameters: { type: "object", properties: { n: { type: "number" } }, required: ["n"] },
      handler: (args) => {
        called.push({ name: "go_double", args });
        return { value: args.n * 2 };
      },
    });
}
const RESULTS = [
  { location: "Paris", temperature: 18, unit: "c" },
  { value: 42 },
];

/**
 * Runs the tool loop and checks it. `script` names the script in errors and in the last line;
 * `engineOptions` go to `gp.engines.fromConfig`, `toolLoop` to `createSession` (null: defaults).
 * `expect` holds what differs between providers:
 * - `blocks`: the output turn's block kinds;
 * - `checkCallIds(ids, { eq, check })`: checks the ids of the two tool_call blocks;
 * - `checkBlocks(blocks, { eq, check })` (optional): provider-specific checks of the output turn;
 * - `steps`: per engine step, the block kinds it added and its metadata (provider, model, usage,
 *   stop_reason; the last step's are also the turn's);
 * - `events`: the event types in order, consecutive partials collapsed (see `toolLoopEvents`);
 * - `partials`: the partial deltas; `finalTexts`: the texts of the `final` events.
 */
export async function runToolLoop({ script, engineOptions, toolLoop, expect }) {
  const helpers = asserts(script);
  const { eq, check } = helpers;

  // ---- the fake provider -----------------------------------------------------------------------
  const url = ENV.FAKE_PROVIDER_URL;
  check(typeof url === "string" && /^http:\/\/127\.0\.0\.1:\d+$/.test(url), "FAKE_PROVIDER_URL is the fake server: " + url);

  // ---- the session -----------------------------------------------------------------------------
  const called = [];
  const tools = registerTools(called);
  const engine = gp.engines.fromConfig(engineOptions);
  eq(engine.name, "config", "engine name");

  // A pass-through middleware records what each engine step of the tool loop added.
  const steps = [];
  const recordSteps = gp.middlewares.fromJS((turn, next) => {
    const out = next(turn);
    steps.push({ kinds: out.blocks.slice(turn.blocks.length).map((b) => b.kind), metadata: out.metadata });
    return out;
  }, "record-steps");

  const session = gp.createSession({ engine, tools, middlewares: [recordSteps], toolLoop });
  const seed = T.newTurn({
    blocks: [T.newSystemBlock("You are a weather bot."), T.newUserBlock("Weather in Paris, and double 21?")],
  });
  const run = session.start(seed);
  const events = [];
  const partials = [];
  run.on("partial", (ev) => partials.push(ev)).on("*", (ev) => events.push(ev));

  const out = await run.promise;

  // The tools ran once each, in call order, with the arguments streamed in pieces.
  eq(called, [
    { name: "get_weather", args: { location: "Paris", unit: "c" } },
    { name: "go_double", args: { n: 21 } },
  ], "tool calls");

  // The output turn: seed, first step, tool results, second step.
  eq(out.blocks.map((b) => b.kind), expect.blocks, "block kinds");
  const toolCalls = out.blocks.filter((b) => b.kind === "tool_call");
  const callIds = toolCalls.map((b) => b.payload.id);
  expect.checkCallIds(callIds, helpers);
  eq(toolCalls.map((b) => b.payload.name), ["get_weather", "go_double"], "tool_call names");
  eq(toolCalls.map((b) => argsOf(b.payload.args)), [{ location: "Paris", unit: "c" }, { n: 21 }], "tool_call args");
  const toolUses = out.blocks.filter((b) => b.kind === "tool_use");
  eq(toolUses.map((b) => b.payload.id), callIds, "tool_use blocks answer the calls, in order");
  eq(toolUses.map((b) => JSON.parse(b.payload.result)), RESULTS, "tool results");
  eq(toolUses.map((b) => b.payload.error), ["", ""], "no tool errors");
  const final = out.blocks[out.blocks.length - 1];
  eq(final.role, "assistant", "final block role");
  eq(final.payload.text, "Hello, world!", "final assistant text");
  if (expect.checkBlocks) expect.checkBlocks(out.blocks, helpers);

  // Turn metadata: the provider's report of the last step, plus the run's ids.
  for (const key of ["provider", "model", "usage", "stop_reason"]) {
    eq(out.metadata[key], expect.steps[1].metadata[key], "turn metadata." + key);
  }
  eq(out.metadata.session_id, run.sessionId, "turn metadata.session_id");
  eq(out.metadata.inference_id, run.inferenceId, "turn metadata.inference_id");

  // Each step of the loop, as the middleware saw it.
  eq(steps.length, 2, "two engine steps");
  for (let i = 0; i < 2; i++) {
    eq(steps[i].kinds, expect.steps[i].kinds, `step ${i + 1} blocks`);
    for (const key of ["provider", "model", "usage", "stop_reason"]) {
      eq(steps[i].metadata[key], expect.steps[i].metadata[key], `step ${i + 1} metadata.${key}`);
    }
  }

  // Events, in order.
  eq(collapsedTypes(events), expect.events, "event types");
  for (const ev of events) eq(ev.runId, run.runId, ev.type + " event runId");
  eq(partials.map((ev) => ev.delta), expect.partials, "partial deltas");
  let completion = "";
  let lastStart = -1;
  events.forEach((ev, index) => {
    if (ev.type === "start") {
      completion = "";
      lastStart = index;
    }
    if (ev.type !== "partial") return;
    completion += ev.delta;
    eq(ev.completion, completion, `partial ${index} completion (step starting at event ${lastStart})`);
  });
  eq(partials[partials.length - 1].completion, "Hello, world!", "last completion");
  const toolCallEvents = events.filter((ev) => ev.type === "tool-call");
  eq(toolCallEvents.map((ev) => ev.toolCall.id), callIds, "tool-call event ids");
  eq(toolCallEvents.map((ev) => ev.toolCall.name), ["get_weather", "go_double"], "tool-call event names");
  eq(toolCallEvents.map((ev) => JSON.parse(ev.toolCall.input)), [{ location: "Paris", unit: "c" }, { n: 21 }], "tool-call event inputs");
  const executes = events.filter((ev) => ev.type === "tool-call-execute");
  eq(executes.map((ev) => ev.toolCall.id), callIds, "tool-call-execute ids");
  const executed = events.filter((ev) => ev.type === "tool-call-execution-result");
  eq(executed.map((ev) => ev.toolResult.id), callIds, "tool-call-execution-result ids");
  eq(executed.map((ev) => JSON.parse(ev.toolResult.result)), RESULTS, "tool-call-execution-result results");
  eq(events.filter((ev) => ev.type === "final").map((ev) => ev.text), expect.finalTexts, "final event texts");

  console.log(script + ": ok");
}

/** `expect.checkCallIds` for providers whose call ids are fixed by the fixture. */
export const callIdsAre = (expected) => (ids, { eq }) => eq(ids, expected, "tool_call ids");

/** `expect.events`: the first step's event types, then the two tool executions and the text step. */
export const toolLoopEvents = (firstStep) => [
  ...firstStep,
  "tool-call-execute", "tool-call-execution-result", "tool-call-execute", "tool-call-execution-result",
  "start", "partial", "final",
];
