// agent_embeddings.js: gp.embeddings(settings) and gp.reranker(settings) (js-api-agent.md): the
// wrappers, construction errors, request validation texts, offline model(), and transport errors
// against 127.0.0.1:9 (nothing listens there). Mimics Go examples hardcut/06 and hardcut/07.
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
const profiles = gp.inferenceProfiles.load("tests/fixtures/profiles/agent/engines.yaml");
const settings = (slug) => profiles.resolve(slug);

// ---- embeddings ------------------------------------------------------------------------------
expectThrow(() => gp.embeddings(), "embeddings(settings) requires a registry-resolved InferenceSettings wrapper", TypeError);
expectThrow(() => gp.embeddings({ embeddings: {} }), "expected registry-resolved InferenceSettings wrapper, got object");
expectThrow(() => gp.embeddings(settings("emb-no-type")), "embeddings(settings): no embeddings type specified");
expectThrow(() => gp.embeddings(settings("emb-no-model")), "embeddings(settings): no embeddings model specified");
expectThrow(() => gp.embeddings(settings("emb-ollama-no-dims")), "embeddings(settings): no dimensions specified for embeddings");
expectThrow(() => gp.embeddings(settings("emb-openai-no-key")), "embeddings(settings): no API key provided for OpenAI");
expectThrow(() => gp.embeddings(settings("emb-unsupported")), "embeddings(settings): unsupported provider type for embeddings: cohere");
{
  // hardcut/06: model() without any network.
  const embedder = gp.embeddings(hardcut.resolve("assistant"));
  eq(embedder.model(), { name: "text-embedding-3-small", dimensions: 4 }, "hardcut/06 model()");
  const { embedBatch, model } = embedder; // methods work off their object
  eq(embedBatch([]), [], "embedBatch([]) needs no request");
  eq(model().dimensions, 4, "model off its object");
  expectThrow(() => embedder.embed(5), "embeddings.embed requires a text string", TypeError);
  expectThrow(() => embedder.embedBatch(["a", 1]), "embeddings.embedBatch requires an array of text strings", TypeError);
  eq(embedder.__geppetto_ref.kind, "embeddings", "hidden ref");
}
{
  const local = gp.embeddings(settings("emb-ollama-local"));
  eq(local.model(), { name: "nomic-embed-text", dimensions: 3 }, "ollama model()");
  expectThrow(() => local.embed("private text"), "Ollama embeddings request failed: transport error");
}

// ---- reranker --------------------------------------------------------------------------------
const INVALID = ": invalid rerank request";
expectThrow(() => gp.reranker(), "reranker(settings) requires a registry-resolved InferenceSettings wrapper", TypeError);
expectThrow(() => gp.reranker(settings("rerank-none")), "reranker(settings): selected profile is not rerank-capable: missing inference_settings.rerank" + INVALID);
expectThrow(() => gp.reranker(settings("rerank-no-type")), "reranker(settings): selected profile is not rerank-capable: missing inference_settings.rerank.type" + INVALID);
expectThrow(() => gp.reranker(settings("rerank-no-engine")), "reranker(settings): selected profile is not rerank-capable: missing inference_settings.rerank.engine" + INVALID);
expectThrow(() => gp.reranker(settings("rerank-cohere")), 'reranker(settings): unsupported rerank provider type "cohere"; supported values are [llamacpp]' + INVALID);
expectThrow(() => gp.reranker(settings("rerank-no-url")),
  "reranker(settings): selected rerank profile has no rerank-base-url; set inference_settings.api.base_urls.rerank-base-url" + INVALID);
expectThrow(() => gp.reranker(settings("rerank-userinfo")), "reranker(settings): rerank-base-url must not contain userinfo" + INVALID);
expectThrow(() => gp.reranker(settings("rerank-refused")),
  "reranker(settings): local network base URL refused by the outbound policy (set api.allow_local_networks.rerank to allow it)" + INVALID);
// hardcut/07: model() offline.
eq(gp.reranker(hardcut.resolve("bge-reranker")).model(), { provider: "llama.cpp", name: "bge-reranker-v2-m3" }, "hardcut/07 model()");

const reranker = gp.reranker(settings("rerank-local"));
const docs = [{ id: "a", text: "alpha" }, { id: "b", text: "beta" }];
const check = (args, text) => expectThrow(() => reranker.rerank(...args), text + INVALID);
check(["", docs, { topN: 1 }], "rerank query is required");
check([undefined, docs, { topN: 1 }], "rerank query is required");
check(["q", [], { topN: 1 }], "rerank requires at least one document");
check(["q", [docs[0], null], { topN: 1 }], "rerank document 1 is null");
check(["q", [{ id: "", text: "t" }], { topN: 1 }], "rerank document 0 requires a non-empty string id");
check(["q", ["just text"], { topN: 1 }], "rerank document 0 requires a non-empty string id");
check(["q", [{ id: 3, text: "t" }], { topN: 1 }], "rerank document 0 requires a non-empty string id");
check(["q", [{ id: "a", text: "" }], { topN: 1 }], "rerank document 0 requires non-empty string text");
check(["q", [docs[0], { id: "a", text: "again" }], { topN: 1 }], "rerank documents contain a duplicate id");
check(["q", docs], "rerank options are required (expected {topN, model?})");
check(["q", docs, { topN: 1, top: 2 }], 'rerank options: unknown key "top" (expected topN, model)');
check(["q", docs, {}], "rerank options.topN is required");
check(["q", docs, { topN: 1.5 }], "rerank options.topN must be an integer: value is not a JavaScript safe integer");
check(["q", docs, { topN: 2 ** 60 }], "rerank options.topN must be an integer: value is not a JavaScript safe integer");
check(["q", docs, { topN: 3 }], "rerank options.topN (3) must be between 1 and 2");
check(["q", docs, { topN: 0 }], "rerank options.topN (0) must be between 1 and 2");
check(["q", docs, { topN: 1, model: 7 }], "rerank options.model must be a string");
check(["q", docs, { topN: 1, model: "other" }], 'rerank request model "other" does not match provider model "bge-reranker-v2-m3"');
{
  const err = msgOf(thrown(() => reranker.rerank("secret query", docs, { topN: 1 })));
  eq(err, "llamacpp provider transport failed: rerank provider unavailable", "transport error text");
}

// rerankAsync: argument TypeErrors, then a handle whose promise settles.
expectThrow(() => reranker.rerankAsync("q", docs), "rerankAsync(query, documents, options) requires three arguments", TypeError);
expectThrow(() => reranker.rerankAsync(1, docs, { topN: 1 }), "rerankAsync: query must be a string", TypeError);
expectThrow(() => reranker.rerankAsync("q", "docs", { topN: 1 }), "documents must be an array of {id, text} objects", TypeError);
expectThrow(() => reranker.rerankAsync("q", docs, null), "options are required (expected {topN, model?})", TypeError);

(async () => {
  const { promise, cancel, close } = reranker.rerankAsync("q", docs, { topN: 1 });
  eq([typeof cancel, typeof close], ["function", "function"], "handle methods");
  const extra = reranker.rerankAsync("q", docs, { topN: 1 });
  eq(extra.__geppetto_ref.kind, "rerankRun", "the handle carries a hidden ref");
  extra.promise.catch(() => {});
  let failure;
  try {
    await promise;
  } catch (e) {
    failure = msgOf(e);
  }
  eq(failure, "llamacpp provider transport failed: rerank provider unavailable", "rerankAsync rejects with the transport text");
  let invalid;
  try {
    await reranker.rerankAsync("q", docs, { topN: 9 }).promise;
  } catch (e) {
    invalid = msgOf(e);
  }
  eq(invalid, "rerank options.topN (9) must be between 1 and 2" + INVALID, "validation rejects the promise");
  const cancelled = reranker.rerankAsync("q", docs, { topN: 1 });
  cancelled.cancel();
  let outcome;
  try {
    await cancelled.promise;
  } catch (e) {
    outcome = msgOf(e);
  }
  if (outcome !== "rerank canceled" && outcome !== "llamacpp provider transport failed: rerank provider unavailable") {
    throw new Error("cancelled rerank: " + outcome);
  }
  console.log("agent_embeddings.js: ok");
})().catch((e) => {
  console.log("agent_embeddings.js: FAILED " + msgOf(e));
  throw e;
});
