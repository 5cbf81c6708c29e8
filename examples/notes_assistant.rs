//! The reference application: a notes assistant. It opens (or creates) a SQLite file of notes,
//! embeds the runtime with the `geppetto` and `database` modules (the database preconfigured with
//! that file), loads a JS agent whose tool searches the notes with SQL, runs one agent turn and
//! prints the streamed events from Rust as they arrive.
//!
//!     cargo run --example notes_assistant [notes.db] ["question"]
//!
//! Without a path the notes live in a fresh file in the temporary directory. With
//! `OPENAI_API_KEY` set the agent uses a provider engine (profile `PINOCCHIO_PROFILE`, default
//! `4o-mini`); without it a scripted engine calls the tool and summarizes what it found.

use std::path::PathBuf;

use futures_util::StreamExt;
use geppetto::embed::{Block, EmbedError, EventKind, JsName, RunSettings, Runtime, Script, Turn};

/// The notes a new file starts with.
const SEED_NOTES: [(&str, &str); 3] = [
    ("Groceries", "milk, eggs, coffee beans"),
    (
        "Meeting",
        "quarterly planning with the coffee team on Thursday",
    ),
    ("Ideas", "a notes assistant embedded in a Rust service"),
];

/// Environment variables the agent's provider engine may need (the library reads none itself).
const PROVIDER_ENV: [&str; 6] = [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "PINOCCHIO_PROFILE",
    "GEPPETTO_PROFILES",
    "XDG_CONFIG_HOME",
    "HOME",
];

fn open_notes(path: &PathBuf) -> Result<i64, rusqlite::Error> {
    let connection = rusqlite::Connection::open(path)?;
    connection.execute_batch(
        "create table if not exists notes (id integer primary key, title text not null, body text not null)",
    )?;
    let count: i64 = connection.query_row("select count(*) from notes", [], |row| row.get(0))?;
    if count == 0 {
        for (title, body) in SEED_NOTES {
            connection.execute(
                "insert into notes (title, body) values (?1, ?2)",
                (title, body),
            )?;
        }
    }
    connection.query_row("select count(*) from notes", [], |row| row.get(0))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let given = args.next().map(PathBuf::from);
    let path = given.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("geppetto-notes-{}.db", std::process::id()))
    });
    let question = args
        .next()
        .unwrap_or_else(|| "What do my notes say about coffee?".into());
    let notes = open_notes(&path)?;
    println!("notes: {} in {}", notes, path.display());

    let mut builder = Runtime::builder()
        .name("notes")
        .geppetto()
        .database_path(&path);
    for key in PROVIDER_ENV {
        if let Ok(value) = std::env::var(key) {
            builder = builder.env(key, &value);
        }
    }
    let runtime = builder.spawn()?;
    let agent = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/notes_assistant/agent.js"
    );
    let instance = runtime.eval(Script::file(agent)?).await?;

    println!("user: {question}");
    let mut run = instance
        .start(
            JsName::global("assistant"),
            Turn::new().with_block(Block::user(question)),
            RunSettings::new(),
        )
        .await?;
    while let Some(event) = run.next().await {
        match &event.kind {
            EventKind::Partial { delta, .. } => print!("{delta}"),
            EventKind::ToolCall { name, input, .. }
            | EventKind::ToolCallExecute { name, input, .. } => {
                println!("[{}] {name}({input})", event.kind.type_name())
            }
            EventKind::ToolResult { result, .. }
            | EventKind::ToolCallExecutionResult { result, .. } => {
                println!("[{}] {result}", event.kind.type_name())
            }
            other => println!("[{}]", other.type_name()),
        }
    }
    let output = run.outcome().await?;
    let answer = output
        .last_assistant_text()
        .ok_or_else(|| EmbedError::InvalidConfig("the agent gave no answer".into()))?;
    println!("assistant: {answer}");
    runtime.shutdown(None).await;
    if given.is_none() {
        std::fs::remove_file(&path)?;
    }
    Ok(())
}
