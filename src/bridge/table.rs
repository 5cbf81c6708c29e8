//! The owner-local handle table: the Rust objects behind the JS handles' hidden
//! `__geppetto_ref` ids. Thread-local, so it lives on (and only on) the owner thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::inference::agent::{AgentConfig, AgentSession};
use crate::inference::{Engine, Middleware, Session, ToolRegistry};

#[derive(Default)]
struct Tables {
    next_id: u64,
    engines: HashMap<u64, Arc<dyn Engine>>,
    middlewares: HashMap<u64, Arc<dyn Middleware>>,
    registries: HashMap<u64, ToolRegistry>,
    sessions: HashMap<u64, Session>,
    agents: HashMap<u64, Arc<AgentConfig>>,
    agent_sessions: HashMap<u64, AgentSession>,
    runs: HashMap<u64, CancellationToken>,
    releases: HashMap<u64, tokio::sync::oneshot::Sender<()>>,
}

thread_local! {
    static TABLES: RefCell<Tables> = RefCell::new(Tables::default());
}

fn insert<T>(pick: impl FnOnce(&mut Tables) -> &mut HashMap<u64, T>, value: T) -> u64 {
    TABLES.with(|tables| {
        let mut tables = tables.borrow_mut();
        tables.next_id += 1;
        let id = tables.next_id;
        pick(&mut tables).insert(id, value);
        id
    })
}

fn get<T: Clone>(pick: impl FnOnce(&Tables) -> &HashMap<u64, T>, id: u64) -> Option<T> {
    TABLES.with(|tables| pick(&tables.borrow()).get(&id).cloned())
}

/// Stores an engine; returns its id.
pub fn add_engine(engine: Arc<dyn Engine>) -> u64 {
    insert(|t| &mut t.engines, engine)
}

/// The engine with that id.
pub fn engine(id: u64) -> Option<Arc<dyn Engine>> {
    get(|t| &t.engines, id)
}

/// Stores a middleware; returns its id.
pub fn add_middleware(middleware: Arc<dyn Middleware>) -> u64 {
    insert(|t| &mut t.middlewares, middleware)
}

/// The middleware with that id.
pub fn middleware(id: u64) -> Option<Arc<dyn Middleware>> {
    get(|t| &t.middlewares, id)
}

/// Stores a tool registry; returns its id.
pub fn add_registry(registry: ToolRegistry) -> u64 {
    insert(|t| &mut t.registries, registry)
}

/// The registry with that id.
pub fn registry(id: u64) -> Option<ToolRegistry> {
    get(|t| &t.registries, id)
}

/// Stores a session; returns its id.
pub fn add_session(session: Session) -> u64 {
    insert(|t| &mut t.sessions, session)
}

/// The session with that id.
pub fn session(id: u64) -> Option<Session> {
    get(|t| &t.sessions, id)
}

/// Stores an agent; returns its id.
pub fn add_agent(agent: Arc<AgentConfig>) -> u64 {
    insert(|t| &mut t.agents, agent)
}

/// The agent with that id.
pub fn agent(id: u64) -> Option<Arc<AgentConfig>> {
    get(|t| &t.agents, id)
}

/// Stores an agent session; returns its id.
pub fn add_agent_session(session: AgentSession) -> u64 {
    insert(|t| &mut t.agent_sessions, session)
}

/// The agent session with that id.
pub fn agent_session(id: u64) -> Option<AgentSession> {
    get(|t| &t.agent_sessions, id)
}

/// Stores the cancellation token of a started run and the signal that lets it begin; returns
/// its id.
pub fn add_run(token: CancellationToken, release: tokio::sync::oneshot::Sender<()>) -> u64 {
    let id = insert(|t| &mut t.runs, token);
    TABLES.with(|tables| tables.borrow_mut().releases.insert(id, release));
    id
}

/// Lets a started run begin executing (once the JS turn that started it has ended).
pub fn release_run(id: u64) {
    let release = TABLES.with(|tables| tables.borrow_mut().releases.remove(&id));
    if let Some(release) = release {
        let _ = release.send(());
    }
}

/// The token of a started run that has not settled yet.
pub fn run(id: u64) -> Option<CancellationToken> {
    get(|t| &t.runs, id)
}

/// Forgets a settled run.
pub fn remove_run(id: u64) {
    TABLES.with(|tables| {
        let mut tables = tables.borrow_mut();
        tables.runs.remove(&id);
        tables.releases.remove(&id);
    });
}

/// Forgets the object of `kind` (`engine`, `middleware`, `registry`, `session`, `agent`,
/// `agentSession`) with that id, once
/// its JS handle was collected. Sessions, runs and other objects that still use it keep it alive
/// (they hold their own `Arc`); what it owns is dropped after the table is released.
pub fn release(kind: &str, id: u64) {
    fn boxed<T: 'static>(value: Option<T>) -> Option<Box<dyn std::any::Any>> {
        value.map(|value| Box::new(value) as Box<dyn std::any::Any>)
    }
    let removed = TABLES.with(|tables| {
        let mut tables = tables.borrow_mut();
        match kind {
            "engine" => boxed(tables.engines.remove(&id)),
            "middleware" => boxed(tables.middlewares.remove(&id)),
            "registry" => boxed(tables.registries.remove(&id)),
            "session" => boxed(tables.sessions.remove(&id)),
            "agent" => boxed(tables.agents.remove(&id)),
            "agentSession" => boxed(tables.agent_sessions.remove(&id)),
            _ => None,
        }
    });
    drop(removed);
}

/// Number of live objects in this owner's table (engines, middlewares, registries, sessions,
/// agents, agent sessions).
pub fn live_objects() -> usize {
    TABLES.with(|tables| {
        let tables = tables.borrow();
        tables.engines.len()
            + tables.middlewares.len()
            + tables.registries.len()
            + tables.sessions.len()
            + tables.agents.len()
            + tables.agent_sessions.len()
    })
}
