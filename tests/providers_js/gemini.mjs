// gemini.mjs: the tool loop of common.mjs against a fake Gemini server. Step 1 streams a thought and
// two function calls (Gemini sends them whole and without ids; the first carries a thought
// signature); step 2 streams text.
import { runToolLoop, toolLoopEvents } from "./common.mjs";

await runToolLoop({
  script: "gemini.mjs",
  engineOptions: {
    apiType: "gemini",
    model: "gemini-2.5-pro",
    apiKey: "fake-gemini-e2e-key-0005",
    baseURL: ENV.FAKE_PROVIDER_URL + "/v1beta",
    temperature: 0.5,
  },
  toolLoop: { toolChoice: "auto", maxIterations: 3 },
  expect: {
    blocks: ["system", "user", "reasoning", "tool_call", "tool_call", "tool_use", "tool_use", "llm_text"],
    checkCallIds: (ids, { eq, check }) => {
      eq(ids.length, 2, "two tool calls");
      for (const id of ids) check(typeof id === "string" && /^call_[0-9a-f]{32}$/.test(id), "generated call id: " + id);
      check(ids[0] !== ids[1], "distinct call ids");
    },
    checkBlocks: (blocks, { eq }) => {
      const reasoning = blocks.filter((b) => b.kind === "reasoning");
      eq(reasoning.map((b) => b.payload.text), ["Weather first, then doubling."], "thought text");
      const calls = blocks.filter((b) => b.kind === "tool_call");
      eq(calls[0].payload.thought_signature, "CiQB0e2Kb0sig", "thought signature kept on the call");
      eq(calls[1].payload.thought_signature, undefined, "no signature on the second call");
    },
    steps: [
      {
        kinds: ["reasoning", "tool_call", "tool_call"],
        metadata: {
          provider: "gemini",
          model: "gemini-2.5-pro",
          usage: { input_tokens: 120, output_tokens: 30, total_tokens: 190, reasoning_tokens: 40 },
          stop_reason: "STOP",
        },
      },
      {
        kinds: ["llm_text"],
        metadata: {
          provider: "gemini",
          model: "gemini-2.5-flash",
          usage: { input_tokens: 9, output_tokens: 4, total_tokens: 13 },
          stop_reason: "STOP",
        },
      },
    ],
    events: toolLoopEvents(["start", "tool-call", "tool-call", "final"]),
    partials: ["Hello", ", world!"],
    finalTexts: ["", "Hello, world!"],
  },
});
