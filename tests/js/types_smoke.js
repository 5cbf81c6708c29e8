// Type-checked by `tsc -p docs/types/tsconfig.json` (docs/codegen.md); also runs under the harness.
const gp = require("geppetto");

assert(typeof gp.version === "string", "version is a string");
assert(gp.consts.EventType.TOOL_CALL_EXECUTE === "tool-call-execute");

const registry = gp.tools.createRegistry().register({
    name: "double",
    description: "Double a number",
    parameters: { type: "object", properties: { n: { type: "integer" } } },
    handler: (args, ctx) => ({ value: args.n * 2, tool: ctx.toolName }),
});
assert(registry.list().length === 1);
assert(registry.call("double", { n: 2 }).value === 4);

const session = gp
    .createBuilder()
    .withEngine(gp.engines.echo({ reply: "hi" }))
    .useMiddleware(gp.middlewares.fromJS((turn, next, ctx) => next(turn), "pass"))
    .useMiddleware((turn, next) => next())
    .useGoMiddleware("systemPrompt", { prompt: "Be brief." })
    .withTools(registry, { maxIterations: 3, toolChoice: gp.consts.ToolChoice.AUTO })
    .withToolHooks({
        beforeToolCall: (payload) => (payload.call.name === "bad" ? { action: "abort" } : undefined),
        onToolError: (payload) => ({ retry: payload.attempt < 1 }),
        failOpen: true,
    })
    .buildSession();

const seed = gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("hello")] });
const out = session.run(seed, { timeoutMs: 1000, tags: { test: true } });
assert(out.blocks[out.blocks.length - 1].kind === gp.consts.BlockKind.LLM_TEXT);
console.log(out.metadata[gp.consts.MetadataKeys.SESSION_ID], ENV.HOME);

const handle = session.start(gp.turns.appendBlock(out, { kind: "user", text: "again" }));
handle
    .on("partial", (ev) => console.log(ev.delta, ev.completion))
    .on(gp.consts.EventType.FINAL, (ev) => console.log(ev.text))
    .on("*", (ev) => console.log(ev.type, ev.runId));
handle.promise.then((turn) => console.log(turn.blocks.length)).catch((err) => console.error(err.message));

const timer = setTimeout(() => handle.cancel(), 10);
clearTimeout(timer);
sleep(1);

const engine = gp.engines.fromFunction((turn) => {
    turn.blocks.push(gp.turns.newAssistantBlock("done"));
    return turn;
});
const direct = gp.runInference(engine, { blocks: [{ kind: "user", payload: { text: "x" } }] });
assert(direct.blocks.length === 2);
