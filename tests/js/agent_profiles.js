// agent_profiles.js: gp.inferenceProfiles (js-api-agent.md § gp.inferenceProfiles): sources,
// YAML rules, resolution and precedence, stacking and cycles, redaction of every secret key name,
// provenance, wrappers. Fixtures: tests/fixtures/profiles/agent/ (paths relative to the repo root,
// the working directory of the test runner). No network.
const gp = require("geppetto");

function msgOf(e) {
  return e !== null && typeof e === "object" && "message" in e ? String(e.message) : String(e);
}
function expectThrow(fn, text, type) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`expected an error "${text}", nothing was thrown`);
  if (msgOf(err) !== text) throw new Error(`expected the error "${text}", got "${msgOf(err)}"`);
  if (type && !(err instanceof type)) throw new Error(`expected a ${type.name} for "${text}", got ${err.name}`);
  return err;
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}

const DIR = "tests/fixtures/profiles/agent/";
const PROVIDER = DIR + "provider.yaml";
const TEAM = DIR + "team.yaml";

// ---- sources -------------------------------------------------------------------------------
expectThrow(() => gp.inferenceProfiles.load(), "inferenceProfiles.load requires registry source string or string array", TypeError);
expectThrow(() => gp.inferenceProfiles.load(null), "inferenceProfiles.load requires registry source string or string array", TypeError);
expectThrow(() => gp.inferenceProfiles.load(42), "profile registry sources must be a comma-separated string or string array");
expectThrow(() => gp.inferenceProfiles.load({}), "profile registry sources must be a comma-separated string or string array");
expectThrow(() => gp.inferenceProfiles.load(""), "profile registry sources must not be empty");
expectThrow(() => gp.inferenceProfiles.load([]), "profile registry sources must not be empty");
expectThrow(() => gp.inferenceProfiles.load(PROVIDER + ", ," + TEAM), "profile registry source entry 1 is empty");
expectThrow(() => gp.inferenceProfiles.load([PROVIDER, ""]), "profile registry source entry 1 must be a non-empty string");
expectThrow(() => gp.inferenceProfiles.load([PROVIDER, 7]), "profile registry source entry 1 must be a non-empty string");
{
  let err;
  try {
    gp.inferenceProfiles.load(DIR + "missing.yaml");
  } catch (e) {
    err = e;
  }
  if (!msgOf(err).includes(`profile registry source "${DIR}missing.yaml"`)) throw new Error("unreadable source not named: " + msgOf(err));
}
expectThrow(() => gp.inferenceProfiles.load([PROVIDER, PROVIDER]), 'duplicate registry slug "provider" across profile registry sources');

// ---- rejected documents ----------------------------------------------------------------------
expectThrow(() => gp.inferenceProfiles.load(DIR + "reject-registries.yaml"),
  "validation error (registries): engine profile YAML must define a single registry document (top-level registries is not supported)");
expectThrow(() => gp.inferenceProfiles.load(DIR + "reject-default-slug.yaml"),
  'validation error (default_profile_slug): engine profile YAML does not support default_profile_slug; use profile slug "default"');
expectThrow(() => gp.inferenceProfiles.load(DIR + "reject-legacy.yaml"),
  "validation error (registry): engine profile YAML must define a single registry document (legacy profile-map format is not supported)");
expectThrow(() => gp.inferenceProfiles.load(DIR + "reject-no-slug.yaml"),
  "validation error (registry.slug): must be set for engine profile YAML sources");
expectThrow(() => gp.inferenceProfiles.load(DIR + "reject-bad-slug.yaml"),
  'validation error (registry.slug): registry slug "bad slug!" is invalid');
expectThrow(() => gp.inferenceProfiles.load("yaml:" + DIR + "empty.yaml"),
  `yaml profile registry source "${DIR}empty.yaml" did not contain a registry`);

// ---- the registry wrapper --------------------------------------------------------------------
const registry = gp.inferenceProfiles.load(PROVIDER + "," + TEAM);
eq(registry.sources, [PROVIDER, TEAM], "sources as given");
eq(Object.keys(registry).includes("__geppetto_ref"), false, "the ref is hidden");
eq(typeof registry.__geppetto_ref, "object", "the ref exists");
eq(registry.listRegistries(), [
  { slug: "provider", profile_count: 2, display_name: "Provider layers", default_profile_slug: "default" },
  { slug: "team", profile_count: 8, display_name: "Team profiles", default_profile_slug: "assistant" },
], "listRegistries sorted by slug");
const { listProfiles, resolve } = registry; // methods work off their object
eq(listProfiles().map((p) => p.slug),
  ["assistant", "dangling", "diamond", "foreign", "left", "loop-a", "loop-b", "right"], "top registry profiles");
const secrets = listProfiles("provider").find((p) => p.slug === "secrets");
eq(secrets.metadata, { version: 3, source: "team-vault" }, "profile metadata");
eq(secrets.inference_settings.api.api_keys, { "openai-api-key": "[REDACTED]", "claude-api-key": "[REDACTED]" }, "listProfiles redacts (improved)");
eq(JSON.stringify(listProfiles("provider")).includes("sk-"), false, "no key in listProfiles");
eq(listProfiles()[0].stack, [{ registry_slug: "provider", profile_slug: "default" }, { registry_slug: "provider", profile_slug: "secrets" }], "stack in YAML shape");
expectThrow(() => listProfiles("nope"), "registry not found: nope");

// ---- resolution and precedence ---------------------------------------------------------------
eq(resolve().provenance.profileSlug, "assistant", "no input: top registry, its default (alphabetical first)");
eq(resolve().provenance.registrySlug, "team", "the last source is the top registry");
eq(resolve("default").provenance.registrySlug, "provider", "only a profile: first registry that has it");
eq(resolve({ registry: "provider" }).provenance.profileSlug, "default", "only a registry: its default");
eq(resolve({ registry: "team", registrySlug: "provider", profile: "x", profileSlug: "secrets" }).provenance.profileSlug, "secrets", "second spelling wins");
expectThrow(() => resolve(5), "registry.resolve expects a profile string or options object");
expectThrow(() => resolve({ registry: "nope" }), "registry not found: nope");
expectThrow(() => resolve("nope"), "profile not found: nope");
expectThrow(() => resolve("Bad Slug"), 'profile slug "Bad Slug" is invalid');
expectThrow(() => resolve({ profile: "loop-a" }),
  "validation error (registry.profiles[loop-b].stack[0]): stack cycle detected: team/loop-a -> team/loop-b -> team/loop-a");
expectThrow(() => resolve("dangling"),
  'validation error (registry.profiles[dangling].stack[0]): referenced profile "nowhere" not found in registry "team"');
expectThrow(() => resolve("foreign"),
  'validation error (registry.profiles[foreign].stack[0]): referenced registry "elsewhere" not found');

// ---- stacking and merge ----------------------------------------------------------------------
{
  const diamond = resolve("diamond");
  eq(diamond.provenance.stackLineage, [
    { registrySlug: "provider", profileSlug: "default" },
    { registrySlug: "team", profileSlug: "left" },
    { registrySlug: "team", profileSlug: "right" },
    { registrySlug: "team", profileSlug: "diamond" },
  ], "a diamond's shared base is applied once, bases first");
  eq(diamond.toJSON().chat, { api_type: "openai", engine: "left-model", temperature: 0.5, stop: ["A", "B"], top_p: 0.7 }, "maps merge");
  const assistant = resolve("assistant");
  const json = assistant.toJSON();
  eq(json.chat.stop, [], "a later list replaces");
  eq(json.chat.temperature, 0.2, "a later scalar replaces");
  eq(json.api.base_urls, { "openai-base-url": "https://llm.example/v1" }, "base URLs are not secrets");
  eq(json.model_info, { context_window: 64000, cost: { input: 1.5, output: 6 } }, "model_info");
}

// ---- redaction: every secret key name, at any depth ------------------------------------------
{
  const settings = resolve("secrets");
  const json = settings.toJSON();
  eq(json.api.api_keys, { "openai-api-key": "[REDACTED]", "claude-api-key": "[REDACTED]" }, "api_keys: keys kept, values redacted");
  eq(json.embeddings, {
    api_key: "[REDACTED]", apiKey: "[REDACTED]", apiKeys: ["[REDACTED]", "[REDACTED]"], key: "[REDACTED]",
    secret: { inner: "[REDACTED]" }, token: null, type: "openai", engine: "text-embedding-3-small",
  }, "every secret key name");
  eq(json.extra, { nested: [{ token: "[REDACTED]", keep: "visible" }] }, "inside lists");
  const text = JSON.stringify(json) + JSON.stringify(settings.debug()) + JSON.stringify(settings);
  for (const secret of ["sk-one", "sk-two", "emb-secret", "raw-key", "s1", "tok-1", "k1"]) {
    if (text.includes(secret)) throw new Error("leaked " + secret);
  }
  eq(settings.debug().apiKeyNames, ["claude-api-key", "openai-api-key"], "debug lists key names, sorted");
  eq(settings.debug().baseURLNames, null, "no base URLs: null");
  eq(settings.debug().kind, "InferenceSettings", "debug kind");
  eq(settings.debug().snapshot, json, "debug snapshot = toJSON()");
}

// ---- provenance and wrappers -----------------------------------------------------------------
{
  const settings = resolve("assistant");
  eq(settings.provenance, {
    registrySlug: "team",
    profileSlug: "assistant",
    stackLineage: [
      { registrySlug: "provider", profileSlug: "default" },
      { registrySlug: "provider", profileSlug: "secrets", version: 3, source: "team-vault" },
      { registrySlug: "team", profileSlug: "assistant" },
    ],
    sources: [PROVIDER, TEAM],
    metadata: {
      "profile.registry": "team",
      "profile.slug": "assistant",
      "profile.stack.lineage": [
        { registry_slug: "provider", profile_slug: "default", version: 0, source: "" },
        { registry_slug: "provider", profile_slug: "secrets", version: 3, source: "team-vault" },
        { registry_slug: "team", profile_slug: "assistant", version: 0, source: "" },
      ],
    },
  }, "provenance");
  eq(settings.toJSON().provenance, settings.provenance, "toJSON carries provenance");
  const { toJSON, clone } = settings;
  const copy = clone();
  eq(copy.provenance.profileSlug, "assistant", "clone keeps provenance");
  eq(copy.toJSON(), toJSON(), "clone is equal");
  eq(Object.isFrozen(settings), true, "settings wrapper is read-only");
  eq(JSON.parse(JSON.stringify(settings)).chat.engine, "gpt-4o-mini", "JSON.stringify uses toJSON");
}

// ---- close -----------------------------------------------------------------------------------
registry.close();
registry.close(); // idempotent
expectThrow(() => registry.listRegistries(), "registry.listRegistries called after registry.close");
expectThrow(() => registry.listProfiles(), "registry.listProfiles called after registry.close");
expectThrow(() => registry.resolve(), "registry.resolve called after registry.close");

// ---- no host registry unless configured --------------------------------------------------------
expectThrow(() => gp.inferenceProfiles.resolve(), "inferenceProfiles.resolve requires a configured profile registry");
expectThrow(() => gp.inferenceProfiles.default(), "inferenceProfiles.default requires a configured profile registry");

// ---- Go example 25 (hardcut fixture) -----------------------------------------------------------
{
  const path = globalThis.GEPPETTO_PHASE123_PROFILE || "tests/fixtures/profiles/50-hardcut-phase123.yaml";
  const reg = gp.inferenceProfiles.load(path);
  const settings = reg.resolve({ profile: "assistant" });
  const json = settings.toJSON();
  eq(json.chat.engine, "gpt-4o-mini", "example 25: chat.engine");
  eq(JSON.stringify(json).includes("example-secret"), false, "example 25: no secret");
  eq(Object.keys(json.api.api_keys), ["openai-api-key"], "example 25: key names");
  eq(settings.clone().provenance.profileSlug, "assistant", "example 25: clone keeps provenance");
  reg.close();
}
console.log("agent_profiles.js: ok");
