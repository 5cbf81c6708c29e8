// agent_spec_bridges.mjs: js-api-agent.md § Coexistence and consts additions, as an ES module:
// `import gp from "geppetto"`, `import EventEmitter, {EventEmitter} from "events"`, old-API turns
// seeding agent sessions, old registries in agents and new ones in createSession.
import gp from "geppetto";
import EventEmitter, { EventEmitter as Named } from "events";

const checks = [];
const same = (a, b, what) => { if (JSON.stringify(a) !== JSON.stringify(b)) checks.push(`${what}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`); };
same([EventEmitter === Named, EventEmitter.EventEmitter === EventEmitter, EventEmitter.defaultMaxListeners], [true, true, 10], "events exports");

const A = gp.consts.AgentEvent;
same([A.EVENT, A.RUN_STARTED, A.INFERENCE_ERROR, A.TOOL_CALL_ARGUMENTS_DELTA, A.AGENT_MODE_SWITCH, Object.isFrozen(A)],
  ["event", "run-started", "inference-error", "tool-call-arguments-delta", "agent-mode-switch", true], "AgentEvent");
same([gp.consts.TurnDataKeys.RESPONSES_SERVER_TOOLS, gp.consts.TurnMetadataKeys.INFERENCE_RESULT, gp.consts.BlockMetadataKeys.AGENTMODE_TAG, gp.consts.RunMetadataKeys.TRACE_ID, gp.consts.PayloadKeys.ITEM_ID],
  ["responses_server_tools", "inference_result", "agentmode_tag", "trace_id", "item_id"], "consts additions");

// an old-API turn seeds an agent session that has an old registry
const old = gp.createSession({ engine: gp.engines.echo({ reply: "old" }) });
old.append(gp.turns.newTurn({ blocks: [gp.turns.newUserBlock("from old api")] }));
const oldTurn = old.run();
const session = gp.agent().engine(gp.engines.echo({ reply: "new" })).tool(gp.tools.createRegistry()).build().session().base(oldTurn).build();
const result = await session.next().user("more").runAsync().promise;
same([result.text(), session.turnCount(), result.outputTurn().toJSON().blocks.map((b) => b.payload.text)],
  ["new", 2, ["from old api", "old", "more", "new"]], "old turn as base");

// a new registry in the old API
const registry = gp.toolRegistry().add(gp.tool("t").handler(() => 1).build());
same(typeof gp.createSession({ engine: gp.engines.echo({ reply: "x" }), tools: registry }).run, "function", "createSession({tools: toolRegistry()})");

if (checks.length) throw new Error("spec mismatches:\n" + checks.join("\n"));
