// MUST FAIL: a failing inference that the script does not catch.
const gp = require("geppetto");
const engine = gp.engines.fromFunction(() => {
  throw new Error("deliberate engine failure 4b2f");
});
gp.createSession({ engine }).run(gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("hi")] }));
