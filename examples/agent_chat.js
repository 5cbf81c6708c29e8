// agent_chat.js: the agent API offline. An agent wraps an engine; a session grows one turn per
// run; events arrive on a Node-style EventEmitter.
//
//   geppetto run examples/agent_chat.js
const gp = require("geppetto");
const EventEmitter = require("events");

// Events of every run of the agent's sessions arrive here: first as "event", then by name.
const events = new EventEmitter();
events.on("text-delta", (e) => console.log("  [delta]", e.text));
events.on("run-finished", (e) => console.log("  [run-finished]", e.status));

// `engines.echo` is an offline engine: it answers with its reply.
const agent = gp
  .agent()
  .name("greeter")
  .engine(gp.engines.echo({ reply: "Hello! How can I help?" }))
  .events(events)
  .build();

const session = agent.session().name("demo").build();

// next() starts from the latest turn; run() appends the answer to the history.
const first = session.next().system("Be brief.").user("Hi there").run();
console.log("assistant:", first.text());
console.log("stop reason:", first.stopReason());

const second = session.next().user("And again?").run();
console.log("assistant:", second.text(), "(only this run's answer)");
console.log("turns in the history:", session.turnCount());

// A fork starts a new session from the latest turn; the original is unchanged.
const fork = session.fork().build();
fork.next().user("A different direction").run();
console.log("fork turns:", fork.turnCount(), "original turns:", session.turnCount());

assert(first.text() === "Hello! How can I help?", "echo answered");
assert(session.turnCount() === 2, "one turn per run");
assert(second.outputTurn().toJSON().blocks.length === 5, "each run sends the whole conversation");
