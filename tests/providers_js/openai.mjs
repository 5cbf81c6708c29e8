// openai.mjs: the tool loop of common.mjs against a fake OpenAI Chat Completions server. Step 1
// streams two tool calls whose arguments arrive in pieces; step 2 streams text.
// With FAKE_PROVIDER_KEY_FROM_ENV=1 the script passes no apiKey: OPENAI_API_KEY is set in the
// environment, and must not be sent to this custom baseURL.
import { callIdsAre, runToolLoop, toolLoopEvents } from "./common.mjs";

const keyFromEnv = ENV.FAKE_PROVIDER_KEY_FROM_ENV === "1";
const engineOptions = { provider: "openai", model: "gpt-4o-mini", baseURL: ENV.FAKE_PROVIDER_URL + "/v1" };
if (!keyFromEnv) engineOptions.apiKey = "sk-fake-openai-e2e-0001";

await runToolLoop({
  script: "openai.mjs",
  engineOptions,
  toolLoop: { toolChoice: "auto" },
  expect: {
    blocks: ["system", "user", "tool_call", "tool_call", "tool_use", "tool_use", "llm_text"],
    checkCallIds: callIdsAre(["call_weather", "call_double"]),
    steps: [
      {
        kinds: ["tool_call", "tool_call"],
        metadata: {
          provider: "openai",
          model: "gpt-4o-mini-2024-07-18",
          usage: { input_tokens: 80, output_tokens: 40, total_tokens: 120 },
          stop_reason: "tool_calls",
        },
      },
      {
        kinds: ["llm_text"],
        metadata: {
          provider: "openai",
          model: "gpt-4o-mini-2024-07-18",
          usage: { input_tokens: 12, output_tokens: 4, total_tokens: 16, cached_tokens: 0, reasoning_tokens: 0 },
          stop_reason: "stop",
        },
      },
    ],
    events: toolLoopEvents(["start", "tool-call", "tool-call", "final"]),
    partials: ["Hello", ", wor", "ld!"],
    finalTexts: ["", "Hello, world!"],
  },
});
