// sync_waits_in_started_runs.mjs: a started run whose JS engine, tool handler or hook waits
// synchronously (here `sleep`, standing for a synchronous `run()` or database query) still ends
// at its deadline (`timeoutMs`) and its tool call at `executionTimeoutMs`. A run of a JS engine is
// driven on the runtime's own thread, so while such a callback waits nothing else of that run can
// run: the limits must hold regardless. Every wait below is a minute long; the run ends long before.
import gp from "geppetto";

const user = (text) => ({ blocks: [{ kind: "user", role: "user", payload: { text } }] });
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}
async function expectReject(promise, text) {
  try {
    await promise;
  } catch (e) {
    if (!String(e.message).includes(text)) throw new Error(`expected a rejection containing ${JSON.stringify(text)}, got ${JSON.stringify(e.message)}`);
    return;
  }
  throw new Error(`expected a rejection containing ${JSON.stringify(text)}`);
}
const MINUTE = 60_000;

/** A JS engine that asks for tool `name` once, then answers with the tool's result or error. */
function callsTool(name) {
  return gp.engines.fromFunction((turn) => {
    const use = turn.blocks.find((b) => b.kind === "tool_use");
    if (!use) {
      turn.blocks.push({ kind: "tool_call", role: "assistant", payload: { id: "c1", name, args: {} } });
    } else {
      turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "error: " + use.payload.error } });
    }
    return turn;
  });
}

// The engine callback waits: the run's deadline stops it.
{
  const session = gp.createSession({ engine: gp.engines.fromFunction((turn) => { sleep(MINUTE); return turn; }) });
  await expectReject(session.start(user("engine"), { timeoutMs: 200 }).promise, "deadline exceeded");
  eq(session.turnCount(), 1, "history keeps the seed only");
}

// A tool handler waits: the run's deadline stops it.
{
  const tools = gp.tools.createRegistry().register({ name: "slow", handler: () => { sleep(MINUTE); return 1; } });
  const session = gp.createSession({ engine: callsTool("slow"), tools });
  await expectReject(session.runAsync(user("tool"), { timeoutMs: 200 }), "deadline exceeded");
}

// A tool handler waits past `executionTimeoutMs`: the call fails with the timeout, the run goes on.
{
  const tools = gp.tools.createRegistry().register({ name: "slow", handler: () => { sleep(MINUTE); return 1; } });
  const session = gp.createSession({ engine: callsTool("slow"), tools, toolLoop: { executionTimeoutMs: 150 } });
  const out = await session.start(user("timeout")).promise;
  eq(out.blocks[out.blocks.length - 1].payload.text, "error: tool slow timed out after 150 ms", "the tool call timed out");
}

// A `beforeToolCall` hook waits: the run's deadline stops it.
{
  const tools = gp.tools.createRegistry().register({ name: "fast", handler: () => 1 });
  const session = gp.createSession({
    engine: callsTool("fast"),
    tools,
    toolHooks: { beforeToolCall: () => { sleep(MINUTE); } },
  });
  await expectReject(session.start(user("hook"), { timeoutMs: 200 }).promise, "deadline exceeded");
}

// A JS middleware waits before calling next(): the run's deadline stops it.
{
  const wait = gp.middlewares.fromJS((turn, next) => { sleep(MINUTE); return next(turn); }, "waits");
  const session = gp.createSession({ engine: gp.engines.echo({ reply: "hi" }), middlewares: [wait] });
  await expectReject(session.runAsync(user("middleware"), { timeoutMs: 200 }), "deadline exceeded");
}
console.log("sync_waits_in_started_runs.mjs: ok");
