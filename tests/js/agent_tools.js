// agent_tools.js: gp.schema, gp.tool, gp.toolRegistry, agent().tool(spec | registry) and the
// agent tool loop defaults (js-api-agent.md § Tools and schema).
const gp = require("geppetto");

// ---- tiny local helpers ----------------------------------------------------------------------
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(what + ": expected " + e + ", got " + a);
}
function expectThrow(fn, name, message) {
  try {
    fn();
  } catch (e) {
    eq([e.name, e.message], [name, message], "thrown error");
    return e;
  }
  throw new Error("expected a throw: " + message);
}

// ---- schemas ---------------------------------------------------------------------------------
const S = gp.schema;
eq([S.string().toJSON(), S.integer().toJSON(), S.number().toJSON(), S.boolean().toJSON(), S.array().toJSON()],
  [{ type: "string" }, { type: "integer" }, { type: "number" }, { type: "boolean" }, { type: "array" }], "scalar schemas");
eq(S.object().toJSON(), { type: "object", properties: {} }, "object schema");
eq(S.enum("a", "b").toJSON(), { enum: ["a", "b"] }, "enum schema");
const base = S.object();
const person = base
  .description("a person")
  .property("name", S.string().description("full name"))
  .property("age", { type: "integer" })
  .property("tags", S.array().items(S.string().build()))
  .required("name", " ", " age ");
eq(base.toJSON(), { type: "object", properties: {} }, "builders are immutable");
eq(person.toJSON(), {
  type: "object",
  properties: { name: { type: "string", description: "full name" }, age: { type: "integer" }, tags: { type: "array", items: { type: "string" } } },
  description: "a person",
  required: ["name", "age"],
}, "object schema with properties");
eq(person.required(["x"]).toJSON().required, ["x"], "required replaces, from an array too");
eq(S.string().property("p", S.number()).toJSON(), { type: "string", properties: { p: { type: "number" } } }, "property creates properties");
const built = person.build();
eq(Object.keys(built), ["toJSON", "clone"], "Schema methods");
eq(built.clone().toJSON(), person.toJSON(), "Schema clone");
expectThrow(() => S.object().property("x"), "TypeError", "schema.object().property requires name and schema");
expectThrow(() => S.object().property(" ", S.string()), "TypeError", "schema property name must not be empty");
expectThrow(() => S.array().items(), "TypeError", "schema.array().items requires schema");
expectThrow(() => S.object().property("x", 5), "Error", "expected schema wrapper");

// ---- tools -----------------------------------------------------------------------------------
expectThrow(() => gp.tool(), "TypeError", "tool(name) requires name");
expectThrow(() => gp.tool("  "), "TypeError", "tool name must not be empty");
expectThrow(() => gp.tool("t").input(), "TypeError", "tool.input requires schema");
expectThrow(() => gp.tool("t").handler(), "TypeError", "tool.handler requires function");
expectThrow(() => gp.tool("t").handler(5), "TypeError", "tool.handler argument must be callable");
expectThrow(() => gp.tool("t").build(), "TypeError", "tool handler is required");
const seen = [];
const add = gp
  .tool("add")
  .description("adds two numbers")
  .input(S.object().property("a", S.number()).property("b", S.number()).required("a", "b"))
  .handler((args, ctx) => {
    seen.push(ctx);
    return { sum: args.a + args.b };
  })
  .build();
eq([add.name, add.description], ["add", "adds two numbers"], "ToolSpec fields");
eq(add.toJSON(), { name: "add", description: "adds two numbers", parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] } }, "ToolSpec toJSON");
eq(gp.tool("bare").handler(() => 1).build().toJSON().parameters, { type: "object", properties: {} }, "default parameters");

// ---- registries ------------------------------------------------------------------------------
const registry = gp.toolRegistry();
expectThrow(() => registry.add(), "TypeError", "toolRegistry.add requires tool spec");
expectThrow(() => registry.add({ handler() {} }), "Error", "tool name is required");
expectThrow(() => registry.add({ name: "x" }), "Error", "tool x handler must be a function");
expectThrow(() => registry.call(), "TypeError", "toolRegistry.call requires tool name");
eq(registry.add(add) === registry, true, "add returns the registry");
registry.add({ name: "fail", description: "always fails", handler: () => { throw new Error("nope"); } });
registry.add({ name: "later", handler: async (args) => ({ echoed: args }) });
registry.addGo("go_concat");
expectThrow(() => registry.addGo("go_missing"), "Error", "tool not found: go_missing");
eq(registry.list().map((t) => t.name), ["add", "fail", "later", "go_concat"], "list() in registration order");
eq(Object.keys(registry.list()[0]), ["name", "description", "version", "tags"], "list() entry shape");
eq(registry.call("add", { a: 2, b: 3 }), { sum: 5 }, "call() of a JS tool");
eq(seen[0].toolName, "add", "ctx outside a run");
expectThrow(() => registry.call("missing"), "Error", "tool not found: missing");
expectThrow(() => registry.call("fail"), "Error", "js tool fail: nope");
registry.add(gp.tool("add").description("replaced").handler(() => 0).build());
eq(registry.list().map((t) => [t.name, t.description]).slice(0, 1), [["add", "replaced"]], "same name replaces");
// New registries serve the old API too.
const old = gp.createSession({ engine: gp.engines.echo(), tools: registry });
eq(old.run(gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("x")] })).blocks.length, 2, "createSession({tools: toolRegistry()})");

// ---- agent tools -----------------------------------------------------------------------------
function caller(name, args) {
  return gp.engines.fromFunction((turn) => {
    const used = turn.blocks.find((b) => b.kind === "tool_use");
    if (!used) turn.blocks.push({ id: "c1", kind: "tool_call", role: "assistant", payload: { id: "c1", name: name, args: args } });
    else turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: String(used.payload.result || used.payload.error) } });
    return turn;
  });
}
{
  const contexts = [];
  const mul = gp.tool("mul").handler((a, ctx) => { contexts.push(ctx); return { product: a.x * a.y }; }).build();
  const r = gp.agent().engine(caller("mul", { x: 6, y: 7 })).tool(mul).build().session().build().next().user("q").run({ timeoutMs: 5000 });
  eq(r.text(), '{"product":42}', "agent().tool(spec)");
  eq([contexts[0].callId, contexts[0].callName, typeof contexts[0].deadlineMs], ["c1", "mul", "number"], "ctx of a gp.tool() handler in a run");
  const defs = r.outputTurn().toJSON().data.tool_definitions;
  eq(defs, [{ name: "mul", description: "", parameters: { type: "object", properties: {} } }], "tool_definitions");
  const config = r.outputTurn().toJSON().data.tool_config;
  eq(config.max_iterations, 20, "agent default maxIterations");
  // A spec is consulted before the registry; goTool picks from both.
  const shadow = gp.tool("add").handler(() => "spec wins").build();
  const r2 = gp.agent().engine(caller("add", {})).tool(registry).tool(shadow).build().session().build().next().user("q").run();
  eq(r2.text(), '"spec wins"', "spec before registry");
  const r3 = gp.agent().engine(caller("go_double", { n: 4 })).goTool("go_double").build().session().build().next().user("q").run();
  eq(r3.text(), '{"value":8}', "goTool from the host registry");
  // toolLoop settings keep the session API's keys, with agent defaults.
  // Hooks go inside toolLoop({hooks}), as in the session API.
  const calls = [];
  const hooked = gp
    .agent()
    .engine(caller("mul", { x: 2, y: 3 }))
    .tool(mul)
    .toolLoop({ hooks: { beforeToolCall: (call) => { calls.push(call); } } })
    .build();
  eq(hooked.session().build().next().user("q").run().text(), '{"product":6}', "a hooked run");
  eq(calls.length, 1, "beforeToolCall ran once");
  eq(config.max_parallel_tools, 1, "agent default maxParallelTools");
  const limited = gp.agent().engine(caller("mul", { x: 1, y: 1 })).tool(mul).toolLoop({ maxIterations: 1 }).build();
  let message = "";
  try {
    limited.session().build().next().user("q").run();
  } catch (e) {
    message = e.message;
  }
  eq(message, "max iterations (1) reached", "maxIterations");
}

console.log("agent_tools.js: ok");
