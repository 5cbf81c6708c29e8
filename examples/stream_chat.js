// Streams a chat answer from a provider engine and prints each `partial` delta as it arrives.
//
//   geppetto run examples/stream_chat.js
//
// The engine comes from `gp.engines.fromProfile()`: with PINOCCHIO_PROFILE set, that profile (its
// settings and key come from the profiles file or the environment, see docs/providers.md);
// otherwise a model for whichever provider key is present. With neither, the script prints a
// message and exits 0. CI runs it against a local fake provider through a profile
// (tests/stream_chat_example.rs).
const gp = require("geppetto");

// Without PINOCCHIO_PROFILE, pick a model for whichever key is present.
const candidates = [
  { key: "OPENAI_API_KEY", profile: "4o-mini" },
  { key: "ANTHROPIC_API_KEY", profile: "claude-3-5-haiku-latest" },
  { key: "GEMINI_API_KEY", profile: "gemini-2.5-flash" },
  { key: "GOOGLE_API_KEY", profile: "gemini-2.5-flash" },
];
const available = ENV.PINOCCHIO_PROFILE ? { profile: ENV.PINOCCHIO_PROFILE } : candidates.find((c) => ENV[c.key]);

if (!available) {
  console.log(
    "stream_chat: no PINOCCHIO_PROFILE and no API key set (" + candidates.map((c) => c.key).join(", ") + "), skipping",
  );
} else {
  const engine = gp.engines.fromProfile(available.profile);
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
