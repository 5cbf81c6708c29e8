// MUST FAIL: assert(false) without a message throws "assertion failed".
assert(false);
