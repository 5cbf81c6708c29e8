// agent_profiles.js: profile registries and settings-built clients of the agent API, offline.
// It loads a registry file, resolves a profile (secrets redacted in everything a script can
// read), builds an engine, an embeddings client and a reranker from it; nothing here touches the
// network (model() never does, and the engine is not run).
//
//   geppetto run examples/agent_profiles.js
// or with the file as the host registry:
//   geppetto run --profile-registries tests/fixtures/profiles/50-hardcut-phase123.yaml examples/agent_profiles.js
const gp = require("geppetto");

const registry = gp.inferenceProfiles.load("tests/fixtures/profiles/50-hardcut-phase123.yaml");
for (const r of registry.listRegistries()) {
  console.log(`registry ${r.slug}: ${r.profile_count} profiles, default ${r.default_profile_slug}`);
}

// Resolve a profile: the merged settings of its stack, plus where they came from.
const settings = registry.resolve({ profile: "assistant" });
const snapshot = settings.toJSON();
console.log("model:", snapshot.chat.engine, "keys:", Object.keys(snapshot.api.api_keys).join(","));
assert(snapshot.api.api_keys["openai-api-key"] === "[REDACTED]", "API keys are redacted");
console.log("provenance:", settings.provenance.registrySlug + "/" + settings.provenance.profileSlug);

// An engine from settings: validated now, the outbound policy applies when it sends a request.
const engine = gp.engine().inference(settings).build();
console.log("engine:", engine.name, "context window:", engine.modelInfo.contextWindow);

// Embeddings and reranker clients describe their models without any request.
const embedder = gp.embeddings(settings);
console.log("embeddings:", JSON.stringify(embedder.model()));
const reranker = gp.reranker(registry.resolve("bge-reranker"));
console.log("reranker:", JSON.stringify(reranker.model()));

registry.close();
