// Type-checked by `tsc -p docs/types/tsconfig.json` (docs/codegen.md): ES module form.
import gp from "geppetto";
import { createSession, engines } from "geppetto";
const s = createSession({ engine: engines.echo() });
const out = await s.runAsync(gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("x")] }));
console.log(out.id);
/** @type {import("geppetto").Turn} */
const t = { blocks: [] };
console.log(t, gp.consts.HookAction.RETRY);
