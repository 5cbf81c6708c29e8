//! SQLite for the `database` module: typed values, the statements (`query`, `exec`, transactions)
//! as plain functions over a [`rusqlite::Connection`], and [`DatabaseConnection`], one connection
//! on a dedicated thread so a slow statement never blocks its caller's thread.
//!
//! Parameters are always bound (`?`, `?NNN`, `:name` placeholders), never interpolated into SQL.
//! SQL errors carry SQLite's own message.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, InterruptHandle, ToSql};

/// One SQLite value: a bound parameter or a column of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// `NULL`.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            SqlValue::Null => ValueRef::Null,
            SqlValue::Integer(value) => ValueRef::Integer(*value),
            SqlValue::Real(value) => ValueRef::Real(*value),
            SqlValue::Text(value) => ValueRef::Text(value.as_bytes()),
            SqlValue::Blob(value) => ValueRef::Blob(value),
        }))
    }
}

impl From<ValueRef<'_>> for SqlValue {
    fn from(value: ValueRef<'_>) -> SqlValue {
        match value {
            ValueRef::Null => SqlValue::Null,
            ValueRef::Integer(value) => SqlValue::Integer(value),
            ValueRef::Real(value) => SqlValue::Real(value),
            ValueRef::Text(text) => SqlValue::Text(String::from_utf8_lossy(text).into_owned()),
            ValueRef::Blob(bytes) => SqlValue::Blob(bytes.to_vec()),
        }
    }
}

/// The result of a query: the column names once, then each row's values in column order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    /// Column names, in select order (a name may repeat).
    pub columns: Vec<String>,
    /// One vector per row, as long as `columns`.
    pub rows: Vec<Vec<SqlValue>>,
}

/// The result of a statement run with `exec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecResult {
    /// Rows inserted, updated or deleted by the statement.
    pub rows_affected: u64,
    /// The connection's last inserted rowid after the statement.
    pub last_insert_id: i64,
}

/// A database driver name scripts may pass to `configure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// SQLite (`"sqlite3"` or `"sqlite"`).
    Sqlite,
}

/// The driver names `configure` accepts.
pub const SUPPORTED_DRIVERS: &str = "sqlite3, sqlite";

impl Driver {
    /// The driver called `name`, or [`DatabaseError::UnknownDriver`].
    pub fn parse(name: &str) -> Result<Driver, DatabaseError> {
        match name {
            "sqlite3" | "sqlite" => Ok(Driver::Sqlite),
            other => Err(DatabaseError::UnknownDriver(other.to_string())),
        }
    }
}

/// Why a database operation failed. The `Display` texts are what scripts see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseError {
    /// `configure` named a driver this build does not have.
    #[error("unsupported database driver {0:?} (supported: {SUPPORTED_DRIVERS})")]
    UnknownDriver(String),
    /// The database could not be opened.
    #[error("cannot open database {dsn:?}: {message}")]
    Open {
        /// The data source name (a path, `:memory:` or a `file:` URI).
        dsn: String,
        /// SQLite's message.
        message: String,
    },
    /// SQLite rejected the statement (SQLite's own message).
    #[error("{0}")]
    Sql(String),
    /// The statement was interrupted (its caller was cancelled).
    #[error("interrupted")]
    Interrupted,
    /// The transaction was committed or rolled back already.
    #[error("database transaction is closed")]
    TransactionClosed,
    /// `COMMIT` failed; the transaction was rolled back.
    #[error("transaction commit: {0}")]
    Commit(String),
    /// The connection thread is gone (the connection was closed).
    #[error("database connection is closed")]
    Closed,
}

impl From<rusqlite::Error> for DatabaseError {
    fn from(error: rusqlite::Error) -> DatabaseError {
        match &error {
            rusqlite::Error::SqliteFailure(failure, _)
                if failure.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                DatabaseError::Interrupted
            }
            rusqlite::Error::SqliteFailure(_, Some(message))
            | rusqlite::Error::SqlInputError { msg: message, .. } => {
                DatabaseError::Sql(message.clone())
            }
            _ => DatabaseError::Sql(error.to_string()),
        }
    }
}

/// Opens the SQLite database `dsn`: a file path (created when missing), `:memory:`, or a `file:`
/// URI such as `file:notes.db?mode=ro`.
pub fn open(dsn: &str) -> Result<Connection, DatabaseError> {
    Connection::open(dsn).map_err(|error| DatabaseError::Open {
        dsn: dsn.to_string(),
        message: DatabaseError::from(error).to_string(),
    })
}

/// Runs `sql` with `params` bound and returns every row.
pub fn query(
    connection: &Connection,
    sql: &str,
    params: &[SqlValue],
) -> Result<Rows, DatabaseError> {
    let mut statement = connection.prepare(sql)?;
    let columns: Vec<String> = statement.column_names().map(str::to_string).collect();
    let width = columns.len();
    let mut cursor = statement.query(rusqlite::params_from_iter(params))?;
    let mut rows = Vec::new();
    while let Some(row) = cursor.next()? {
        let mut values = Vec::with_capacity(width);
        for index in 0..width {
            values.push(SqlValue::from(row.get_ref(index)?));
        }
        rows.push(values);
    }
    Ok(Rows { columns, rows })
}

/// Runs `sql` with `params` bound and reports what it changed. Rows a statement returns are
/// stepped through and dropped.
pub fn exec(
    connection: &Connection,
    sql: &str,
    params: &[SqlValue],
) -> Result<ExecResult, DatabaseError> {
    let mut statement = connection.prepare(sql)?;
    let mut cursor = statement.query(rusqlite::params_from_iter(params))?;
    while cursor.next()?.is_some() {}
    Ok(ExecResult {
        rows_affected: connection.changes(),
        last_insert_id: connection.last_insert_rowid(),
    })
}

/// Where a [`DatabaseConnection`] gets its connection.
#[derive(Debug)]
pub enum ConnectionSource {
    /// Open this data source name (see [`open`]).
    Dsn(String),
    /// Open (or create) this file.
    Path(PathBuf),
    /// Use this already open connection.
    Open(Connection),
}

/// Transaction ids are unique in the process, so an id outliving its connection never names a
/// transaction of a later one.
static NEXT_TRANSACTION: AtomicU64 = AtomicU64::new(1);

/// Identifies a transaction of a [`DatabaseConnection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransactionId(u64);

impl TransactionId {
    /// The raw id (for handing to scripts).
    pub fn get(self) -> u64 {
        self.0
    }

    /// The id with raw value `raw`.
    pub fn from_raw(raw: u64) -> TransactionId {
        TransactionId(raw)
    }
}

/// The connection and what it knows, owned by the connection thread.
struct Worker {
    connection: Connection,
    /// The open transaction, if any (one at a time: SQLite transactions do not nest).
    transaction: Option<TransactionId>,
}

impl Worker {
    fn check_open(&self, transaction: TransactionId) -> Result<(), DatabaseError> {
        if self.transaction == Some(transaction) {
            Ok(())
        } else {
            Err(DatabaseError::TransactionClosed)
        }
    }
}

impl Drop for Worker {
    /// An uncommitted transaction is rolled back before the connection closes (SQLite would do
    /// the same on close; an embedder's connection may outlive us, so it is done explicitly).
    fn drop(&mut self) {
        if !self.connection.is_autocommit() {
            let _ = self.connection.execute_batch("ROLLBACK");
        }
    }
}

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

struct Request {
    id: u64,
    job: Job,
    /// Set when the caller dropped its [`Pending`] before the request started: it is skipped.
    abandoned: Arc<AtomicBool>,
}

/// Which request the connection thread is executing (0: none). Changed only under the lock, so
/// an interrupt sent under the lock hits the request it names and no later one.
#[derive(Default)]
struct Running {
    current: std::sync::Mutex<u64>,
}

/// One SQLite connection on a dedicated thread (`sqlite-<name>`). Statements queue in order;
/// callers wait on futures, so no caller's thread blocks while SQLite works. Dropping a pending
/// future interrupts its statement (`sqlite3_interrupt`); dropping the connection interrupts what
/// runs, rolls back an open transaction and closes the connection.
pub struct DatabaseConnection {
    requests: Option<std::sync::mpsc::Sender<Request>>,
    interrupt: Arc<InterruptHandle>,
    running: Arc<Running>,
    next_request: AtomicU64,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for DatabaseConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConnection").finish_non_exhaustive()
    }
}

impl DatabaseConnection {
    /// Opens `source` and starts the connection thread.
    pub fn start(source: ConnectionSource) -> Result<DatabaseConnection, DatabaseError> {
        let connection = match source {
            ConnectionSource::Dsn(dsn) => open(&dsn)?,
            ConnectionSource::Path(path) => open(&path.to_string_lossy())?,
            ConnectionSource::Open(connection) => connection,
        };
        let interrupt = Arc::new(connection.get_interrupt_handle());
        let running = Arc::new(Running::default());
        let (requests, inbox) = std::sync::mpsc::channel::<Request>();
        let thread_running = running.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-connection".into())
            .spawn(move || {
                let mut worker = Worker {
                    connection,
                    transaction: None,
                };
                for request in inbox {
                    {
                        // Checked under the lock `Pending::drop` takes: a request is either
                        // abandoned before it starts (and skipped) or interrupted while it runs.
                        let mut current = lock(&thread_running.current);
                        if request.abandoned.load(Ordering::Acquire) {
                            continue;
                        }
                        *current = request.id;
                    }
                    (request.job)(&mut worker);
                    *lock(&thread_running.current) = 0;
                }
            })
            .map_err(|error| DatabaseError::Open {
                dsn: "connection thread".into(),
                message: error.to_string(),
            })?;
        Ok(DatabaseConnection {
            requests: Some(requests),
            interrupt,
            running,
            next_request: AtomicU64::new(1),
            thread: Some(thread),
        })
    }

    /// Runs `sql` and returns its rows.
    pub fn query(&self, sql: String, params: Vec<SqlValue>) -> Pending<Rows> {
        self.submit(move |worker| query(&worker.connection, &sql, &params))
    }

    /// Runs `sql` and reports what it changed.
    pub fn exec(&self, sql: String, params: Vec<SqlValue>) -> Pending<ExecResult> {
        self.submit(move |worker| exec(&worker.connection, &sql, &params))
    }

    /// Starts a transaction (`BEGIN`). SQLite's error when one is open already.
    pub fn begin(&self) -> Pending<TransactionId> {
        self.submit(move |worker| {
            worker.connection.execute_batch("BEGIN")?;
            let id = TransactionId(NEXT_TRANSACTION.fetch_add(1, Ordering::Relaxed));
            worker.transaction = Some(id);
            Ok(id)
        })
    }

    /// Runs `sql` inside `transaction`; [`DatabaseError::TransactionClosed`] once it has ended.
    pub fn query_in(
        &self,
        transaction: TransactionId,
        sql: String,
        params: Vec<SqlValue>,
    ) -> Pending<Rows> {
        self.submit(move |worker| {
            worker.check_open(transaction)?;
            query(&worker.connection, &sql, &params)
        })
    }

    /// Like [`query_in`](Self::query_in) for `exec`.
    pub fn exec_in(
        &self,
        transaction: TransactionId,
        sql: String,
        params: Vec<SqlValue>,
    ) -> Pending<ExecResult> {
        self.submit(move |worker| {
            worker.check_open(transaction)?;
            exec(&worker.connection, &sql, &params)
        })
    }

    /// Commits `transaction`. A failing `COMMIT` rolls the transaction back and fails with
    /// [`DatabaseError::Commit`]; either way the transaction is closed afterwards.
    pub fn commit(&self, transaction: TransactionId) -> Pending<()> {
        self.submit(move |worker| {
            worker.check_open(transaction)?;
            worker.transaction = None;
            match worker.connection.execute_batch("COMMIT") {
                Ok(()) => Ok(()),
                Err(error) => {
                    if !worker.connection.is_autocommit() {
                        let _ = worker.connection.execute_batch("ROLLBACK");
                    }
                    Err(DatabaseError::Commit(
                        DatabaseError::from(error).to_string(),
                    ))
                }
            }
        })
    }

    /// Rolls `transaction` back; it is closed afterwards.
    pub fn rollback(&self, transaction: TransactionId) -> Pending<()> {
        self.submit(move |worker| {
            worker.check_open(transaction)?;
            worker.transaction = None;
            worker.connection.execute_batch("ROLLBACK")?;
            Ok(())
        })
    }

    /// Rolls `transaction` back if it is still open (its handle was dropped); never fails.
    pub fn abandon(&self, transaction: TransactionId) {
        self.enqueue(Box::new(move |worker| {
            if worker.transaction == Some(transaction) {
                worker.transaction = None;
                let _ = worker.connection.execute_batch("ROLLBACK");
            }
        }));
    }

    /// Queues `job` on the connection thread; returns its request id, its abandon flag and
    /// whether it was queued.
    fn enqueue(&self, job: Job) -> (u64, Arc<AtomicBool>, bool) {
        let id = self.next_request.fetch_add(1, Ordering::Relaxed);
        let abandoned = Arc::new(AtomicBool::new(false));
        let request = Request {
            id,
            job,
            abandoned: abandoned.clone(),
        };
        let sent = self
            .requests
            .as_ref()
            .is_some_and(|requests| requests.send(request).is_ok());
        (id, abandoned, sent)
    }

    /// Queues `job` on the connection thread; its answer comes through the returned future.
    fn submit<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Worker) -> Result<T, DatabaseError> + Send + 'static,
    ) -> Pending<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let (id, abandoned, sent) = self.enqueue(Box::new(move |worker| {
            let _ = reply.send(job(worker));
        }));
        Pending {
            id,
            abandoned,
            answer: sent.then_some(answer),
            interrupt: self.interrupt.clone(),
            running: self.running.clone(),
            done: false,
        }
    }
}

impl Drop for DatabaseConnection {
    fn drop(&mut self) {
        self.requests = None;
        let current = *lock(&self.running.current);
        if current != 0 {
            self.interrupt.interrupt();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The answer of a statement queued on a [`DatabaseConnection`]. Dropping it before it completes
/// interrupts the statement if it is running, and skips it if it has not started.
pub struct Pending<T> {
    id: u64,
    /// Tells the connection thread to skip the request if it has not started.
    abandoned: Arc<AtomicBool>,
    answer: Option<tokio::sync::oneshot::Receiver<Result<T, DatabaseError>>>,
    interrupt: Arc<InterruptHandle>,
    running: Arc<Running>,
    done: bool,
}

impl<T> std::fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("id", &self.id).finish()
    }
}

impl<T> Future for Pending<T> {
    type Output = Result<T, DatabaseError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(answer) = this.answer.as_mut() else {
            this.done = true;
            return Poll::Ready(Err(DatabaseError::Closed));
        };
        match Pin::new(answer).poll(cx) {
            Poll::Ready(result) => {
                this.done = true;
                Poll::Ready(result.unwrap_or(Err(DatabaseError::Closed)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for Pending<T> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let current = lock(&self.running.current);
        if *current == self.id {
            self.interrupt.interrupt();
        } else {
            // Not started yet (or already over): under this lock, the thread sees the flag
            // before it would start the request.
            self.abandoned.store(true, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection() -> DatabaseConnection {
        DatabaseConnection::start(ConnectionSource::Dsn(":memory:".into())).unwrap()
    }

    fn wait<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn query_and_exec_bind_parameters() {
        let db = connection();
        wait(db.exec(
            "create table t (a integer, b text, c real, d blob)".into(),
            vec![],
        ))
        .unwrap();
        let injected = "x'); drop table t; --";
        let done = wait(db.exec(
            "insert into t values (?, ?, ?, ?)".into(),
            vec![
                SqlValue::Integer(1),
                SqlValue::Text(injected.into()),
                SqlValue::Real(1.5),
                SqlValue::Blob(vec![0, 255]),
            ],
        ))
        .unwrap();
        assert_eq!(
            done,
            ExecResult {
                rows_affected: 1,
                last_insert_id: 1
            }
        );
        let rows = wait(db.query("select * from t".into(), vec![])).unwrap();
        assert_eq!(rows.columns, ["a", "b", "c", "d"]);
        assert_eq!(
            rows.rows,
            vec![vec![
                SqlValue::Integer(1),
                SqlValue::Text(injected.into()),
                SqlValue::Real(1.5),
                SqlValue::Blob(vec![0, 255]),
            ]]
        );
    }

    #[test]
    fn errors_carry_sqlite_messages() {
        let db = connection();
        let error = wait(db.query("selec 1".into(), vec![])).unwrap_err();
        assert_eq!(error.to_string(), "near \"selec\": syntax error");
        assert_eq!(
            Driver::parse("postgres").unwrap_err().to_string(),
            "unsupported database driver \"postgres\" (supported: sqlite3, sqlite)"
        );
    }

    #[test]
    fn transactions_commit_rollback_and_close() {
        let db = connection();
        wait(db.exec("create table t (a)".into(), vec![])).unwrap();
        let tx = wait(db.begin()).unwrap();
        wait(db.exec_in(tx, "insert into t values (1)".into(), vec![])).unwrap();
        wait(db.rollback(tx)).unwrap();
        assert_eq!(
            wait(db.exec_in(tx, "insert into t values (2)".into(), vec![])).unwrap_err(),
            DatabaseError::TransactionClosed
        );
        let tx = wait(db.begin()).unwrap();
        wait(db.exec_in(tx, "insert into t values (3)".into(), vec![])).unwrap();
        wait(db.commit(tx)).unwrap();
        assert_eq!(
            wait(db.commit(tx)).unwrap_err(),
            DatabaseError::TransactionClosed
        );
        let rows = wait(db.query("select a from t".into(), vec![])).unwrap();
        assert_eq!(rows.rows, vec![vec![SqlValue::Integer(3)]]);
    }

    #[test]
    fn dropping_a_pending_query_interrupts_it() {
        let db = connection();
        let slow = "with recursive c(x) as (select 1 union all select x + 1 from c) \
                    select count(*) from c";
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let pending = db.query(slow.into(), vec![]);
            let waited = tokio::time::timeout(std::time::Duration::from_millis(50), pending).await;
            assert!(waited.is_err(), "the endless query cannot have finished");
            // The timed-out future was dropped: the statement is interrupted and the next runs.
            let rows = db.query("select 2".into(), vec![]).await.unwrap();
            assert_eq!(rows.rows, vec![vec![SqlValue::Integer(2)]]);
        });
    }

    #[test]
    fn a_pending_query_dropped_before_it_starts_is_skipped() {
        let db = connection();
        wait(db.exec("create table t (a integer)".into(), vec![])).unwrap();
        let slow = "with recursive c(x) as (select 1 union all select x + 1 from c) \
                    select count(*) from c";
        // The thread is busy with the endless query while the insert queues behind it.
        let busy = db.query(slow.into(), vec![]);
        let busy_id = busy.id;
        while *lock(&db.running.current) != busy_id {
            std::thread::yield_now();
        }
        let skipped = db.exec("insert into t values (1)".into(), vec![]);
        // Dropped before it started, then the endless query is interrupted: the insert must not
        // run (it once did, and an endless statement dropped this way ran forever).
        drop(skipped);
        drop(busy);
        let rows = wait(db.query("select count(*) from t".into(), vec![])).unwrap();
        assert_eq!(rows.rows, vec![vec![SqlValue::Integer(0)]]);
    }
}
