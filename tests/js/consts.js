// consts.js: every generated constant group of `gp.consts`, its exact values, and that the groups
// are frozen. This is a classic (sloppy-mode) script on purpose: assigning to a frozen object's
// property is silently ignored here, as in Node CommonJS files (see consts_strict.mjs for modules).
const gp = require("geppetto");

// ---- tiny local helpers ----------------------------------------------------------------------
function stable(v) {
  if (Array.isArray(v)) return "[" + v.map(stable).join(",") + "]";
  if (v !== null && typeof v === "object") {
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + stable(v[k])).join(",") + "}";
  }
  return v === undefined ? "undefined" : JSON.stringify(v);
}
function eq(actual, expected, what) {
  if (stable(actual) !== stable(expected)) {
    throw new Error(`${what}: expected ${stable(expected)}, got ${stable(actual)}`);
  }
}

// The exact contract: every group, every key, every value.
const EXPECTED = {
  ToolChoice: { AUTO: "auto", NONE: "none", REQUIRED: "required" },
  ToolErrorHandling: { CONTINUE: "continue", ABORT: "abort", RETRY: "retry" },
  BlockKind: {
    USER: "user",
    LLM_TEXT: "llm_text",
    TOOL_CALL: "tool_call",
    TOOL_USE: "tool_use",
    SYSTEM: "system",
    REASONING: "reasoning",
    OTHER: "other",
  },
  HookAction: { ABORT: "abort", RETRY: "retry", CONTINUE: "continue" },
  MetadataKeys: {
    PROVIDER: "provider",
    RUNTIME: "runtime",
    SESSION_ID: "session_id",
    INFERENCE_ID: "inference_id",
    TRACE_ID: "trace_id",
    USAGE: "usage",
    STOP_REASON: "stop_reason",
    MODEL: "model",
  },
  EventType: {
    START: "start",
    PARTIAL: "partial",
    FINAL: "final",
    TOOL_CALL: "tool-call",
    TOOL_RESULT: "tool-result",
    ERROR: "error",
    TOOL_CALL_EXECUTE: "tool-call-execute",
    TOOL_CALL_EXECUTION_RESULT: "tool-call-execution-result",
    INTERRUPT: "interrupt",
  },
};

assert(typeof gp.version === "string" && gp.version.length > 0, "gp.version is a non-empty string");
assert(gp.consts && typeof gp.consts === "object", "gp.consts is an object");

for (const group of Object.keys(EXPECTED)) {
  const actual = gp.consts[group];
  assert(actual && typeof actual === "object", `gp.consts.${group} exists`);
  // Same keys, same values: nothing missing, nothing extra.
  eq(actual, EXPECTED[group], `gp.consts.${group}`);
  assert(Object.isFrozen(actual), `gp.consts.${group} is frozen`);

  // Sloppy mode: writes, additions and deletions are silently ignored.
  const firstKey = Object.keys(EXPECTED[group])[0];
  actual[firstKey] = "overwritten";
  actual.NEW_KEY = "added";
  delete actual[firstKey];
  eq(actual, EXPECTED[group], `gp.consts.${group} after attempted mutation`);
  assert(!("NEW_KEY" in actual), `gp.consts.${group} cannot grow`);
}

// The constants are the strings the rest of the API accepts, e.g. as tool loop settings.
const session = gp.createSession({
  engine: gp.engines.echo(),
  tools: gp.tools.createRegistry(),
  toolLoop: {
    toolChoice: gp.consts.ToolChoice.REQUIRED,
    toolErrorHandling: gp.consts.ToolErrorHandling.RETRY,
  },
});
const out = session.run(gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("hi")] }));
const last = out.blocks[out.blocks.length - 1];
assert(last.kind === gp.consts.BlockKind.LLM_TEXT, "BlockKind.LLM_TEXT matches the echo block kind");
assert(
  out.metadata[gp.consts.MetadataKeys.SESSION_ID] && out.metadata[gp.consts.MetadataKeys.INFERENCE_ID],
  "MetadataKeys name the run metadata keys"
);

console.log("consts.js: ok");
