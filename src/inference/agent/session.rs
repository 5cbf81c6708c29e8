//! Agent sessions: a history that grows by one turn per successful run, one run at a time.
//!
//! A run takes the caller's input turn, makes the *effective* turn (fresh ids, the runtime
//! metadata), runs it through the middlewares and the engine (in the tool loop when the agent has
//! tools) and, on success, appends the output to the history. A failed or cancelled run changes
//! nothing. Every run reports `run-started` first and exactly one of `run-finished`,
//! `run-stopped` or `run-failed` last.
//!
//! ```
//! use std::sync::Arc;
//! use geppetto::inference::agent::{AgentConfig, AgentRunOptions, AgentSession, SessionSpec};
//! use geppetto::inference::engines::EchoEngine;
//! use geppetto::inference::{Block, Turn};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let agent = Arc::new(AgentConfig::new(Arc::new(EchoEngine::new("hello"))));
//! let session = AgentSession::new(agent, SessionSpec::default());
//! let input = session.next_seed().unwrap().with_block(Block::user("hi"));
//! let (result, _done) = session.prepare_run(input, AgentRunOptions::default()).unwrap().execute().await;
//! let result = result.unwrap();
//! assert_eq!(result.text, "hello");
//! assert_eq!(session.turn_count(), 1);
//! assert_eq!(result.stop_reason.as_deref(), Some("stop"));
//! # });
//! ```

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::emitter::RunEmitter;
use super::event::{AgentEvent, AgentEventKind, AgentSink, NullAgentSink, RunIds, StopCause};
use super::keys::canonical_key;
use super::step::StepEngine;
use super::store::{FINAL_PHASE, TurnStore};
use crate::inference::context::RunContext;
use crate::inference::engine::Engine;
use crate::inference::error::InferenceError;
use crate::inference::event::now_ms;
use crate::inference::hooks::ToolHooks;
use crate::inference::middleware::{Middleware, chain};
use crate::inference::session::{
    ERR_ALREADY_ACTIVE, ERR_NO_SEED, INFERENCE_ID_KEY, SESSION_ID_KEY, bounded, record_run_outcome,
};
use crate::inference::tool_loop::{ToolLoop, ToolLoopSettings};
use crate::inference::tools::ToolRegistry;
use crate::inference::turn::{BlockKind, JsonMap, Turn, new_id};
use crate::telemetry::spans;

/// `session is closed`.
pub const ERR_CLOSED: &str = "session is closed";
/// The turn metadata key of the runtime map (`{agentName, sessionName, ...}`).
pub const RUNTIME_KEY: &str = "runtime";
/// The turn data key the agent tool loop writes the offered tools under.
pub const TOOL_DEFINITIONS_KEY: &str = "tool_definitions";

/// The tools of an agent: added tools, a registry, and an optional list of the only tools to
/// offer. Resolved at each run, so registries are looked up live.
#[derive(Clone, Default)]
pub struct AgentTools {
    /// Tools added one by one (`tool(spec)`); consulted before `registry`.
    pub added: Option<ToolRegistry>,
    /// The agent's registry (`tool(registry)`).
    pub registry: Option<ToolRegistry>,
    /// When not empty, the run offers only these tools (`goTool(name)`), taken from `added` and
    /// `registry`, else from `host`.
    pub only: Vec<String>,
    /// The host's tools (`goTool` without a registry).
    pub host: Option<ToolRegistry>,
}

impl std::fmt::Debug for AgentTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentTools")
            .field("added", &self.added.as_ref().map(ToolRegistry::names))
            .field("registry", &self.registry.as_ref().map(ToolRegistry::names))
            .field("only", &self.only)
            .finish_non_exhaustive()
    }
}

impl AgentTools {
    /// Whether the agent has tools at all (then its runs go through the tool loop).
    pub fn is_configured(&self) -> bool {
        self.added.is_some() || self.registry.is_some() || !self.only.is_empty()
    }

    /// The registry a run uses, with the spec's run-time errors for `goTool` names.
    pub fn resolve(&self) -> Result<Option<ToolRegistry>, InferenceError> {
        if !self.only.is_empty() {
            let source = self.registry.as_ref().or(self.host.as_ref());
            if source.is_none() && self.added.is_none() {
                return Err(InferenceError::failed(
                    "resolved runtime requested tools but no tool registry is configured",
                ));
            }
            let picked = ToolRegistry::new();
            for name in &self.only {
                let tool = self
                    .added
                    .as_ref()
                    .and_then(|added| added.get(name))
                    .or_else(|| source.and_then(|source| source.get(name)))
                    .ok_or_else(|| {
                        InferenceError::failed(format!(
                            "resolved runtime tool \"{name}\" not present in registry: tool not found: {name}"
                        ))
                    })?;
                picked.register(tool);
            }
            return Ok(Some(picked));
        }
        match (&self.added, &self.registry) {
            (None, registry) => Ok(registry.clone()),
            (Some(added), None) => Ok(Some(added.clone())),
            (Some(added), Some(registry)) => {
                let merged = ToolRegistry::new();
                for name in registry.names() {
                    if let Some(tool) = registry.get(&name) {
                        merged.register(tool);
                    }
                }
                for name in added.names() {
                    if let Some(tool) = added.get(&name) {
                        merged.register(tool);
                    }
                }
                Ok(Some(merged))
            }
        }
    }
}

/// What an agent runs with; shared by its sessions.
#[derive(Clone)]
pub struct AgentConfig {
    /// The agent's name (`runtime.agentName`).
    pub name: String,
    /// The engine.
    pub engine: Arc<dyn Engine>,
    /// Middlewares; the first is the outermost.
    pub middlewares: Vec<Arc<dyn Middleware>>,
    /// Tools.
    pub tools: AgentTools,
    /// Tool loop settings (the agent defaults: [`agent_tool_loop_defaults`]).
    pub tool_loop: ToolLoopSettings,
    /// Hooks around tool calls.
    pub hooks: Option<Arc<dyn ToolHooks>>,
}

impl AgentConfig {
    /// An agent with `engine` only.
    pub fn new(engine: Arc<dyn Engine>) -> AgentConfig {
        AgentConfig {
            name: String::new(),
            engine,
            middlewares: Vec::new(),
            tools: AgentTools::default(),
            tool_loop: agent_tool_loop_defaults(),
            hooks: None,
        }
    }
}

/// The agents' tool loop defaults: those of the session API with `maxIterations` 20.
pub fn agent_tool_loop_defaults() -> ToolLoopSettings {
    ToolLoopSettings {
        max_iterations: 20,
        ..ToolLoopSettings::default()
    }
}

/// Where an imported first history entry came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportSource {
    /// `session().base(turn)`.
    Base,
    /// `session.fork()`.
    Fork,
    /// `resumeLatest()` (no fork stamps).
    Resume,
}

/// How to make a session.
#[derive(Clone, Default)]
pub struct SessionSpec {
    /// The id (trimmed); empty: a fresh UUID.
    pub id: String,
    /// The name.
    pub name: String,
    /// Metadata stamped on every run's input turn (keys as given; see [`canonical_key`]).
    pub metadata: JsonMap,
    /// The first history entry, if imported.
    pub base: Option<(Turn, ImportSource)>,
    /// Where successful runs persist their output (`None`: nowhere).
    pub store: Option<Arc<dyn TurnStore>>,
}

impl std::fmt::Debug for SessionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSpec")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("metadata", &self.metadata)
            .field("base", &self.base)
            .field(
                "store",
                &self.store.as_ref().map(|store| store.name().to_string()),
            )
            .finish()
    }
}

/// What persisting a run's output did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistenceReport {
    /// The store's name.
    pub store: String,
    /// The failure, if persisting failed (the run still succeeded).
    pub error: Option<String>,
}

/// Options of one run.
#[derive(Clone)]
pub struct AgentRunOptions {
    /// When > 0, the run is cancelled this long after it was prepared.
    pub timeout_ms: u64,
    /// Caller tags, passed to every middleware, tool and hook context.
    pub tags: Option<Value>,
    /// The run's inference id (the bridge picks it before the run); a fresh UUID when `None`.
    pub inference_id: Option<String>,
    /// Where the run's events go.
    pub sink: Arc<dyn AgentSink>,
}

impl Default for AgentRunOptions {
    fn default() -> AgentRunOptions {
        AgentRunOptions {
            timeout_ms: 0,
            tags: None,
            inference_id: None,
            sink: Arc::new(NullAgentSink),
        }
    }
}

impl std::fmt::Debug for AgentRunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRunOptions")
            .field("timeout_ms", &self.timeout_ms)
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

/// The result of a successful run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// The caller's turn.
    pub input: Turn,
    /// The turn as handed to the first middleware (ids included).
    pub effective: Turn,
    /// The output, as appended to the history.
    pub output: Turn,
    /// The texts of the `llm_text` blocks this run added, joined with `"\n"`.
    pub text: String,
    /// The steps' usage summed key by key; `None` when no step reported usage.
    pub usage: Option<JsonMap>,
    /// The last step's stop reason; `None` when no engine step ran.
    pub stop_reason: Option<String>,
    /// The run's events without deltas, in emission order.
    pub events: Vec<AgentEvent>,
    /// What persisting the output did; `None` when the session has no store.
    pub persistence: Option<PersistenceReport>,
}

/// An agent session. A clone is an `Arc` clone: all clones are the same session.
#[derive(Clone)]
pub struct AgentSession {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    id: String,
    name: String,
    agent: Arc<AgentConfig>,
    metadata: JsonMap,
    store: Option<Arc<dyn TurnStore>>,
    state: Mutex<SessionState>,
}

#[derive(Default)]
struct SessionState {
    turns: Vec<Turn>,
    active: Option<(u64, CancellationToken)>,
    runs: u64,
    closed: bool,
}

impl std::fmt::Debug for AgentSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSession")
            .field("id", &self.inner.id)
            .field("name", &self.inner.name)
            .field("turns", &self.turn_count())
            .field("running", &self.is_running())
            .finish()
    }
}

impl AgentSession {
    /// A session of `agent`.
    pub fn new(agent: Arc<AgentConfig>, spec: SessionSpec) -> AgentSession {
        let id = match spec.id.trim() {
            "" => new_id(),
            id => id.to_string(),
        };
        let mut turns = Vec::new();
        if let Some((turn, source)) = spec.base {
            turns.push(import_turn(turn, &source, &id));
        }
        AgentSession {
            inner: Arc::new(SessionInner {
                id,
                name: spec.name,
                agent,
                metadata: spec.metadata,
                store: spec.store,
                state: Mutex::new(SessionState {
                    turns,
                    ..SessionState::default()
                }),
            }),
        }
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The session name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The agent.
    pub fn agent(&self) -> &Arc<AgentConfig> {
        &self.inner.agent
    }

    /// The session metadata stamped on every input turn.
    pub fn metadata(&self) -> &JsonMap {
        &self.inner.metadata
    }

    /// The store successful runs persist to.
    pub fn store(&self) -> Option<&Arc<dyn TurnStore>> {
        self.inner.store.as_ref()
    }

    /// A copy of the latest turn.
    pub fn latest(&self) -> Option<Turn> {
        self.inner.state.lock().turns.last().cloned()
    }

    /// Copies of all turns.
    pub fn turns(&self) -> Vec<Turn> {
        self.inner.state.lock().turns.clone()
    }

    /// A copy of turn `index`.
    pub fn turn(&self, index: usize) -> Option<Turn> {
        self.inner.state.lock().turns.get(index).cloned()
    }

    /// Number of turns.
    pub fn turn_count(&self) -> usize {
        self.inner.state.lock().turns.len()
    }

    /// Whether a run is active.
    pub fn is_running(&self) -> bool {
        self.inner.state.lock().active.is_some()
    }

    /// Whether the session was closed.
    pub fn is_closed(&self) -> bool {
        self.inner.state.lock().closed
    }

    /// Cancels the active run, if any.
    pub fn cancel(&self) {
        if let Some((_, token)) = &self.inner.state.lock().active {
            token.cancel();
        }
    }

    /// Closes the session: cancels the active run; later runs fail with `session is closed`.
    pub fn close(&self) {
        let mut state = self.inner.state.lock();
        state.closed = true;
        if let Some((_, token)) = &state.active {
            token.cancel();
        }
    }

    /// The turn `next()` starts from: a copy of the latest turn (empty when none) without its id,
    /// with `metadata.session_id` and the session metadata. Fails when closed or running.
    pub fn next_seed(&self) -> Result<Turn, InferenceError> {
        let state = self.inner.state.lock();
        if state.closed {
            return Err(InferenceError::failed(ERR_CLOSED));
        }
        if state.active.is_some() {
            return Err(InferenceError::failed(ERR_ALREADY_ACTIVE));
        }
        let mut seed = state.turns.last().cloned().unwrap_or_default();
        drop(state);
        seed.id = String::new();
        seed.metadata
            .insert(SESSION_ID_KEY.into(), Value::String(self.inner.id.clone()));
        for (key, value) in &self.inner.metadata {
            seed.metadata.insert(key.clone(), value.clone());
        }
        Ok(seed)
    }

    /// Prepares a run of `input`: refuses (changing nothing) when the session is closed, the turn
    /// has no blocks or a run is active; else makes the effective turn and marks the session
    /// running. [`PreparedAgentRun::execute`] runs it; dropping it unexecuted ends it.
    pub fn prepare_run(
        &self,
        input: Turn,
        options: AgentRunOptions,
    ) -> Result<PreparedAgentRun, InferenceError> {
        let mut state = self.inner.state.lock();
        if state.closed {
            return Err(InferenceError::failed(ERR_CLOSED));
        }
        if input.blocks.is_empty() {
            return Err(InferenceError::failed(ERR_NO_SEED));
        }
        if state.active.is_some() {
            return Err(InferenceError::failed(ERR_ALREADY_ACTIVE));
        }
        let inference_id = options.inference_id.unwrap_or_else(new_id);
        let effective = self.effective_turn(&input, inference_id);
        let timeout = (options.timeout_ms > 0).then(|| Duration::from_millis(options.timeout_ms));
        let ids = RunIds {
            session_id: self.inner.id.clone(),
            inference_id: string_metadata(&effective, INFERENCE_ID_KEY),
            turn_id: effective.id.clone(),
        };
        let emitter = Arc::new(RunEmitter::new(ids, options.sink));
        let inference_id = &emitter.ids().inference_id;
        // The parent is the span current here: the one that started the run.
        let span = spans::session_run(&self.inner.id, inference_id, inference_id, "agent");
        let ctx = RunContext {
            session_id: self.inner.id.clone(),
            inference_id: emitter.ids().inference_id.clone(),
            run_id: emitter.ids().inference_id.clone(),
            turn_id: Some(effective.id.clone()),
            tags: options.tags,
            deadline: timeout.map(|timeout| Instant::now() + timeout),
            deadline_ms: timeout.map(|timeout| now_ms() + timeout.as_millis() as u64),
            cancel: CancellationToken::new(),
            sink: emitter.clone(),
            tools: None,
            span,
        };
        state.runs += 1;
        let run = state.runs;
        state.active = Some((run, ctx.cancel.clone()));
        drop(state);
        Ok(PreparedAgentRun {
            guard: RunGuard {
                session: self.clone(),
                run,
            },
            ctx,
            input,
            effective,
            emitter,
        })
    }

    /// The effective turn of `input`: a fresh id, the runtime map, `session_id`, a fresh
    /// `inference_id`, and an id on every block.
    fn effective_turn(&self, input: &Turn, inference_id: String) -> Turn {
        let mut effective = input.clone();
        effective.id = new_id();
        let mut runtime = match effective.metadata.get(RUNTIME_KEY) {
            Some(Value::Object(runtime)) => runtime.clone(),
            _ => JsonMap::new(),
        };
        runtime.insert(
            "agentName".into(),
            Value::String(self.inner.agent.name.clone()),
        );
        runtime.insert("sessionName".into(), Value::String(self.inner.name.clone()));
        effective
            .metadata
            .insert(RUNTIME_KEY.into(), Value::Object(runtime));
        effective
            .metadata
            .insert(SESSION_ID_KEY.into(), Value::String(self.inner.id.clone()));
        effective
            .metadata
            .insert(INFERENCE_ID_KEY.into(), Value::String(inference_id));
        for block in &mut effective.blocks {
            if block.id.is_empty() {
                block.id = new_id();
            }
        }
        effective
    }

    fn append(&self, turn: Turn) {
        self.inner.state.lock().turns.push(turn);
    }
}

/// Keeps a session marked running until dropped (after the run's result was delivered).
pub struct RunGuard {
    session: AgentSession,
    run: u64,
}

impl std::fmt::Debug for RunGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunGuard").field("run", &self.run).finish()
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        let mut state = self.session.inner.state.lock();
        if state
            .active
            .as_ref()
            .is_some_and(|(run, _)| *run == self.run)
        {
            state.active = None;
        }
    }
}

/// A run that was prepared (ids known, session marked running) but not yet executed.
pub struct PreparedAgentRun {
    guard: RunGuard,
    ctx: RunContext,
    input: Turn,
    effective: Turn,
    emitter: Arc<RunEmitter>,
}

impl std::fmt::Debug for PreparedAgentRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedAgentRun")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

impl PreparedAgentRun {
    /// The run's ids.
    pub fn ids(&self) -> &RunIds {
        self.emitter.ids()
    }

    /// The token that cancels the run.
    pub fn cancel_token(&self) -> CancellationToken {
        self.ctx.cancel.clone()
    }

    /// Runs it. Returns the outcome and the guard that keeps the session marked running: drop it
    /// once the outcome has been delivered.
    pub async fn execute(self) -> (Result<RunResult, InferenceError>, RunGuard) {
        let PreparedAgentRun {
            guard,
            ctx,
            input,
            effective,
            emitter,
        } = self;
        emitter.emit(AgentEventKind::RunStarted {
            prompt: last_user_text(&effective),
        });
        let session = guard.session.clone();
        let agent = session.agent().clone();
        let work = async {
            let tools = agent.tools.resolve()?;
            let engine: Arc<dyn Engine> = Arc::new(StepEngine {
                inner: agent.engine.clone(),
                run: emitter.clone(),
            });
            let next = chain(&agent.middlewares, engine);
            let turn = effective.clone();
            match tools.filter(|_| agent.tool_loop.enabled) {
                Some(registry) => {
                    let mut turn = turn;
                    turn.data
                        .insert(TOOL_DEFINITIONS_KEY.into(), tool_definitions(&registry));
                    let tool_loop = ToolLoop {
                        registry,
                        settings: agent.tool_loop.clone(),
                        hooks: agent.hooks.clone(),
                    };
                    tool_loop.run(&ctx, &next, turn).await
                }
                None => next.run(ctx.clone(), turn).await,
            }
        };
        let result = spans::instrument(ctx.span.clone(), bounded(&ctx, work)).await;
        record_run_outcome(&ctx.span, &result);
        let outcome = match result {
            Ok(mut output) => {
                if output.id.is_empty() {
                    output.id = effective.id.clone();
                }
                output
                    .metadata
                    .insert(SESSION_ID_KEY.into(), Value::String(ctx.session_id.clone()));
                output.metadata.insert(
                    INFERENCE_ID_KEY.into(),
                    Value::String(ctx.inference_id.clone()),
                );
                for block in &mut output.blocks {
                    if block.id.is_empty() {
                        block.id = new_id();
                    }
                }
                session.append(output.clone());
                let persistence = match session.store() {
                    Some(store) => Some(persist(store, &output, &emitter).await),
                    None => None,
                };
                emitter.emit(AgentEventKind::RunFinished);
                Ok(RunResult {
                    persistence,
                    text: added_text(&effective, &output),
                    usage: emitter.usage(),
                    stop_reason: emitter.stop_reason(),
                    events: emitter.recorded(),
                    input,
                    effective,
                    output,
                })
            }
            Err(error) => {
                emitter.emit(match &error {
                    InferenceError::Canceled => AgentEventKind::RunStopped {
                        cause: StopCause::Cancelled,
                    },
                    InferenceError::DeadlineExceeded => AgentEventKind::RunStopped {
                        cause: StopCause::DeadlineExceeded,
                    },
                    InferenceError::Failed(message) => AgentEventKind::RunFailed {
                        error: message.clone(),
                    },
                });
                Err(error)
            }
        };
        (outcome, guard)
    }
}

/// Persists a run's output; a failure is logged at warn, reported as a `log` event and returned
/// in the report, never failing the run.
async fn persist(
    store: &Arc<dyn TurnStore>,
    output: &Turn,
    emitter: &RunEmitter,
) -> PersistenceReport {
    let result = store.persist(output.clone(), FINAL_PHASE).await;
    let error = result.err().map(|error| error.to_string());
    if let Some(error) = &error {
        tracing::warn!(
            target: "geppetto::agent",
            store = store.name(),
            session_id = %emitter.ids().session_id,
            turn_id = %output.id,
            "turn store persist failed: {error}"
        );
        let mut fields = JsonMap::new();
        fields.insert("store".into(), Value::String(store.name().to_string()));
        fields.insert("error".into(), Value::String(error.clone()));
        emitter.emit(AgentEventKind::Log {
            level: "error".into(),
            message: "turn store persist failed".into(),
            fields: Some(fields),
        });
    }
    PersistenceReport {
        store: store.name().to_string(),
        error,
    }
}

/// `data.tool_definitions`: `[{name, description, parameters, tags?, version?}]` sorted by name.
fn tool_definitions(registry: &ToolRegistry) -> Value {
    let mut listed = registry.list();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    let definitions = registry.definitions();
    Value::Array(
        listed
            .into_iter()
            .map(|tool| {
                let parameters = definitions
                    .iter()
                    .find(|definition| definition.name == tool.name)
                    .map_or(Value::Null, |definition| definition.parameters.clone());
                let mut object = JsonMap::new();
                object.insert("name".into(), Value::String(tool.name));
                object.insert("description".into(), Value::String(tool.description));
                object.insert("parameters".into(), parameters);
                if !tool.tags.is_empty() {
                    object.insert("tags".into(), serde_json::json!(tool.tags));
                }
                if !tool.version.is_empty() {
                    object.insert("version".into(), Value::String(tool.version));
                }
                Value::Object(object)
            })
            .collect(),
    )
}

/// The texts of the `llm_text` blocks of `output` that are not in `effective`, joined with `\n`.
fn added_text(effective: &Turn, output: &Turn) -> String {
    let known: HashSet<&str> = effective
        .blocks
        .iter()
        .map(|block| block.id.as_str())
        .collect();
    output
        .blocks
        .iter()
        .filter(|block| block.kind == BlockKind::LlmText && !known.contains(block.id.as_str()))
        .map(|block| block.text_payload().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of the last `user` block, `""` when none.
fn last_user_text(turn: &Turn) -> String {
    turn.blocks
        .iter()
        .rev()
        .find(|block| block.kind == BlockKind::User)
        .and_then(|block| block.text_payload())
        .unwrap_or_default()
        .to_string()
}

fn string_metadata(turn: &Turn, key: &str) -> String {
    turn.metadata
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// An imported turn as a session's first entry: its `session_id` becomes `session_id`; `base`
/// and `fork` also stamp where it came from.
fn import_turn(mut turn: Turn, source: &ImportSource, session_id: &str) -> Turn {
    let from_session = string_metadata(&turn, SESSION_ID_KEY);
    turn.metadata
        .insert(SESSION_ID_KEY.into(), Value::String(session_id.to_string()));
    let label = match source {
        ImportSource::Base => "base",
        ImportSource::Fork => "fork",
        ImportSource::Resume => return turn,
    };
    let mut stamp = |key: &str, value: Value| {
        turn.metadata.insert(canonical_key(key), value);
    };
    stamp("forkedFromSource", Value::String(label.into()));
    if !from_session.is_empty() {
        stamp("forkedFromSessionID", Value::String(from_session));
    }
    stamp("forkedAtMs", Value::from(now_ms()));
    if !turn.id.is_empty() {
        let id = turn.id.clone();
        turn.metadata
            .insert(canonical_key("forkedFromTurnID"), Value::String(id));
    }
    turn
}
