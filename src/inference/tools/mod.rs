//! Tools: the [`Tool`] trait, the context a call gets, the shared [`ToolRegistry`] and the typed
//! host tool adapter [`HostTool`].

mod host;
mod registry;

use std::time::Instant;

use futures_util::future::BoxFuture;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use host::{HostTool, default_host_tools};
pub use registry::{ToolListing, ToolNotFound, ToolRegistry};

use super::context::RunContext;
use super::engine::ToolDefinition;
use super::event::now_ms;

/// A tool the model (or a script, through `registry.call`) can call.
///
/// JS tools implement this in the bridge by sending the call to the runtime owner; host tools are
/// [`HostTool`]s.
pub trait Tool: Send + Sync {
    /// Name, description and JSON schema of the arguments.
    fn definition(&self) -> &ToolDefinition;

    /// The tool's version (`list()` shows it); empty by default.
    fn version(&self) -> &str {
        ""
    }

    /// The tool's tags (`list()` shows them); none by default.
    fn tags(&self) -> &[String] {
        &[]
    }

    /// Runs the tool on `args` (any JSON value, normally an object). The error text is what the
    /// tool-use block's `error` shows. Implementations should stop when `ctx.cancel` fires.
    fn call(&self, args: Value, ctx: ToolContext) -> BoxFuture<'static, Result<Value, String>>;
}

/// What a tool call knows about its surroundings (the JS handler's `ctx`).
#[derive(Debug, Clone)]
pub struct ToolContext {
    /// Name of the tool being called.
    pub tool_name: String,
    /// Wall-clock time of the call, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Session of the run, when called from a run.
    pub session_id: Option<String>,
    /// Inference id of the run, when called from a run.
    pub inference_id: Option<String>,
    /// The run's tags, when it has some.
    pub tags: Option<Value>,
    /// Id of the tool call being executed.
    pub call_id: Option<String>,
    /// Name in the tool call being executed (after hook rewrites).
    pub call_name: Option<String>,
    /// The run's deadline, milliseconds since the Unix epoch.
    pub deadline_ms: Option<u64>,
    /// When the call must be over: the run's deadline or the end of the call's execution timeout,
    /// whichever comes first. A tool that waits synchronously stops its wait at this instant even
    /// when nothing else can run meanwhile to fire [`cancel`](Self::cancel).
    pub deadline: Option<Instant>,
    /// Fires when the call must stop: the run was cancelled, or the call timed out.
    pub cancel: CancellationToken,
}

impl ToolContext {
    /// The context of a direct call outside any run (`registry.call(name, args)`).
    pub fn detached(tool_name: &str) -> ToolContext {
        ToolContext {
            tool_name: tool_name.to_string(),
            timestamp_ms: now_ms(),
            session_id: None,
            inference_id: None,
            tags: None,
            call_id: None,
            call_name: None,
            deadline_ms: None,
            deadline: None,
            cancel: CancellationToken::new(),
        }
    }

    /// The context of tool call `call_id` of the run `ctx`, cancelled by `cancel`, to be over by
    /// `timeout` (its execution timeout) if the run's deadline is not earlier.
    pub fn for_call(
        ctx: &RunContext,
        tool_name: &str,
        call_id: &str,
        cancel: CancellationToken,
        timeout: Option<Instant>,
    ) -> ToolContext {
        let non_empty = |text: &str| (!text.is_empty()).then(|| text.to_string());
        ToolContext {
            tool_name: tool_name.to_string(),
            timestamp_ms: now_ms(),
            session_id: non_empty(&ctx.session_id),
            inference_id: non_empty(&ctx.inference_id),
            tags: ctx.tags.clone(),
            call_id: non_empty(call_id),
            call_name: non_empty(tool_name),
            deadline_ms: ctx.deadline_ms,
            deadline: ctx.deadline.into_iter().chain(timeout).min(),
            cancel,
        }
    }
}
