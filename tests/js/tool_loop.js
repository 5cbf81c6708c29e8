// tool_loop.js: the tool loop driven by a deterministic fromFunction engine. The engine asks for
// tool calls (tool_call blocks) and answers in text once every call has a tool_use block.
const gp = require("geppetto");
const T = gp.turns;

// ---- tiny local helpers ----------------------------------------------------------------------
function msgOf(e) {
  return e !== null && typeof e === "object" && "message" in e ? String(e.message) : String(e);
}
function expectThrow(fn, text) {
  let threw = false;
  let err;
  try {
    fn();
  } catch (e) {
    threw = true;
    err = e;
  }
  if (!threw) throw new Error(`expected an error containing "${text}", nothing was thrown`);
  if (!msgOf(err).includes(text)) {
    throw new Error(`expected an error containing "${text}", got "${msgOf(err)}"`);
  }
  return err;
}
async function expectReject(promiseOrFn, text) {
  let rejected = false;
  let err;
  try {
    await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    rejected = true;
    err = e;
  }
  if (!rejected) throw new Error(`expected a rejection containing "${text}", it resolved`);
  if (!msgOf(err).includes(text)) throw new Error(`expected a rejection containing "${text}", got "${msgOf(err)}"`);
  return err;
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}
const user = (text) => T.newTurn({ blocks: [T.newUserBlock(text)] });
const toolUses = (turn) => turn.blocks.filter((b) => b.kind === "tool_use");
const last = (turn) => turn.blocks[turn.blocks.length - 1];

/**
 * Engine: when the last block is a user block, append the given tool calls; otherwise answer
 * with "done". `stats.calls` counts engine invocations.
 */
function scriptedEngine(calls, stats) {
  return gp.engines.fromFunction((turn) => {
    if (stats) stats.calls = (stats.calls || 0) + 1;
    if (turn.blocks[turn.blocks.length - 1].kind === "user") {
      let t = turn;
      for (const c of calls) t = T.appendBlock(t, T.newToolCallBlock(c.id, c.name, c.args));
      return t;
    }
    return T.appendBlock(turn, T.newAssistantBlock("done"));
  });
}
function hostTools() {
  return gp.tools.createRegistry().useGoTools();
}

async function main() {
  // ---- the basic loop ---------------------------------------------------------------------------
  {
    const stats = {};
    const session = gp.createSession({
      engine: scriptedEngine([{ id: "call-1", name: "go_double", args: { n: 21 } }], stats),
      tools: hostTools(),
    });
    const out = session.run(user("double 21"));
    eq(stats.calls, 2, "engine ran twice: call, then answer");
    eq(out.blocks.map((b) => b.kind), ["user", "tool_call", "tool_use", "llm_text"], "loop block sequence");
    const use = toolUses(out)[0];
    eq(use.kind, "tool_use", "tool_use kind");
    eq(use.role, "", "tool_use role is empty");
    eq(Object.keys(use.payload).sort(), ["error", "id", "result"], "tool_use payload keys");
    eq(use.payload.id, "call-1", "tool_use id = call id");
    assert(typeof use.payload.result === "string", "result is a JSON string");
    eq(JSON.parse(use.payload.result), { value: 42 }, "go_double result");
    eq(use.payload.error, "", "no error");
    eq(last(out).payload.text, "done", "final answer");
    // The loop records its configuration in the turn data.
    assert(out.data && typeof out.data.tool_config === "object" && out.data.tool_config !== null, "data.tool_config written");
  }

  // ---- args as a JSON string; several calls appended in call order --------------------------------
  {
    const reg = hostTools().register({ name: "js_upper", handler: ({ s }) => s.toUpperCase() });
    const out = gp
      .createSession({
        engine: scriptedEngine([
          { id: "c-a", name: "go_concat", args: "{\"a\":\"foo\",\"b\":\"bar\"}" },
          { id: "c-b", name: "js_upper", args: { s: "shout" } },
          { id: "c-c", name: "go_double", args: "{\"n\":5}" },
        ]),
        tools: reg,
      })
      .run(user("three calls"));
    const uses = toolUses(out);
    eq(uses.map((u) => u.payload.id), ["c-a", "c-b", "c-c"], "tool_use blocks in call order");
    eq(JSON.parse(uses[0].payload.result), { value: "foobar" }, "go_concat with string args");
    eq(JSON.parse(uses[1].payload.result), "SHOUT", "JS tool string result is JSON-encoded");
    eq(JSON.parse(uses[2].payload.result), { value: 10 }, "go_double with string args");
  }

  // ---- maxIterations ---------------------------------------------------------------------------
  {
    // An engine that always asks for another call never finishes.
    let n = 0;
    const greedy = gp.engines.fromFunction((turn) => {
      n += 1;
      return T.appendBlock(turn, T.newToolCallBlock("loop-" + n, "go_double", { n }));
    });
    const s = gp.createSession({ engine: greedy, tools: hostTools(), toolLoop: { maxIterations: 3 } });
    expectThrow(() => s.run(user("forever")), "max iterations (3) reached");
    eq(n, 3, "engine ran maxIterations times");
    eq(s.turnCount(), 1, "failed loop keeps only the seed");
    eq(s.latest().blocks.map((b) => b.kind), ["user"], "seed unchanged after a failed loop");

    // The default is 5.
    n = 0;
    expectThrow(() => gp.createSession({ engine: greedy, tools: hostTools() }).run(user("forever")), "max iterations (5) reached");
    eq(n, 5, "default maxIterations is 5");

    // withTools settings and withToolLoop set it too.
    n = 0;
    expectThrow(
      () => gp.createBuilder().withEngine(greedy).withTools(hostTools(), { maxIterations: 2 }).buildSession().run(user("x")),
      "max iterations (2) reached"
    );
    n = 0;
    expectThrow(
      () => gp.createBuilder().withEngine(greedy).withTools(hostTools()).withToolLoop({ maxIterations: 1 }).buildSession().run(user("x")),
      "max iterations (1) reached"
    );
  }

  // ---- tool errors become tool_use errors and the loop goes on ------------------------------------
  {
    const reg = hostTools().register({
      name: "fails",
      handler: () => {
        throw new Error("handler failed");
      },
    });
    const out = gp
      .createSession({
        engine: scriptedEngine([
          { id: "e1", name: "no_such_tool", args: {} },
          { id: "e2", name: "fails", args: {} },
          { id: "e3", name: "go_double", args: { n: 1 } },
        ]),
        tools: reg,
      })
      .run(user("errors"));
    const uses = toolUses(out);
    eq(uses.length, 3, "one tool_use per call, failures included");
    assert(uses[0].payload.error.includes("tool not found: no_such_tool"), "not found: " + uses[0].payload.error);
    eq(uses[0].payload.result, null, "failed call result is null");
    assert(uses[1].payload.error.includes("js tool fails: handler failed"), "js tool error: " + uses[1].payload.error);
    eq(uses[1].payload.result, null, "failed JS call result is null");
    eq(uses[2].payload.error, "", "the other call still succeeds");
    eq(last(out).payload.text, "done", "loop went on after the errors");
  }

  // ---- allowedTools ---------------------------------------------------------------------------
  {
    const out = gp
      .createSession({
        engine: scriptedEngine([
          { id: "a1", name: "go_double", args: { n: 3 } },
          { id: "a2", name: "go_concat", args: { a: "x", b: "y" } },
        ]),
        tools: hostTools(),
        toolLoop: { allowedTools: ["go_double"] },
      })
      .run(user("allowed"));
    const uses = toolUses(out);
    eq(JSON.parse(uses[0].payload.result), { value: 6 }, "allowed tool runs");
    assert(uses[1].payload.error.includes("tool not allowed: go_concat"), "not allowed: " + uses[1].payload.error);
  }

  // ---- toolErrorHandling: abort fails the run, history intact ------------------------------------
  {
    const reg = hostTools().register({
      name: "fails",
      handler: () => {
        throw new Error("fatal tool");
      },
    });
    const s = gp.createSession({
      engine: scriptedEngine([{ id: "x1", name: "fails", args: {} }]),
      tools: reg,
      toolLoop: { toolErrorHandling: "abort" },
    });
    const first = s.append(user("earlier turn"));
    expectThrow(() => s.run(user("abort please")), "fatal tool");
    eq(s.turnCount(), 2, "history = earlier turn + seed");
    eq(s.getTurn(0).blocks, first.blocks, "earlier turn untouched");
    eq(s.latest().blocks.map((b) => b.kind), ["user"], "seed without any loop blocks");

    // Same with a missing tool.
    const s2 = gp.createSession({
      engine: scriptedEngine([{ id: "x2", name: "ghost", args: {} }]),
      tools: hostTools(),
      toolLoop: { toolErrorHandling: gp.consts.ToolErrorHandling.ABORT },
    });
    expectThrow(() => s2.run(user("x")), "tool not found: ghost");

    // Async flavour: the promise rejects with an Error.
    const s3 = gp.createSession({
      engine: scriptedEngine([{ id: "x3", name: "fails", args: {} }]),
      tools: reg,
      toolLoop: { toolErrorHandling: "abort" },
    });
    const e = await expectReject(s3.runAsync(user("x")), "fatal tool");
    assert(e instanceof Error, "rejection is an Error");
    eq(s3.turnCount(), 1, "async abort: only the seed");
  }

  // ---- invalid enums are rejected at once --------------------------------------------------------
  {
    const engine = gp.engines.echo();
    const reg = hostTools();
    const choice = 'invalid toolChoice "sometimes", expected one of: auto, none, required';
    const handling = 'invalid toolErrorHandling "ignore", expected one of: continue, abort, retry';
    expectThrow(() => gp.createBuilder().withEngine(engine).withTools(reg, { toolChoice: "sometimes" }), choice);
    expectThrow(() => gp.createBuilder().withEngine(engine).withTools(reg, { toolErrorHandling: "ignore" }), handling);
    expectThrow(() => gp.createBuilder().withEngine(engine).withToolLoop({ toolChoice: "sometimes" }), choice);
    expectThrow(() => gp.createBuilder().withEngine(engine).withToolLoop({ toolErrorHandling: "ignore" }), handling);
    expectThrow(() => gp.createBuilder({ engine, tools: reg, toolLoop: { toolChoice: "sometimes" } }), choice);
    expectThrow(() => gp.createBuilder({ engine, tools: reg, toolLoop: { toolErrorHandling: "ignore" } }), handling);
    expectThrow(() => gp.createSession({ engine, tools: reg, toolLoop: { toolChoice: "sometimes" } }), choice);
    expectThrow(() => gp.createSession({ engine, tools: reg, toolLoop: { toolErrorHandling: "ignore" } }), handling);
    // Valid values are accepted.
    for (const tc of ["auto", "none", "required"]) gp.createSession({ engine, tools: reg, toolLoop: { toolChoice: tc } });
    for (const th of ["continue", "abort", "retry"]) gp.createSession({ engine, tools: reg, toolLoop: { toolErrorHandling: th } });
  }

  // ---- enabled:false detaches the tools -----------------------------------------------------------
  {
    const stats = {};
    let ran = false;
    const reg = gp.tools.createRegistry().register({ name: "t", handler: () => ((ran = true), 1) });
    const out = gp
      .createSession({ engine: scriptedEngine([{ id: "d1", name: "t", args: {} }], stats), tools: reg, toolLoop: { enabled: false } })
      .run(user("x"));
    eq(stats.calls, 1, "engine ran once");
    eq(ran, false, "tool not executed");
    eq(toolUses(out).length, 0, "no tool_use block");
  }

  // ---- maxParallelTools --------------------------------------------------------------------------
  {
    // Each handler resolves after a delay; later calls finish first. We track how many run at once.
    function parallelRegistry(track) {
      return gp.tools.createRegistry().register({
        name: "wait",
        handler: ({ ms, tag }) => {
          track.active += 1;
          track.max = Math.max(track.max, track.active);
          return new Promise((resolve) =>
            setTimeout(() => {
              track.active -= 1;
              resolve(tag);
            }, ms)
          );
        },
      });
    }
    const calls = [
      { id: "p1", name: "wait", args: { ms: 60, tag: "first" } },
      { id: "p2", name: "wait", args: { ms: 30, tag: "second" } },
      { id: "p3", name: "wait", args: { ms: 5, tag: "third" } },
    ];
    const par = { active: 0, max: 0 };
    const outPar = await gp
      .createSession({ engine: scriptedEngine(calls), tools: parallelRegistry(par), toolLoop: { maxParallelTools: 3 } })
      .runAsync(user("parallel"));
    eq(toolUses(outPar).map((u) => [u.payload.id, JSON.parse(u.payload.result)]), [["p1", "first"], ["p2", "second"], ["p3", "third"]], "parallel results in call order");
    eq(par.max, 3, "three calls ran at once with maxParallelTools 3");

    const seq = { active: 0, max: 0 };
    const outSeq = await gp
      .createSession({ engine: scriptedEngine(calls), tools: parallelRegistry(seq) })
      .runAsync(user("sequential"));
    eq(toolUses(outSeq).map((u) => u.payload.id), ["p1", "p2", "p3"], "sequential results in call order");
    eq(seq.max, 1, "default maxParallelTools is 1");
  }

  // ---- retry ------------------------------------------------------------------------------------
  {
    // Always failing: 1 attempt + retryMaxRetries retries, then the error is recorded.
    let attempts = 0;
    const reg = gp.tools.createRegistry().register({
      name: "flaky",
      handler: () => {
        attempts += 1;
        throw new Error("attempt " + attempts + " failed");
      },
    });
    const out = gp
      .createSession({
        engine: scriptedEngine([{ id: "r1", name: "flaky", args: {} }]),
        tools: reg,
        toolLoop: { toolErrorHandling: "retry", retryMaxRetries: 2, retryBackoffMs: 1, retryBackoffFactor: 1 },
      })
      .run(user("retry"));
    eq(attempts, 3, "1 try + 2 retries");
    assert(toolUses(out)[0].payload.error.includes("js tool flaky: attempt 3 failed"), "last error recorded: " + toolUses(out)[0].payload.error);
    eq(last(out).payload.text, "done", "loop goes on after retries are exhausted");

    // Failing twice, then succeeding: the success is recorded.
    let tries = 0;
    const reg2 = gp.tools.createRegistry().register({
      name: "third_time_lucky",
      handler: () => {
        tries += 1;
        if (tries < 3) throw new Error("not yet");
        return { tries };
      },
    });
    const out2 = gp
      .createSession({
        engine: scriptedEngine([{ id: "r2", name: "third_time_lucky", args: {} }]),
        tools: reg2,
        toolLoop: { toolErrorHandling: "retry", retryMaxRetries: 5, retryBackoffMs: 1 },
      })
      .run(user("retry"));
    eq(tries, 3, "stopped retrying after success");
    eq(JSON.parse(toolUses(out2)[0].payload.result), { tries: 3 }, "successful retry result");
    eq(toolUses(out2)[0].payload.error, "", "successful retry has no error");

    // With the default "continue", no retry happens.
    let once = 0;
    const reg3 = gp.tools.createRegistry().register({
      name: "once",
      handler: () => {
        once += 1;
        throw new Error("no retry");
      },
    });
    gp.createSession({ engine: scriptedEngine([{ id: "r3", name: "once", args: {} }]), tools: reg3 }).run(user("x"));
    eq(once, 1, "continue: no retry");
  }

  // ---- executionTimeoutMs interrupts a runaway handler ----------------------------------------------
  {
    const reg = hostTools().register({
      name: "spin",
      handler: () => {
        while (true) {
          // Runaway JS: only the interrupt handler can stop this.
        }
      },
    });
    const started = Date.now();
    const out = gp
      .createSession({
        engine: scriptedEngine([
          { id: "s1", name: "spin", args: {} },
          { id: "s2", name: "go_double", args: { n: 4 } },
        ]),
        tools: reg,
        toolLoop: { executionTimeoutMs: 100 },
      })
      .run(user("spin"));
    const uses = toolUses(out);
    assert(uses[0].payload.error.includes("tool spin timed out after 100 ms"), "timeout error: " + uses[0].payload.error);
    eq(uses[0].payload.result, null, "timed out call has no result");
    eq(JSON.parse(uses[1].payload.result), { value: 8 }, "next call still runs");
    eq(last(out).payload.text, "done", "loop goes on after a timeout");
    assert(Date.now() - started < 1500, "interrupted promptly");

    // The runtime is still usable after the interrupt.
    eq(gp.runInference(gp.engines.echo({ reply: "alive" }), user("x")).blocks[1].payload.text, "alive", "runtime usable after interrupt");
  }

  console.log("tool_loop.js: ok");
}

main();
