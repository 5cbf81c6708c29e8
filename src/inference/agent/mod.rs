//! Agents (the agent API's core, no JS here): agent configuration, sessions that grow one turn per
//! successful run, run results, and the canonical agent event model.
//!
//! # Layout
//! - [`event`]: the agent events (`run-*`, `provider-call-*`, `text-*`, `tool-*`, ...) as data,
//!   and the sink they go to.
//! - [`emitter`]: one run's emitter (ids, recording, step reports, tool loop translation).
//! - [`step`]: the engine wrapper that makes every engine step report the canonical events.
//! - [`session`]: [`AgentConfig`], [`AgentSession`], [`PreparedAgentRun`], [`RunResult`].
//! - [`keys`]: Go's canonical turn metadata keys.
//! - [`store`]: the [`TurnStore`] trait runs persist to and sessions resume from.

pub mod emitter;
pub mod event;
pub mod keys;
pub mod session;
pub mod step;
pub mod store;

pub use emitter::{CollectingAgentSink, RunEmitter};
pub use event::{
    AgentEvent, AgentEventKind, AgentSink, FinishClass, RunIds, SegmentKind, StopCause,
};
pub use session::{
    AgentConfig, AgentRunOptions, AgentSession, AgentTools, ImportSource, PersistenceReport,
    PreparedAgentRun, RunGuard, RunResult, SessionSpec,
};
pub use store::{StoreError, TurnQuery, TurnSnapshot, TurnStore};

#[cfg(test)]
mod tests;
