// MUST FAIL: require of a module that does not exist.
require("geppetto-no-such-module-8d1");
