// The `events` module (also `node:events`): the subset of Node 20's EventEmitter that
// spec/js-api-agent.md lists, with Node's semantics. Evaluated once per runtime; the result is the
// `EventEmitter` constructor, a plain function so that `EventEmitter.call(this)` and `class X
// extends EventEmitter` both work.
(function () {
  "use strict";

  var defaultMaxListeners = 10;
  var errorMonitor = Symbol("events.errorMonitor");

  function EventEmitter(opts) {
    EventEmitter.init.call(this, opts);
  }

  EventEmitter.init = function () {
    if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
      this._events = Object.create(null);
      this._eventsCount = 0;
    }
    this._maxListeners = this._maxListeners || undefined;
  };

  Object.defineProperty(EventEmitter, "defaultMaxListeners", {
    enumerable: true,
    get: function () {
      return defaultMaxListeners;
    },
    set: function (n) {
      checkMaxListeners(n, "defaultMaxListeners");
      defaultMaxListeners = n;
    },
  });

  function describeValue(value) {
    if (typeof value === "string") return "type string ('" + value + "')";
    if (typeof value === "function") return "function " + (value.name || "<anonymous>");
    if (value === null || value === undefined) return String(value);
    if (typeof value === "object") return "an instance of " + ((value.constructor && value.constructor.name) || "Object");
    return "type " + typeof value + " (" + String(value) + ")";
  }

  function checkListener(listener) {
    if (typeof listener !== "function") {
      var error = new TypeError('The "listener" argument must be of type function. Received ' + describeValue(listener));
      error.code = "ERR_INVALID_ARG_TYPE";
      throw error;
    }
  }

  // Node's validateNumber(n, name, 0): a TypeError for a non-number, a RangeError below 0 or NaN.
  function checkMaxListeners(n, name) {
    var error;
    if (typeof n !== "number") {
      error = new TypeError('The "' + name + '" argument must be of type number. Received ' + describeValue(n));
      error.code = "ERR_INVALID_ARG_TYPE";
      throw error;
    }
    if (n < 0 || n !== n) {
      error = new RangeError('The value of "' + name + '" is out of range. It must be >= 0. Received ' + String(n));
      error.code = "ERR_OUT_OF_RANGE";
      throw error;
    }
  }

  // Node's util.inspect (one line, depth 2) for the values an "Unhandled error" message shows;
  // a value met again inside itself is `[Circular *1]` and the outer one `<ref *1> …`.
  function inspect(value) {
    var circular = false;
    var text = inspectAt(value, 0, []);
    return circular ? "<ref *1> " + text : text;
    function inspectAt(item, depth, ancestors) {
      if (typeof item === "string") return item.indexOf("'") < 0 ? "'" + item + "'" : JSON.stringify(item);
      if (typeof item === "symbol") return item.toString();
      if (typeof item === "bigint") return String(item) + "n";
      if (typeof item === "function") return item.name ? "[Function: " + item.name + "]" : "[Function (anonymous)]";
      if (item === null || typeof item !== "object") return String(item);
      if (ancestors.indexOf(item) >= 0) {
        circular = true;
        return "[Circular *1]";
      }
      if (item instanceof Error) return item.stack || String(item);
      var array = Array.isArray(item);
      if (depth > 2) return array ? "[Array]" : "[Object]";
      var inner = ancestors.concat([item]);
      var parts = array
        ? item.map(function (element) { return inspectAt(element, depth + 1, inner); })
        : Object.keys(item).map(function (key) {
          var name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : inspectAt(key, depth + 1, inner);
          return name + ": " + inspectAt(item[key], depth + 1, inner);
        });
      if (parts.length === 0) return array ? "[]" : "{}";
      return array ? "[ " + parts.join(", ") + " ]" : "{ " + parts.join(", ") + " }";
    }
  }

  function events(emitter) {
    if (emitter._events === undefined) {
      emitter._events = Object.create(null);
      emitter._eventsCount = 0;
    }
    return emitter._events;
  }

  function addListener(target, type, listener, prepend) {
    checkListener(listener);
    var map = events(target);
    if (map.newListener !== undefined) {
      target.emit("newListener", type, listener.listener ? listener.listener : listener);
      map = events(target);
    }
    var list = map[type];
    if (list === undefined) {
      map[type] = [listener];
      target._eventsCount++;
      list = map[type];
    } else if (prepend) {
      list.unshift(listener);
    } else {
      list.push(listener);
    }
    var max = target.getMaxListeners();
    if (max > 0 && list.length > max && !list.warned) {
      list.warned = true;
      var name = typeof type === "symbol" ? type.toString() : String(type);
      var text = "Possible EventEmitter memory leak detected. " + list.length + " " + name +
        " listeners added to [" + ((target.constructor && target.constructor.name) || "EventEmitter") +
        "]. MaxListeners is " + max + ". Use emitter.setMaxListeners() to increase limit";
      if (typeof console !== "undefined" && typeof console.error === "function") {
        console.error("MaxListenersExceededWarning: " + text);
      }
    }
    return target;
  }

  function onceWrapper(target, type, listener) {
    var state = { fired: false };
    function wrapped() {
      if (!state.fired) {
        target.removeListener(type, wrapped);
        state.fired = true;
        return listener.apply(target, arguments);
      }
    }
    wrapped.listener = listener;
    return wrapped;
  }

  var proto = EventEmitter.prototype;
  proto._events = undefined;
  proto._eventsCount = 0;
  proto._maxListeners = undefined;

  proto.setMaxListeners = function setMaxListeners(n) {
    checkMaxListeners(n, "setMaxListeners");
    this._maxListeners = n;
    return this;
  };

  proto.getMaxListeners = function getMaxListeners() {
    return this._maxListeners === undefined ? EventEmitter.defaultMaxListeners : this._maxListeners;
  };

  proto.emit = function emit(type) {
    var args = Array.prototype.slice.call(arguments, 1);
    var map = this._events;
    var list = map === undefined ? undefined : map[type];
    if (type === "error" && map !== undefined && map[errorMonitor] !== undefined) {
      this.emit.apply(this, [errorMonitor].concat(args));
    }
    if (type === "error" && list === undefined) {
      var er = args[0];
      if (er instanceof Error) throw er;
      var error = new Error("Unhandled error. (" + inspect(er) + ")");
      error.code = "ERR_UNHANDLED_ERROR";
      error.context = er;
      throw error;
    }
    if (list === undefined) return false;
    var copy = list.slice();
    for (var i = 0; i < copy.length; i++) copy[i].apply(this, args);
    return true;
  };

  proto.addListener = function addListener_(type, listener) {
    return addListener(this, type, listener, false);
  };
  proto.on = proto.addListener;

  proto.prependListener = function prependListener(type, listener) {
    return addListener(this, type, listener, true);
  };

  proto.once = function once(type, listener) {
    checkListener(listener);
    return this.on(type, onceWrapper(this, type, listener));
  };

  proto.prependOnceListener = function prependOnceListener(type, listener) {
    checkListener(listener);
    return this.prependListener(type, onceWrapper(this, type, listener));
  };

  proto.removeListener = function removeListener(type, listener) {
    checkListener(listener);
    var map = this._events;
    if (map === undefined) return this;
    var list = map[type];
    if (list === undefined) return this;
    for (var i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) {
        var removed = list[i];
        if (list.length === 1) {
          delete map[type];
          this._eventsCount--;
        } else {
          list.splice(i, 1);
        }
        if (map.removeListener !== undefined) {
          this.emit("removeListener", type, removed.listener || listener);
        }
        break;
      }
    }
    return this;
  };
  proto.off = proto.removeListener;

  proto.removeAllListeners = function removeAllListeners(type) {
    var map = this._events;
    if (map === undefined) return this;
    if (map.removeListener === undefined) {
      if (arguments.length === 0) {
        this._events = Object.create(null);
        this._eventsCount = 0;
      } else if (map[type] !== undefined) {
        delete map[type];
        this._eventsCount--;
      }
      return this;
    }
    if (arguments.length === 0) {
      var keys = Reflect.ownKeys(map);
      for (var k = 0; k < keys.length; k++) {
        if (keys[k] !== "removeListener") this.removeAllListeners(keys[k]);
      }
      this.removeAllListeners("removeListener");
      this._events = Object.create(null);
      this._eventsCount = 0;
      return this;
    }
    var list = map[type];
    if (list !== undefined) {
      for (var i = list.length - 1; i >= 0; i--) this.removeListener(type, list[i]);
    }
    return this;
  };

  proto.listeners = function listeners(type) {
    var list = this._events === undefined ? undefined : this._events[type];
    if (list === undefined) return [];
    return list.map(function (listener) {
      return listener.listener || listener;
    });
  };

  proto.rawListeners = function rawListeners(type) {
    var list = this._events === undefined ? undefined : this._events[type];
    return list === undefined ? [] : list.slice();
  };

  proto.listenerCount = function listenerCount(type, listener) {
    var list = this._events === undefined ? undefined : this._events[type];
    if (list === undefined) return 0;
    if (listener === undefined || listener === null) return list.length;
    return list.filter(function (l) { return l === listener || l.listener === listener; }).length;
  };

  proto.eventNames = function eventNames() {
    return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
  };

  // `EventEmitter.once(emitter, name)`: a Promise of the argument array of the next `name`
  // event; rejects when "error" comes first.
  EventEmitter.once = function once(emitter, name) {
    return new Promise(function (resolve, reject) {
      function onError(error) {
        emitter.removeListener(name, onEvent);
        reject(error);
      }
      function onEvent() {
        if (name !== "error") emitter.removeListener("error", onError);
        resolve(Array.prototype.slice.call(arguments));
      }
      emitter.once(name, onEvent);
      if (name !== "error") emitter.once("error", onError);
    });
  };

  // `EventEmitter.on(emitter, name)`: an async iterator of the argument arrays of `name` events
  // (queued until read); an "error" event makes the next read reject and ends the iteration;
  // `return()` (a `break` out of `for await`) removes the listeners.
  EventEmitter.on = function on(emitter, name) {
    var unconsumed = [];
    var waiting = [];
    var failure = null;
    var finished = false;
    function onEvent() {
      var args = Array.prototype.slice.call(arguments);
      if (waiting.length > 0) waiting.shift().resolve({ value: args, done: false });
      else unconsumed.push(args);
    }
    function onError(error) {
      if (waiting.length > 0) waiting.shift().reject(error);
      else failure = error;
      iterator.return();
    }
    function detach() {
      emitter.removeListener(name, onEvent);
      if (name !== "error") emitter.removeListener("error", onError);
      finished = true;
    }
    var iterator = {
      next: function () {
        if (unconsumed.length > 0) return Promise.resolve({ value: unconsumed.shift(), done: false });
        if (failure !== null) {
          var error = failure;
          failure = null;
          return Promise.reject(error);
        }
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise(function (resolve, reject) { waiting.push({ resolve: resolve, reject: reject }); });
      },
      return: function () {
        detach();
        while (waiting.length > 0) waiting.shift().resolve({ value: undefined, done: true });
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: function (error) {
        failure = error;
        detach();
      },
    };
    iterator[Symbol.asyncIterator] = function () { return iterator; };
    emitter.on(name, onEvent);
    if (name !== "error") emitter.on("error", onError);
    return iterator;
  };

  // Node's other static helpers.
  EventEmitter.errorMonitor = errorMonitor;
  EventEmitter.listenerCount = function listenerCount(emitter, name) {
    return emitter.listenerCount(name);
  };
  EventEmitter.getEventListeners = function getEventListeners(emitter, name) {
    return emitter.listeners(name);
  };
  EventEmitter.getMaxListeners = function getMaxListeners(emitter) {
    return emitter.getMaxListeners();
  };
  EventEmitter.setMaxListeners = function setMaxListeners(n) {
    if (n === undefined) n = defaultMaxListeners;
    checkMaxListeners(n, "setMaxListeners");
    if (arguments.length <= 1) {
      defaultMaxListeners = n;
    } else {
      for (var i = 1; i < arguments.length; i++) arguments[i].setMaxListeners(n);
    }
  };

  EventEmitter.EventEmitter = EventEmitter;
  return EventEmitter;
})()
