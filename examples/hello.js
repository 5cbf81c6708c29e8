// hello.js: the smallest geppetto script. It needs no API key: the echo engine answers locally.
//
//   geppetto run examples/hello.js
const gp = require("geppetto");

// An engine produces the assistant's answer. `echo` always answers with its `reply`.
const engine = gp.engines.echo({ reply: "Hello from geppetto!" });

// A session keeps the conversation history and runs inferences with its engine.
const session = gp.createSession({ engine });

// A turn is a list of blocks; here a single user message.
const seed = gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("Say hello")] });

// run() is synchronous: it returns the output turn (the seed plus the assistant's block).
const out = session.run(seed);
const answer = out.blocks[out.blocks.length - 1].payload.text;
console.log("assistant:", answer);

assert(answer === "Hello from geppetto!", "echo answered with its reply");
