// MUST FAIL: assert(false, msg) throws msg and nothing catches it.
assert(1 + 1 === 2, "arithmetic works");
assert(false, "deliberate assert message 5e61");
