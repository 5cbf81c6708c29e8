// The agent API's profile side of the `geppetto` module: `inferenceProfiles`, `engine()`,
// `embeddings()` and `reranker()`. Evaluated once per runtime after js/geppetto.js, with the
// native ops (src/bridge/profiles.rs) and the module's exports, which it extends.
(function (native, gp) {
  "use strict";

  var internal = native.internal;
  var SETTINGS = "inferenceSettings";

  function typeName(value) {
    return value === null ? "null" : typeof value;
  }

  // The id of a settings wrapper; `missingText` (a TypeError) when absent.
  function settingsId(value, missingText) {
    if (value === undefined || value === null) throw new TypeError(missingText);
    var ref = internal.refOf(value, SETTINGS);
    if (!ref) throw new Error("expected registry-resolved InferenceSettings wrapper, got " + typeName(value));
    return ref.id;
  }

  function settingsWrapper(id) {
    var settings = {
      toJSON: function () { return native.settingsJSON(id); },
      clone: function () { return settingsWrapper(native.settingsClone(id)); },
      debug: function () { return native.settingsDebug(id); },
      provenance: native.settingsProvenance(id),
    };
    return Object.freeze(internal.handle(settings, SETTINGS, id));
  }

  function registryWrapper(id) {
    var registry = {
      sources: native.registrySources(id),
      listRegistries: function () { return native.registryListRegistries(id); },
      listProfiles: function (registrySlug) { return native.registryListProfiles(id, registrySlug); },
      resolve: function (input) { return settingsWrapper(native.registryResolve(id, input)); },
      close: function () { native.registryClose(id); },
    };
    return internal.handle(registry, "inferenceRegistry", id);
  }

  var inferenceProfiles = {
    load: function (source) {
      if (source === undefined || source === null) {
        throw new TypeError("inferenceProfiles.load requires registry source string or string array");
      }
      return registryWrapper(native.profilesLoad(source));
    },
    resolve: function (input) { return settingsWrapper(native.profilesHostResolve(input)); },
    default: function () { return registryWrapper(native.profilesDefault()); },
  };

  // An engine handle built from a settings wrapper (also used by `agent().inference()`).
  function engineFromSettings(settings) {
    var made = native.settingsEngine(internal.refOf(settings, SETTINGS).id);
    var engine = { name: "inferenceSettings" };
    if (made[1] !== undefined) engine.metadata = made[1];
    if (made[2] !== undefined) engine.modelInfo = made[2];
    return internal.handle(engine, "engine", made[0]);
  }

  // `gp.engine()`: an immutable builder.
  function engineBuilder(settings) {
    var builder = {
      inference: function (next) {
        settingsId(next, "engine().inference requires a registry-resolved InferenceSettings wrapper");
        return engineBuilder(next);
      },
      build: function () {
        if (settings === null) throw new Error("engine().build requires inference(settings) first");
        return engineFromSettings(settings);
      },
    };
    return Object.freeze(internal.handle(builder, "engineBuilder", 0));
  }

  function embeddings(settings) {
    var id = native.embeddingsCreate(
      settingsId(settings, "embeddings(settings) requires a registry-resolved InferenceSettings wrapper"));
    var client = {
      embed: function (text) {
        if (typeof text !== "string") throw new TypeError("embeddings.embed requires a text string");
        return native.embeddingsEmbed(id, [text])[0];
      },
      embedBatch: function (texts) {
        if (!Array.isArray(texts) || !texts.every(function (t) { return typeof t === "string"; })) {
          throw new TypeError("embeddings.embedBatch requires an array of text strings");
        }
        return texts.length === 0 ? [] : native.embeddingsEmbed(id, texts);
      },
      model: function () { return native.embeddingsModel(id); },
    };
    return internal.handle(client, "embeddings", id);
  }

  function reranker(settings) {
    var id = native.rerankerCreate(
      settingsId(settings, "reranker(settings) requires a registry-resolved InferenceSettings wrapper"));
    var client = {
      rerank: function (query, documents, options) {
        return native.rerankerRerank(id, query, documents, options);
      },
      rerankAsync: function (query, documents, options) {
        if (arguments.length < 3) throw new TypeError("rerankAsync(query, documents, options) requires three arguments");
        if (typeof query !== "string") throw new TypeError("rerankAsync: query must be a string");
        if (!Array.isArray(documents)) throw new TypeError("documents must be an array of {id, text} objects");
        if (options === undefined || options === null) throw new TypeError("options are required (expected {topN, model?})");
        var state = { settled: false, resolve: null, reject: null };
        var promise = new Promise(function (resolve, reject) {
          state.resolve = resolve;
          state.reject = reject;
        });
        var runId = 0;
        try {
          runId = native.rerankerStart(id, query, documents, options, function (ok, value) {
            if (state.settled) return;
            state.settled = true;
            if (ok) state.resolve(value);
            else state.reject(new Error(value));
          });
        } catch (e) {
          state.settled = true;
          state.reject(e);
        }
        var cancel = function () { if (runId) native.rerankerCancel(runId); };
        return internal.handle({ promise: promise, cancel: cancel, close: cancel }, "rerankRun", 0);
      },
      model: function () { return native.rerankerModel(id); },
    };
    return internal.handle(client, "reranker", id);
  }

  internal.settingsId = settingsId;
  internal.engineFromSettings = engineFromSettings;
  gp.inferenceProfiles = inferenceProfiles;
  gp.engine = function () { return engineBuilder(null); };
  gp.embeddings = embeddings;
  gp.reranker = reranker;
});
