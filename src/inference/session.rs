//! Sessions: a turn history plus the engine, middlewares, tools and hooks that extend it, one run
//! at a time.
//!
//! A run takes the latest turn, runs it through the middleware-wrapped engine (inside the tool
//! loop when tools are configured) and stores the output in place of that turn: as in the
//! original, the history entry a run started from becomes its output, so a run does not add an
//! entry (only an appended seed does). A failed or cancelled run leaves the history as it was,
//! plus the appended seed.
//!
//! ```
//! use std::sync::Arc;
//! use geppetto::inference::engines::EchoEngine;
//! use geppetto::inference::session::{RunOptions, Session, SessionConfig};
//! use geppetto::inference::{Block, Turn};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let session = Session::new(SessionConfig::new(Arc::new(EchoEngine::new("hello"))));
//! let seed = Turn::new().with_block(Block::user("hi"));
//! let out = session.run(Some(seed), RunOptions::default()).await.unwrap();
//! assert_eq!(out.last_assistant_text(), Some("hello"));
//! assert_eq!(session.turn_count(), 1);
//! assert_eq!(session.latest(), Some(out));
//! # });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::context::RunContext;
use super::engine::Engine;
use super::error::InferenceError;
use super::event::{EventSink, NullSink, now_ms};
use super::hooks::ToolHooks;
use super::middleware::{Middleware, Next, chain};
use super::tool_loop::{ToolLoop, ToolLoopSettings};
use super::tools::ToolRegistry;
use super::turn::{Turn, new_id};
use crate::telemetry::spans;

/// The turn metadata key holding the session id.
pub const SESSION_ID_KEY: &str = "session_id";
/// The turn metadata key holding the inference id.
pub const INFERENCE_ID_KEY: &str = "inference_id";

/// `session already has an active inference`.
pub const ERR_ALREADY_ACTIVE: &str = "session already has an active inference";
/// `session has no active inference`.
pub const ERR_NO_ACTIVE: &str = "session has no active inference";
/// `session has no seed turn (or seed turn is empty)`.
pub const ERR_NO_SEED: &str = "session has no seed turn (or seed turn is empty)";

/// What a session runs with.
#[derive(Clone)]
pub struct SessionConfig {
    /// The engine.
    pub engine: Arc<dyn Engine>,
    /// Middlewares; the first is the outermost.
    pub middlewares: Vec<Arc<dyn Middleware>>,
    /// Tools; when set (and the tool loop is enabled), runs go through the tool loop.
    pub tools: Option<ToolRegistry>,
    /// Tool loop settings; defaults when `None`. `enabled: false` detaches the tools.
    pub tool_loop: Option<ToolLoopSettings>,
    /// Hooks around tool calls.
    pub hooks: Option<Arc<dyn ToolHooks>>,
}

impl SessionConfig {
    /// A configuration with `engine` only.
    pub fn new(engine: Arc<dyn Engine>) -> SessionConfig {
        SessionConfig {
            engine,
            middlewares: Vec::new(),
            tools: None,
            tool_loop: None,
            hooks: None,
        }
    }
}

/// How a run was started: the `mode` field of its `session.run` span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunMode {
    /// `session.run()` (synchronous), and runs started from Rust.
    #[default]
    Run,
    /// `session.runAsync()`.
    RunAsync,
    /// `session.start()`.
    Start,
}

impl RunMode {
    /// `run`, `runAsync` or `start`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Run => "run",
            RunMode::RunAsync => "runAsync",
            RunMode::Start => "start",
        }
    }
}

/// Options of one run.
#[derive(Clone)]
pub struct RunOptions {
    /// When > 0, the run is cancelled this many milliseconds after it was prepared, failing with
    /// [`InferenceError::DeadlineExceeded`] (a deadline beyond what the clock can represent means
    /// none).
    pub timeout_ms: Option<u64>,
    /// Any JSON object, passed to every middleware, tool and hook context of the run.
    pub tags: Option<Value>,
    /// The run id to use (the bridge creates it); a fresh UUID when `None`.
    pub run_id: Option<String>,
    /// Where the run's events go.
    pub sink: Arc<dyn EventSink>,
    /// How the run was started (tracing only).
    pub mode: RunMode,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            timeout_ms: None,
            tags: None,
            run_id: None,
            sink: Arc::new(NullSink),
            mode: RunMode::Run,
        }
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("timeout_ms", &self.timeout_ms)
            .field("tags", &self.tags)
            .field("run_id", &self.run_id)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// A session: an id, a turn history and a run configuration.
///
/// The history holds each turn behind an `Arc`: reading it (`latest`, `turns`, ...) and storing a
/// run's output share the turn instead of copying it; only a run's input is copied, because the
/// run changes it.
///
/// A clone is an `Arc` clone: all clones are the same session. `Send + Sync`; its state sits behind
/// a short-held mutex that is never held across an await.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    id: String,
    /// Whether the session's engine answers in process ([`Engine::answers_in_process`]).
    answers_in_process: bool,
    next: Next,
    tool_loop: Option<ToolLoop>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    turns: Vec<Arc<Turn>>,
    active: Option<ActiveRun>,
}

struct ActiveRun {
    run_id: String,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.inner.id)
            .field("next", &self.inner.next)
            .field("tool_loop", &self.inner.tool_loop)
            .field("turns", &self.turn_count())
            .field("running", &self.is_running())
            .finish()
    }
}

impl Session {
    /// A new session with a fresh id and an empty history.
    pub fn new(config: SessionConfig) -> Session {
        let settings = config.tool_loop.unwrap_or_default();
        let tool_loop = config
            .tools
            .filter(|_| settings.enabled)
            .map(|registry| ToolLoop {
                registry,
                settings,
                hooks: config.hooks,
            });
        Session {
            inner: Arc::new(Inner {
                id: new_id(),
                answers_in_process: config.engine.answers_in_process(),
                next: chain(&config.middlewares, config.engine),
                tool_loop,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Whether the session's engine answers in process (see [`Engine::answers_in_process`]):
    /// then a run's only work besides the engine's is its middlewares, tools and hooks.
    pub fn answers_in_process(&self) -> bool {
        self.inner.answers_in_process
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// Appends `turn` with `metadata.session_id` set, and returns it (shared with the history).
    pub fn append(&self, mut turn: Turn) -> Arc<Turn> {
        turn.metadata
            .insert(SESSION_ID_KEY.into(), Value::String(self.inner.id.clone()));
        let turn = Arc::new(turn);
        self.inner.state.lock().turns.push(turn.clone());
        turn
    }

    /// The last turn.
    pub fn latest(&self) -> Option<Arc<Turn>> {
        self.inner.state.lock().turns.last().cloned()
    }

    /// Number of turns in the history.
    pub fn turn_count(&self) -> usize {
        self.inner.state.lock().turns.len()
    }

    /// All turns.
    pub fn turns(&self) -> Vec<Arc<Turn>> {
        self.inner.state.lock().turns.clone()
    }

    /// Turn `index`, or `None` when out of range.
    pub fn get_turn(&self, index: usize) -> Option<Arc<Turn>> {
        self.inner.state.lock().turns.get(index).cloned()
    }

    /// Turns `start..end`, both clamped to the history (`None`: from the first / to the last); an
    /// empty list when `start >= end`.
    pub fn turns_range(&self, start: Option<i64>, end: Option<i64>) -> Vec<Arc<Turn>> {
        let state = self.inner.state.lock();
        let len = state.turns.len();
        let clamp = |index: i64| usize::try_from(index.max(0)).unwrap_or(usize::MAX).min(len);
        let start = start.map_or(0, clamp);
        let end = end.map_or(len, clamp);
        if start >= end {
            return Vec::new();
        }
        state.turns[start..end].to_vec()
    }

    /// Whether a run is active.
    pub fn is_running(&self) -> bool {
        self.inner.state.lock().active.is_some()
    }

    /// Cancels the active run; fails with `session has no active inference` when there is none.
    pub fn cancel_active(&self) -> Result<(), InferenceError> {
        match &self.inner.state.lock().active {
            Some(active) => {
                active.cancel.cancel();
                Ok(())
            }
            None => Err(InferenceError::failed(ERR_NO_ACTIVE)),
        }
    }

    /// Starts a run without awaiting it: appends `seed` (if given), takes the latest turn, gives it
    /// an id if missing, `metadata.session_id` and a fresh `metadata.inference_id`, and marks the
    /// session running. The returned [`PreparedRun`] knows the run's ids and cancellation token at
    /// once; [`PreparedRun::execute`] runs it. Dropping a prepared run unexecuted ends it.
    ///
    /// Fails with `session already has an active inference` (nothing is appended then) or
    /// `session has no seed turn (or seed turn is empty)`. As the contract says, a seed is
    /// appended before the latest turn is checked, so an empty seed stays in the history (and
    /// later seedless runs fail the same way until a non-empty turn is appended).
    pub fn prepare_run(
        &self,
        seed: Option<Turn>,
        options: RunOptions,
    ) -> Result<PreparedRun, InferenceError> {
        let mut state = self.inner.state.lock();
        if state.active.is_some() {
            return Err(InferenceError::failed(ERR_ALREADY_ACTIVE));
        }
        if let Some(mut seed) = seed {
            seed.metadata
                .insert(SESSION_ID_KEY.into(), Value::String(self.inner.id.clone()));
            state.turns.push(Arc::new(seed));
        }
        let index = match state.turns.len().checked_sub(1) {
            Some(index) if !state.turns[index].blocks.is_empty() => index,
            _ => return Err(InferenceError::failed(ERR_NO_SEED)),
        };
        let mut input = Turn::clone(&state.turns[index]);
        if input.id.is_empty() {
            input.id = new_id();
        }
        let inference_id = new_id();
        input
            .metadata
            .insert(SESSION_ID_KEY.into(), Value::String(self.inner.id.clone()));
        input
            .metadata
            .insert(INFERENCE_ID_KEY.into(), Value::String(inference_id.clone()));

        let timeout = options
            .timeout_ms
            .filter(|timeout| *timeout > 0)
            .map(Duration::from_millis);
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        let run_id = options.run_id.unwrap_or_else(new_id);
        // The parent is the span current here: the one that started the run.
        let span = spans::session_run(
            &self.inner.id,
            &inference_id,
            &run_id,
            options.mode.as_str(),
        );
        let ctx = RunContext {
            session_id: self.inner.id.clone(),
            inference_id,
            run_id,
            turn_id: Some(input.id.clone()),
            tags: options.tags,
            deadline,
            deadline_ms: deadline
                .and(options.timeout_ms)
                .map(|timeout| now_ms().saturating_add(timeout)),
            cancel: CancellationToken::new(),
            sink: options.sink,
            tools: None,
            span,
        };
        state.active = Some(ActiveRun {
            run_id: ctx.run_id.clone(),
            cancel: ctx.cancel.clone(),
        });
        drop(state);
        Ok(PreparedRun {
            guard: ActiveGuard {
                session: self.clone(),
                run_id: ctx.run_id.clone(),
            },
            ctx,
            input,
            index,
        })
    }

    /// Prepares and executes a run (see [`Session::prepare_run`]); the seed is appended before
    /// this returns. Resolves to the output turn, which is also stored (shared) as the latest turn.
    pub fn run(
        &self,
        seed: Option<Turn>,
        options: RunOptions,
    ) -> impl Future<Output = Result<Arc<Turn>, InferenceError>> + Send + 'static + use<> {
        let prepared = self.prepare_run(seed, options);
        async move { prepared?.execute().await }
    }

    /// Stores a run's output in place of the turn it started from (`index`).
    fn store_output(&self, index: usize, output: Arc<Turn>) {
        let mut state = self.inner.state.lock();
        match state.turns.get_mut(index) {
            Some(entry) => *entry = output,
            None => state.turns.push(output),
        }
    }
}

/// A run that was prepared (ids known, session marked running) but not yet executed.
pub struct PreparedRun {
    guard: ActiveGuard,
    ctx: RunContext,
    input: Turn,
    index: usize,
}

impl std::fmt::Debug for PreparedRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedRun")
            .field("ctx", &self.ctx)
            .field("input", &self.input)
            .finish_non_exhaustive()
    }
}

/// Clears the session's active run when the run ends (or its [`PreparedRun`] is dropped).
struct ActiveGuard {
    session: Session,
    run_id: String,
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        let mut state = self.session.inner.state.lock();
        if state
            .active
            .as_ref()
            .is_some_and(|active| active.run_id == self.run_id)
        {
            state.active = None;
        }
    }
}

impl PreparedRun {
    /// The session id.
    pub fn session_id(&self) -> &str {
        &self.ctx.session_id
    }

    /// The run's fresh inference id.
    pub fn inference_id(&self) -> &str {
        &self.ctx.inference_id
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        &self.ctx.run_id
    }

    /// The token that cancels the run (`RunHandle.cancel()`).
    pub fn cancel_token(&self) -> CancellationToken {
        self.ctx.cancel.clone()
    }

    /// The run's context (ids, tags, deadline, sink).
    pub fn context(&self) -> &RunContext {
        &self.ctx
    }

    /// The turn the run starts from (id, session and inference ids already set).
    pub fn input(&self) -> &Turn {
        &self.input
    }

    /// Runs it. Ends with the cancellation error as soon as the token fires, and with
    /// [`InferenceError::DeadlineExceeded`] when the deadline fired it.
    /// On success the output (id and metadata ids filled in) replaces the run's history entry.
    pub fn execute(
        self,
    ) -> impl Future<Output = Result<Arc<Turn>, InferenceError>> + Send + 'static {
        let PreparedRun {
            guard,
            ctx,
            input,
            index,
        } = self;
        let span = ctx.span.clone();
        let run = async move {
            let session = guard.session.clone();
            let input_id = input.id.clone();
            // Boxed: the chain's future is large, and a local moved into `bounded` would keep its
            // storage in this future as well (rustc does not overlap a moved-from local).
            let work = Box::pin(async {
                match &session.inner.tool_loop {
                    Some(tool_loop) => tool_loop.run(&ctx, &session.inner.next, input).await,
                    None => {
                        let mut step_ctx = ctx.clone();
                        let step =
                            spans::inference_step(&ctx.span, 0, &ctx.session_id, &ctx.inference_id);
                        spans::enter_child(&mut step_ctx.span, &step);
                        spans::instrument(step, session.inner.next.run(step_ctx, input)).await
                    }
                }
            });
            let result = bounded(&ctx, work).await;
            record_run_outcome(&ctx.span, &result);
            let mut output = result?;
            if output.id.is_empty() {
                output.id = input_id;
            }
            output
                .metadata
                .insert(SESSION_ID_KEY.into(), Value::String(ctx.session_id.clone()));
            output.metadata.insert(
                INFERENCE_ID_KEY.into(),
                Value::String(ctx.inference_id.clone()),
            );
            let output = Arc::new(output);
            session.store_output(index, output.clone());
            drop(guard);
            Ok(output)
        };
        spans::instrument(span, run)
    }
}

/// Records a run's `outcome` (`ok`, `error`, `canceled`, `deadline`) on its `session.run` span,
/// with an event for a cancellation, a deadline or a failure.
pub(crate) fn record_run_outcome(span: &tracing::Span, result: &Result<Turn, InferenceError>) {
    if span.is_disabled() {
        return;
    }
    let outcome = match result {
        Ok(_) => "ok",
        Err(InferenceError::DeadlineExceeded) => {
            tracing::info!(target: "geppetto::session", parent: span, "run deadline exceeded");
            "deadline"
        }
        Err(error) if error.is_cancellation() => {
            tracing::info!(target: "geppetto::session", parent: span, "run canceled");
            "canceled"
        }
        Err(error) => {
            tracing::info!(target: "geppetto::session", parent: span, error = %error, "run failed");
            "error"
        }
    };
    spans::record_outcome(span, outcome);
}

/// Runs `work` (a run's chain) within the run's cancellation token and deadline: ends with the
/// cancellation error as soon as the token fires, and with [`InferenceError::DeadlineExceeded`]
/// when the deadline fired it.
pub(crate) async fn bounded(
    ctx: &RunContext,
    work: impl Future<Output = Result<Turn, InferenceError>>,
) -> Result<Turn, InferenceError> {
    // The watchdog fires the token when the deadline passes. The work is polled first, so an
    // engine that watches the token can still emit its `interrupt` event and return; one that does
    // not is dropped on the next poll.
    // Only a run with a deadline holds a timer (boxed, so the others do not carry its space).
    let watchdog: Pin<Box<dyn Future<Output = ()> + Send + '_>> = match ctx.deadline {
        Some(deadline) => Box::pin(async move {
            tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await;
            ctx.cancel.cancel();
            std::future::pending::<()>().await
        }),
        None => Box::pin(std::future::pending::<()>()),
    };
    let result = tokio::select! {
        biased;
        result = work => result,
        _ = ctx.cancel.cancelled() => Err(ctx.cancellation_error()),
        _ = watchdog => unreachable!("the watchdog never completes"),
    };
    // A run whose work failed once the deadline had passed exceeded it, whether the watchdog
    // fired the token or a callback waiting synchronously was stopped by its own deadline while
    // this future could not run. Read on the watchdog's clock (tokio's, which tests may pause).
    let past_deadline = ctx.deadline.is_some_and(|deadline| {
        tokio::time::Instant::now() >= tokio::time::Instant::from_std(deadline)
    });
    match result {
        Err(_) if past_deadline => Err(InferenceError::DeadlineExceeded),
        result => result,
    }
}

/// One-shot inference (`runInference(engine, turn, opts)`): a fresh session with `engine` only,
/// `turn` appended, one run.
pub fn run_inference(
    engine: Arc<dyn Engine>,
    turn: Turn,
    options: RunOptions,
) -> impl Future<Output = Result<Arc<Turn>, InferenceError>> + Send + 'static {
    Session::new(SessionConfig::new(engine)).run(Some(turn), options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::engines::EchoEngine;
    use crate::inference::event::{CollectingSink, EventKind};
    use crate::inference::turn::Block;
    use futures_util::future::BoxFuture;
    use serde_json::json;

    fn echo_session() -> Session {
        Session::new(SessionConfig::new(Arc::new(EchoEngine::new("ok"))))
    }

    fn user_turn(text: &str) -> Turn {
        Turn::new().with_block(Block::user(text))
    }

    /// An engine that waits until its run is cancelled, then emits `interrupt`.
    struct Hang;

    impl Engine for Hang {
        fn name(&self) -> &str {
            "hang"
        }

        fn run_inference<'a>(
            &'a self,
            ctx: &'a RunContext,
            _turn: Turn,
        ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
            Box::pin(async move {
                ctx.cancel.cancelled().await;
                ctx.emit(EventKind::Interrupt {
                    text: String::new(),
                });
                Err(ctx.cancellation_error())
            })
        }
    }

    #[test]
    fn history_ops() {
        let session = echo_session();
        assert_eq!(session.latest(), None);
        let appended = session.append(user_turn("a"));
        assert_eq!(appended.metadata[SESSION_ID_KEY], json!(session.id()));
        session.append(user_turn("b"));
        session.append(user_turn("c"));
        assert_eq!(session.turn_count(), 3);
        assert_eq!(session.get_turn(0), Some(appended));
        assert_eq!(session.get_turn(3), None);
        let cases: [(Option<i64>, Option<i64>, usize); 7] = [
            (None, None, 3),
            (Some(1), None, 2),
            (None, Some(2), 2),
            (Some(-5), Some(99), 3),
            (Some(2), Some(1), 0),
            (Some(3), None, 0),
            (Some(1), Some(2), 1),
        ];
        for (start, end, expected) in cases {
            assert_eq!(
                session.turns_range(start, end).len(),
                expected,
                "{start:?}..{end:?}"
            );
        }
    }

    #[tokio::test]
    async fn run_replaces_the_latest_turn_with_its_output() {
        let session = echo_session();
        let seed = Turn {
            id: String::new(),
            ..user_turn("hi")
        };
        let out = session
            .run(Some(seed), RunOptions::default())
            .await
            .unwrap();
        assert!(!out.id.is_empty());
        assert_eq!(out.metadata[SESSION_ID_KEY], json!(session.id()));
        assert!(out.metadata[INFERENCE_ID_KEY].is_string());
        assert_eq!(session.turn_count(), 1);
        assert_eq!(session.latest(), Some(out.clone()));
        // A second run without seed continues from the stored output.
        let again = session.run(None, RunOptions::default()).await.unwrap();
        assert_eq!(again.blocks.len(), 3);
        assert_ne!(
            again.metadata[INFERENCE_ID_KEY],
            out.metadata[INFERENCE_ID_KEY]
        );
    }

    #[tokio::test]
    async fn run_without_seed_fails() {
        let session = echo_session();
        let error = session.run(None, RunOptions::default()).await.unwrap_err();
        assert_eq!(error.to_string(), ERR_NO_SEED);
        let error = session
            .run(Some(Turn::new()), RunOptions::default())
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), ERR_NO_SEED);
        assert_eq!(
            session.turn_count(),
            1,
            "the empty seed is appended, then refused"
        );
        assert!(!session.is_running());
        let error = session.run(None, RunOptions::default()).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            ERR_NO_SEED,
            "the empty seed is still the latest"
        );
    }

    #[tokio::test]
    async fn one_run_at_a_time_and_cancel_active() {
        let session = Session::new(SessionConfig::new(Arc::new(Hang)));
        assert_eq!(
            session.cancel_active().unwrap_err().to_string(),
            ERR_NO_ACTIVE
        );
        let sink = CollectingSink::new();
        let options = RunOptions {
            sink: Arc::new(sink.clone()),
            ..RunOptions::default()
        };
        let prepared = session.prepare_run(Some(user_turn("a")), options).unwrap();
        assert!(session.is_running());
        let error = session
            .prepare_run(Some(user_turn("b")), RunOptions::default())
            .unwrap_err();
        assert_eq!(error.to_string(), ERR_ALREADY_ACTIVE);
        assert_eq!(session.turn_count(), 1);
        let running = tokio::spawn(prepared.execute());
        // Let the run reach the engine (a single-threaded runtime polls it on yield).
        tokio::task::yield_now().await;
        session.cancel_active().unwrap();
        assert_eq!(running.await.unwrap(), Err(InferenceError::Canceled));
        assert_eq!(sink.events().len(), 1);
        assert!(!session.is_running());
        // History as before the run, plus the seed, untouched.
        assert_eq!(session.turn_count(), 1);
        assert!(
            !session
                .latest()
                .unwrap()
                .metadata
                .contains_key(INFERENCE_ID_KEY)
        );
    }

    #[tokio::test]
    async fn dropping_a_prepared_run_ends_it() {
        let session = echo_session();
        let prepared = session
            .prepare_run(Some(user_turn("a")), RunOptions::default())
            .unwrap();
        assert!(session.is_running());
        drop(prepared);
        assert!(!session.is_running());
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_cancels_the_run() {
        let session = Session::new(SessionConfig::new(Arc::new(Hang)));
        let sink = CollectingSink::new();
        let options = RunOptions {
            timeout_ms: Some(50),
            sink: Arc::new(sink.clone()),
            ..RunOptions::default()
        };
        let prepared = session.prepare_run(Some(user_turn("a")), options).unwrap();
        assert!(prepared.context().deadline_ms.is_some());
        let token = prepared.cancel_token();
        assert_eq!(
            prepared.execute().await,
            Err(InferenceError::DeadlineExceeded)
        );
        assert!(token.is_cancelled());
        // The engine saw the cancellation before the run ended.
        assert_eq!(sink.events()[0].kind.type_name(), "interrupt");
    }

    #[tokio::test]
    async fn run_inference_one_shot() {
        let out = run_inference(
            Arc::new(EchoEngine::new("")),
            user_turn("x"),
            RunOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(out.last_assistant_text(), Some("READY"));
    }
}
