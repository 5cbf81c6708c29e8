// hooks.js: tool hooks. beforeToolCall can rewrite or block a call, afterToolCall can replace a
// result, onToolError decides about retries, and hookErrorPolicy says what a throwing hook means.
//
//   geppetto run examples/hooks.js
const gp = require("geppetto");
const { turns } = gp;

/** The stand-in model: asks for the given calls, then answers with each tool_use outcome. */
function model(calls) {
  return gp.engines.fromFunction((turn) => {
    if (turn.blocks[turn.blocks.length - 1].kind === "user") {
      return calls.reduce((t, c) => turns.appendBlock(t, turns.newToolCallBlock(c.id, c.name, c.args)), turn);
    }
    const lines = turn.blocks
      .filter((b) => b.kind === "tool_use")
      .map((b) => `${b.payload.id}=${b.payload.error ? "ERROR " + b.payload.error : b.payload.result}`);
    return turns.appendBlock(turn, turns.newAssistantBlock(lines.join("; ")));
  });
}
let flakyAttempts = 0;
const registry = gp.tools
  .createRegistry()
  .useGoTools()
  .register({ name: "delete_everything", handler: () => "deleted!" })
  .register({
    name: "flaky_api",
    handler: () => {
      flakyAttempts += 1;
      if (flakyAttempts < 3) throw new Error("503 service unavailable");
      return { ok: true, attempts: flakyAttempts };
    },
  });
function run(title, calls, hooks, toolLoop) {
  const session = gp.createSession({ engine: model(calls), tools: registry, toolHooks: hooks, toolLoop });
  const out = session.run(turns.newTurn({ blocks: [turns.newUserBlock(title)] }));
  const answer = out.blocks[out.blocks.length - 1].payload.text;
  console.log(`${title}\n  -> ${answer}`);
  return answer;
}

// 1. Mutation: clamp arguments before the call, decorate the result after it.
const mutated = run(
  "mutation",
  [{ id: "m1", name: "go_double", args: { n: 1000 } }],
  {
    beforeToolCall: ({ call }) => (call.args.n > 100 ? { args: { n: 100 } } : undefined),
    afterToolCall: ({ result }) => ({ result: { original: result.value, audited: true } }),
  }
);
assert(mutated.includes('"audited":true'), "result replaced");

// 2. Abort: a policy hook blocks dangerous tools; the run goes on, the call records the error.
const blocked = run("abort", [{ id: "a1", name: "delete_everything", args: {} }, { id: "a2", name: "go_concat", args: { a: "x", b: "y" } }], {
  beforeToolCall: ({ call }) =>
    call.name.startsWith("delete_") ? { action: gp.consts.HookAction.ABORT, error: "blocked by policy" } : undefined,
});
assert(blocked.includes("a1=ERROR blocked by policy") && blocked.includes("a2="), "one call blocked, the other ran");

// 3. Retry: onToolError asks for retries with a short backoff until the flaky API answers.
const seenAttempts = [];
const retried = run("retry", [{ id: "r1", name: "flaky_api", args: {} }], {
  onToolError: ({ attempt, error }) => {
    seenAttempts.push(attempt);
    console.log(`  attempt ${attempt} failed: ${error}`);
    return { action: "retry", backoffMs: 5 };
  },
});
assert(retried.includes('"attempts":3') && seenAttempts.join() === "0,1", "succeeded on the third try");

// 4. Fail-open: a buggy hook is ignored (logged) and the tool runs anyway.
const open = run("fail-open", [{ id: "o1", name: "go_double", args: { n: 2 } }], {
  hookErrorPolicy: "fail-open",
  beforeToolCall: () => {
    throw new Error("bug in my hook");
  },
});
assert(open.includes('o1={"value":4}') || open.includes('"value":4'), "tool ran despite the hook error");

// 5. Fail-closed (the default): a throwing hook fails that call, and the tool does not run.
const closed = run("fail-closed", [{ id: "c1", name: "go_double", args: { n: 2 } }], {
  beforeToolCall: () => {
    throw new Error("bug in my hook");
  },
});
assert(closed.includes("beforeToolCall hook: bug in my hook"), "call failed with the hook error");
