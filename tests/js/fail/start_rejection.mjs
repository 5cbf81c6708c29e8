// MUST FAIL: an ES module whose top-level await rejects (a cancelled run).
import gp from "geppetto";
const session = gp.createSession({ engine: gp.engines.echo() });
const handle = session.start(gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("hi")] }));
handle.cancel();
await handle.promise;
