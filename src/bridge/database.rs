//! The `database` module (also required as `db`): SQLite for scripts, on the statements and the
//! connection thread of `geppetto_ops::database`.
//!
//! Both names share one connection per runtime; each name gets its own exports object so error
//! texts name what the script required. Synchronous `query`/`exec` wait for the connection thread
//! the way a synchronous `run()` waits for its run: the owner keeps serving other work meanwhile
//! ([`local::block_on`]). `queryAsync`/`execAsync` return promises. A statement whose caller is
//! cancelled (its run was cancelled) is interrupted with `sqlite3_interrupt`.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use geppetto_ops::database::{
    ConnectionSource, DatabaseConnection, DatabaseError, Driver, ExecResult, Pending, Rows,
    SqlValue, TransactionId,
};
use parking_lot::Mutex;
use rquickjs::{Array, BigInt, Ctx, Exception, Function, Object, TypedArray, Value};

use crate::owner::local;
use crate::runtime::NativeModule;

/// The names scripts require the module by.
pub const DATABASE_MODULE_NAMES: [&str; 2] = ["database", "db"];

/// The connection each runtime's `database` module starts with.
#[derive(Debug, Default)]
pub enum DatabaseSource {
    /// None: scripts call `configure(driver, dsn)` first.
    #[default]
    Unconfigured,
    /// This SQLite file, opened (or created) by every runtime; `configure()` throws.
    Path(PathBuf),
    /// This open connection, handed to the first runtime that requires the module; `configure()`
    /// throws and `close()` does nothing. A second runtime fails to load the module (give a pool a
    /// path instead).
    Connection(rusqlite::Connection),
}

/// The `database` module under one of its names.
#[derive(Clone)]
pub struct DatabaseModule {
    name: &'static str,
    source: Arc<Mutex<Option<DatabaseSource>>>,
}

impl std::fmt::Debug for DatabaseModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseModule")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The module under both names (`database` and `db`), sharing `source`.
pub fn database_modules(source: DatabaseSource) -> Vec<Arc<dyn NativeModule>> {
    let source = Arc::new(Mutex::new(Some(source)));
    DATABASE_MODULE_NAMES
        .into_iter()
        .map(|name| {
            Arc::new(DatabaseModule {
                name,
                source: source.clone(),
            }) as Arc<dyn NativeModule>
        })
        .collect()
}

impl NativeModule for DatabaseModule {
    fn name(&self) -> &'static str {
        self.name
    }

    fn exports<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let native = self.shared_native(ctx)?;
        let glue: Function = ctx.eval(include_str!("../../js/database.js"))?;
        glue.call((native, self.name))
    }
}

/// Hidden global holding the native ops shared by both names in this runtime.
const NATIVE_GLOBAL: &str = "__geppetto_database_native";

impl DatabaseModule {
    /// The native ops of this runtime, built by whichever name is required first.
    fn shared_native<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let globals = ctx.globals();
        if let Some(native) = globals.get::<_, Option<Object>>(NATIVE_GLOBAL)? {
            return Ok(native);
        }
        let state = Rc::new(RefCell::new(self.initial_state(ctx)?));
        let native = native_ops(ctx, state)?;
        globals.prop(
            NATIVE_GLOBAL,
            rquickjs::object::Property::from(native.clone()),
        )?;
        Ok(native)
    }

    fn initial_state(&self, ctx: &Ctx<'_>) -> rquickjs::Result<State> {
        let mut slot = self.source.lock();
        let (source, preconfigured) = match slot.take() {
            None => {
                return Err(error(
                    ctx,
                    &format!(
                        "database module {:?}: the connection handed in by the embedder is used by another runtime",
                        self.name
                    ),
                ));
            }
            Some(DatabaseSource::Unconfigured) => {
                *slot = Some(DatabaseSource::Unconfigured);
                (None, false)
            }
            Some(DatabaseSource::Path(path)) => {
                *slot = Some(DatabaseSource::Path(path.clone()));
                (Some(ConnectionSource::Path(path)), true)
            }
            Some(DatabaseSource::Connection(connection)) => {
                (Some(ConnectionSource::Open(connection)), true)
            }
        };
        drop(slot);
        let connection = source
            .map(DatabaseConnection::start)
            .transpose()
            .map_err(|failure| error(ctx, &failure.to_string()))?;
        Ok(State {
            connection,
            preconfigured,
        })
    }
}

/// The database state of one runtime.
struct State {
    connection: Option<DatabaseConnection>,
    /// The embedder chose the connection: `configure()` throws, `close()` does nothing.
    preconfigured: bool,
}

type Shared = Rc<RefCell<State>>;

fn error(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_message(ctx, message)
}

fn not_configured(ctx: &Ctx<'_>, name: &str) -> rquickjs::Error {
    error(
        ctx,
        &format!("database not configured, call require('{name}').configure(...) first"),
    )
}

/// Queues a statement on the configured connection, or throws the not-configured text.
fn submit<'js, T>(
    ctx: &Ctx<'js>,
    state: &Shared,
    name: &str,
    statement: impl FnOnce(&DatabaseConnection) -> Pending<T>,
) -> rquickjs::Result<Pending<T>> {
    match &state.borrow().connection {
        Some(connection) => Ok(statement(connection)),
        None => Err(not_configured(ctx, name)),
    }
}

/// Queues a statement of a transaction; a transaction outlives no connection.
fn submit_in<'js, T>(
    ctx: &Ctx<'js>,
    state: &Shared,
    statement: impl FnOnce(&DatabaseConnection) -> Pending<T>,
) -> rquickjs::Result<Pending<T>> {
    match &state.borrow().connection {
        Some(connection) => Ok(statement(connection)),
        None => Err(error(ctx, &DatabaseError::TransactionClosed.to_string())),
    }
}

/// Waits for `pending` while the owner keeps serving other work.
fn wait<T: Send + 'static>(ctx: &Ctx<'_>, pending: Pending<T>) -> rquickjs::Result<T> {
    match local::block_on(ctx, "database", pending) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(failure)) => Err(error(ctx, &failure.to_string())),
        Err(stopped) => Err(error(ctx, &stopped.message())),
    }
}

/// A promise settled with `pending`'s answer, converted by `convert` on the owner. The statement
/// is interrupted when the item that started it is cancelled.
fn settle_later<'js, T: Send + 'static>(
    ctx: &Ctx<'js>,
    pending: Pending<T>,
    convert: for<'a> fn(&Ctx<'a>, T) -> rquickjs::Result<Value<'a>>,
) -> rquickjs::Result<Value<'js>> {
    let unavailable = || error(ctx, "the database module needs an owner thread");
    let (promise, resolve, reject) = ctx.promise()?;
    let resolve = local::register_callback(ctx, resolve.into_value()).ok_or_else(unavailable)?;
    let reject = local::register_callback(ctx, reject.into_value()).ok_or_else(unavailable)?;
    let keep_alive = local::keep_alive().ok_or_else(unavailable)?;
    let owner = local::weak_handle().ok_or_else(unavailable)?;
    let tokio = local::tokio_handle().ok_or_else(unavailable)?;
    let cancel = local::current_cancel();
    tokio.spawn(async move {
        let canceled = async {
            match &cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        // Dropping `pending` on cancellation interrupts its statement.
        let outcome = tokio::select! {
            outcome = pending => outcome,
            _ = canceled => Err(DatabaseError::Interrupted),
        };
        let Some(owner) = owner.upgrade() else {
            return;
        };
        let _ = owner
            .post("database-settle", move |ctx| {
                local::run_at_top_level(
                    ctx,
                    Box::new(move |ctx: &Ctx<'_>| {
                        let settled = match outcome {
                            Ok(value) => call(ctx, resolve, |ctx| convert(ctx, value)),
                            Err(failure) => call(ctx, reject, |ctx| {
                                let message = failure.to_string();
                                let error: Function = ctx.globals().get("Error")?;
                                error.call((message,))
                            }),
                        };
                        if settled.is_err() {
                            let _ = ctx.catch();
                        }
                        local::release_callback(resolve);
                        local::release_callback(reject);
                        drop(keep_alive);
                    }),
                );
                Ok(())
            })
            .await;
    });
    Ok(promise.into_value())
}

/// Calls the registered function `id` with the value `make` builds.
fn call<'js>(
    ctx: &Ctx<'js>,
    id: crate::owner::CallbackId,
    make: impl FnOnce(&Ctx<'js>) -> rquickjs::Result<Value<'js>>,
) -> rquickjs::Result<()> {
    let function = local::callback(ctx, id)
        .and_then(|value| value.into_function())
        .ok_or_else(|| error(ctx, "database promise callback is gone"))?;
    function.call::<_, ()>((make(ctx)?,))
}

/// Largest integer a JS number holds exactly (2^53).
const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

/// Decodes the statement parameters (already spread by the glue).
fn params<'js>(ctx: &Ctx<'js>, values: Array<'js>) -> rquickjs::Result<Vec<SqlValue>> {
    values
        .iter::<Value>()
        .enumerate()
        .map(|(index, value)| param(ctx, index + 1, value?))
        .collect()
}

fn param<'js>(ctx: &Ctx<'js>, position: usize, value: Value<'js>) -> rquickjs::Result<SqlValue> {
    if value.is_null() || value.is_undefined() {
        return Ok(SqlValue::Null);
    }
    if let Some(flag) = value.as_bool() {
        return Ok(SqlValue::Integer(i64::from(flag)));
    }
    if let Some(text) = value.as_string() {
        return Ok(SqlValue::Text(text.to_string()?));
    }
    if value.is_number() {
        let number = value.as_number().unwrap_or(f64::NAN);
        if !number.is_finite() {
            return Err(Exception::throw_type(
                ctx,
                &format!("database parameter {position} must be a finite number, got {number}"),
            ));
        }
        return Ok(if number.fract() == 0.0 && number.abs() <= MAX_SAFE {
            SqlValue::Integer(number as i64)
        } else {
            SqlValue::Real(number)
        });
    }
    if value.is_big_int() {
        let big = BigInt::from_value(value)?;
        return big.to_i64().map(SqlValue::Integer).map_err(|_| {
            Exception::throw_range(
                ctx,
                &format!("database parameter {position} does not fit a 64-bit integer"),
            )
        });
    }
    if let Ok(bytes) = TypedArray::<u8>::from_value(value.clone()) {
        // SAFETY: the bytes are copied at once; no JS runs while the slice is alive.
        let copied = unsafe { bytes.as_bytes() }.map(<[u8]>::to_vec);
        return copied.map(SqlValue::Blob).ok_or_else(|| {
            Exception::throw_type(
                ctx,
                &format!("database parameter {position} is a detached Uint8Array"),
            )
        });
    }
    Err(Exception::throw_type(
        ctx,
        &format!(
            "database parameter {position} must be null, a boolean, a number, a bigint, a string or a Uint8Array, got {}",
            value.type_name()
        ),
    ))
}

fn sql_to_js<'js>(ctx: &Ctx<'js>, value: &SqlValue) -> rquickjs::Result<Value<'js>> {
    Ok(match value {
        SqlValue::Null => Value::new_null(ctx.clone()),
        SqlValue::Integer(number) => Value::new_number(ctx.clone(), *number as f64),
        SqlValue::Real(number) => Value::new_number(ctx.clone(), *number),
        SqlValue::Text(text) => rquickjs::String::from_str(ctx.clone(), text)?.into_value(),
        SqlValue::Blob(bytes) => TypedArray::<u8>::new_copy(ctx.clone(), bytes)?.into_value(),
    })
}

/// Rows as an array of objects keyed by column name.
fn rows_to_js<'js>(ctx: &Ctx<'js>, rows: Rows) -> rquickjs::Result<Value<'js>> {
    let array = Array::new(ctx.clone())?;
    for (index, row) in rows.rows.iter().enumerate() {
        let object = Object::new(ctx.clone())?;
        for (column, value) in rows.columns.iter().zip(row) {
            object.set(column.as_str(), sql_to_js(ctx, value)?)?;
        }
        array.set(index, object)?;
    }
    Ok(array.into_value())
}

/// `{success: true, rowsAffected, lastInsertId}`.
fn exec_to_js<'js>(ctx: &Ctx<'js>, result: ExecResult) -> rquickjs::Result<Value<'js>> {
    let object = success(ctx)?;
    object.set("rowsAffected", result.rows_affected as f64)?;
    object.set("lastInsertId", result.last_insert_id as f64)?;
    Ok(object.into_value())
}

/// `{success: true}`.
fn success<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("success", true)?;
    Ok(object)
}

/// Transaction ids cross to JS as numbers; they come from one process-wide counter, far below
/// 2^53.
fn transaction_id(ctx: &Ctx<'_>, raw: f64) -> rquickjs::Result<TransactionId> {
    if raw.is_finite() && raw >= 1.0 && raw.fract() == 0.0 {
        Ok(TransactionId::from_raw(raw as u64))
    } else {
        Err(Exception::throw_type(
            ctx,
            "expected a database transaction",
        ))
    }
}

/// The native ops behind `js/database.js`: one named function per op, grouped by area.
fn native_ops<'js>(ctx: &Ctx<'js>, state: Shared) -> rquickjs::Result<Object<'js>> {
    let native = Object::new(ctx.clone())?;
    connection_ops(ctx, &native, &state)?;
    statement_ops(ctx, &native, &state)?;
    transaction_ops(ctx, &native, &state)?;
    Ok(native)
}

fn connection_ops<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    state: &Shared,
) -> rquickjs::Result<()> {
    let shared = state.clone();
    native.set(
        "configure",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, name: String, driver: Value<'js>, dsn: Value<'js>| {
                if shared.borrow().preconfigured {
                    return Err(error(
                        &ctx,
                        &format!(
                            "database module {name:?} is preconfigured and does not allow configure()"
                        ),
                    ));
                }
                let (Some(driver), Some(dsn)) = (driver.as_string(), dsn.as_string()) else {
                    return Err(Exception::throw_type(
                        &ctx,
                        "configure requires driver and dsn strings",
                    ));
                };
                Driver::parse(&driver.to_string()?)
                    .map_err(|failure| error(&ctx, &failure.to_string()))?;
                let dsn = dsn.to_string()?;
                // Close the previous connection first: a file reopened must see its last state.
                let previous = shared.borrow_mut().connection.take();
                drop(previous);
                let connection = DatabaseConnection::start(ConnectionSource::Dsn(dsn))
                    .map_err(|failure| error(&ctx, &failure.to_string()))?;
                shared.borrow_mut().connection = Some(connection);
                Ok(())
            },
        )?,
    )?;
    let shared = state.clone();
    native.set(
        "close",
        Function::new(ctx.clone(), move || {
            let mut state = shared.borrow_mut();
            if !state.preconfigured {
                let closed = state.connection.take();
                drop(state);
                drop(closed);
            }
        })?,
    )?;
    Ok(())
}

fn statement_ops<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    state: &Shared,
) -> rquickjs::Result<()> {
    let shared = state.clone();
    native.set(
        "query",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, name: String, sql: String, values: Array<'js>| {
                let params = params(&ctx, values)?;
                let pending = submit(&ctx, &shared, &name, |db| db.query(sql, params))?;
                rows_to_js(&ctx, wait(&ctx, pending)?)
            },
        )?,
    )?;
    let shared = state.clone();
    native.set(
        "exec",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, name: String, sql: String, values: Array<'js>| {
                let params = params(&ctx, values)?;
                let pending = submit(&ctx, &shared, &name, |db| db.exec(sql, params))?;
                exec_to_js(&ctx, wait(&ctx, pending)?)
            },
        )?,
    )?;
    let shared = state.clone();
    native.set(
        "queryAsync",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, name: String, sql: String, values: Array<'js>| {
                let params = params(&ctx, values)?;
                let pending = submit(&ctx, &shared, &name, |db| db.query(sql, params))?;
                settle_later(&ctx, pending, rows_to_js)
            },
        )?,
    )?;
    let shared = state.clone();
    native.set(
        "execAsync",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, name: String, sql: String, values: Array<'js>| {
                let params = params(&ctx, values)?;
                let pending = submit(&ctx, &shared, &name, |db| db.exec(sql, params))?;
                settle_later(&ctx, pending, exec_to_js)
            },
        )?,
    )?;
    Ok(())
}

fn transaction_ops<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    state: &Shared,
) -> rquickjs::Result<()> {
    let shared = state.clone();
    native.set(
        "begin",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, name: String| {
            let pending = submit(&ctx, &shared, &name, DatabaseConnection::begin)?;
            wait(&ctx, pending).map(|id| id.get() as f64)
        })?,
    )?;
    let shared = state.clone();
    native.set(
        "txQuery",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: f64, sql: String, values: Array<'js>| {
                let id = transaction_id(&ctx, id)?;
                let params = params(&ctx, values)?;
                let pending = submit_in(&ctx, &shared, |db| db.query_in(id, sql, params))?;
                rows_to_js(&ctx, wait(&ctx, pending)?)
            },
        )?,
    )?;
    let shared = state.clone();
    native.set(
        "txExec",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: f64, sql: String, values: Array<'js>| {
                let id = transaction_id(&ctx, id)?;
                let params = params(&ctx, values)?;
                let pending = submit_in(&ctx, &shared, |db| db.exec_in(id, sql, params))?;
                exec_to_js(&ctx, wait(&ctx, pending)?)
            },
        )?,
    )?;
    let shared = state.clone();
    native.set(
        "commit",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, id: f64| {
            let id = transaction_id(&ctx, id)?;
            let pending = submit_in(&ctx, &shared, |db| db.commit(id))?;
            wait(&ctx, pending)?;
            success(&ctx)
        })?,
    )?;
    let shared = state.clone();
    native.set(
        "rollback",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, id: f64| {
            let id = transaction_id(&ctx, id)?;
            let pending = submit_in(&ctx, &shared, |db| db.rollback(id))?;
            wait(&ctx, pending)?;
            success(&ctx)
        })?,
    )?;
    let shared = state.clone();
    native.set(
        "abandon",
        Function::new(ctx.clone(), move |id: f64| {
            if let Some(connection) = &shared.borrow().connection
                && id >= 1.0
            {
                connection.abandon(TransactionId::from_raw(id as u64));
            }
        })?,
    )?;
    Ok(())
}
