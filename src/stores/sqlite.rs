//! The built-in SQLite turn store: Go's `geppetto_turns` schema and YAML payload, so Go hosts and
//! geppetto-rs share databases. Every call runs on tokio's blocking pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, params_from_iter};
use serde_json::Value;

use super::payload;
use crate::inference::agent::session::RUNTIME_KEY;
use crate::inference::agent::{StoreError, TurnQuery, TurnSnapshot, TurnStore};
use crate::inference::event::now_ms;
use crate::inference::session::{INFERENCE_ID_KEY, SESSION_ID_KEY};
use crate::inference::turn::Turn;

/// The schema, as the Go provider creates it.
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS geppetto_turns (
  conv_id TEXT NOT NULL, session_id TEXT NOT NULL, turn_id TEXT NOT NULL, phase TEXT NOT NULL,
  runtime_key TEXT NOT NULL DEFAULT '', inference_id TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL, payload TEXT NOT NULL,
  PRIMARY KEY (conv_id, session_id, turn_id, phase));
CREATE INDEX IF NOT EXISTS geppetto_turns_by_session ON geppetto_turns(session_id, phase, created_at_ms DESC);
CREATE INDEX IF NOT EXISTS geppetto_turns_by_conv ON geppetto_turns(conv_id, phase, created_at_ms DESC);";

/// How long a call waits for a database locked by another connection.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Where a SQLite store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteLocation {
    /// A file (parent directories are created), or `:memory:`.
    Path(PathBuf),
    /// An SQLite URI filename (`file:...`).
    Uri(String),
}

impl std::fmt::Display for SqliteLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqliteLocation::Path(path) => write!(f, "{}", path.display()),
            SqliteLocation::Uri(uri) => f.write_str(uri),
        }
    }
}

/// A turn store on one SQLite connection. A clone shares the connection (and its closed state).
#[derive(Clone)]
pub struct SqliteTurnStore {
    name: Arc<str>,
    connection: Arc<Mutex<Option<Connection>>>,
}

impl std::fmt::Debug for SqliteTurnStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteTurnStore")
            .field("name", &self.name)
            .field("open", &self.connection.lock().is_some())
            .finish()
    }
}

fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("geppetto provider turns sqlite store: {error}"))
}

impl SqliteTurnStore {
    /// Opens (creating if needed) the store at `location` with WAL and a 5 s busy timeout.
    pub fn open(name: &str, location: &SqliteLocation) -> Result<SqliteTurnStore, StoreError> {
        let connection = match location {
            SqliteLocation::Path(path) => {
                if path != Path::new(":memory:")
                    && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(parent).map_err(|error| {
                        backend(format!("create {}: {error}", parent.display()))
                    })?;
                }
                Connection::open(path)
            }
            SqliteLocation::Uri(uri) => Connection::open_with_flags(
                uri,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            ),
        }
        .map_err(backend)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
        // In-memory databases answer "memory" here; that is fine.
        let _mode: String = connection
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            .map_err(backend)?;
        connection.execute_batch(SCHEMA).map_err(backend)?;
        Ok(SqliteTurnStore {
            name: Arc::from(name),
            connection: Arc::new(Mutex::new(Some(connection))),
        })
    }

    /// Runs `work` with the connection on the blocking pool.
    fn with_connection<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let connection = self.connection.clone();
        let name = self.name.clone();
        Box::pin(async move {
            let task = tokio::task::spawn_blocking(move || {
                let guard = connection.lock();
                match guard.as_ref() {
                    Some(connection) => work(connection),
                    None => Err(StoreError::Closed(name.to_string())),
                }
            });
            task.await.map_err(backend)?
        })
    }
}

/// The row a persisted turn becomes.
fn row_of(turn: &Turn) -> Result<[String; 4], StoreError> {
    let text = |key: &str| {
        turn.metadata
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let session_id = text(SESSION_ID_KEY);
    if session_id.trim().is_empty() {
        return Err(StoreError::MissingSessionId);
    }
    let runtime_key = match turn.metadata.get(RUNTIME_KEY) {
        Some(Value::String(key)) => key.clone(),
        Some(Value::Object(runtime)) => runtime
            .get("agentName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    };
    let turn_id = if turn.id.is_empty() {
        "turn".to_string()
    } else {
        turn.id.clone()
    };
    Ok([session_id, turn_id, runtime_key, text(INFERENCE_ID_KEY)])
}

fn select(connection: &Connection, query: &TurnQuery) -> Result<Vec<TurnSnapshot>, StoreError> {
    let mut sql = String::from(
        "SELECT conv_id, session_id, turn_id, phase, runtime_key, inference_id, created_at_ms, payload FROM geppetto_turns WHERE 1=1",
    );
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    for (column, value) in [
        ("conv_id", &query.conv_id),
        ("session_id", &query.session_id),
        ("phase", &query.phase),
    ] {
        if let Some(value) = value.as_ref().filter(|value| !value.is_empty()) {
            sql.push_str(&format!(" AND {column} = ?"));
            values.push(value.clone().into());
        }
    }
    if let Some(since) = query.since_ms {
        sql.push_str(" AND created_at_ms >= ?");
        values.push(since.into());
    }
    sql.push_str(" ORDER BY created_at_ms DESC, rowid DESC LIMIT ?");
    values.push((query.limit.min(i64::MAX as usize) as i64).into());
    let mut statement = connection.prepare(&sql).map_err(backend)?;
    let rows = statement
        .query_map(params_from_iter(values), |row| {
            Ok((
                TurnSnapshot {
                    conv_id: row.get(0)?,
                    session_id: row.get(1)?,
                    turn_id: row.get(2)?,
                    phase: row.get(3)?,
                    runtime_key: row.get(4)?,
                    inference_id: row.get(5)?,
                    created_at_ms: row.get(6)?,
                    turn: None,
                },
                row.get::<_, String>(7)?,
            ))
        })
        .map_err(backend)?;
    let mut snapshots = Vec::new();
    for row in rows {
        let (mut snapshot, text) = row.map_err(backend)?;
        snapshot.turn = Some(payload::decode(&text).map_err(StoreError::Decode)?);
        snapshots.push(snapshot);
    }
    Ok(snapshots)
}

impl TurnStore for SqliteTurnStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn persist(&self, turn: Turn, phase: &str) -> BoxFuture<'static, Result<(), StoreError>> {
        let phase = phase.to_string();
        self.with_connection(move |connection| {
            let [session_id, turn_id, runtime_key, inference_id] = row_of(&turn)?;
            let text = payload::encode(&turn).map_err(backend)?;
            connection
                .execute(
                    "INSERT INTO geppetto_turns (conv_id, session_id, turn_id, phase, runtime_key, inference_id, created_at_ms, payload)
                     VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (conv_id, session_id, turn_id, phase) DO UPDATE SET
                       runtime_key = excluded.runtime_key, inference_id = excluded.inference_id,
                       created_at_ms = excluded.created_at_ms, payload = excluded.payload",
                    rusqlite::params![
                        session_id,
                        turn_id,
                        phase,
                        runtime_key,
                        inference_id,
                        now_ms() as i64,
                        text
                    ],
                )
                .map_err(backend)?;
            Ok(())
        })
    }

    fn list(&self, query: TurnQuery) -> BoxFuture<'static, Result<Vec<TurnSnapshot>, StoreError>> {
        self.with_connection(move |connection| select(connection, &query))
    }

    fn load_latest(
        &self,
        query: TurnQuery,
    ) -> BoxFuture<'static, Result<Option<TurnSnapshot>, StoreError>> {
        self.with_connection(move |connection| {
            let query = TurnQuery { limit: 1, ..query };
            Ok(select(connection, &query)?.into_iter().next())
        })
    }

    fn close(&self) {
        let connection = self.connection.lock().take();
        drop(connection);
    }
}
