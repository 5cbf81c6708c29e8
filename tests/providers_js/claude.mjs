// claude.mjs: the tool loop of common.mjs against a fake Anthropic Messages server. Step 1 streams
// thinking (with a signature), text and two tool_use blocks whose input arrives as JSON pieces;
// step 2 streams text.
import { callIdsAre, runToolLoop, toolLoopEvents } from "./common.mjs";

await runToolLoop({
  script: "claude.mjs",
  engineOptions: {
    provider: "claude",
    model: "claude-sonnet-4-5",
    apiKey: "sk-ant-fake-e2e-0004",
    baseURL: ENV.FAKE_PROVIDER_URL + "/v1",
    maxTokens: 1024,
  },
  toolLoop: { toolChoice: "required" },
  expect: {
    blocks: [
      "system", "user", "reasoning", "llm_text", "tool_call", "tool_call", "tool_use", "tool_use", "llm_text",
    ],
    checkCallIds: callIdsAre(["toolu_weather", "toolu_double"]),
    checkBlocks: (blocks, { eq }) => {
      const reasoning = blocks.filter((b) => b.kind === "reasoning");
      eq(reasoning.map((b) => b.payload.text), ["I need the weather and a doubling."], "thinking text");
      eq(
        reasoning.map((b) => b.payload.signature),
        ["EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"],
        "thinking signature kept"
      );
      eq(blocks[3].payload.text, "Checking both.", "text before the tool calls");
    },
    steps: [
      {
        kinds: ["reasoning", "llm_text", "tool_call", "tool_call"],
        metadata: {
          provider: "claude",
          model: "claude-sonnet-4-5-20250929",
          usage: { input_tokens: 472, output_tokens: 89 },
          stop_reason: "tool_use",
        },
      },
      {
        kinds: ["llm_text"],
        metadata: {
          provider: "claude",
          model: "claude-sonnet-4-5-20250929",
          usage: { input_tokens: 25, output_tokens: 15, cached_tokens: 0, cache_creation_input_tokens: 0 },
          stop_reason: "end_turn",
        },
      },
    ],
    events: toolLoopEvents(["start", "partial", "tool-call", "tool-call", "final"]),
    partials: ["Checking both.", "Hello", ", world!"],
    finalTexts: ["Checking both.", "Hello, world!"],
  },
});
