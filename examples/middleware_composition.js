// middleware_composition.js: composing JS and host middlewares around an engine.
// The first middleware added is the outermost: it sees the turn first and the answer last.
//
//   geppetto run examples/middleware_composition.js
const gp = require("geppetto");
const { turns, middlewares } = gp;

const trace = [];

// A function engine stands in for a model: it answers with the text of the system prompt it saw.
const engine = gp.engines.fromFunction((turn) => {
  trace.push("engine");
  const system = turn.blocks.find((b) => b.kind === "system");
  return turns.appendBlock(turn, turns.newAssistantBlock("system prompt was: " + (system ? system.payload.text : "none")));
});

// A timing middleware: wraps everything below it.
const timing = middlewares.fromJS((turn, next, ctx) => {
  trace.push("timing:start");
  const t0 = Date.now();
  const out = next(turn); // run the rest of the chain
  trace.push("timing:end");
  console.log(`[${ctx.middlewareName}] inference ${ctx.inferenceId} took ${Date.now() - t0} ms`);
  return out;
}, "timing");

// A redaction middleware: edits the turn on the way in.
const redact = middlewares.fromJS((turn, next) => {
  trace.push("redact");
  const cleaned = turns.normalize(turn);
  for (const b of cleaned.blocks) {
    if (b.kind === "user") b.payload.text = b.payload.text.replace(/\d{4}-\d{4}/g, "****-****");
  }
  return next(cleaned);
}, "redact");

// A guard that turns engine errors into a polite answer.
const guard = middlewares.fromJS((turn, next) => {
  try {
    return next(turn);
  } catch (e) {
    return turns.appendBlock(turn, turns.newAssistantBlock("Sorry, something went wrong: " + e.message));
  }
}, "guard");

const session = gp
  .createBuilder()
  .withEngine(engine)
  .useMiddleware(timing) // outermost
  .useMiddleware(guard)
  .useMiddleware(redact)
  .useGoMiddleware("systemPrompt", { prompt: "You are a careful assistant." }) // host middleware
  .useGoMiddleware("turnLogging") // logs through tracing; never changes the turn
  .buildSession();

const out = session.run(turns.newTurn({ blocks: [turns.newUserBlock("my card is 1234-5678")] }));
for (const b of out.blocks) console.log(`  ${b.kind}: ${b.payload.text}`);
console.log("call order:", trace.join(" -> "));

assert(trace.join(",") === "timing:start,redact,engine,timing:end", "outermost first");
assert(out.blocks[0].kind === "system", "systemPrompt inserted a system block at index 0");
assert(out.blocks[1].payload.text === "my card is ****-****", "redacted before the engine");
assert(out.blocks[2].payload.text === "system prompt was: You are a careful assistant.", "engine saw the prompt");

// The guard in action with a failing engine.
const failing = gp.createSession({
  engine: gp.engines.fromFunction(() => {
    throw new Error("model unavailable");
  }),
  middlewares: [guard],
});
const apology = failing.run(turns.newTurn({ blocks: [turns.newUserBlock("hello?")] }));
console.log("guarded:", apology.blocks[1].payload.text);
assert(apology.blocks[1].payload.text.includes("js engine callback: model unavailable"), "error handled in JS");
