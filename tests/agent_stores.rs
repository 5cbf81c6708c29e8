//! Turn stores: the SQLite store against databases and payloads in Go's layout (built from the
//! agent spec), row ordering within one millisecond, persistence failures, and the CLI flags that
//! configure stores (running tests/js_stores/agent_stores.js and agent_spec_stores.js).

use std::path::{Path, PathBuf};
use std::process::Command;

use geppetto::inference::agent::{StoreError, TurnQuery, TurnStore};
use geppetto::inference::{Block, Turn};
use geppetto::stores::{SqliteLocation, SqliteTurnStore};
use rusqlite::Connection;
use serde_json::json;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "geppetto-agent-stores-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A payload as Go's yaml.v3 writes it (js-api-agent.md § Turn stores).
fn go_payload(turn_id: &str, text: &str) -> String {
    format!(
        "id: {turn_id}\nblocks:\n    - id: 41f2\n      kind: user\n      role: user\n      payload:\n        text: hello\n    - id: 9d0e\n      kind: llm_text\n      role: assistant\n      payload:\n        text: {text}\nmetadata:\n    geppetto.inference_id@v1: 7a1c\n    geppetto.runtime@v1:\n        agentName: demo\n        sessionName: \"\"\n    geppetto.session_id@v1: s1\n"
    )
}

/// A database written the way the Go provider writes it: its schema, then rows.
fn go_database(path: &Path, rows: &[(&str, i64, String)]) {
    let connection = Connection::open(path).unwrap();
    connection
        .execute_batch(geppetto::stores::sqlite::SCHEMA)
        .unwrap();
    for (turn_id, created, payload) in rows {
        connection
            .execute(
                "INSERT INTO geppetto_turns VALUES ('s1', 's1', ?1, 'final', '', '7a1c', ?2, ?3)",
                rusqlite::params![turn_id, created, payload],
            )
            .unwrap();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

#[test]
fn reads_a_go_database_newest_first_with_ties_in_insertion_order() {
    let dir = temp_dir("go");
    let path = dir.join("turns.db");
    go_database(
        &path,
        &[
            ("t-old", 1000, go_payload("t-old", "OLD")),
            ("t-a", 2000, go_payload("t-a", "A")),
            ("t-b", 2000, go_payload("t-b", "B")),
            ("t-c", 2000, go_payload("t-c", "C")),
        ],
    );
    let store = SqliteTurnStore::open("default", &SqliteLocation::Path(path)).unwrap();
    let rt = runtime();
    let query = TurnQuery {
        session_id: Some("s1".into()),
        limit: 100,
        ..TurnQuery::default()
    };
    let listed = rt.block_on(store.list(query.clone())).unwrap();
    let ids: Vec<&str> = listed.iter().map(|s| s.turn_id.as_str()).collect();
    assert_eq!(ids, ["t-c", "t-b", "t-a", "t-old"]);
    let latest = rt.block_on(store.load_latest(query)).unwrap().unwrap();
    let turn = latest.turn.unwrap();
    assert_eq!(turn.id, "t-c");
    assert_eq!(turn.blocks[1].text_payload(), Some("C"));
    assert_eq!(turn.metadata["session_id"], json!("s1"));
    assert_eq!(
        turn.metadata["runtime"],
        json!({"agentName": "demo", "sessionName": ""})
    );
    let since = TurnQuery {
        since_ms: Some(1500),
        limit: 100,
        ..TurnQuery::default()
    };
    assert_eq!(rt.block_on(store.list(since)).unwrap().len(), 3);
}

#[test]
fn persists_rows_in_go_layout() {
    let dir = temp_dir("persist");
    let path = dir.join("nested/dir/turns.db");
    let store = SqliteTurnStore::open("default", &SqliteLocation::Path(path.clone())).unwrap();
    let mut turn = Turn::new()
        .with_block(Block::user("hello"))
        .with_block(Block::assistant("READY"));
    turn.id = "t1".into();
    turn.metadata.insert("session_id".into(), json!("s1"));
    turn.metadata.insert("inference_id".into(), json!("i1"));
    turn.metadata.insert(
        "runtime".into(),
        json!({"agentName": "demo", "sessionName": ""}),
    );
    turn.metadata
        .insert("geppetto.topic@v1".into(), json!("cats"));
    let rt = runtime();
    rt.block_on(store.persist(turn.clone(), "final")).unwrap();
    // Upserted on the primary key: a second write replaces the row.
    rt.block_on(store.persist(turn.clone(), "final")).unwrap();
    let connection = Connection::open(&path).unwrap();
    let journal: String = connection
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    let (conv, session, turn_id, phase, runtime_key, inference, payload): (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    ) = connection
        .query_row(
            "SELECT conv_id, session_id, turn_id, phase, runtime_key, inference_id, payload FROM geppetto_turns",
            [],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        [conv, session, turn_id, phase, runtime_key, inference],
        ["s1", "s1", "t1", "final", "demo", "i1"]
    );
    for line in [
        "geppetto.session_id@v1: s1",
        "geppetto.inference_id@v1: i1",
        "geppetto.topic@v1: cats",
        "kind: llm_text",
    ] {
        assert!(payload.contains(line), "{line} in\n{payload}");
    }
    let count: i64 = connection
        .query_row("SELECT COUNT(*) FROM geppetto_turns", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 1);
}

#[test]
fn persistence_failures_have_the_go_texts() {
    let dir = temp_dir("failures");
    let path = dir.join("turns.db");
    go_database(&path, &[("bad", 1, "blocks: [".into())]);
    let store = SqliteTurnStore::open("default", &SqliteLocation::Path(path)).unwrap();
    let rt = runtime();
    let error = rt
        .block_on(store.persist(Turn::new().with_block(Block::user("x")), "final"))
        .unwrap_err();
    assert_eq!(error, StoreError::MissingSessionId);
    assert_eq!(
        error.to_string(),
        "geppetto provider turns sqlite store: sessionID is empty"
    );
    let error = rt
        .block_on(store.list(TurnQuery {
            limit: 10,
            ..TurnQuery::default()
        }))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("geppetto provider turns sqlite store decode turn: "),
        "{error}"
    );
    store.close();
    store.close();
    let error = rt
        .block_on(store.load_latest(TurnQuery::default()))
        .unwrap_err();
    assert_eq!(error.to_string(), "turn store \"default\" is closed");
}

fn geppetto() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_geppetto"));
    command
        .arg("run")
        .env("RUST_LOG", "error")
        .env_remove("GEPPETTO_TURNS_DB")
        .env_remove("GEPPETTO_TURNS_DSN");
    command
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js_stores/agent_stores.js")
}

/// Runs `command` (flags and script set) and asserts it exits 0.
fn assert_passes(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_spec_store_script_passes() {
    let dir = temp_dir("spec");
    assert_passes(
        geppetto()
            .arg("--turns-db")
            .arg(dir.join("turns.db"))
            .arg("--turn-store")
            .arg(format!("other={}", dir.join("other.db").display()))
            .arg(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js_stores/agent_spec_stores.js"),
            ),
    );
}

#[test]
fn the_store_script_passes_with_flags_and_with_environment_variables() {
    let dir = temp_dir("cli");
    assert_passes(
        geppetto()
            .arg("--turns-db")
            .arg(dir.join("turns.db"))
            .arg("--turn-store")
            .arg(format!("audit={}", dir.join("audit.db").display()))
            .arg(script()),
    );
    let dir = temp_dir("cli-env");
    assert_passes(
        geppetto()
            .env(
                "GEPPETTO_TURNS_DSN",
                format!("file:{}?mode=rwc", dir.join("dsn.db").display()),
            )
            .arg("--turn-store")
            .arg(format!("audit={}", dir.join("audit.db").display()))
            .arg(script()),
    );
    assert!(dir.join("dsn.db").exists());
}

#[test]
fn bad_store_flags_exit_1_naming_the_source() {
    let dir = temp_dir("bad");
    let blocker = dir.join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let target = blocker.join("turns.db");
    let output = geppetto()
        .arg("--turns-db")
        .arg(&target)
        .arg(script())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "geppetto run: --turns-db {}: cannot open turn store: ",
            target.display()
        )),
        "{stderr}"
    );
    let output = geppetto()
        .args(["--turn-store", "noequals"])
        .arg(script())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("--turn-store expects NAME=PATH, got \"noequals\"")
    );
}
