//! The embedding API from an embedder's seat: no rquickjs type below.

use std::time::Duration;

use futures_util::StreamExt;
use geppetto::embed::{
    Block, CallSettings, EmbedError, Exports, JsName, Module, RunError, RunSettings, Runtime,
    Script, SetupError, Turn,
};
use geppetto::owner::{InterruptReason, OwnerError};

fn user(text: &str) -> Turn {
    Turn::new().with_block(Block::user(text))
}

struct Named(&'static str);

impl Module for Named {
    fn name(&self) -> &str {
        self.0
    }

    fn exports(&self) -> Result<Exports, SetupError> {
        Ok(Exports::new()
            .value("version", 3)
            .function("add", |(a, b): (f64, f64)| Ok::<_, String>(a + b))
            .function("fail", |(): ()| Err::<(), _>("no luck")))
    }
}

struct Broken;

impl Module for Broken {
    fn name(&self) -> &str {
        "broken"
    }

    fn exports(&self) -> Result<Exports, SetupError> {
        Err("the license file is missing".into())
    }
}

#[test]
fn duplicate_module_names_fail_the_spawn() {
    let checks = [
        (Runtime::builder().geppetto().geppetto(), "geppetto"),
        (Runtime::builder().database().module(Named("db")), "db"),
        (
            Runtime::builder().module(Named("x")).module(Named("x")),
            "x",
        ),
        (
            Runtime::builder().database().database_in_memory(),
            "database",
        ),
    ];
    for (builder, name) in checks {
        match builder.spawn() {
            Err(EmbedError::DuplicateModule { name: got }) => assert_eq!(got, name),
            other => panic!("expected a duplicate {name}, got {other:?}"),
        }
    }
}

#[test]
fn a_failing_module_setup_fails_the_spawn() {
    match Runtime::builder().module(Broken).spawn() {
        Err(EmbedError::ModuleSetup { module, message }) => {
            assert_eq!(module, "broken");
            assert_eq!(message, "the license file is missing");
        }
        other => panic!("expected a setup failure, got {other:?}"),
    }
    let missing = std::env::temp_dir()
        .join("geppetto-embed-no-such-dir")
        .join("x.db");
    match Runtime::builder().database_path(&missing).spawn() {
        Err(EmbedError::ModuleSetup { module, message }) => {
            assert_eq!(module, "database");
            assert!(message.contains("cannot open database"), "{message}");
        }
        other => panic!("expected a database setup failure, got {other:?}"),
    }
    match Runtime::builder().owners(0).spawn() {
        Err(EmbedError::InvalidConfig(message)) => assert!(message.contains("at least one")),
        other => panic!("expected an invalid configuration, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_modules_globals_exports_and_errors() {
    let runtime = Runtime::builder().module(Named("calc")).spawn().unwrap();
    let instance = runtime
        .eval(Script::classic(
            "globals.js",
            r#"const calc = require("calc");
               globalThis.app = { twice: (n) => calc.add(n, n) + calc.version,
                                  later: async (s) => s + "!",
                                  boom: () => { throw new Error("boom " + 1); },
                                  tryFail: () => { try { calc.fail(); } catch (e) { return e.message; } } };"#,
        ))
        .await
        .unwrap();
    let twice: f64 = instance
        .call(JsName::global("app.twice"), (4,))
        .await
        .unwrap();
    assert_eq!(twice, 11.0);
    let later: String = instance
        .call(JsName::global("app.later"), "now")
        .await
        .unwrap();
    assert_eq!(later, "now!");
    let failed: String = instance
        .call(JsName::global("app.tryFail"), ())
        .await
        .unwrap();
    assert_eq!(failed, "no luck");
    match instance.call::<()>(JsName::global("app.boom"), ()).await {
        Err(EmbedError::Js { message, stack }) => {
            assert_eq!(message, "boom 1");
            assert!(stack.is_some_and(|stack| stack.contains("globals.js")));
        }
        other => panic!("expected a JS exception, got {other:?}"),
    }
    match instance.call::<()>(JsName::global("app.missing"), ()).await {
        Err(EmbedError::Js { message, .. }) => {
            assert_eq!(message, "global app.missing is not a function")
        }
        other => panic!("expected a JS error, got {other:?}"),
    }
    match instance.call::<u8>(JsName::global("app.later"), "x").await {
        Err(EmbedError::Convert { what, .. }) => assert_eq!(what, "result"),
        other => panic!("expected a conversion error, got {other:?}"),
    }

    instance
        .eval(Script::module(
            "lib.mjs",
            "import calc from 'calc';\nexport const sum = (a, b) => calc.add(a, b);\nexport default 7;",
        ))
        .await
        .unwrap();
    let sum: f64 = instance
        .call(JsName::export("lib.mjs", "sum"), (1.5, 2))
        .await
        .unwrap();
    assert_eq!(sum, 3.5);

    let stuck = instance
        .call_with::<()>(
            CallSettings::new().timeout(Duration::from_millis(100)),
            JsName::global("eval"),
            "while (true) {}",
        )
        .await;
    match stuck {
        Err(EmbedError::Owner(OwnerError::Interrupted { reason, .. })) => {
            assert_eq!(reason, InterruptReason::Deadline)
        }
        other => panic!("expected an interrupted call, got {other:?}"),
    }
    runtime.shutdown(None).await;
}

const SESSION_SCRIPT: &str = r#"
  const gp = require("geppetto");
  const engine = gp.engines.fromFunction((turn) => {
    const use = turn.blocks.find((b) => b.kind === "tool_use");
    turn.blocks.push(use
      ? { kind: "llm_text", role: "assistant", payload: { text: "found " + use.payload.result } }
      : { kind: "tool_call", role: "assistant", id: "c1", payload: { id: "c1", name: "lookup", args: { q: "x" } } });
    return turn;
  });
  const tools = gp.tools.createRegistry().register({ name: "lookup", handler: ({ q }) => q + q });
  globalThis.session = gp.createSession({ engine, tools });
  // The same run observed from JS, for comparison.
  globalThis.jsEvents = async () => {
    const handle = gp.createSession({ engine, tools }).start({ blocks: [gp.turns.newUserBlock("hi")] });
    const types = [];
    handle.on("*", (e) => types.push(e.type));
    await handle.promise;
    return types;
  };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_events_arrive_in_order_and_complete() {
    let runtime = Runtime::builder().geppetto().spawn().unwrap();
    let instance = runtime
        .eval(Script::classic("session.js", SESSION_SCRIPT))
        .await
        .unwrap();
    let mut run = instance
        .start(JsName::global("session"), user("hi"), RunSettings::new())
        .await
        .unwrap();
    let mut types = Vec::new();
    while let Some(event) = run.next().await {
        assert_eq!(event.run_id, run.run_id());
        types.push(event.kind.type_name().to_string());
    }
    let output = run.outcome().await.unwrap();
    assert_eq!(output.last_assistant_text(), Some("found \"xx\""));
    let from_js: Vec<String> = instance.call(JsName::global("jsEvents"), ()).await.unwrap();
    assert_eq!(
        types, from_js,
        "Rust sees the events JS sees, in the same order"
    );
    assert_eq!(types.first().map(String::as_str), Some("start"));
    assert_eq!(types.last().map(String::as_str), Some("final"));

    // The session keeps its history; a second run continues it.
    let again = instance
        .start(JsName::global("session"), user("again"), RunSettings::new())
        .await
        .unwrap()
        .outcome()
        .await
        .unwrap();
    assert!(again.last_assistant_text().is_some());

    match instance
        .start(JsName::global("jsEvents"), user("x"), RunSettings::new())
        .await
    {
        Err(EmbedError::Js { message, .. }) => {
            assert_eq!(message, "global jsEvents is not a geppetto session")
        }
        other => panic!("expected a JS error, got {other:?}"),
    }
    runtime.shutdown(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_run_from_rust_interrupts_its_query() {
    let runtime = Runtime::builder()
        .geppetto()
        .database_in_memory()
        .spawn()
        .unwrap();
    let instance = runtime
        .eval(Script::classic(
            "slow.js",
            r#"const gp = require("geppetto");
               const db = require("database");
               const endless = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) as n from c";
               const engine = gp.engines.fromFunction((turn) => {
                 turn.blocks.push({ kind: "tool_call", role: "assistant", id: "c1", payload: { id: "c1", name: "count", args: {} } });
                 return turn;
               });
               const tools = gp.tools.createRegistry().register({ name: "count", handler: async () => (await db.queryAsync(endless))[0].n });
               globalThis.session = gp.createSession({ engine, tools });
               globalThis.ping = () => db.query("select 1 as one")[0].one;"#,
        ))
        .await
        .unwrap();
    let mut run = instance
        .start(JsName::global("session"), user("count"), RunSettings::new())
        .await
        .unwrap();
    while let Some(event) = run.next().await {
        if event.kind.type_name() == "tool-call-execute" {
            break;
        }
    }
    run.cancel();
    match run.outcome().await {
        Err(EmbedError::Run(RunError::Canceled)) => {}
        other => panic!("expected a cancelled run, got {other:?}"),
    }
    // The endless query was interrupted: the connection answers again.
    let one: i64 = instance.call(JsName::global("ping"), ()).await.unwrap();
    assert_eq!(one, 1);
    runtime.shutdown(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preconfigured_connection_is_shared_with_rust() {
    let connection = rusqlite::Connection::open_in_memory().unwrap();
    connection
        .execute_batch("create table notes (body text); insert into notes values ('from rust');")
        .unwrap();
    let runtime = Runtime::builder()
        .geppetto()
        .database_connection(connection)
        .spawn()
        .unwrap();
    let instance = runtime
        .eval(Script::classic(
            "pre.js",
            r#"const db = require("db");
               globalThis.read = () => db.query("select body from notes").map((r) => r.body);
               globalThis.reconfigure = () => { try { db.configure("sqlite3", ":memory:"); return "configured"; } catch (e) { return e.message; } };
               globalThis.closeAndRead = () => { db.close(); return read(); };"#,
        ))
        .await
        .unwrap();
    let bodies: Vec<String> = instance.call(JsName::global("read"), ()).await.unwrap();
    assert_eq!(bodies, ["from rust"]);
    let refused: String = instance
        .call(JsName::global("reconfigure"), ())
        .await
        .unwrap();
    assert_eq!(
        refused,
        "database module \"db\" is preconfigured and does not allow configure()"
    );
    let after_close: Vec<String> = instance
        .call(JsName::global("closeAndRead"), ())
        .await
        .unwrap();
    assert_eq!(
        after_close,
        ["from rust"],
        "close() leaves the embedder's connection open"
    );
    match Runtime::builder()
        .database_connection(rusqlite::Connection::open_in_memory().unwrap())
        .owners(2)
        .spawn()
    {
        Err(EmbedError::InvalidConfig(message)) => assert!(message.contains("one owner")),
        other => panic!("expected an invalid configuration, got {other:?}"),
    }
    runtime.shutdown(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uncommitted_transaction_rolls_back_at_shutdown() {
    let dir = std::env::temp_dir().join(format!("geppetto-embed-tx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tx.db");
    let _ = std::fs::remove_file(&path);
    let runtime = Runtime::builder().database_path(&path).spawn().unwrap();
    runtime
        .eval(Script::classic(
            "tx.js",
            r#"const db = require("database");
               db.exec("create table t (a)");
               db.exec("insert into t values (1)");
               globalThis.tx = db.begin();
               tx.exec("insert into t values (2)");"#,
        ))
        .await
        .unwrap();
    runtime.shutdown(None).await;
    drop(runtime);
    let reopened = rusqlite::Connection::open(&path).unwrap();
    let count: i64 = reopened
        .query_row("select count(*) from t", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 1, "the open transaction was rolled back");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_places_scripts_and_keeps_sessions_on_their_owner() {
    let runtime = Runtime::builder()
        .name("pool")
        .geppetto()
        .owners(2)
        .spawn()
        .unwrap();
    let instances = runtime.instances();
    assert_eq!(instances.len(), 2);
    for (index, instance) in instances.iter().enumerate() {
        instance
            .eval(Script::classic(
                "owner.js",
                &format!(
                    r#"const gp = require("geppetto");
                       globalThis.session = gp.createSession({{ engine: gp.engines.echo({{ reply: "owner {index}" }}) }});"#
                ),
            ))
            .await
            .unwrap();
    }
    for (index, instance) in instances.iter().enumerate() {
        let output = instance
            .start(JsName::global("session"), user("who?"), RunSettings::new())
            .await
            .unwrap()
            .outcome()
            .await
            .unwrap();
        assert_eq!(
            output.last_assistant_text(),
            Some(format!("owner {index}").as_str())
        );
        assert_eq!(instance.name(), format!("pool-{index}"));
    }
    assert_eq!(runtime.stats().len(), 2);
    runtime.shutdown(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_middlewares_and_tools_reach_scripts() {
    use std::sync::Arc;

    use geppetto::embed::{HostTool, Middleware};
    use geppetto::inference::middlewares::SystemPrompt;

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Double {
        n: i64,
    }
    let runtime = Runtime::builder()
        .geppetto()
        .host_middleware("house", |options| {
            let prompt = options
                .and_then(|options| options.get("style"))
                .and_then(|style| style.as_str())
                .unwrap_or("plain")
                .to_string();
            Ok(
                Arc::new(SystemPrompt::new(format!("house style: {prompt}")))
                    as Arc<dyn Middleware>,
            )
        })
        .host_tool(HostTool::new("double", "Double n", |input: Double| {
            Ok::<_, String>(input.n * 2)
        }))
        .spawn()
        .unwrap();
    let instance = runtime
        .eval(Script::classic(
            "mw.js",
            r#"const gp = require("geppetto");
               const engine = gp.engines.fromFunction((turn) => {
                 const system = turn.blocks.find((b) => b.kind === "system");
                 turn.blocks.push(gp.turns.newAssistantBlock(system ? system.payload.text : "none"));
                 return turn;
               });
               globalThis.session = gp.createSession({ engine, middlewares: [gp.middlewares.go("house", { style: "terse" })] });
               globalThis.double = (n) => gp.tools.createRegistry().useGoTools(["double"]).call("double", { n });"#,
        ))
        .await
        .unwrap();
    let output = instance
        .start(JsName::global("session"), user("hi"), RunSettings::new())
        .await
        .unwrap()
        .outcome()
        .await
        .unwrap();
    assert_eq!(output.last_assistant_text(), Some("house style: terse"));
    let doubled: i64 = instance
        .call(JsName::global("double"), (21,))
        .await
        .unwrap();
    assert_eq!(doubled, 42);
    runtime.shutdown(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_api_gets_events_and_the_builders_turn_store() {
    let store = geppetto::stores::SqliteTurnStore::open(
        "default",
        &geppetto::stores::SqliteLocation::Path(":memory:".into()),
    )
    .unwrap();
    let runtime = Runtime::builder()
        .geppetto()
        .turn_store("default", std::sync::Arc::new(store))
        .spawn()
        .unwrap();
    let instance = runtime
        .eval(Script::classic(
            "agent.js",
            r#"const gp = require("geppetto");
               const EventEmitter = require("node:events");
               const seen = [];
               const events = new EventEmitter();
               events.on("run-finished", (e) => seen.push(e.status));
               const agent = gp.agent().name("svc")
                 .engine(gp.engines.echo({ reply: "stored" })).events(events).build();
               const session = agent.session().build();
               globalThis.ask = (text) => session.next().user(text).run().text();
               globalThis.stored = () => gp.turnStores.default().list().length;
               globalThis.seen = () => seen;"#,
        ))
        .await
        .unwrap();
    let answer: String = instance.call(JsName::global("ask"), "hello").await.unwrap();
    assert_eq!(answer, "stored");
    let stored: usize = instance.call(JsName::global("stored"), ()).await.unwrap();
    assert_eq!(
        stored, 1,
        "the run persisted to the builder's default store"
    );
    let seen: Vec<String> = instance.call(JsName::global("seen"), ()).await.unwrap();
    assert_eq!(seen.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_heap_limit_applies_and_can_be_lifted() {
    for (limit, expect_oom) in [(Some(16 << 20), true), (None, false)] {
        let runtime = Runtime::builder().memory_limit(limit).spawn().unwrap();
        let instance = runtime
            .eval(Script::classic(
                "hog.js",
                r#"globalThis.hog = () => {
                     try { const a = []; for (let i = 0; i < 64; i++) a.push("x".repeat(1 << 20) + i); return "fit"; }
                     catch (e) { return "caught"; }
                   };"#,
            ))
            .await
            .unwrap();
        let outcome: String = instance.call(JsName::global("hog"), ()).await.unwrap();
        assert_eq!(
            outcome,
            if expect_oom { "caught" } else { "fit" },
            "limit {limit:?}"
        );
    }
}
