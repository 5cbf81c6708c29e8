//! The engine-agnostic inference core: turns, engines, middlewares, tools, sessions and events.
//!
//! Nothing here knows about JavaScript: JS-backed engines, middlewares and tools implement these
//! traits in `bridge/` by sending messages to the runtime owner.

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
pub use event::{Event, EventKind, EventSink};
pub use hooks::ToolHooks;
pub use middleware::{Middleware, Next, chain};
pub use session::{PreparedRun, RunOptions, Session, SessionConfig, run_inference};
pub use tool_loop::{ToolLoop, ToolLoopSettings};
pub use tools::{Tool, ToolContext, ToolRegistry};
pub use turn::{Block, BlockKind, JsonMap, Turn};
