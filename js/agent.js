// The agent API's JS face (spec: js-api-agent.md): `gp.agent()`, sessions, turn and message
// builders, runs and their handles, `RunResult`, `TurnWrapper`, `gp.schema`, `gp.tool`,
// `gp.toolRegistry`, and event delivery to emitters. Runs, sessions and tools are native ops
// (src/bridge/agent/); this file shapes the API. Methods are own properties (closures), so they
// work when taken off their object. Evaluated once per runtime after js/geppetto.js, with the
// module's exports to extend and the helpers geppetto.js shares.
(function (native, gp, glue) {
  "use strict";

  var handle = glue.handle;
  var refOf = glue.refOf;
  var describe = glue.describe;
  var isObject = glue.isObject;

  function typeName(value) {
    return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  }

  function copy(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  function missing(value) {
    return value === undefined || value === null;
  }

  // ---- turns -------------------------------------------------------------------------------
  function turnWrapper(plain) {
    var wrapper = {
      toJSON: function () {
        return copy(plain);
      },
      clone: function () {
        return turnWrapper(copy(plain));
      },
    };
    return handle(wrapper, "turn", 0);
  }

  function wrapOrNull(plain) {
    return plain === null ? null : turnWrapper(plain);
  }

  // A TurnWrapper or a plain turn object as a plain turn; `undefined` for anything else.
  function plainTurn(value) {
    if (refOf(value, "turn")) return value.toJSON();
    if (isObject(value) && !refOf(value, "schema")) return copy(value);
    return undefined;
  }

  // ---- events ------------------------------------------------------------------------------
  // Delivers one event to every emitter, in the order they were added: emit("event", payload),
  // then emit(<type>, copy) with "error" delivered as "inference-error". A throwing listener is
  // logged and changes nothing.
  function deliverer(emitters) {
    if (emitters.length === 0) return null;
    return function (payload, second) {
      var name = payload.type === "error" ? "inference-error" : payload.type;
      for (var i = 0; i < emitters.length; i++) {
        emitTo(emitters[i], "event", payload);
        emitTo(emitters[i], name, second);
      }
    };
  }

  function emitTo(emitter, name, payload) {
    try {
      emitter.emit(name, payload);
    } catch (e) {
      native.logEventListenerError(e && e.message !== undefined ? String(e.message) : String(e));
    }
  }

  // ---- runs --------------------------------------------------------------------------------
  function runResult(result) {
    var object = {
      inputTurn: function () { return turnWrapper(copy(result.inputTurn)); },
      effectiveTurn: function () { return turnWrapper(copy(result.effectiveTurn)); },
      outputTurn: function () { return turnWrapper(copy(result.outputTurn)); },
      text: function () { return result.text; },
      usage: function () { return copy(result.usage); },
      stopReason: function () { return result.stopReason; },
      events: function () { return copy(result.events); },
      persistence: function () { return copy(result.persistence); },
      toJSON: function () {
        return {
          inputTurn: copy(result.inputTurn),
          effectiveTurn: copy(result.effectiveTurn),
          outputTurn: copy(result.outputTurn),
          text: result.text,
          usage: copy(result.usage),
          stopReason: result.stopReason,
        };
      },
    };
    return handle(object, "runResult", 0);
  }

  function runSync(session, turn, opts) {
    var layers = [session.agent.runDefaults, session.runDefaults, opts];
    return runResult(native.agentRun(session.id, turn, layers, session.agent.deliver));
  }

  function runAsync(session, turn, opts) {
    var layers = [session.agent.runDefaults, session.runDefaults, opts];
    native.checkRunOptions(layers);
    var state = { settled: false, cancelId: null };
    var resolve, reject;
    var promise = new Promise(function (res, rej) {
      resolve = res;
      reject = rej;
    });
    try {
      state.cancelId = native.agentStart(session.id, turn, layers, session.agent.deliver, function (ok, value) {
        state.settled = true;
        if (ok) resolve(runResult(value));
        else reject(new Error(value));
      });
      // The run begins when this JS turn ends (a promise job, deferred past any nested wait of the
      // turn): a cancel() in the same turn always cancels it.
      Promise.resolve().then(function () { native.agentReleaseRun(state.cancelId); });
    } catch (e) {
      state.settled = true;
      reject(e);
    }
    function cancel() {
      if (!state.settled && state.cancelId !== null) native.cancelRun(state.cancelId);
    }
    return handle({ promise: promise, cancel: cancel, close: cancel }, "runHandle", 0);
  }

  // ---- turn and message builders -----------------------------------------------------------
  function text(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  var IMAGE_TYPES = { ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp" };

  function messageBuilder() {
    var texts = [];
    var images = [];
    var builder = {
      text: function (t) {
        texts.push(text(t));
        return builder;
      },
      imageURL: function (url, opts) {
        if (missing(url) || url === "") throw new TypeError("imageURL requires url");
        var image = { url: String(url) };
        if (isObject(opts)) for (var key in opts) if (key !== "url") image[key] = opts[key];
        images.push(image);
        return builder;
      },
      imageFile: function (path) {
        if (missing(path) || path === "") throw new TypeError("imageFile requires path");
        path = String(path);
        var dot = path.lastIndexOf(".");
        var type = IMAGE_TYPES[dot < 0 ? "" : path.slice(dot).toLowerCase()] || "application/octet-stream";
        images.push({ media_type: type, content: native.readFileBase64(path) });
        return builder;
      },
      imageBytes: function (content, mime) {
        if (typeof content !== "string") throw new TypeError("imageBytes requires base64/string content");
        images.push({ media_type: missing(mime) || mime === "" ? "application/octet-stream" : String(mime), content: content });
        return builder;
      },
    };
    return {
      api: handle(builder, "messageBuilder", 0),
      payload: function () {
        var payload = { text: texts.join("\n") };
        if (images.length > 0) payload.images = images;
        return payload;
      },
    };
  }

  function turnBuilder(session, turn) {
    function withBlock(kind, role, payload) {
      var next = copy(turn);
      next.blocks = next.blocks || [];
      next.blocks.push({ id: native.newId(), kind: kind, role: role, payload: payload });
      return turnBuilder(session, next);
    }
    var builder = {
      system: function (t) { return withBlock("system", "system", { text: text(t) }); },
      user: function (t) {
        if (typeof t === "function") {
          var message = messageBuilder();
          t(message.api);
          return withBlock("user", "user", message.payload());
        }
        return withBlock("user", "user", { text: text(t) });
      },
      assistant: function (t) { return withBlock("llm_text", "assistant", { text: text(t) }); },
      metadata: function (key, value) {
        if (arguments.length < 2 || key === undefined) throw new TypeError("session.next().metadata requires key and value");
        var name = String(key).trim();
        if (name === "") throw new TypeError("session turn metadata key must not be empty");
        var next = copy(turn);
        next.metadata = next.metadata || {};
        next.metadata[native.canonicalKey(name)] = value;
        return turnBuilder(session, next);
      },
      run: function (opts) { return runSync(session, turn, opts); },
      runAsync: function (opts) { return runAsync(session, turn, opts); },
    };
    return handle(builder, "turnBuilder", 0);
  }

  // ---- turn stores -------------------------------------------------------------------------
  function storeNotConfigured() {
    return new Error("geppetto default turn persistence is not configured");
  }

  function snapshot(plain) {
    var object = {
      convId: plain.convId,
      sessionId: plain.sessionId,
      turnId: plain.turnId,
      phase: plain.phase,
      runtimeKey: plain.runtimeKey,
      inferenceId: plain.inferenceId,
      createdAtMs: plain.createdAtMs,
      turn: wrapOrNull(plain.turn),
      toJSON: function () { return copy(plain); },
    };
    return handle(object, "turnSnapshot", 0);
  }

  function storeWrapper(name) {
    return handle({
      name: function () { return name; },
      list: function (q) { return native.storeList(name, q === undefined ? null : q).map(snapshot); },
      loadLatest: function (q) {
        var found = native.storeLoadLatest(name, q === undefined ? null : q);
        return found === null ? null : snapshot(found);
      },
      close: function () { native.storeClose(name); },
    }, "turnStore", 0);
  }

  var turnStores = {
    default: function () {
      if (!native.storeExists("default")) throw new Error("geppetto turnStores.default is not configured");
      return storeWrapper("default");
    },
    get: function (name) {
      if (missing(name)) throw new TypeError("turnStores.get requires a store name");
      var trimmed = String(name).trim();
      if (trimmed === "") throw new TypeError("turnStores.get store name must not be empty");
      if (!native.storeExists(trimmed)) throw new Error('geppetto turn store "' + trimmed + '" is not configured');
      return storeWrapper(trimmed);
    },
  };

  // A persistence choice: `undefined` (inherit: the host default store when one is configured),
  // `null` (disabled) or the name of a store.
  function storeName(value, missingText) {
    if (value === undefined) throw new TypeError(missingText);
    if (value === null) return null;
    if (!refOf(value, "turnStore")) throw new Error("expected Go-owned TurnStore wrapper, got " + describe(value));
    return value.name();
  }

  // `defaultStore(b)` / `persist(b)`: absent (`undefined`/`null`) or truthy enables, any other
  // falsy value (`false`, `0`, `""`) disables, as Go's `ToBoolean()` reads it.
  function disables(b) {
    return b !== undefined && b !== null && !b;
  }

  function defaultStoreName() {
    if (!native.storeExists("default")) throw storeNotConfigured();
    return "default";
  }

  function resolvedStore(choice) {
    if (choice !== undefined) return choice;
    return native.storeExists("default") ? "default" : null;
  }

  // ---- sessions ----------------------------------------------------------------------------

  function sessionBuilder(agent, inherited) {
    var state = {
      id: inherited.id || "",
      name: inherited.name || "",
      base: inherited.base || null,
      source: inherited.source || "base",
      metadata: copy(inherited.metadata || {}),
      runDefaults: inherited.runDefaults || null,
      persistence: inherited.persistence,
      resume: null,
    };
    var builder = {
      id: function (s) { state.id = text(s).trim(); return builder; },
      name: function (s) { state.name = text(s).trim(); return builder; },
      base: function (turn) {
        if (missing(turn)) throw new TypeError("session().base requires a Go-owned Turn wrapper");
        var plain = plainTurn(turn);
        if (plain === undefined) throw new Error("expected Go-owned Turn wrapper, got " + typeName(turn));
        state.base = plain;
        state.source = "base";
        return builder;
      },
      store: function (ts) {
        if (missing(ts)) throw new TypeError("session().store requires a TurnStore wrapper");
        state.persistence = storeName(ts, "");
        return builder;
      },
      defaultStore: function () { state.persistence = defaultStoreName(); return builder; },
      persist: function (b) {
        if (disables(b)) state.persistence = null;
        else if (typeof state.persistence !== "string") state.persistence = defaultStoreName();
        return builder;
      },
      resumeLatest: function (q) {
        if (!missing(q) && !isObject(q)) throw new Error("turn store query must be an object");
        state.resume = q || {};
        return builder;
      },
      resumeNone: function () { state.resume = null; return builder; },
      metadata: function (key, value) {
        if (arguments.length < 2 || key === undefined) throw new TypeError("session().metadata requires key and value");
        var name = String(key).trim();
        if (name === "") throw new TypeError("session metadata key must not be empty");
        state.metadata[native.canonicalKey(name)] = value;
        return builder;
      },
      runDefaults: function (opts) {
        native.checkRunOptions([opts]);
        state.runDefaults = opts;
        return builder;
      },
      build: function () {
        if (state.base !== null && state.resume !== null) throw new Error("session builder cannot use both base(turn) and resumeLatest()");
        var store = resolvedStore(state.persistence);
        var id = state.id === "" ? native.newId() : state.id;
        var base = state.base;
        var source = state.source;
        if (state.resume !== null) {
          var readable = typeof state.persistence === "string" ? state.persistence : native.storeExists("default") ? "default" : null;
          if (readable === null) throw new Error("resumeLatest requires a readable TurnStore");
          var query = Object.assign({ sessionId: id }, state.resume);
          var required = query.required === true;
          delete query.required;
          var found = native.storeLoadLatest(readable, query);
          if (found !== null && found.turn !== null) {
            base = found.turn;
            source = "resume";
          } else if (required) {
            throw new Error('no stored turn found for session "' + id + '"');
          }
        }
        var sessionId = native.agentSession(agent.id, {
          id: id,
          name: state.name,
          metadata: state.metadata,
          base: base,
          source: source,
          store: store,
        });
        return agentSession(agent, sessionId, { metadata: copy(state.metadata), runDefaults: state.runDefaults, persistence: state.persistence });
      },
    };
    return handle(builder, "sessionBuilder", 0);
  }

  function agentSession(agent, id, settings) {
    var info = native.agentSessionInfo(id);
    var run = { agent: agent, id: id, runDefaults: settings.runDefaults };
    function latestPlain() {
      var latest = native.agentSessionLatest(id);
      if (latest === null) throw new Error("cannot fork an empty session");
      return latest;
    }
    var session = {
      id: function () { return info[0]; },
      name: function () { return info[1]; },
      next: function () { return turnBuilder(run, native.agentSessionNext(id)); },
      fork: function (opts) {
        var base;
        if (missing(opts)) {
          base = latestPlain();
        } else if (refOf(opts, "turn")) {
          base = opts.toJSON();
        } else if (!isObject(opts)) {
          throw new Error("session.fork options must be an object, TurnWrapper, null, or undefined");
        } else if (opts.at !== undefined) {
          var at = opts.at;
          if (typeof at === "number") {
            var count = native.agentSessionTurnCount(id);
            if (count === 0) throw new Error("cannot fork an empty session");
            base = Number.isInteger(at) && at >= 0 ? native.agentSessionTurn(id, at) : null;
            if (base === null) throw new Error("session.fork at index " + at + " is out of range");
          } else {
            base = refOf(at, "turn") || isObject(at) ? plainTurn(at) : undefined;
            if (base === undefined) throw new Error("session.fork at must be a turn index or TurnWrapper");
          }
        } else if (Object.keys(opts).length === 0) {
          base = latestPlain();
        } else {
          base = plainTurn(opts);
        }
        return sessionBuilder(agent, {
          name: info[1],
          metadata: settings.metadata,
          runDefaults: settings.runDefaults,
          persistence: settings.persistence,
          base: base,
          source: "fork",
        });
      },
      latestTurn: function () { return wrapOrNull(native.agentSessionLatest(id)); },
      turns: function () { return native.agentSessionTurns(id).map(turnWrapper); },
      turn: function (index) {
        if (arguments.length < 1 || index === undefined) throw new TypeError("session.turn requires an index");
        return wrapOrNull(native.agentSessionTurn(id, Number(index)));
      },
      turnCount: function () { return native.agentSessionTurnCount(id); },
      isRunning: function () { return native.agentSessionIsRunning(id); },
      cancel: function () { native.agentSessionCancel(id); },
      close: function () { native.agentSessionClose(id); },
    };
    // Turn builders hold `run`: it keeps the session object, and so its native entry, alive.
    run.session = session;
    return handle(session, "agentSession", id);
  }

  // ---- agents ------------------------------------------------------------------------------
  function agent() {
    var state = {
      name: "",
      settings: null,
      engine: null,
      middlewares: [],
      registry: null,
      specs: [],
      goTools: [],
      toolLoop: null,
      hooks: null,
      emitters: [],
      runDefaults: null,
      persistence: undefined,
    };
    function storeChoice(method) {
      return function (ts) {
        state.persistence = storeName(ts, "agent()." + method + " requires a TurnStore wrapper or null");
        return builder;
      };
    }
    function defaultStoreChoice(b) {
      state.persistence = disables(b) ? null : defaultStoreName();
      return builder;
    }
    var builder = {
      name: function (s) { state.name = text(s).trim(); return builder; },
      inference: function (settings) {
        if (missing(settings)) throw new TypeError("agent().inference requires a registry-resolved InferenceSettings wrapper");
        // The settings wrapper is the profiles side's (gp.engine): it decides what it accepts and
        // throws `expected registry-resolved InferenceSettings wrapper, got <type>` otherwise.
        if (typeof gp.engine === "function") gp.engine().inference(settings);
        else if (!refOf(settings, "inferenceSettings")) throw new Error("expected registry-resolved InferenceSettings wrapper, got " + typeName(settings));
        state.settings = settings;
        return builder;
      },
      engine: function (engine) {
        if (missing(engine)) throw new TypeError("agent().engine requires engine argument");
        if (!refOf(engine, "engine")) throw new Error("expected engine reference, got " + describe(engine));
        state.engine = engine;
        return builder;
      },
      middleware: function (mw) {
        if (missing(mw)) throw new TypeError("agent().middleware requires middleware argument");
        if (typeof mw !== "function" && !refOf(mw, "middleware")) throw new Error("unsupported middleware specification");
        state.middlewares.push(mw);
        return builder;
      },
      goMiddleware: function (name, opts) {
        if (typeof name !== "string" || name.trim() === "") throw new TypeError("agent().goMiddleware requires middleware name");
        native.checkHostMiddleware(name);
        state.middlewares.push(gp.middlewares.go(name, opts));
        return builder;
      },
      tool: function (x) {
        if (missing(x)) throw new TypeError("agent().tool requires a tool registry until gp.tool() lands");
        if (refOf(x, "registry")) state.registry = x;
        else if (refOf(x, "toolSpec")) state.specs.push(x);
        else throw new Error("expected tool registry reference, got " + describe(x));
        return builder;
      },
      goTool: function (name) {
        if (missing(name)) throw new TypeError("agent().goTool requires tool name");
        var trimmed = String(name).trim();
        if (trimmed === "") throw new TypeError("agent().goTool name must not be empty");
        state.goTools.push(trimmed);
        return builder;
      },
      toolLoop: function (opts) {
        var settings = glue.checkSettings(opts);
        state.toolLoop = settings;
        state.hooks = settings && settings.hooks !== undefined ? glue.checkHooks(settings.hooks, null) : null;
        return builder;
      },
      events: function (emitter) {
        if (missing(emitter)) throw new TypeError("agent().events requires event sink argument");
        if ((typeof emitter !== "object" && typeof emitter !== "function") || typeof emitter.emit !== "function") {
          throw new Error("expected event sink reference or go-go-goja EventEmitter, got " + describe(emitter));
        }
        state.emitters.push(emitter);
        return builder;
      },
      store: storeChoice("store"),
      persistTo: storeChoice("persistTo"),
      defaultStore: defaultStoreChoice,
      persist: defaultStoreChoice,
      persistDefault: defaultStoreChoice,
      runDefaults: function (opts) {
        native.checkRunOptions([opts]);
        state.runDefaults = opts;
        return builder;
      },
      build: function () {
        var engine = state.engine;
        if (engine === null && state.settings !== null && typeof gp.engine === "function") {
          engine = gp.engine().inference(state.settings).build();
        }
        if (engine === null) throw new Error("agent build requires engine(...) or inference(settings)");
        var ephemeral = [];
        var added = null;
        try {
          var middlewares = state.middlewares.map(function (mw) { return glue.middlewareSpec(mw, ephemeral); });
          if (state.specs.length > 0) {
            added = native.newRegistry();
            state.specs.forEach(function (spec) { registerSpec(added, toolSpecs.get(spec)); });
          }
          var id = native.agentBuild({
            name: state.name,
            engine: refOf(engine, "engine").id,
            middlewares: middlewares,
            registry: state.registry === null ? null : refOf(state.registry, "registry").id,
            added: added,
            only: state.goTools.slice(),
            toolLoop: state.toolLoop,
            hooks: state.hooks,
          });
        } finally {
          for (var i = 0; i < ephemeral.length; i++) native.releaseHandle("middleware", ephemeral[i]);
          if (added !== null) native.releaseHandle("registry", added);
        }
        var record = {
          id: id,
          deliver: deliverer(state.emitters.slice()),
          runDefaults: state.runDefaults,
        };
        var persistence = state.persistence;
        var built = {
          name: state.name,
          session: function () { return sessionBuilder(record, { persistence: persistence }); },
        };
        // Session builders and sessions (for fork) hold `record`: it keeps the agent object, and
        // so its native entry, alive as long as they need it, even when the script dropped it.
        record.agent = built;
        return handle(built, "agent", id);
      },
    };
    return handle(builder, "agentBuilder", 0);
  }

  // ---- schemas -----------------------------------------------------------------------------
  function schemaJSON(value) {
    if (refOf(value, "schema") || refOf(value, "schemaBuilder")) return value.toJSON();
    if (isObject(value)) return copy(value);
    throw new Error("expected schema wrapper");
  }

  function schemaWrapper(json) {
    return handle({
      toJSON: function () { return copy(json); },
      clone: function () { return schemaWrapper(copy(json)); },
    }, "schema", 0);
  }

  function schemaBuilder(json) {
    function with_(change) {
      var next = copy(json);
      change(next);
      return schemaBuilder(next);
    }
    var builder = {
      description: function (t) { return with_(function (s) { s.description = text(t); }); },
      property: function (name, schema) {
        if (arguments.length < 2 || missing(name) || missing(schema)) throw new TypeError("schema.object().property requires name and schema");
        var key = String(name).trim();
        if (key === "") throw new TypeError("schema property name must not be empty");
        var child = schemaJSON(schema);
        return with_(function (s) {
          if (!isObject(s.properties)) s.properties = {};
          s.properties[key] = child;
        });
      },
      items: function (schema) {
        if (missing(schema)) throw new TypeError("schema.array().items requires schema");
        var child = schemaJSON(schema);
        return with_(function (s) { s.items = child; });
      },
      required: function () {
        var names = arguments.length === 1 && Array.isArray(arguments[0]) ? arguments[0] : Array.prototype.slice.call(arguments);
        var kept = names.map(function (n) { return text(n).trim(); }).filter(function (n) { return n !== ""; });
        return with_(function (s) { s.required = kept; });
      },
      toJSON: function () { return copy(json); },
      build: function () { return schemaWrapper(copy(json)); },
    };
    return handle(builder, "schemaBuilder", 0);
  }

  var schema = {
    string: function () { return schemaBuilder({ type: "string" }); },
    integer: function () { return schemaBuilder({ type: "integer" }); },
    number: function () { return schemaBuilder({ type: "number" }); },
    boolean: function () { return schemaBuilder({ type: "boolean" }); },
    array: function () { return schemaBuilder({ type: "array" }); },
    object: function () { return schemaBuilder({ type: "object", properties: {} }); },
    enum: function () { return schemaBuilder({ enum: Array.prototype.slice.call(arguments) }); },
  };

  // ---- tools -------------------------------------------------------------------------------
  // The state behind each ToolSpec (its handler stays out of the visible object).
  var toolSpecs = new WeakMap();

  function toolBuilder(state) {
    function with_(key, value) {
      var next = { name: state.name, description: state.description, parameters: state.parameters, handler: state.handler };
      next[key] = value;
      return toolBuilder(next);
    }
    var builder = {
      description: function (t) { return with_("description", text(t)); },
      input: function (s) {
        if (missing(s)) throw new TypeError("tool.input requires schema");
        return with_("parameters", schemaJSON(s));
      },
      handler: function (fn) {
        if (fn === undefined) throw new TypeError("tool.handler requires function");
        if (typeof fn !== "function") throw new TypeError("tool.handler argument must be callable");
        return with_("handler", fn);
      },
      build: function () {
        if (typeof state.handler !== "function") throw new TypeError("tool handler is required");
        var parameters = state.parameters === null ? { type: "object", properties: {} } : copy(state.parameters);
        var spec = {
          name: state.name,
          description: state.description,
          toJSON: function () {
            return { name: state.name, description: state.description, parameters: copy(parameters) };
          },
        };
        toolSpecs.set(spec, { name: state.name, description: state.description, parameters: parameters, handler: state.handler });
        return handle(spec, "toolSpec", 0);
      },
    };
    return handle(builder, "toolBuilder", 0);
  }

  function tool(name) {
    if (missing(name)) throw new TypeError("tool(name) requires name");
    var trimmed = String(name).trim();
    if (trimmed === "") throw new TypeError("tool name must not be empty");
    return toolBuilder({ name: trimmed, description: "", parameters: null, handler: null });
  }

  function registerSpec(registryId, spec) {
    native.registerTool(registryId, spec.name, spec.description, spec.parameters, spec.handler);
  }

  function toolRegistry() {
    var id = native.newRegistry();
    var registry = {
      add: function (spec) {
        if (missing(spec)) throw new TypeError("toolRegistry.add requires tool spec");
        var state = toolSpecs.get(spec);
        if (state === undefined) {
          if (!isObject(spec)) throw new TypeError("toolRegistry.add requires tool spec");
          if (typeof spec.name !== "string" || spec.name.trim() === "") throw new Error("tool name is required");
          if (typeof spec.handler !== "function") throw new Error("tool " + spec.name + " handler must be a function");
          state = {
            name: spec.name,
            description: text(spec.description),
            parameters: spec.parameters === undefined ? null : spec.parameters,
            handler: spec.handler,
          };
        }
        registerSpec(id, state);
        return registry;
      },
      addGo: function () {
        var names = Array.prototype.slice.call(arguments).map(String);
        native.useHostTools(id, names.length === 0 ? null : names);
        return registry;
      },
      list: function () { return native.listTools(id); },
      call: function (name, args) {
        if (typeof name !== "string" || name === "") throw new TypeError("toolRegistry.call requires tool name");
        return native.callTool(id, name, args === undefined ? null : args);
      },
    };
    return handle(registry, "registry", id);
  }

  gp.agent = agent;
  gp.turnStores = turnStores;
  gp.schema = schema;
  gp.tool = tool;
  gp.toolRegistry = toolRegistry;
});
