// The `geppetto` module's JS face: argument checking, opaque handles, the builder and the
// RunHandle event emitter. Every operation on engines, sessions and tools is a native op
// (src/bridge/); this file only shapes the API. Evaluated once per runtime with the native ops.
(function (native) {
  "use strict";

  var REF = "__geppetto_ref";

  function describe(value) {
    var type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
    var text;
    try {
      text = typeof value === "function" ? "[Function]" : JSON.stringify(value);
    } catch (e) {
      text = String(value);
    }
    if (text === undefined) text = String(value);
    return type + " (value: " + text + ")";
  }

  // When a handle is collected, the owner forgets the Rust object behind it (anything still using
  // that object holds it on its own).
  var collected = new FinalizationRegistry(function (ref) {
    native.releaseHandle(ref.kind, ref.id);
  });

  // Attaches the hidden, non-enumerable, non-writable, non-configurable reference.
  function handle(object, kind, id) {
    Object.defineProperty(object, REF, {
      value: Object.freeze({ kind: kind, id: id }),
      enumerable: false,
      writable: false,
      configurable: false,
    });
    if (id > 0) collected.register(object, { kind: kind, id: id });
    return object;
  }

  function refOf(value, kind) {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return undefined;
    var ref = value[REF];
    return ref && ref.kind === kind ? ref : undefined;
  }

  function engineId(value) {
    var ref = refOf(value, "engine");
    if (!ref) throw new TypeError("expected engine reference, got " + describe(value));
    return ref.id;
  }

  function registryId(value) {
    var ref = refOf(value, "registry");
    if (!ref) throw new TypeError("expected tool registry reference, got " + describe(value));
    return ref.id;
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  // ---- turns -------------------------------------------------------------------------------
  var turns = {
    newTurn: function (opts) {
      var o = isObject(opts) ? opts : {};
      return native.normalizeTurn({
        id: o.id === undefined || o.id === null || o.id === "" ? native.newId() : o.id,
        blocks: o.blocks === undefined ? [] : o.blocks,
        metadata: o.metadata,
        data: o.data,
      }, true);
    },
    normalize: function (turn) {
      if (arguments.length < 1 || turn === undefined || turn === null) {
        throw new TypeError("turns.normalize requires turn");
      }
      return native.normalizeTurn(turn, false);
    },
    appendBlock: function (turn, block) {
      if (arguments.length < 2 || turn === undefined || turn === null || block === undefined || block === null) {
        throw new TypeError("turns.appendBlock requires turn and block");
      }
      return native.appendBlock(turn, block);
    },
    newUserBlock: function (text) {
      return { kind: "user", role: "user", payload: { text: text === undefined ? "" : text } };
    },
    newSystemBlock: function (text) {
      return { kind: "system", role: "system", payload: { text: text === undefined ? "" : text } };
    },
    newAssistantBlock: function (text) {
      return { kind: "llm_text", role: "assistant", payload: { text: text === undefined ? "" : text } };
    },
    newToolCallBlock: function (id, name, args) {
      if (arguments.length < 3) throw new TypeError("turns.newToolCallBlock requires id, name, args");
      return { id: id, kind: "tool_call", role: "assistant", payload: { id: id, name: name, args: args } };
    },
    newToolUseBlock: function (id, result, error) {
      if (arguments.length < 2) throw new TypeError("turns.newToolUseBlock requires id, result[, error]");
      return { kind: "tool_use", role: "", payload: { id: id, result: result, error: error ? String(error) : "" } };
    },
  };

  // ---- engines -----------------------------------------------------------------------------
  function engineHandle(id, name) {
    return handle({ name: name }, "engine", id);
  }

  var engines = {
    echo: function (opts) {
      var reply = isObject(opts) && typeof opts.reply === "string" ? opts.reply : "";
      return engineHandle(native.echoEngine(reply), "echo");
    },
    fromFunction: function (fn) {
      if (typeof fn !== "function") throw new TypeError("fromFunction requires a JS function");
      return engineHandle(native.functionEngine(fn), "jsFunction");
    },
    fromConfig: function (opts) {
      if (!isObject(opts)) throw new TypeError("fromConfig requires options object");
      var made = native.configEngine(opts);
      return engineHandle(made[0], made[1]);
    },
    fromProfile: function (profile, opts) {
      if (isObject(profile) && opts === undefined) {
        opts = profile;
        profile = undefined;
      }
      if (opts !== undefined && opts !== null && !isObject(opts)) throw new TypeError("options must be an object");
      var made = native.profileEngine(profile === undefined || profile === null ? "" : String(profile), opts || {});
      return engineHandle(made[0], made[1]);
    },
  };

  // ---- middlewares -------------------------------------------------------------------------
  var middlewares = {
    fromJS: function (fn, name) {
      if (typeof fn !== "function") throw new TypeError("fromJS requires callback argument");
      var mwName = typeof name === "string" && name.trim() !== "" ? name : "js-middleware";
      return handle({ type: "js", name: mwName }, "middleware", native.jsMiddleware(fn, mwName));
    },
    go: function (name, options) {
      if (typeof name !== "string" || name.trim() === "") throw new TypeError("go middleware requires name argument");
      var ref = { type: "go", name: name };
      if (options !== undefined && options !== null) ref.options = options;
      return handle(ref, "middleware", 0);
    },
  };

  // Checks a middleware argument: a function, or a middleware reference.
  function checkMiddleware(value) {
    if (typeof value !== "function" && !refOf(value, "middleware")) {
      throw new TypeError("unsupported middleware specification");
    }
  }

  // A middleware spec for native.createSession: [kind, idOrName, options]. A plain function gets
  // a middleware made for this session only (`ephemeral` collects its id, released once the
  // session holds it).
  function middlewareSpec(value, ephemeral) {
    checkMiddleware(value);
    if (typeof value === "function") {
      var id = native.jsMiddleware(value, "js-middleware");
      ephemeral.push(id);
      return ["js", id, null];
    }
    if (value.type === "go") return ["go", value.name, value.options === undefined ? null : value.options];
    return ["js", refOf(value, "middleware").id, null];
  }

  // ---- tools -------------------------------------------------------------------------------
  function createRegistry() {
    var id = native.newRegistry();
    var registry = {
      register: function (spec) {
        if (!isObject(spec)) throw new TypeError("register requires tool spec");
        if (typeof spec.name !== "string" || spec.name.trim() === "") throw new TypeError("tool name is required");
        if (typeof spec.handler !== "function") throw new TypeError("tool " + spec.name + " handler must be a function");
        native.registerTool(id, spec.name, spec.description === undefined ? "" : String(spec.description),
          spec.parameters === undefined ? null : spec.parameters, spec.handler);
        return registry;
      },
      useGoTools: function (names) {
        native.useHostTools(id, names === undefined || names === null ? null : [].concat(names).map(String));
        return registry;
      },
      list: function () {
        return native.listTools(id);
      },
      call: function (name, args) {
        if (typeof name !== "string" || name === "") throw new TypeError("call requires tool name");
        return native.callTool(id, name, args === undefined ? null : args);
      },
    };
    registry.useHostTools = registry.useGoTools;
    return handle(registry, "registry", id);
  }

  // ---- tool loop settings and hooks --------------------------------------------------------
  function checkSettings(settings) {
    if (settings === undefined || settings === null) return null;
    if (!isObject(settings)) throw new TypeError("options must be an object");
    native.validateToolLoop(settings);
    return settings;
  }

  function checkHooks(hooks, requiredText) {
    if (hooks === undefined || hooks === null) {
      if (requiredText) throw new TypeError(requiredText);
      return null;
    }
    if (!isObject(hooks)) throw new TypeError("tool hooks must be an object");
    return hooks;
  }

  // ---- sessions ----------------------------------------------------------------------------
  // Every handle method is an own property closed over its object, as in the Go module, so a
  // method taken off its handle (`const {run, append} = session`, `const {on, cancel} = h`) works.
  // Costs per object are in docs/decisions.md.

  // Descriptors for `Object.defineProperties` that give an object of `kind` the methods made by
  // `makers[name](id)` on first read. Each name is an own enumerable accessor whose getter (one
  // for every object of the kind) makes the method for `this` object's id, stores it as a plain
  // own property in its place and returns it; assigning stores the value the same way. An object
  // whose methods are never read (a session only `start()`ed) pays for none of them.
  function lazyMethods(kind, makers) {
    var descriptors = {};
    Object.keys(makers).forEach(function (name) {
      var make = makers[name];
      function store(object, value) {
        try {
          Object.defineProperty(object, name, { value: value, writable: true, enumerable: true, configurable: true });
        } catch (e) {
          // A frozen object keeps its accessor: the method is made again on each read.
        }
        return value;
      }
      descriptors[name] = {
        get: function () {
          var ref = refOf(this, kind);
          if (!ref) throw new TypeError(name + " must be read from a " + kind);
          return store(this, make(ref.id));
        },
        set: function (value) { store(this, value); },
        enumerable: true,
        configurable: true,
      };
    });
    return descriptors;
  }

  function callListener(callback, event) {
    try {
      callback(event);
    } catch (e) {
      native.logListenerError(e && e.message !== undefined ? String(e.message) : String(e));
    }
  }

  // Delivers one event: exact-type listeners first, then "*" listeners, each in subscription order.
  function deliverTo(listeners, event) {
    var i;
    for (i = 0; i < listeners.length; i += 2) if (listeners[i] === event.type) callListener(listeners[i + 1], event);
    for (i = 0; i < listeners.length; i += 2) if (listeners[i] === "*") callListener(listeners[i + 1], event);
  }

  // `asynchronous`: started by runAsync (only the tracing span's `mode` differs).
  function startRun(sessionId, seed, opts, asynchronous) {
    var listeners = [];
    var settled = false;
    var resolveRun, rejectRun;
    var handle = {};
    handle.promise = new Promise(function (resolve, reject) {
      resolveRun = resolve;
      rejectRun = reject;
    });
    var ids = native.sessionStart(sessionId, seed === undefined ? null : seed, opts === undefined ? null : opts,
      function (event) {
        if (!settled) deliverTo(listeners, event);
      },
      function (ok, value) {
        if (settled) return;
        settled = true;
        if (ok) resolveRun(value);
        else rejectRun(new Error(value));
      }, asynchronous === true);
    var cancelId = ids[3];
    handle.cancel = function () {
      native.cancelRun(cancelId);
    };
    handle.on = function (type, callback) {
      if (arguments.length < 2) throw new TypeError("on(eventType, callback) requires 2 arguments");
      if (typeof callback !== "function") throw new TypeError("on() callback must be a function");
      var key = String(type === undefined || type === null ? "" : type).trim();
      listeners.push(key === "" ? "*" : key, callback);
      return handle;
    };
    handle.runId = ids[0];
    handle.sessionId = ids[1];
    handle.inferenceId = ids[2];
    // The run begins when this JS turn ends: a cancel() in the same turn always cancels it.
    Promise.resolve().then(function () { native.releaseRun(cancelId); });
    return handle;
  }

  var sessionMethods = lazyMethods("session", {
    append: function (id) {
      return function (turn) {
        if (!isObject(turn)) throw new TypeError("append requires a turn object");
        return native.sessionAppend(id, turn);
      };
    },
    latest: function (id) { return function () { return native.sessionLatest(id); }; },
    turnCount: function (id) { return function () { return native.sessionTurnCount(id); }; },
    turns: function (id) { return function () { return native.sessionTurns(id); }; },
    getTurn: function (id) { return function (index) { return native.sessionGetTurn(id, Number(index)); }; },
    turnsRange: function (id) {
      return function (start, end) {
        return native.sessionTurnsRange(id, start === undefined ? null : Number(start), end === undefined ? null : Number(end));
      };
    },
    isRunning: function (id) { return function () { return native.sessionIsRunning(id); }; },
    cancelActive: function (id) { return function () { native.sessionCancelActive(id); }; },
    run: function (id) {
      return function (seed, opts) {
        return native.sessionRun(id, seed === undefined ? null : seed, opts === undefined ? null : opts);
      };
    },
    runAsync: function (id) {
      return function (seed, opts) {
        try {
          return startRun(id, seed, opts, true).promise;
        } catch (e) {
          return Promise.reject(e);
        }
      };
    },
    start: function (id) { return function (seed, opts) { return startRun(id, seed, opts); }; },
  });

  function sessionHandle(id) {
    return handle(Object.defineProperties({}, sessionMethods), "session", id);
  }

  function createSession(opts) {
    if (!isObject(opts) || opts.engine === undefined || opts.engine === null) {
      throw new TypeError("createSession requires options object with engine");
    }
    var engine = engineId(opts.engine);
    var ephemeral = [];
    try {
      var mws = opts.middlewares === undefined || opts.middlewares === null ? [] : [].concat(opts.middlewares).map(function (mw) {
        return middlewareSpec(mw, ephemeral);
      });
      var tools = opts.tools === undefined || opts.tools === null ? null : registryId(opts.tools);
      var loop = checkSettings(opts.toolLoop);
      var hooks = checkHooks(opts.toolHooks, null);
      if (hooks === null && loop && loop.hooks !== undefined) hooks = checkHooks(loop.hooks, null);
      return sessionHandle(native.createSession(engine, mws, tools, loop, hooks));
    } finally {
      for (var i = 0; i < ephemeral.length; i++) native.releaseHandle("middleware", ephemeral[i]);
    }
  }

  function createBuilder(opts) {
    if (opts !== undefined && opts !== null && !isObject(opts)) throw new TypeError("options must be an object");
    var o = opts || {};
    var state = {
      engine: o.engine,
      middlewares: o.middlewares === undefined || o.middlewares === null ? [] : [].concat(o.middlewares),
      tools: o.tools,
      toolLoop: checkSettings(o.toolLoop),
      toolHooks: checkHooks(o.toolHooks, null),
    };
    var builder = {
      withEngine: function (engine) {
        if (engine === undefined || engine === null) throw new TypeError("withEngine requires engine argument");
        engineId(engine);
        state.engine = engine;
        return builder;
      },
      useMiddleware: function (mw) {
        if (mw === undefined || mw === null) throw new TypeError("useMiddleware requires middleware argument");
        checkMiddleware(mw);
        state.middlewares.push(mw);
        return builder;
      },
      useGoMiddleware: function (name, options) {
        if (typeof name !== "string" || name.trim() === "") throw new TypeError("useGoMiddleware requires middleware name");
        state.middlewares.push(middlewares.go(name, options));
        return builder;
      },
      withTools: function (registry, settings) {
        if (registry === undefined || registry === null) throw new TypeError("withTools requires registry argument");
        registryId(registry);
        state.tools = registry;
        if (settings !== undefined && settings !== null) state.toolLoop = checkSettings(settings);
        return builder;
      },
      withToolLoop: function (settings) {
        state.toolLoop = checkSettings(settings);
        return builder;
      },
      withToolHooks: function (hooks) {
        state.toolHooks = checkHooks(hooks, "withToolHooks requires hooks object");
        return builder;
      },
      buildSession: function () {
        if (state.engine === undefined || state.engine === null) throw new Error("builder has no engine configured");
        return createSession(state);
      },
    };
    return handle(builder, "builder", 0);
  }

  function runInference(engine, turn, opts) {
    if (arguments.length < 2 || engine === undefined || engine === null || !isObject(turn)) {
      throw new TypeError("runInference requires (engine, turn[, options])");
    }
    var session = createSession({ engine: engine });
    return session.run(turn, opts);
  }

  // Shared with the glue files that extend the exports (js/profiles.js, js/agent.js).
  native.internal = {
    handle: handle,
    refOf: refOf,
    describe: describe,
    isObject: isObject,
    middlewareSpec: middlewareSpec,
    checkSettings: checkSettings,
    checkHooks: checkHooks,
  };

  return {
    version: native.version,
    consts: native.consts,
    turns: turns,
    engines: engines,
    middlewares: middlewares,
    tools: { createRegistry: createRegistry },
    createBuilder: createBuilder,
    createSession: createSession,
    runInference: runInference,
  };
});
