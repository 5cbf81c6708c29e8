// agent_spec_errors.js: every argument error text of js-api-agent.md that needs no network, checked
// as a script author reading only the spec would (message exact, TypeError where the spec marks it).
const gp = require("geppetto");
const FIXTURE = globalThis.GEPPETTO_PHASE123_PROFILE || "tests/fixtures/profiles/50-hardcut-phase123.yaml";

const checks = [];
function throws(fn, text, type) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (err === undefined) checks.push(`no error, expected "${text}"`);
  else if (err.message !== text) checks.push(`expected "${text}", got "${err.message}"`);
  else if (type === TypeError && !(err instanceof TypeError)) checks.push(`"${text}" is not a TypeError`);
  else if (type === Error && err.name !== "Error") checks.push(`"${text}" has name ${err.name}, expected Error`);
}

const same = (a, b, what) => { if (JSON.stringify(a) !== JSON.stringify(b)) checks.push(`${what}: ${JSON.stringify(a)}`); };

// gp.inferenceProfiles
throws(() => gp.inferenceProfiles.load(), "inferenceProfiles.load requires registry source string or string array", TypeError);
throws(() => gp.inferenceProfiles.load(null), "inferenceProfiles.load requires registry source string or string array", TypeError);
throws(() => gp.inferenceProfiles.load("a, ,b"), "profile registry source entry 1 is empty", Error);
throws(() => gp.inferenceProfiles.load(["a", ""]), "profile registry source entry 1 must be a non-empty string", Error);
throws(() => gp.inferenceProfiles.load(5), "profile registry sources must be a comma-separated string or string array", Error);
throws(() => gp.inferenceProfiles.load([]), "profile registry sources must not be empty", Error);
throws(() => gp.inferenceProfiles.resolve(), "inferenceProfiles.resolve requires a configured profile registry", Error);
throws(() => gp.inferenceProfiles.default(), "inferenceProfiles.default requires a configured profile registry", Error);
const reg = gp.inferenceProfiles.load(FIXTURE);
if (JSON.stringify(reg.sources) !== JSON.stringify([FIXTURE])) checks.push("sources: " + JSON.stringify(reg.sources));
throws(() => reg.resolve(5), "registry.resolve expects a profile string or options object");
const settings = reg.resolve({ registrySlug: "hardcut", profileSlug: "assistant" });
reg.close();
reg.close();
throws(() => reg.listRegistries(), "registry.listRegistries called after registry.close");
throws(() => reg.listProfiles(), "registry.listProfiles called after registry.close");
throws(() => reg.resolve(), "registry.resolve called after registry.close");

// gp.engine()
throws(() => gp.engine().build(), "engine().build requires inference(settings) first");
throws(() => gp.engine().inference(), "engine().inference requires a registry-resolved InferenceSettings wrapper", TypeError);
const engine = gp.engine().inference(settings).build();
if (engine.name !== "inferenceSettings") checks.push("engine name " + engine.name);

// gp.agent()
throws(() => gp.agent().build(), "agent build requires engine(...) or inference(settings)");
throws(() => gp.agent().inference(), "agent().inference requires a registry-resolved InferenceSettings wrapper", TypeError);
throws(() => gp.agent().engine(), "agent().engine requires engine argument", TypeError);
throws(() => gp.agent().engine(5), "expected engine reference, got number (value: 5)");
throws(() => gp.agent().middleware(), "agent().middleware requires middleware argument", TypeError);
throws(() => gp.agent().middleware(5), "unsupported middleware specification");
throws(() => gp.agent().goMiddleware(), "agent().goMiddleware requires middleware name", TypeError);
throws(() => gp.agent().goMiddleware("zzz"), "unknown go middleware: zzz");
throws(() => gp.agent().tool(), "agent().tool requires a tool registry until gp.tool() lands", TypeError);
throws(() => gp.agent().tool(5), "expected tool registry reference, got number (value: 5)");
throws(() => gp.agent().goTool(), "agent().goTool requires tool name", TypeError);
throws(() => gp.agent().goTool(""), "agent().goTool name must not be empty", TypeError);
throws(() => gp.agent().events(), "agent().events requires event sink argument", TypeError);
throws(() => gp.agent().events({}), "expected event sink reference or go-go-goja EventEmitter, got object (value: {})");
throws(() => gp.agent().store(), "agent().store requires a TurnStore wrapper or null", TypeError);
throws(() => gp.agent().persistTo(), "agent().persistTo requires a TurnStore wrapper or null", TypeError);
throws(() => gp.agent().store({ a: 1 }), 'expected Go-owned TurnStore wrapper, got object (value: {"a":1})');
throws(() => gp.agent().defaultStore(), "geppetto default turn persistence is not configured");
const agent = gp.agent().inference(settings).build();
for (const k of ["run", "runAsync", "ask", "system"]) if (k in agent) checks.push("agent has " + k);

// gp.embeddings / gp.reranker
throws(() => gp.embeddings(), "embeddings(settings) requires a registry-resolved InferenceSettings wrapper", TypeError);
throws(() => gp.reranker(), "reranker(settings) requires a registry-resolved InferenceSettings wrapper", TypeError);

// rerank validation runs in the contract's order: query, documents, then options
const reranker = gp.reranker(gp.inferenceProfiles.load(FIXTURE).resolve("bge-reranker"));
throws(() => reranker.rerank("", [], {}), "rerank query is required: invalid rerank request");
throws(() => reranker.rerank("q", [], {}), "rerank requires at least one document: invalid rerank request");
throws(() => reranker.rerank("q", [{ id: "a", text: "t" }], {}), "rerank options.topN is required: invalid rerank request");
same(reranker.model(), { provider: "llama.cpp", name: "bge-reranker-v2-m3" }, "reranker model");

// gp.turnStores
if (Object.keys(gp.turnStores).sort().join(",") !== "default,get") checks.push("turnStores keys");
throws(() => gp.turnStores.default(), "geppetto turnStores.default is not configured");
throws(() => gp.turnStores.get(), "turnStores.get requires a store name", TypeError);
throws(() => gp.turnStores.get(""), "turnStores.get store name must not be empty", TypeError);
throws(() => gp.turnStores.get("x"), 'geppetto turn store "x" is not configured');

// gp.tool / gp.toolRegistry / gp.schema
throws(() => gp.tool(), "tool(name) requires name", TypeError);
throws(() => gp.tool(""), "tool name must not be empty", TypeError);
throws(() => gp.tool("a").build(), "tool handler is required", TypeError);
throws(() => gp.tool("a").input(), "tool.input requires schema", TypeError);
throws(() => gp.tool("a").handler(), "tool.handler requires function", TypeError);
throws(() => gp.tool("a").handler(5), "tool.handler argument must be callable", TypeError);
throws(() => gp.toolRegistry().add(), "toolRegistry.add requires tool spec", TypeError);
throws(() => gp.toolRegistry().add({}), "tool name is required");
throws(() => gp.toolRegistry().add({ name: "x" }), "tool x handler must be a function");
throws(() => gp.toolRegistry().call(), "toolRegistry.call requires tool name", TypeError);
throws(() => gp.toolRegistry().call("nope"), "tool not found: nope");
throws(() => gp.toolRegistry().addGo("nope"), "tool not found: nope");
const failing = gp.toolRegistry().add({ name: "bad", handler: () => { throw new Error("boom"); } });
throws(() => failing.call("bad", {}), "js tool bad: boom");
throws(() => gp.schema.object().property(), "schema.object().property requires name and schema", TypeError);
throws(() => gp.schema.object().property("", {}), "schema property name must not be empty", TypeError);
throws(() => gp.schema.array().items(), "schema.array().items requires schema", TypeError);
throws(() => gp.schema.object().property("a", 5), "expected schema wrapper");

// gp.schema shapes (immutable builders)
same(gp.schema.enum("a", "b").toJSON(), { enum: ["a", "b"] }, "enum");
same(gp.schema.object().toJSON(), { type: "object", properties: {} }, "object");
same(gp.schema.array().items(gp.schema.string()).required([" x ", ""]).toJSON(), { type: "array", items: { type: "string" }, required: ["x"] }, "array");
const s = gp.schema.string();
same(s.description("d").build().clone().toJSON(), { type: "string", description: "d" }, "description");
same(s.toJSON(), { type: "string" }, "receiver unchanged");
same(gp.tool("t").handler(() => 1).build().toJSON(), { name: "t", description: "", parameters: { type: "object", properties: {} } }, "tool defaults");

if (checks.length) throw new Error("spec mismatches:\n" + checks.join("\n"));
