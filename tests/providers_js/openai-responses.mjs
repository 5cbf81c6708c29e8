// openai-responses.mjs: the tool loop of common.mjs against a fake OpenAI Responses server. Step 1
// streams two function calls whose arguments arrive as deltas; step 2 streams a reasoning summary
// and text.
import { callIdsAre, runToolLoop, toolLoopEvents } from "./common.mjs";

await runToolLoop({
  script: "openai-responses.mjs",
  engineOptions: {
    apiType: "openai-responses",
    model: "gpt-5-mini",
    apiKey: "sk-fake-responses-e2e-0003",
    baseURL: ENV.FAKE_PROVIDER_URL + "/v1/", // a trailing slash is ignored
    maxTokens: 2000,
  },
  toolLoop: null, // defaults: toolChoice "auto"
  expect: {
    blocks: ["system", "user", "tool_call", "tool_call", "tool_use", "tool_use", "reasoning", "llm_text"],
    checkCallIds: callIdsAre(["call_weather", "call_double"]),
    checkBlocks: (blocks, { eq }) => {
      const reasoning = blocks.filter((b) => b.kind === "reasoning");
      eq(reasoning.map((b) => b.payload.text), ["**Greeting** The user says hello."], "reasoning text");
    },
    steps: [
      {
        kinds: ["tool_call", "tool_call"],
        metadata: {
          provider: "openai-responses",
          model: "gpt-5-mini-2025-08-07",
          usage: { input_tokens: 90, output_tokens: 30, total_tokens: 120 },
          stop_reason: "completed",
        },
      },
      {
        kinds: ["reasoning", "llm_text"],
        metadata: {
          provider: "openai-responses",
          model: "o4-mini-2025-04-16",
          usage: { input_tokens: 20, output_tokens: 50, total_tokens: 70, cached_tokens: 0, reasoning_tokens: 38 },
          stop_reason: "completed",
        },
      },
    ],
    events: toolLoopEvents(["start", "tool-call", "tool-call", "final"]),
    partials: ["Hello", ", world!"],
    finalTexts: ["", "Hello, world!"],
  },
});
