// host_profiles.js: run by tests/agent_profiles_cli.rs with a host profile registry
// (--profile-registries / GEPPETTO_PROFILE_REGISTRIES) and the expected default profile in
// EXPECT_PROFILE (or none). Checks inferenceProfiles.resolve() and default().
const gp = require("geppetto");
const expected = ENV.EXPECT_PROFILE;
const settings = gp.inferenceProfiles.resolve();
if (settings.provenance.profileSlug !== expected) {
  throw new Error(`resolve(): expected profile ${expected}, got ${settings.provenance.profileSlug}`);
}
if (gp.inferenceProfiles.resolve("bge-reranker").provenance.profileSlug !== "bge-reranker") throw new Error("resolve(slug)");
const host = gp.inferenceProfiles.default();
if (host.resolve().provenance.profileSlug !== expected) throw new Error("default().resolve() uses the host default profile");
host.close();
let closed;
try {
  host.listRegistries();
} catch (e) {
  closed = e.message;
}
if (closed !== "registry.listRegistries called after registry.close") throw new Error("closed wrapper: " + closed);
// Closing the wrapper leaves the host registry usable.
if (gp.inferenceProfiles.default().listRegistries()[0].slug !== "hardcut") throw new Error("host registry closed by a wrapper");
console.log("host profile " + settings.provenance.profileSlug);
