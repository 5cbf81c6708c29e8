// Script-harness globals that are simplest in JS. Loaded into every runtime by src/runtime/globals.rs.
(function (global) {
  "use strict";
  function assert(cond, msg) {
    if (!cond) {
      throw new Error(msg === undefined ? "assertion failed" : String(msg));
    }
  }
  Object.defineProperty(global, "assert", { value: assert, writable: true, configurable: true });
})(globalThis);
