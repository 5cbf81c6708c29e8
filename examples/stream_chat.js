// Streams a chat answer from a provider engine and prints each `partial` delta as it arrives.
//
//   geppetto run examples/stream_chat.js
//
// The engine comes from `gp.engines.fromProfile()`: the profile named by PINOCCHIO_PROFILE, else
// "4o-mini" (see docs/providers.md for profiles and keys). Without an API key in the environment
// the script prints a message and exits 0, so it is safe to run in CI.
const gp = require("geppetto");

// Without PINOCCHIO_PROFILE, pick a model for whichever key is present.
const candidates = [
  { key: "OPENAI_API_KEY", profile: "4o-mini" },
  { key: "ANTHROPIC_API_KEY", profile: "claude-3-5-haiku-latest" },
  { key: "GEMINI_API_KEY", profile: "gemini-2.5-flash" },
  { key: "GOOGLE_API_KEY", profile: "gemini-2.5-flash" },
];
const available = candidates.find((c) => ENV[c.key]);

if (!available) {
  console.log(
    "stream_chat: no API key set (" + candidates.map((c) => c.key).join(", ") + "), skipping",
  );
} else {
  const engine = ENV.PINOCCHIO_PROFILE
    ? gp.engines.fromProfile()
    : gp.engines.fromProfile(available.profile);
  console.log("engine:", engine.name);

  const session = gp.createSession({ engine });
  const seed = gp.turns.newTurn({
    blocks: [
      gp.turns.newSystemBlock("You are concise."),
      gp.turns.newUserBlock("Write a haiku about rivers of tokens."),
    ],
  });

  let deltas = 0;
  const handle = session
    .start(seed, { timeoutMs: 60000 })
    .on("partial", (ev) => {
      deltas += 1;
      console.log("partial:", JSON.stringify(ev.delta));
    })
    .on("error", (ev) => console.error("error event:", ev.error));

  handle.promise.then((turn) => {
    const answer = turn.blocks.filter((b) => b.kind === "llm_text").pop();
    console.log("deltas:", deltas);
    console.log("answer:", answer ? answer.payload.text : "(none)");
    console.log("usage:", turn.metadata.usage);
  });
}
