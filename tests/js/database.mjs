// database.mjs: require("database") / require("db") on SQLite: configure, query, exec, parameters,
// blobs, transactions, every error text, the async variants, and the database used by JS tools of
// concurrent runs (a slow query never stalls other runs; a cancelled run interrupts its query).
import gp from "geppetto";
import { query as importedQuery } from "database";

const database = require("database");
const db = require("db");

// ---- tiny local helpers ----------------------------------------------------------------------
function msgOf(e) {
  return e !== null && typeof e === "object" && "message" in e ? String(e.message) : String(e);
}
function expectThrow(fn, text) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`expected an error containing "${text}", nothing was thrown`);
  if (!msgOf(err).includes(text)) throw new Error(`expected an error containing "${text}", got "${msgOf(err)}"`);
}
async function expectReject(promise, text) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`expected a rejection containing "${text}", it resolved`);
  if (!msgOf(err).includes(text)) throw new Error(`expected a rejection containing "${text}", got "${msgOf(err)}"`);
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}
const user = (text) => ({ blocks: [gp.turns.newUserBlock(text)] });

// ---- not configured, drivers ------------------------------------------------------------------
eq(typeof importedQuery, "function", "the module imports as an ES module too");
expectThrow(() => database.query("select 1"), "database not configured, call require('database').configure(...) first");
expectThrow(() => db.exec("select 1"), "database not configured, call require('db').configure(...) first");
expectThrow(() => db.begin(), "database not configured, call require('db').configure(...) first");
expectThrow(() => db.configure("postgres", "x"), 'unsupported database driver "postgres" (supported: sqlite3, sqlite)');
expectThrow(() => db.query(42), "query requires an SQL string, got number");

// ---- configure, exec, query ---------------------------------------------------------------------
eq(db.configure("sqlite3", ":memory:"), undefined, "configure returns undefined");
eq(db.exec("create table notes (id integer primary key, title text, score real, body blob)"),
  { success: true, rowsAffected: 0, lastInsertId: 0 }, "create table");
eq(db.exec("insert into notes (title, score) values (?, ?)", "first", 1.5),
  { success: true, rowsAffected: 1, lastInsertId: 1 }, "insert with spread parameters");
eq(db.exec("insert into notes (title, score) values (?, ?)", ["second", 2]),
  { success: true, rowsAffected: 1, lastInsertId: 2 }, "a single array argument is spread");
eq(database.query("select id, title, score from notes order by id"),
  [{ id: 1, title: "first", score: 1.5 }, { id: 2, title: "second", score: 2 }],
  "require('database') shares the connection of require('db')");
eq(db.query("select * from notes where id = ?", 99), [], "no rows");
eq(db.query("select null as n, 7 as i, 'x' as t"), [{ n: null, i: 7, t: "x" }], "value kinds");

// Blobs are Uint8Array both ways.
db.exec("update notes set body = ? where id = 1", new Uint8Array([0, 1, 255]));
const blob = db.query("select body from notes where id = 1")[0].body;
if (!(blob instanceof Uint8Array)) throw new Error("a blob column must come back as a Uint8Array");
eq(Array.from(blob), [0, 1, 255], "blob bytes");

// Parameters are bound, never interpolated: an injection string is stored and read back verbatim.
const injection = "x'); DROP TABLE notes; --";
db.exec("insert into notes (title) values (?)", injection);
eq(db.query("select title from notes where title = ?", injection), [{ title: injection }], "injection verbatim");
eq(db.query("select count(*) as n from notes")[0].n, 3, "the table survived");

// SQL errors carry SQLite's message; bad parameters are type errors.
expectThrow(() => db.query("selec 1"), 'near "selec": syntax error');
expectThrow(() => db.query("select * from missing"), "no such table: missing");
expectThrow(() => db.query("select ?", NaN), "database parameter 1 must be a finite number, got NaN");
expectThrow(() => db.query("select ?, ?", 1, { a: 1 }), "database parameter 2 must be null, a boolean, a number, a bigint, a string or a Uint8Array, got object");

// ---- transactions ------------------------------------------------------------------------------
let tx = db.begin();
tx.exec("insert into notes (title) values (?)", "committed");
eq(tx.query("select count(*) as n from notes")[0].n, 4, "the transaction sees its own insert");
eq(tx.commit(), { success: true }, "commit");
expectThrow(() => tx.exec("select 1"), "database transaction is closed");
expectThrow(() => tx.commit(), "database transaction is closed");
expectThrow(() => tx.rollback(), "database transaction is closed");

tx = db.begin();
tx.exec("insert into notes (title) values (?)", "rolled back");
eq(tx.rollback(), { success: true }, "rollback");
expectThrow(() => tx.query("select 1"), "database transaction is closed");
eq(db.query("select count(*) as n from notes where title = 'rolled back'")[0].n, 0, "rollback undid the insert");

// A failing commit (a deferred foreign key) throws with SQLite's message and closes the transaction.
db.exec("pragma foreign_keys = on");
db.exec("create table parent (id integer primary key)");
db.exec("create table child (parent integer references parent(id) deferrable initially deferred)");
tx = db.begin();
tx.exec("insert into child values (42)");
expectThrow(() => tx.commit(), "transaction commit: FOREIGN KEY constraint failed");
expectThrow(() => tx.exec("select 1"), "database transaction is closed");
eq(db.query("select count(*) as n from child")[0].n, 0, "the failed commit was rolled back");

// An uncommitted transaction whose object is collected is rolled back.
(function () {
  const forgotten = db.begin();
  forgotten.exec("insert into notes (title) values (?)", "forgotten");
})();
await new Promise((resolve) => setTimeout(resolve, 0));
eq(db.query("select count(*) as n from notes where title = 'forgotten'")[0].n, 0, "collected transaction rolled back");
db.begin().rollback(); // no transaction is left open

// ---- async variants ----------------------------------------------------------------------------
eq(await db.execAsync("insert into notes (title) values (?)", "async"),
  { success: true, rowsAffected: 1, lastInsertId: 5 }, "execAsync");
eq(await db.queryAsync("select title from notes where id = ?", [5]), [{ title: "async" }], "queryAsync");
await expectReject(db.queryAsync("selec"), 'near "selec": syntax error');

// ---- database + geppetto: a JS tool using the database from 50 concurrent runs -----------------
db.exec("create table visits (run integer, n integer)");
const engine = gp.engines.fromFunction((turn) => {
  const use = turn.blocks.find((b) => b.kind === "tool_use");
  if (!use) {
    const n = Number(turn.blocks[0].payload.text.split(" ")[1]);
    turn.blocks.push({ kind: "tool_call", role: "assistant", id: "c" + n, payload: { id: "c" + n, name: "visit", args: { n } } });
  } else {
    turn.blocks.push({ kind: "llm_text", role: "assistant", payload: { text: "count " + JSON.parse(use.payload.result).count } });
  }
  return turn;
});
const tools = gp.tools.createRegistry().register({
  name: "visit",
  handler: ({ n }) => {
    db.exec("insert into visits values (?, ?)", n, n * 2);
    return { count: db.query("select count(*) as c from visits where run = ?", n)[0].c };
  },
});
const N = 50;
const finals = await Promise.all(
  Array.from({ length: N }, (_, i) => gp.createSession({ engine, tools }).runAsync(user("run " + i))),
);
for (const turn of finals) eq(turn.blocks[turn.blocks.length - 1].payload.text, "count 1", "each run saw its own row");
eq(db.query("select count(*) as c, sum(n) as s from visits")[0], { c: N, s: N * (N - 1) }, "every run wrote once");

// ---- a slow query does not stall other runs; cancelling its run interrupts it -------------------
const endless = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) as n from c";
const slowTools = gp.tools.createRegistry().register({
  name: "visit",
  handler: async () => ({ count: (await db.queryAsync(endless))[0].n }),
});
const slow = gp.createSession({ engine, tools: slowTools }).start(user("run 0"));
let toolStarted = false;
slow.on("tool-call-execute", () => {
  toolStarted = true;
});
// Other runs on this runtime (tools using the same connection's thread-free path) complete meanwhile.
const others = await Promise.all(
  Array.from({ length: 10 }, (_, i) => gp.createSession({ engine: gp.engines.echo({ reply: "r" + i }) }).runAsync(user("x"))),
);
eq(others.length, 10, "other runs completed while the slow query ran");
while (!toolStarted) await new Promise((resolve) => setTimeout(resolve, 5));
slow.cancel();
await expectReject(slow.promise, "canceled");
eq(db.query("select 1 as one"), [{ one: 1 }], "the connection is free again: the slow query was interrupted");

// A synchronous query in a tool is interrupted by its run's deadline.
const syncTools = gp.tools.createRegistry().register({
  name: "visit",
  handler: () => ({ count: db.query(endless)[0].n }),
});
await expectReject(gp.createSession({ engine, tools: syncTools }).runAsync(user("run 0"), { timeoutMs: 200 }), "deadline exceeded");
eq(db.query("select 2 as two"), [{ two: 2 }], "the connection is free again after the deadline");

// ---- close and reconfigure -----------------------------------------------------------------------
eq(db.close(), undefined, "close returns undefined");
expectThrow(() => db.query("select 1"), "database not configured, call require('db').configure(...) first");
db.configure("sqlite", ":memory:");
expectThrow(() => db.query("select * from notes"), "no such table: notes");
db.close();
console.log("database.mjs: ok");
