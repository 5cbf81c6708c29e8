// Script-harness globals that are simplest in JS. Loaded into every runtime by src/runtime/globals.rs.
(function (global) {
  "use strict";
  function assert(cond, msg) {
    if (!cond) {
      var text = msg === undefined ? "" : String(msg);
      throw new Error(text === "" ? "assertion failed" : text);
    }
  }
  Object.defineProperty(global, "assert", { value: assert, writable: true, configurable: true });
})(globalThis);
