//! The engine-agnostic inference core: turns, engines, middlewares, tools, sessions and events.
//!
//! Nothing here knows about JavaScript: JS-backed engines, middlewares and tools implement these
//! traits in `bridge/` by sending messages to the runtime owner.
//!
//! # Layout
//! - [`turn`], [`event`], [`error`], [`context`]: the plain data a run works on and reports.
//! - [`engine`] (the trait), [`engines`] (built-in engines such as echo).
//! - [`middleware`] (the trait and the chain), [`middlewares`] (host middlewares by name).
//! - [`tools`] (trait, registry, typed host tools), [`tool_loop`] (settings and the loop),
//!   [`hooks`] (tool hooks, their payloads and decisions).
//! - [`session`]: history, one run at a time, cancellation and deadlines.
//! - [`agent`]: the agent API's sessions, runs, results and events.
//!
//! # Example: a session from Rust, without JavaScript
//! ```
//! use std::sync::Arc;
//! use futures_util::future::BoxFuture;
//! use serde_json::json;
//! use geppetto::inference::middlewares::host_middleware;
//! use geppetto::inference::tools::default_host_tools;
//! use geppetto::inference::{
//!     Block, BlockKind, Engine, InferenceError, RunContext, RunOptions, Session, SessionConfig,
//!     Turn,
//! };
//!
//! /// Asks for `go_double {n: 21}`, then repeats the tool's answer.
//! struct Doubler;
//!
//! impl Engine for Doubler {
//!     fn name(&self) -> &str {
//!         "doubler"
//!     }
//!
//!     fn run_inference<'a>(
//!         &'a self,
//!         _ctx: &'a RunContext,
//!         turn: Turn,
//!     ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
//!         Box::pin(async move {
//!             let answer = turn.blocks.iter().find(|b| b.kind == BlockKind::ToolUse).cloned();
//!             Ok(match answer {
//!                 None => turn.with_block(Block::tool_call("c1", "go_double", json!({"n": 21}))),
//!                 Some(tool_use) => {
//!                     let result = tool_use.payload_str("result").unwrap_or_default().to_string();
//!                     turn.with_block(Block::assistant(result))
//!                 }
//!             })
//!         })
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let session = Session::new(SessionConfig {
//!     middlewares: vec![host_middleware("systemPrompt", Some(&json!({"prompt": "be exact"}))).unwrap()],
//!     tools: Some(default_host_tools()),
//!     ..SessionConfig::new(Arc::new(Doubler))
//! });
//! let seed = Turn::new().with_block(Block::user("double 21"));
//! let out = session.run(Some(seed), RunOptions::default()).await.unwrap();
//! assert_eq!(out.blocks[0].kind, BlockKind::System);
//! assert_eq!(out.last_assistant_text(), Some(r#"{"value":42}"#));
//! # });
//! ```

pub mod agent;
pub mod context;
pub mod engine;
pub mod engines;
pub mod error;
pub mod event;
pub mod hooks;
pub mod middleware;
pub mod middlewares;
pub mod session;
pub mod tool_loop;
pub mod tools;
pub mod turn;

pub use context::RunContext;
pub use engine::{Engine, EngineTools, ToolChoice, ToolDefinition};
pub use error::InferenceError;
pub use event::{
    Event, EventKind, EventSink, ReasoningSource, Room, SharedText, StreamDetail, TextPrefix,
};
pub use hooks::ToolHooks;
pub use middleware::{Middleware, Next, chain};
pub use session::{PreparedRun, RunMode, RunOptions, Session, SessionConfig, run_inference};
pub use tool_loop::{ToolLoop, ToolLoopSettings};
pub use tools::{Tool, ToolContext, ToolRegistry};
pub use turn::{Block, BlockKind, JsonMap, Turn};
