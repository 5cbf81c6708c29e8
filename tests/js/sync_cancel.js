// sync_cancel.js: cancelling a synchronous run() from inside it (a tool handler calling
// cancelActive(), a timer), and interrupting a runaway JS engine callback by timeoutMs.
const gp = require("geppetto");

function expectThrow(fn, text) {
  try {
    fn();
  } catch (e) {
    assert(String(e.message).includes(text), "expected an error containing " + JSON.stringify(text) + ", got " + JSON.stringify(e.message));
    return;
  }
  throw new Error("expected an error containing " + JSON.stringify(text));
}

const user = (text) => ({ blocks: [{ kind: "user", role: "user", payload: { text } }] });

// A tool handler cancels the synchronous run it belongs to.
{
  let session;
  const tools = gp.tools.createRegistry().register({
    name: "stop",
    handler: () => {
      assert(session.isRunning(), "the sync run is active inside its tool handler");
      session.cancelActive();
      return "stopped";
    },
  });
  session = gp.createSession({
    engine: gp.engines.fromFunction((turn) => {
      if (!turn.blocks.some((b) => b.kind === "tool_use")) {
        turn.blocks.push({ kind: "tool_call", id: "s1", payload: { id: "s1", name: "stop", args: {} } });
      } else {
        turn.blocks.push({ kind: "llm_text", payload: { text: "should not get here" } });
      }
      return turn;
    }),
    tools,
  });
  expectThrow(() => session.run(user("go")), "canceled");
  assert(!session.isRunning(), "not running after cancelActive");
  assert(session.turnCount() === 1 && session.latest().blocks.length === 1, "history: only the seed");
}

// A timer cancels a synchronous run whose engine waits on a promise (timers fire in nested waits).
{
  let session;
  const tools = gp.tools.createRegistry().register({
    name: "slow",
    handler: () => new Promise((resolve) => setTimeout(() => resolve("late"), 300)),
  });
  session = gp.createSession({
    engine: gp.engines.fromFunction((turn) => {
      turn.blocks.push({ kind: "tool_call", id: "w1", payload: { id: "w1", name: "slow", args: {} } });
      return turn;
    }),
    tools,
  });
  setTimeout(() => session.cancelActive(), 20);
  expectThrow(() => session.run(user("wait")), "canceled");
  assert(!session.isRunning(), "not running after a timer cancelled it");
}

// timeoutMs interrupts a runaway JS engine callback; the runtime stays usable.
{
  const session = gp.createSession({ engine: gp.engines.fromFunction(() => { for (;;) {} }) });
  expectThrow(() => session.run(user("spin"), { timeoutMs: 50 }), "deadline exceeded");
  const after = gp.createSession({ engine: gp.engines.echo() }).run(user("still alive?"));
  assert(after.blocks[1].payload.text === "READY", "runtime usable after the interrupt");
}

// A callback blocked in sleep() when the deadline passes: the run still fails with the deadline text.
for (let i = 0; i < 5; i++) {
  const sleepy = gp.createSession({ engine: gp.engines.fromFunction((turn) => { sleep(200); return turn; }) });
  expectThrow(() => sleepy.run(user("nap"), { timeoutMs: 20 }), "inference canceled: deadline exceeded");
  const mw = gp.middlewares.fromJS((turn, next) => { sleep(200); return next(turn); }, "napper");
  const sleepyMw = gp.createSession({ engine: gp.engines.echo(), middlewares: [mw] });
  expectThrow(() => sleepyMw.run(user("nap"), { timeoutMs: 20 }), "inference canceled: deadline exceeded");
}

console.log("sync_cancel.js: ok");
