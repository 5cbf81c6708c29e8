// consts_strict.mjs: the same frozen constants seen from an ES module, which is strict: writing to a
// frozen object throws a TypeError here instead of being ignored. Also checks `import gp from`.
import gp from "geppetto";

let threw = null;
try {
  gp.consts.ToolChoice.AUTO = "changed";
} catch (e) {
  threw = e;
}
assert(threw instanceof TypeError, "strict-mode write to a frozen const throws TypeError");
assert(gp.consts.ToolChoice.AUTO === "auto", "value unchanged");

threw = null;
try {
  gp.consts.EventType.NEW_TYPE = "x";
} catch (e) {
  threw = e;
}
assert(threw instanceof TypeError, "strict-mode addition to a frozen const throws TypeError");

// Top-level await works in modules.
const session = gp.createSession({ engine: gp.engines.echo({ reply: "from a module" }) });
const out = await session.runAsync(gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("hi")] }));
assert(out.blocks[out.blocks.length - 1].payload.text === "from a module", "runAsync awaited at top level");

console.log("consts_strict.mjs: ok");
