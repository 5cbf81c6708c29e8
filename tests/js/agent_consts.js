// agent_consts.js: the `consts` groups js-api-agent.md adds, exact keys and values, frozen; and
// `EventType` unchanged beside the new `AgentEvent`.
const gp = require("geppetto");

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(what + ": expected " + e + ", got " + a);
}

const METADATA = {
  PROVIDER: "provider",
  RUNTIME: "runtime",
  SESSION_ID: "session_id",
  INFERENCE_ID: "inference_id",
  TRACE_ID: "trace_id",
  USAGE: "usage",
  STOP_REASON: "stop_reason",
  MODEL: "model",
};

const EXPECTED = {
  TurnDataKeys: {
    TOOL_CONFIG: "tool_config",
    TOOL_DEFINITIONS: "tool_definitions",
    STRUCTURED_OUTPUT_CONFIG: "structured_output_config",
    INFERENCE_CONFIG: "inference_config",
    CLAUDE_INFERENCE_CONFIG: "claude_inference_config",
    OPENAI_INFERENCE_CONFIG: "openai_inference_config",
    AGENT_MODE_ALLOWED_TOOLS: "agent_mode_allowed_tools",
    AGENT_MODE: "agent_mode",
    RESPONSES_SERVER_TOOLS: "responses_server_tools",
  },
  TurnMetadataKeys: Object.assign({}, METADATA, { INFERENCE_RESULT: "inference_result" }),
  BlockMetadataKeys: {
    CLAUDE_ORIGINAL_CONTENT: "claude_original_content",
    TOOL_CALLS: "tool_calls",
    MIDDLEWARE: "middleware",
    AGENTMODE_TAG: "agentmode_tag",
    AGENTMODE: "agentmode",
    INFERENCE_RESULT: "inference_result",
  },
  RunMetadataKeys: { TRACE_ID: "trace_id" },
  PayloadKeys: {
    TEXT: "text",
    ID: "id",
    NAME: "name",
    ARGS: "args",
    RESULT: "result",
    ERROR: "error",
    IMAGES: "images",
    ENCRYPTED_CONTENT: "encrypted_content",
    SUMMARY: "summary",
    ITEM_ID: "item_id",
  },
  AgentEvent: {
    EVENT: "event",
    RUN_STARTED: "run-started",
    RUN_FINISHED: "run-finished",
    RUN_STOPPED: "run-stopped",
    RUN_FAILED: "run-failed",
    PROVIDER_CALL_STARTED: "provider-call-started",
    PROVIDER_CALL_METADATA_UPDATED: "provider-call-metadata-updated",
    PROVIDER_CALL_FINISHED: "provider-call-finished",
    TEXT_SEGMENT_STARTED: "text-segment-started",
    TEXT_DELTA: "text-delta",
    TEXT_SEGMENT_FINISHED: "text-segment-finished",
    REASONING_SEGMENT_STARTED: "reasoning-segment-started",
    REASONING_DELTA: "reasoning-delta",
    REASONING_SEGMENT_FINISHED: "reasoning-segment-finished",
    TOOL_CALL_STARTED: "tool-call-started",
    TOOL_CALL_ARGUMENTS_DELTA: "tool-call-arguments-delta",
    TOOL_CALL_REQUESTED: "tool-call-requested",
    TOOL_EXECUTION_STARTED: "tool-execution-started",
    TOOL_RESULT_READY: "tool-result-ready",
    TOOL_CALL_FINISHED: "tool-call-finished",
    INFERENCE_ERROR: "inference-error",
    INTERRUPT: "interrupt",
    LOG: "log",
    INFO: "info",
    AGENT_MODE_SWITCH: "agent-mode-switch",
  },
};

for (const group of Object.keys(EXPECTED)) {
  const actual = gp.consts[group];
  eq(actual, EXPECTED[group], "gp.consts." + group);
  assert(Object.isFrozen(actual), "gp.consts." + group + " is frozen");
}
eq(gp.consts.MetadataKeys, METADATA, "MetadataKeys unchanged");
eq(gp.consts.EventType.START, "start", "EventType keeps the RunHandle names");
eq(
  Object.keys(gp.consts),
  ["ToolChoice", "ToolErrorHandling", "BlockKind", "HookAction", "MetadataKeys", "EventType"].concat(Object.keys(EXPECTED)),
  "every group, in spec order"
);
console.log("agent_consts.js: ok");
