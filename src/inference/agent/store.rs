//! Turn stores: where agent runs persist their output turns, and where sessions resume from.
//!
//! [`TurnStore`] is the typed interface; `crate::stores` has the built-in SQLite store with Go's
//! `geppetto_turns` schema. Embedders may implement their own.

use futures_util::future::BoxFuture;

use crate::inference::turn::Turn;

/// The phase agent runs persist their output turns under.
pub const FINAL_PHASE: &str = "final";

/// Why a store call failed. The `Display` text is what scripts see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store was closed.
    #[error("turn store \"{0}\" is closed")]
    Closed(String),
    /// The turn has no `metadata.session_id`.
    #[error("geppetto provider turns sqlite store: sessionID is empty")]
    MissingSessionId,
    /// A stored payload could not be decoded.
    #[error("geppetto provider turns sqlite store decode turn: {0}")]
    Decode(String),
    /// The store's backend (database, file system, ...) failed, with its text.
    #[error("{0}")]
    Backend(String),
}

/// Which snapshots to read. Empty fields do not filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TurnQuery {
    /// `conv_id` equals this.
    pub conv_id: Option<String>,
    /// `session_id` equals this.
    pub session_id: Option<String>,
    /// `phase` equals this.
    pub phase: Option<String>,
    /// `created_at_ms >= since_ms`.
    pub since_ms: Option<i64>,
    /// At most this many snapshots (newest first).
    pub limit: usize,
}

/// Default of [`TurnQuery::limit`] for `list()`.
pub const DEFAULT_LIST_LIMIT: usize = 100;

/// One stored turn with its row fields.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnSnapshot {
    /// The conversation id.
    pub conv_id: String,
    /// The session id.
    pub session_id: String,
    /// The turn id.
    pub turn_id: String,
    /// The phase (`final` for agent runs).
    pub phase: String,
    /// The runtime key (the agent name for agent runs).
    pub runtime_key: String,
    /// The inference id.
    pub inference_id: String,
    /// When it was written, milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// The turn.
    pub turn: Option<Turn>,
}

/// A turn store. Calls are asynchronous and must not block the calling thread (run blocking I/O
/// on a blocking pool).
pub trait TurnStore: Send + Sync {
    /// The store's name (`default`, or the name it was configured under).
    fn name(&self) -> &str;

    /// Writes `turn` under `phase` (upserted on conversation, session, turn id and phase).
    fn persist(&self, turn: Turn, phase: &str) -> BoxFuture<'static, Result<(), StoreError>>;

    /// Snapshots matching `query`, newest first (ties: the later insertion first).
    fn list(&self, query: TurnQuery) -> BoxFuture<'static, Result<Vec<TurnSnapshot>, StoreError>>;

    /// The newest snapshot matching `query`.
    fn load_latest(
        &self,
        query: TurnQuery,
    ) -> BoxFuture<'static, Result<Option<TurnSnapshot>, StoreError>>;

    /// Closes the store; later calls fail with [`StoreError::Closed`]. Idempotent.
    fn close(&self);
}
