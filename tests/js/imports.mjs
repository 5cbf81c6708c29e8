// imports.mjs: ES module imports: the geppetto module (default and named), and relative files
// resolved against this file's directory (with and without the extension).
import gp, { turns, consts } from "geppetto";
import { answer, double } from "./lib/numbers.mjs";
import * as numbers from "./lib/numbers";

assert(gp.turns === turns && consts.BlockKind.USER === "user", "named exports of geppetto");
assert(answer === 42 && double(21) === 42, "relative import with extension");
assert(numbers.answer === 42, "relative import without extension");
let failed = false;
try {
  await import("./lib/does-not-exist.mjs");
} catch (e) {
  failed = true;
}
assert(failed, "a missing module is an error");
console.log("imports.mjs: ok");
