// harness.js: the globals that `geppetto run` provides to every script: console, assert, ENV,
// sleep, setTimeout/clearTimeout, and the rule that pending timers keep the process alive.
// (tests/js/fail/timer_throws.js proves from the outside that a pending timer does fire.)

// ---- tiny local helpers ----------------------------------------------------------------------
function msgOf(e) {
  return e !== null && typeof e === "object" && "message" in e ? String(e.message) : String(e);
}
function expectThrow(fn, text) {
  let threw = false;
  let err;
  try {
    fn();
  } catch (e) {
    threw = true;
    err = e;
  }
  if (!threw) throw new Error(`expected an error containing "${text}", nothing was thrown`);
  if (!msgOf(err).includes(text)) throw new Error(`expected an error containing "${text}", got "${msgOf(err)}"`);
  return err;
}
function check(cond, what) {
  // Deliberately independent of the harness's own assert(), which is under test here.
  if (!cond) throw new Error("check failed: " + what);
}

// ---- the globals exist -------------------------------------------------------------------------
check(typeof require === "function", "require");
check(typeof console === "object" && typeof console.log === "function" && typeof console.error === "function", "console");
check(typeof assert === "function", "assert");
check(typeof sleep === "function", "sleep");
check(typeof setTimeout === "function" && typeof clearTimeout === "function", "timers");
check(ENV !== null && typeof ENV === "object", "ENV is an object");

// ---- console: space-joined arguments, objects JSON-encoded (output checked by eye) -------------
console.log("harness.js:", "several", "args", 42, true, { a: 1, nested: { b: [1, 2] } }, [3, 4]);
console.error("harness.js: this line goes to stderr", { ok: true });

// ---- assert -------------------------------------------------------------------------------------
assert(true);
assert(1 === 1, "never shown");
expectThrow(() => assert(false, "custom assert message"), "custom assert message");
expectThrow(() => assert(false), "assertion failed");
expectThrow(() => assert(0), "assertion failed");
expectThrow(() => assert(""), "assertion failed");

// ---- ENV --------------------------------------------------------------------------------------
for (const [k, v] of Object.entries(ENV)) {
  check(typeof k === "string" && typeof v === "string", "ENV values are strings: " + k);
}
if (typeof ENV.PATH === "string") check(ENV.PATH.length > 0, "ENV.PATH is the real PATH");
check(ENV.GEPPETTO_SURELY_UNSET_VARIABLE_123 === undefined, "unset variables are undefined");

// ---- sleep is blocking --------------------------------------------------------------------------
{
  const t0 = Date.now();
  let timerRan = false;
  const t = setTimeout(() => (timerRan = true), 0);
  sleep(40);
  check(Date.now() - t0 >= 35, "sleep(40) blocked ~40 ms");
  check(timerRan === false, "no timer runs during sleep (it is blocking)");
  clearTimeout(t);
}

// ---- timers: order, zero delay, clearTimeout ----------------------------------------------------
const fired = [];
setTimeout(() => fired.push("30ms"), 30);
setTimeout(() => fired.push("10ms"), 10);
setTimeout(() => fired.push("20ms"), 20);
setTimeout(() => fired.push("0ms-a"), 0);
setTimeout(() => fired.push("0ms-b"), 0);
const cancelled = setTimeout(() => fired.push("cancelled"), 5);
clearTimeout(cancelled);
clearTimeout(cancelled); // clearing twice is harmless
clearTimeout(undefined); // as in browsers and Node, clearing nothing is harmless
Promise.resolve().then(() => fired.push("microtask"));
fired.push("sync");
check(fired.join() === "sync", "nothing asynchronous ran synchronously");

// The last timer checks everything; it also keeps the process alive until it fires.
setTimeout(() => {
  const expected = ["sync", "microtask", "0ms-a", "0ms-b", "10ms", "20ms", "30ms"];
  check(JSON.stringify(fired) === JSON.stringify(expected), "timer order: " + JSON.stringify(fired));
  // A timer set from a timer callback still runs before the process exits.
  setTimeout(() => console.log("harness.js: ok"), 10);
}, 60);
