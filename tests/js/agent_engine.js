// agent_engine.js: gp.engine() (js-api-agent.md § gp.engine()): the immutable builder, the engine
// it builds (name, metadata, modelInfo), validation texts, and the outbound policy at request
// time (against 127.0.0.1:9, where nothing listens). Mimics Go examples 26 and hardcut/01-02.
const gp = require("geppetto");

function msgOf(e) {
  return e !== null && typeof e === "object" && "message" in e ? String(e.message) : String(e);
}
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, nothing was thrown");
}
function expectThrow(fn, text, type) {
  const err = thrown(fn);
  if (msgOf(err) !== text) throw new Error(`expected the error "${text}", got "${msgOf(err)}"`);
  if (type && !(err instanceof type)) throw new Error(`expected a ${type.name} for "${text}", got ${err.name}`);
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}

const hardcut = gp.inferenceProfiles.load(globalThis.GEPPETTO_PHASE123_PROFILE || "tests/fixtures/profiles/50-hardcut-phase123.yaml");
const engines = gp.inferenceProfiles.load("tests/fixtures/profiles/agent/engines.yaml");

// ---- the builder -----------------------------------------------------------------------------
{
  const empty = gp.engine();
  expectThrow(() => empty.inference(), "engine().inference requires a registry-resolved InferenceSettings wrapper", TypeError);
  expectThrow(() => empty.inference({ chat: { engine: "gpt-4o-mini" } }), "expected registry-resolved InferenceSettings wrapper, got object");
  expectThrow(() => empty.inference("assistant"), "expected registry-resolved InferenceSettings wrapper, got string");
  expectThrow(() => empty.build(), "engine().build requires inference(settings) first");
  const { inference } = empty; // methods work off their object
  const withSettings = inference(hardcut.resolve("assistant"));
  expectThrow(() => empty.build(), "engine().build requires inference(settings) first"); // immutable
  const engine = withSettings.build();
  eq(engine.name, "inferenceSettings", "engine name");
  eq(engine.metadata.profileSlug, "assistant", "metadata = provenance");
  eq(engine.metadata.registrySlug, "hardcut", "registry slug");
  eq(engine.modelInfo, { id: "gpt-4o-mini", name: "GPT-4o mini", input: ["text", "image"], contextWindow: 128000, maxOutputTokens: 16384 }, "modelInfo");
  eq(Object.keys(engine).includes("__geppetto_ref"), false, "hidden ref");
  eq(engine.__geppetto_ref.kind, "engine", "an ordinary engine handle");
  // Go example 26.
  let err = thrown(() => gp.engine().inference({ chat: { api_type: "openai", engine: "gpt-4o-mini" } }));
  if (!/InferenceSettings wrapper/i.test(msgOf(err))) throw new Error("example 26 text: " + msgOf(err));
  const e26 = gp.engine().inference(hardcut.resolve({ profile: "assistant" })).build();
  eq([e26.metadata.profileSlug, e26.metadata.registrySlug, e26.modelInfo.contextWindow === 128000], ["assistant", "hardcut", true], "example 26");
  // hardcut/01-02: resolve and print, build and print.
  console.log("profile", hardcut.resolve("assistant").provenance.profileSlug, "engine", e26.name, e26.metadata.profileSlug);
  // A profile without model_info: no modelInfo key.
  eq("modelInfo" in gp.engine().inference(engines.resolve("local-refused")).build(), false, "no model_info, no modelInfo");
}

// ---- validation (Go texts), never the network ----------------------------------------------
const build = (profile) => gp.engine().inference(engines.resolve(profile)).build();
expectThrow(() => build("no-chat"), "invalid settings for provider openai: chat settings cannot be nil");
expectThrow(() => build("unknown-provider"), "invalid settings for provider mistral: unknown provider mistral");
expectThrow(() => build("missing-key"), "invalid settings for provider openai: missing API key openai-api-key");
expectThrow(() => build("responses-missing-key"),
  "invalid settings for provider openai-responses: missing API key openai-responses-api-key (or fallback open-responses-api-key, openai-responses-api-key, openai-api-key)");
expectThrow(() => build("fireworks-no-base-url"), "invalid settings for provider fireworks: missing base URL fireworks-base-url for provider fireworks");
build("responses-fallback-key");
build("claude");

// ---- the outbound policy, at request time ------------------------------------------------------
const T = gp.turns;
const ask = (engine) => thrown(() => gp.createSession({ engine }).run(T.newTurn({ blocks: [T.newUserBlock("hi")] })));
{
  const refused = msgOf(ask(build("local-refused")));
  if (!refused.includes("plain http base URL refused by the outbound policy (set api.allow_http.openai to allow it)")) throw new Error(refused);
  const local = msgOf(ask(build("local-http-only")));
  if (!local.includes("local network base URL refused by the outbound policy (set api.allow_local_networks.openai to allow it)")) throw new Error(local);
  const allowed = msgOf(ask(build("local-allowed")));
  if (allowed.includes("outbound policy") || !allowed.includes("cannot connect")) throw new Error("allowed engine should try to connect: " + allowed);
  if (allowed.includes("sk-local")) throw new Error("key leaked: " + allowed);
}
// The old API keeps its behaviour: fromConfig has no outbound policy.
{
  const old = msgOf(ask(gp.engines.fromConfig({ model: "m", baseURL: "http://127.0.0.1:9/v1" })));
  if (old.includes("outbound policy")) throw new Error("fromConfig must not apply the policy: " + old);
}
console.log("agent_engine.js: ok");
