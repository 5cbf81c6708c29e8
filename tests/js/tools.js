// tools.js: tool registries (createRegistry, register, list, call, useGoTools/useHostTools), the
// host tools go_double and go_concat, handler ctx, and Promise-returning handlers.
const gp = require("geppetto");
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
  if (!msgOf(err).includes(text)) {
    throw new Error(`expected an error containing "${text}", got "${msgOf(err)}"`);
  }
  return err;
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}
/** registry.call blocks until the handler (awaited when it returns a Promise) is done: a value, never a Promise. */
async function callResult(registry, name, args) {
  const r = registry.call(name, args);
  assert(!(r instanceof Promise), `call(${name}) returns the result, not a Promise`);
  return r;
}
/**
 * A function engine that asks for the given tool calls when the last block is a user block,
 * and answers with the tool results once the tool_use blocks are there.
 */
function scriptedEngine(calls) {
  return gp.engines.fromFunction((turn) => {
    const lastBlock = turn.blocks[turn.blocks.length - 1];
    if (lastBlock.kind === "user") {
      let t = turn;
      for (const c of calls) t = T.appendBlock(t, T.newToolCallBlock(c.id, c.name, c.args));
      return t;
    }
    const results = turn.blocks.filter((b) => b.kind === "tool_use").map((b) => b.payload.result);
    return T.appendBlock(turn, T.newAssistantBlock("results: " + results.join(" ")));
  });
}
const toolUses = (turn) => turn.blocks.filter((b) => b.kind === "tool_use");

async function main() {
  // ---- register / list / call ------------------------------------------------------------------
  const reg = gp.tools.createRegistry();
  const same = reg.register({
    name: "add",
    description: "Add two numbers",
    parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
    handler: ({ a, b }) => a + b,
  });
  assert(same === reg, "register returns the registry itself");
  same.register({ name: "echo_args", handler: (args) => args }); // description and parameters are optional

  const listed = reg.list();
  assert(Array.isArray(listed), "list() is an array");
  const add = listed.find((t) => t.name === "add");
  assert(add, "list() has add: " + JSON.stringify(listed));
  eq(add.description, "Add two numbers", "listed description");
  for (const k of ["name", "description", "version", "tags"]) assert(k in add, `list() entry has ${k}: ` + JSON.stringify(add));
  assert(listed.some((t) => t.name === "echo_args"), "list() has echo_args");

  eq(await callResult(reg, "add", { a: 2, b: 3 }), 5, "call add");
  eq(await callResult(reg, "echo_args", { deep: { x: [1, 2] } }), { deep: { x: [1, 2] } }, "JSON args round-trip");

  // Any JSON value may be a result.
  reg.register({ name: "str", handler: () => "text" });
  reg.register({ name: "nul", handler: () => null });
  reg.register({ name: "arr", handler: () => [1, "two", { three: 3 }] });
  eq(await callResult(reg, "str", {}), "text", "string result");
  eq(await callResult(reg, "nul", {}), null, "null result");
  eq(await callResult(reg, "arr", {}), [1, "two", { three: 3 }], "array result");

  // Errors of register and call.
  expectThrow(() => reg.register(), "register requires tool spec");
  expectThrow(() => reg.register({ handler: () => 1 }), "tool name is required");
  expectThrow(() => reg.register({ name: "", handler: () => 1 }), "tool name is required");
  expectThrow(() => reg.register({ name: "nohandler" }), "tool nohandler handler must be a function");
  expectThrow(() => reg.register({ name: "badhandler", handler: "nope" }), "tool badhandler handler must be a function");
  expectThrow(() => reg.call(), "call requires tool name");

  // A throwing handler: call throws the tool's error.
  reg.register({
    name: "boom",
    handler: () => {
      throw new Error("kaboom");
    },
  });
  let err = "";
  try {
    await callResult(reg, "boom", {});
  } catch (e) {
    err = msgOf(e);
  }
  assert(err.includes("js tool boom: kaboom"), "call rethrows the tool error: " + err);

  // Promise-returning handler: awaited.
  reg.register({
    name: "slow_upper",
    handler: (args) => new Promise((resolve) => setTimeout(() => resolve(String(args.s).toUpperCase()), 10)),
  });
  reg.register({ name: "async_fn", handler: async ({ n }) => n * 10 });
  eq(await callResult(reg, "slow_upper", { s: "abc" }), "ABC", "Promise-returning handler via call");
  eq(await callResult(reg, "async_fn", { n: 4 }), 40, "async handler via call");

  // ---- host tools ----------------------------------------------------------------------------
  const all = gp.tools.createRegistry().useGoTools();
  const names = all.list().map((t) => t.name);
  assert(names.includes("go_double") && names.includes("go_concat"), "useGoTools() imports every host tool: " + names);
  const dbl = all.list().find((t) => t.name === "go_double");
  eq(dbl.description, "Double a number and return {value}", "go_double description");
  eq(await callResult(all, "go_double", { n: 21 }), { value: 42 }, "go_double");
  eq(await callResult(all, "go_concat", { a: "foo", b: "bar" }), { value: "foobar" }, "go_concat");

  const some = gp.tools.createRegistry().useGoTools(["go_double"]);
  eq(some.list().map((t) => t.name), ["go_double"], "useGoTools(names) imports only those");

  const alias = gp.tools.createRegistry().useHostTools(["go_concat"]);
  eq(alias.list().map((t) => t.name), ["go_concat"], "useHostTools is an alias");
  const chained = gp.tools.createRegistry().useHostTools().register({ name: "mine", handler: () => 1 });
  eq(chained.list().length, 3, "host and JS tools mix in one registry");

  // ---- handler ctx, inside a tool loop run -----------------------------------------------------
  const ctxs = [];
  const ctxReg = gp.tools.createRegistry().register({
    name: "probe",
    handler: (args, ctx) => {
      ctxs.push(ctx);
      return { got: args.v };
    },
  });
  const session = gp.createSession({
    engine: scriptedEngine([{ id: "call-probe", name: "probe", args: { v: 1 } }]),
    tools: ctxReg,
  });
  const out = session.run(T.newTurn({ blocks: [T.newUserBlock("go")] }), { tags: { who: "tools.js" } });
  eq(ctxs.length, 1, "handler called once");
  const ctx = ctxs[0];
  eq(ctx.toolName, "probe", "ctx.toolName");
  assert(typeof ctx.timestampMs === "number" && ctx.timestampMs > 1.6e12, "ctx.timestampMs");
  eq(ctx.sessionId, out.metadata.session_id, "ctx.sessionId");
  eq(ctx.inferenceId, out.metadata.inference_id, "ctx.inferenceId");
  eq(ctx.tags, { who: "tools.js" }, "ctx.tags");
  eq(ctx.callId, "call-probe", "ctx.callId");
  eq(ctx.callName, "probe", "ctx.callName");
  for (const k of Object.keys(ctx)) assert(ctx[k] !== null, `ctx.${k} absent rather than null`);
  eq(JSON.parse(toolUses(out)[0].payload.result), { got: 1 }, "tool result in the turn");

  // Direct call: ctx has toolName and timestampMs.
  let directCtx = null;
  const direct = gp.tools.createRegistry().register({ name: "d", handler: (a, c) => ((directCtx = c), true) });
  await callResult(direct, "d", {});
  eq(directCtx.toolName, "d", "direct call ctx.toolName");
  assert(typeof directCtx.timestampMs === "number", "direct call ctx.timestampMs");

  // Promise-returning handlers are awaited inside the loop as well (async run).
  const asyncReg = gp.tools.createRegistry().register({
    name: "later",
    handler: (args) => new Promise((resolve) => setTimeout(() => resolve({ later: args.n }), 20)),
  });
  const asyncOut = await gp
    .createSession({ engine: scriptedEngine([{ id: "c-later", name: "later", args: { n: 5 } }]), tools: asyncReg })
    .runAsync(T.newTurn({ blocks: [T.newUserBlock("go")] }));
  eq(JSON.parse(toolUses(asyncOut)[0].payload.result), { later: 5 }, "async handler result in the loop");
  eq(toolUses(asyncOut)[0].payload.error, "", "async handler no error");

  // ... and in a synchronous run, too (an async handler that only awaits microtasks).
  const microReg = gp.tools.createRegistry().register({
    name: "later",
    handler: async (args) => {
      await null;
      return { later: args.n };
    },
  });
  const syncOut = gp
    .createSession({ engine: scriptedEngine([{ id: "c-later2", name: "later", args: { n: 6 } }]), tools: microReg })
    .run(T.newTurn({ blocks: [T.newUserBlock("go")] }));
  eq(JSON.parse(toolUses(syncOut)[0].payload.result), { later: 6 }, "async handler in a sync run");

  console.log("tools.js: ok");
}

main();
