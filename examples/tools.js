// tools.js: JS tools and host tools driven by the tool loop.
//
// A real model decides which tools to call; here a deterministic function engine plays the model:
// on the user's message it emits tool_call blocks, and once every call has its tool_use block it
// answers using the results.
//
//   geppetto run examples/tools.js
const gp = require("geppetto");
const { turns } = gp;

// 1. A registry with two JS tools and the host tools (go_double, go_concat).
const registry = gp.tools
  .createRegistry()
  .register({
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    handler: ({ city }, ctx) => {
      console.log(`  (tool ${ctx.toolName}, call ${ctx.callId})`);
      return { city, tempC: city === "Paris" ? 18 : 25, sky: "clear" };
    },
  })
  .register({
    name: "slow_lookup",
    description: "An asynchronous tool: handlers may return a Promise",
    handler: ({ key }) => new Promise((resolve) => setTimeout(() => resolve("value-of-" + key), 20)),
  })
  .useGoTools(["go_double", "go_concat"]);

console.log("tools:", registry.list().map((t) => t.name).join(", "));
console.log("direct call go_double(21):", JSON.stringify(registry.call("go_double", { n: 21 })));

// 2. The stand-in model.
const model = gp.engines.fromFunction((turn) => {
  const lastBlock = turn.blocks[turn.blocks.length - 1];
  if (lastBlock.kind === "user") {
    let t = turns.appendBlock(turn, turns.newToolCallBlock("c1", "get_weather", { city: "Paris" }));
    t = turns.appendBlock(t, turns.newToolCallBlock("c2", "go_double", { n: 21 }));
    t = turns.appendBlock(t, turns.newToolCallBlock("c3", "go_concat", { a: "geppetto", b: "-rs" }));
    t = turns.appendBlock(t, turns.newToolCallBlock("c4", "slow_lookup", { key: "k" }));
    return t;
  }
  // Every call answered: summarize. Results are JSON strings in payload.result.
  const results = {};
  for (const b of turn.blocks) if (b.kind === "tool_use") results[String(b.payload.id)] = JSON.parse(String(b.payload.result));
  const text = `Paris is ${results.c1.tempC}°C, 2×21=${results.c2.value}, name=${results.c3.value}, lookup=${results.c4}`;
  return turns.appendBlock(turn, turns.newAssistantBlock(text));
});

// 3. A session with tools and tool loop settings.
const session = gp
  .createBuilder()
  .withEngine(model)
  .withTools(registry, { maxIterations: 4, maxParallelTools: 2, toolChoice: gp.consts.ToolChoice.AUTO })
  .buildSession();

session.runAsync(turns.newTurn({ blocks: [turns.newUserBlock("Weather in Paris, and some math")] })).then((out) => {
  for (const b of out.blocks) {
    if (b.kind === "tool_call") console.log(`  call ${b.payload.id}: ${b.payload.name}(${JSON.stringify(b.payload.args)})`);
    if (b.kind === "tool_use") console.log(`  result ${b.payload.id}: ${b.payload.result}${b.payload.error ? " error: " + b.payload.error : ""}`);
  }
  const answer = out.blocks[out.blocks.length - 1].payload.text;
  console.log("assistant:", answer);
  assert(answer === "Paris is 18°C, 2×21=42, name=geppetto-rs, lookup=value-of-k", "tool results reached the model");

  // 4. Tool errors do not stop the loop: they become the tool_use block's error.
  const clumsy = gp.engines.fromFunction((turn) => {
    if (turn.blocks[turn.blocks.length - 1].kind === "user") {
      return turns.appendBlock(turn, turns.newToolCallBlock("x1", "does_not_exist", {}));
    }
    const use = turn.blocks.find((b) => b.kind === "tool_use");
    return turns.appendBlock(turn, turns.newAssistantBlock("tool said: " + use.payload.error));
  });
  const out2 = gp.createSession({ engine: clumsy, tools: registry }).run(turns.newTurn({ blocks: [turns.newUserBlock("oops")] }));
  console.log("assistant:", out2.blocks[out2.blocks.length - 1].payload.text);
  assert(out2.blocks[out2.blocks.length - 1].payload.text.includes("tool not found: does_not_exist"), "error reported");
});
