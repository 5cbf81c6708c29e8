// context_objects.js: what each callback learns about the run it belongs to. The same run's
// sessionId, inferenceId and tags show up in middleware ctx, tool ctx, hook payloads and events.
// Fields that are unknown are absent (not null).
//
//   geppetto run examples/context_objects.js
const gp = require("geppetto");
const { turns } = gp;

const seen = {};
const show = (label, obj) => {
  seen[label] = obj;
  console.log(label.padEnd(18), JSON.stringify(obj));
};

const model = gp.engines.fromFunction((turn) => {
  if (turn.blocks[turn.blocks.length - 1].kind === "user") {
    return turns.appendBlock(turn, turns.newToolCallBlock("call-ctx", "inspect", { x: 1 }));
  }
  return turns.appendBlock(turn, turns.newAssistantBlock("done"));
});

const tools = gp.tools.createRegistry().register({
  name: "inspect",
  handler: (args, ctx) => {
    show("tool ctx", ctx); // {toolName, timestampMs, sessionId, inferenceId, tags, callId, callName, deadlineMs?}
    return { ok: true };
  },
});

const session = gp.createSession({
  engine: model,
  tools,
  middlewares: [
    gp.middlewares.fromJS((turn, next, ctx) => {
      // {middlewareName, timestampMs, turnId?, sessionId?, inferenceId?, traceId?, tags?, deadlineMs?}
      if (!seen["middleware ctx"]) show("middleware ctx", ctx);
      return next(turn);
    }, "inspector"),
  ],
  toolHooks: {
    beforeToolCall: (payload) => (show("before payload", payload), undefined),
    afterToolCall: (payload) => (show("after payload", payload), undefined),
  },
});

async function main() {
  const handle = session.start(turns.newTurn({ blocks: [turns.newUserBlock("inspect yourself")] }), {
    timeoutMs: 10000, // sets a deadline: deadlineMs appears in the contexts
    tags: { tenant: "acme", requestId: "req-42" }, // any JSON object, delivered everywhere
  });
  handle.on("final", (ev) => {
    if (!seen["final event"]) show("final event", ev);
  });
  const out = await handle.promise;
  console.log("turn metadata    ", JSON.stringify(out.metadata));

  const ids = { sessionId: out.metadata.session_id, inferenceId: out.metadata.inference_id };
  for (const label of ["middleware ctx", "tool ctx", "before payload", "after payload", "final event"]) {
    const o = seen[label];
    assert(o, label + " seen");
    assert(o.sessionId === ids.sessionId && o.inferenceId === ids.inferenceId, label + " carries the run ids");
    assert(typeof o.timestampMs === "number", label + " has timestampMs");
    for (const k of Object.keys(o)) assert(o[k] !== null, `${label}.${k} is absent rather than null`);
  }
  for (const label of ["middleware ctx", "tool ctx", "before payload", "after payload"]) {
    assert(seen[label].tags.requestId === "req-42", label + " carries the run tags");
  }
  assert(typeof seen["middleware ctx"].deadlineMs === "number", "deadline visible to middlewares");
  assert(seen["tool ctx"].callId === "call-ctx" && seen["tool ctx"].callName === "inspect", "tool ctx names the call");
  assert(seen["before payload"].phase === "beforeToolCall" && seen["after payload"].phase === "afterToolCall", "hook phases");
  assert(seen["final event"].runId === handle.runId, "events carry the run id");
}

main();
