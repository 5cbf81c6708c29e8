// engines.js: echo, fromFunction, fromConfig, fromProfile. Nothing here touches the network:
// provider engines are only created, never run.
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
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}
const user = (text) => T.newTurn({ blocks: [T.newUserBlock(text)] });
const runOnce = (engine, text) => gp.createSession({ engine }).run(user(text || "hi"));
const last = (turn) => turn.blocks[turn.blocks.length - 1];

// ---- echo ------------------------------------------------------------------------------------
{
  const out = runOnce(gp.engines.echo({ reply: "  trimmed reply \n" }));
  eq(out.blocks.length, 2, "echo appends exactly one block");
  eq(out.blocks[0].payload.text, "hi", "echo keeps the input blocks");
  const b = last(out);
  eq([b.kind, b.role, b.payload.text], ["llm_text", "assistant", "trimmed reply"], "echo block, reply trimmed");

  // Missing, empty or non-string replies give READY.
  eq(last(runOnce(gp.engines.echo())).payload.text, "READY", "echo() default");
  eq(last(runOnce(gp.engines.echo({}))).payload.text, "READY", "echo({}) default");
  eq(last(runOnce(gp.engines.echo({ reply: "" }))).payload.text, "READY", "empty reply");
  eq(last(runOnce(gp.engines.echo({ reply: 42 }))).payload.text, "READY", "non-string reply");
  eq(last(runOnce(gp.engines.echo({ reply: null }))).payload.text, "READY", "null reply");
  eq(gp.engines.echo().name, "echo", "echo engine name");
}

// ---- fromFunction ----------------------------------------------------------------------------
{
  // Returning a turn replaces the turn.
  let seen = null;
  const replacing = gp.engines.fromFunction((turn) => {
    seen = turn;
    return T.newTurn({ id: turn.id, blocks: [T.newUserBlock("replaced"), T.newAssistantBlock("answer")] });
  });
  eq(replacing.name, "jsFunction", "fromFunction engine name");
  const out = runOnce(replacing, "original");
  eq(out.blocks.map((b) => b.payload.text), ["replaced", "answer"], "returned turn replaces the turn");
  // The callback got a real turn with the run's metadata.
  eq(seen.blocks[0].payload.text, "original", "callback sees the input turn");
  assert(typeof seen.metadata.session_id === "string", "callback turn carries metadata.session_id");
  assert(typeof seen.metadata.inference_id === "string", "callback turn carries metadata.inference_id");

  // Returning undefined or null keeps the input turn, even if the callback mutated its copy.
  for (const ret of [undefined, null]) {
    const keeping = gp.engines.fromFunction((turn) => {
      turn.blocks.push(T.newAssistantBlock("mutation of the copy"));
      turn.blocks[0].payload.text = "changed";
      return ret;
    });
    const kept = runOnce(keeping, "unchanged");
    eq(kept.blocks.length, 1, `return ${ret}: block count unchanged`);
    eq(kept.blocks[0].payload.text, "unchanged", `return ${ret}: input turn kept`);
  }

  // A throw fails the inference with "js engine callback: <message>".
  const throwing = gp.engines.fromFunction(() => {
    throw new Error("engine exploded");
  });
  const e = expectThrow(() => runOnce(throwing), "js engine callback: engine exploded");
  assert(e instanceof Error, "run failure is an Error");

  // Not a function.
  expectThrow(() => gp.engines.fromFunction(), "fromFunction requires a JS function");
  expectThrow(() => gp.engines.fromFunction(42), "fromFunction requires a JS function");
  expectThrow(() => gp.engines.fromFunction({ call() {} }), "fromFunction requires a JS function");
}

// ---- fromConfig ------------------------------------------------------------------------------
{
  expectThrow(() => gp.engines.fromConfig(), "fromConfig requires options object");
  const err = expectThrow(() => gp.engines.fromConfig({ provider: "no-such-provider", model: "m" }), "no-such-provider");
  // The error names the allowed providers.
  for (const p of ["openai", "openai-responses", "claude", "gemini"]) {
    assert(msgOf(err).includes(p), `unknown provider error names ${p}: ${msgOf(err)}`);
  }
  expectThrow(() => gp.engines.fromConfig({ apiType: "bogus", model: "m" }), "bogus");

  // Creating provider engines never calls the network and needs no API key.
  const configs = [
    { apiType: "openai", model: "gpt-4o-mini" },
    { provider: "openai-responses", model: "o4-mini" },
    { provider: "claude", model: "claude-3-5-haiku-latest" },
    { provider: "anthropic", model: "claude-3-5-haiku-latest" },
    { apiType: "gemini", model: "gemini-2.0-flash" },
    {
      provider: "openai",
      model: "gpt-4o-mini",
      apiKey: "sk-test-not-real",
      baseURL: "http://127.0.0.1:9/v1",
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 64,
      timeoutSeconds: 5,
    },
    { provider: "openai", model: "gpt-4o-mini", timeoutMs: 1500 },
  ];
  for (const opts of configs) {
    const engine = gp.engines.fromConfig(opts);
    eq(engine.name, "config", "fromConfig engine name for " + JSON.stringify(opts));
    // A session can be built around it without running it.
    gp.createSession({ engine });
  }
}

// ---- fromProfile -----------------------------------------------------------------------------
{
  // The default profile applies only when the environment does not choose one.
  const envProfile = ENV && ENV.PINOCCHIO_PROFILE;
  const defaultName = envProfile ? `profile:${envProfile}` : "profile:4o-mini";
  eq(gp.engines.fromProfile().name, defaultName, "fromProfile() default profile");
  eq(gp.engines.fromProfile(undefined, {}).name, defaultName, "fromProfile(undefined, {})");

  // Explicit argument, then opts.profile.
  eq(gp.engines.fromProfile("gpt-4o").name, "profile:gpt-4o", "explicit profile");
  eq(gp.engines.fromProfile(undefined, { profile: "claude-3-5-sonnet" }).name, "profile:claude-3-5-sonnet", "opts.profile");
  eq(gp.engines.fromProfile("gemini-2.0-flash", { profile: "ignored" }).name, "profile:gemini-2.0-flash", "argument beats opts.profile");

  // Provider inference from the model name (none of these may touch the network).
  for (const model of ["gemini-1.5-pro", "claude-3-opus", "o1-mini", "o3", "o4-mini", "gpt-5-nano", "gpt-4.1"]) {
    const engine = gp.engines.fromProfile(model);
    eq(engine.name, "profile:" + model, "profile name for " + model);
    gp.createSession({ engine });
  }
  // An explicit provider and overrides are accepted.
  eq(gp.engines.fromProfile("my-model", { apiType: "openai", apiKey: "sk-x", baseURL: "http://127.0.0.1:9" }).name,
    "profile:my-model", "profile with explicit provider");
}

console.log("engines.js: ok");
