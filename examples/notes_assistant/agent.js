// The notes assistant's agent (loaded by examples/notes_assistant.rs, which embeds the runtime with
// the `geppetto` and `database` modules and a preconfigured notes database). Its one tool searches
// the notes with SQL; the engine is a provider engine via profile when an API key is set, else a
// scripted fromFunction engine that calls the tool once and summarizes what it found.
const gp = require("geppetto");
const db = require("database");

const tools = gp.tools.createRegistry().register({
  name: "search_notes",
  description: "Search the user's notes; returns matching notes as {title, body}",
  parameters: {
    type: "object",
    properties: { query: { type: "string", description: "A word to look for" } },
    required: ["query"],
  },
  handler: ({ query }) => {
    const like = "%" + query + "%";
    return db.query("select title, body from notes where title like ? or body like ? order by id", like, like);
  },
});

/** @param {gp.Turn} turn */
function scripted(turn) {
  const use = turn.blocks.find((b) => b.kind === "tool_use");
  if (!use) {
    const question = turn.blocks.filter((b) => b.kind === "user").pop();
    const words = String(question ? question.payload.text : "").split(/\W+/).filter((w) => w.length > 3);
    const query = words.length > 0 ? words[words.length - 1] : "";
    turn.blocks.push(gp.turns.newToolCallBlock("search-1", "search_notes", { query }));
    return turn;
  }
  const found = JSON.parse(String(use.payload.result));
  const text = found.length === 0
    ? "I found no note about that."
    : "I found " + found.length + " note(s): " + found.map((n) => n.title + " (" + n.body + ")").join("; ");
  turn.blocks.push(gp.turns.newAssistantBlock(text));
  return turn;
}

const engine = ENV.OPENAI_API_KEY ? gp.engines.fromProfile() : gp.engines.fromFunction(scripted);

globalThis.assistant = gp.createSession({
  engine,
  middlewares: [gp.middlewares.go("systemPrompt", { prompt: "You answer questions about the user's notes. Use search_notes." })],
  tools,
});
