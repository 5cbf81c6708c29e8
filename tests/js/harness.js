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
try {
  require();
  check(false, "require() without a name throws");
} catch (e) {
  check(e instanceof TypeError && e.message === "require(name) requires a module name", "require(): " + e.message);
}

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

// ---- out-of-range durations: never a crash -------------------------------------------------------
// setTimeout converts its delay as browsers do (WebIDL long: NaN/Infinity -> 0, values wrap modulo
// 2^32, negatives -> 0), so each of these fires at once (1e300 and 2^32 wrap to 0, -0 is 0).
const oddDelays = [NaN, Infinity, -Infinity, -5, -0, 1e300, 2 ** 32, "nonsense", undefined, null, {}];
let oddFired = 0;
for (const d of oddDelays) setTimeout(() => oddFired++, d);
// 2^32 + 15 wraps to 15 ms; 2^31 wraps to a negative delay, clamped to 0.
setTimeout(() => oddFired++, 2 ** 32 + 15);
setTimeout(() => oddFired++, 2 ** 31);
// A delay that does not wrap (2^31 - 1 ms, ~24.8 days) is kept: clear it or the process waits.
clearTimeout(setTimeout(() => oddFired++, 2 ** 31 - 1));
for (const bad of [undefined, 42, "code", {}]) {
  let err;
  try {
    setTimeout(bad, 1);
  } catch (e) {
    err = e;
  }
  check(err instanceof TypeError && err.message === "setTimeout requires a callback function", "setTimeout(" + String(bad) + ")");
}
for (const id of [NaN, Infinity, -1, 1e300, 2 ** 53 + 1, "x", {}]) clearTimeout(id);
// sleep takes a number of milliseconds from 0 to 2^31 - 1: anything else is a catchable error.
sleep();
sleep(0);
sleep(-0);
sleep(0.5);
for (const [ms, type] of [[NaN, RangeError], [Infinity, RangeError], [-Infinity, RangeError], [-1, RangeError],
  [1e300, RangeError], [2 ** 31, RangeError], ["10", TypeError], [null, TypeError], [{}, TypeError], [10n, TypeError]]) {
  let err;
  try {
    sleep(ms);
  } catch (e) {
    err = e;
  }
  check(err instanceof type && err.message.startsWith("sleep(ms) requires"), "sleep(" + String(ms) + ") throws " + type.name);
}

setTimeout(() => {
  check(oddFired === oddDelays.length + 2, "every out-of-range delay fired: " + oddFired);
}, 50);

// The last timer checks everything; it also keeps the process alive until it fires.
setTimeout(() => {
  const expected = ["sync", "microtask", "0ms-a", "0ms-b", "10ms", "20ms", "30ms"];
  check(JSON.stringify(fired) === JSON.stringify(expected), "timer order: " + JSON.stringify(fired));
  // A timer set from a timer callback still runs before the process exits.
  setTimeout(() => console.log("harness.js: ok"), 10);
}, 60);
