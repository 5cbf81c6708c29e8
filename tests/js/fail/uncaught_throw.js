// MUST FAIL: an uncaught exception exits 1 with "js execution failed (<path>): <message>".
console.log("about to throw");
throw new Error("deliberate uncaught failure 7f3a");
