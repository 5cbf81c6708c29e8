// agent_spec_turns.js: promises of js-api-agent.md about JS turns and builder arguments that the
// other agent scripts do not pin: a runAsync() run begins only after the calling JS turn, even when
// that turn waits synchronously in between (a run() of another session, a tool call, sleep), so a
// cancel() later in the same turn always cancels it; wrapper errors of agent().inference; names
// trimmed and boolean-ish persistence arguments read as Go reads them; sessions and session builders
// keep their agent alive.
const gp = require("geppetto");

const checks = [];
const same = (a, b, what) => { if (JSON.stringify(a) !== JSON.stringify(b)) checks.push(`${what}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`); };
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return [e.name, e.message];
  }
  return null;
}

// ---- builder arguments -----------------------------------------------------------------------
same(thrown(() => gp.agent().inference()), ["TypeError", "agent().inference requires a registry-resolved InferenceSettings wrapper"], "inference()");
same(thrown(() => gp.agent().inference(null)), ["TypeError", "agent().inference requires a registry-resolved InferenceSettings wrapper"], "inference(null)");
same(thrown(() => gp.agent().inference({})), ["Error", "expected registry-resolved InferenceSettings wrapper, got object"], "inference({})");
same(thrown(() => gp.agent().inference("assistant")), ["Error", "expected registry-resolved InferenceSettings wrapper, got string"], "inference(string)");
same(thrown(() => gp.engine().inference(5)), ["Error", "expected registry-resolved InferenceSettings wrapper, got number"], "engine().inference(5)");
same(thrown(() => gp.embeddings({})), ["Error", "expected registry-resolved InferenceSettings wrapper, got object"], "embeddings({})");
same(thrown(() => gp.reranker([])), ["Error", "expected registry-resolved InferenceSettings wrapper, got object"], "reranker([])");

// A blank profile string is not a profile: the "expects" text, as Go.
same(thrown(() => gp.inferenceProfiles.load("tests/fixtures/profiles/50-hardcut-phase123.yaml").resolve("  ")), ["Error", "registry.resolve expects a profile string or options object"], "resolve(blank)");
same(thrown(() => gp.inferenceProfiles.load("tests/fixtures/profiles/50-hardcut-phase123.yaml").resolve("")), ["Error", "registry.resolve expects a profile string or options object"], "resolve('')");

// A source prefix without a path has Go's texts.
same(thrown(() => gp.inferenceProfiles.load("yaml:")), ["Error", "yaml profile registry source path is empty"], "yaml: without a path");
same(thrown(() => gp.inferenceProfiles.load("a.yaml, sqlite: ")), ["Error", "sqlite profile registry source path is empty"], "sqlite: without a path");
same(thrown(() => gp.inferenceProfiles.load(["sqlite-dsn:"])), ["Error", "sqlite-dsn profile registry source is empty"], "sqlite-dsn: without a DSN");

const agent = gp.agent().name("  support  ").engine(gp.engines.echo({ reply: "ok" })).build();
same(agent.name, "support", "agent name trimmed");
const named = agent.session().id(" s ").name("  first  ").build();
same([named.id(), named.name()], ["s", "first"], "session id and name trimmed");
same(named.next().user("x").run().outputTurn().toJSON().metadata.runtime, { agentName: "support", sessionName: "first" }, "trimmed names in metadata.runtime");

// Without a host default store, enabling throws and any falsy non-null argument disables.
for (const off of [false, 0, ""]) {
  same(thrown(() => gp.agent().defaultStore(off).persist(off).persistDefault(off)), null, `agent defaultStore(${JSON.stringify(off)}) disables`);
  same(thrown(() => agent.session().persist(off)), null, `session persist(${JSON.stringify(off)}) disables`);
}
for (const on of [undefined, null, true, 1]) {
  same(thrown(() => gp.agent().defaultStore(on)), ["Error", "geppetto default turn persistence is not configured"], `agent defaultStore(${String(on)}) enables`);
  same(thrown(() => agent.session().persist(on)), ["Error", "geppetto default turn persistence is not configured"], `session persist(${String(on)}) enables`);
}

// ---- a session outlives the agent object it came from --------------------------------------------
// The script keeps only the session; after runs (nested waits, where dropped objects get collected)
// fork() and a session builder kept aside still work.
const orphan = gp.agent().engine(gp.engines.echo({ reply: "ok" })).build().session().build();
const keptBuilder = gp.agent().engine(gp.engines.echo({ reply: "kept" })).build().session();
orphan.next().user("a").run();
orphan.next().user("b").run();
same(thrown(() => orphan.fork().build().turnCount()), null, "fork() after the agent object was dropped");
same(orphan.fork().build().next().user("c").run().text(), "ok", "a fork of an orphaned session runs");
same(keptBuilder.build().next().user("d").run().text(), "kept", "a session builder outlives its agent object");
const keptTurn = gp.agent().engine(gp.engines.echo({ reply: "turn" })).build().session().build().next().user("e");
orphan.next().user("f").run();
orphan.next().user("g").run();
same(thrown(() => keptTurn.run()), null, "a turn builder outlives its session object");

// ---- runAsync begins after the calling JS turn -------------------------------------------------
const other = agent.session().build();
const tools = gp.toolRegistry().add({ name: "noop", handler: () => "done" });
const waits = {
  "nothing": () => {},
  "a run() of another session": () => other.next().user("sync").run(),
  "a tool call": () => tools.call("noop", {}),
  "sleep": () => sleep(20),
};

async function main() {
  for (const [label, wait] of Object.entries(waits)) {
    const session = agent.session().build();
    session.next().user("first").run();
    const handle = session.next().user("second").runAsync();
    wait();
    same([session.isRunning(), session.turnCount()], [true, 1], `${label}: running, history unchanged within the turn`);
    handle.cancel();
    try {
      await handle.promise;
      checks.push(`${label}: a cancel() in the same JS turn did not cancel the run`);
    } catch (e) {
      same([e.message, session.turnCount(), session.isRunning()], ["inference canceled", 1, false], `${label}: cancelled`);
    }
  }

  // Without cancel() the run goes ahead once the turn ends.
  const session = agent.session().build();
  const handle = session.next().user("go").runAsync();
  other.next().user("sync").run();
  const result = await handle.promise;
  same([result.text(), session.turnCount()], ["ok", 1], "the released run completes");

  if (checks.length) throw new Error("spec mismatches:\n" + checks.join("\n"));
  console.log("agent_spec_turns: ok");
}

main();
