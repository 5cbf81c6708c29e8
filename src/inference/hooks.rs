//! Tool hooks: code that runs around each tool call of the tool loop.
//!
//! [`ToolHooks`] gets typed payloads and answers typed decisions (the JS shapes of both live in
//! `bridge/`). The tool loop calls the hooks: before the call, then the tool (with retries, asking
//! the error hook after each failed attempt), then after the call.

use futures_util::future::BoxFuture;
use serde_json::Value;

use tokio_util::sync::CancellationToken;

use super::context::RunContext;
use super::event::now_ms;

/// The three hook points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookPhase {
    /// Before a tool runs; may rewrite or abort the call.
    BeforeToolCall,
    /// After a tool ran; may replace its result or error.
    AfterToolCall,
    /// After each failed attempt; decides whether to retry.
    OnToolError,
}

impl HookPhase {
    /// The hook's name (`beforeToolCall`, `afterToolCall`, `onToolError`), also the payload's
    /// `phase` and the prefix of its fail-closed errors.
    pub fn as_str(self) -> &'static str {
        match self {
            HookPhase::BeforeToolCall => "beforeToolCall",
            HookPhase::AfterToolCall => "afterToolCall",
            HookPhase::OnToolError => "onToolError",
        }
    }
}

/// What to do when a hook itself fails, and how often `onToolError` may be asked per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookPolicy {
    /// Fail-open: a failing hook is logged (`js tool hook error ignored (fail-open)`) and ignored.
    /// Fail-closed (the default): the call fails with `<hookName> hook: <message>`.
    pub fail_open: bool,
    /// `onToolError` is asked only while `attempt < max_hook_retries`; afterwards the call stops
    /// retrying.
    pub max_hook_retries: u32,
}

/// Default of [`HookPolicy::max_hook_retries`], as in the original.
pub const DEFAULT_MAX_HOOK_RETRIES: u32 = 10;

impl Default for HookPolicy {
    fn default() -> HookPolicy {
        HookPolicy {
            fail_open: false,
            max_hook_retries: DEFAULT_MAX_HOOK_RETRIES,
        }
    }
}

impl HookPolicy {
    /// What a failing hook means for the call: `None` when fail-open (the failure is logged and
    /// ignored), else the call's error `<hookName> hook: <message>`.
    pub fn hook_failure(&self, phase: HookPhase, message: &str) -> Option<String> {
        if self.fail_open {
            tracing::warn!(
                hook = phase.as_str(),
                error = message,
                "js tool hook error ignored (fail-open)"
            );
            None
        } else {
            Some(format!("{} hook: {message}", phase.as_str()))
        }
    }
}

/// Hooks around tool calls. Every method has a no-op default; [`ToolHooks::handles`] says which
/// hooks exist, because a missing `onToolError` and one that answers "default" differ (only an
/// existing one is bounded by [`HookPolicy::max_hook_retries`]).
pub trait ToolHooks: Send + Sync {
    /// Whether the hook for `phase` exists.
    fn handles(&self, phase: HookPhase) -> bool;

    /// The hooks' error policy.
    fn policy(&self) -> HookPolicy {
        HookPolicy::default()
    }

    /// `beforeToolCall`; an `Err` is the hook's failure message.
    fn before_tool_call(
        &self,
        payload: BeforeToolCallPayload,
    ) -> BoxFuture<'static, Result<BeforeDecision, String>> {
        let _ = payload;
        Box::pin(async { Ok(BeforeDecision::Continue) })
    }

    /// `afterToolCall`; an `Err` is the hook's failure message.
    fn after_tool_call(
        &self,
        payload: AfterToolCallPayload,
    ) -> BoxFuture<'static, Result<AfterDecision, String>> {
        let _ = payload;
        Box::pin(async { Ok(AfterDecision::default()) })
    }

    /// `onToolError`; an `Err` is the hook's failure message.
    fn on_tool_error(
        &self,
        payload: ToolErrorPayload,
    ) -> BoxFuture<'static, Result<ToolErrorDecision, String>> {
        let _ = payload;
        Box::pin(async { Ok(ToolErrorDecision::Default) })
    }
}

/// The tool call a hook sees (`{id, name, args}`).
#[derive(Debug, Clone, PartialEq)]
pub struct HookCall {
    /// Call id.
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments (an object unless the model sent something else).
    pub args: Value,
}

/// The run a hook is called from: session and inference ids and tags (when known), and the time.
#[derive(Debug, Clone)]
pub struct HookMeta {
    /// Session id, when known.
    pub session_id: Option<String>,
    /// Inference id, when known.
    pub inference_id: Option<String>,
    /// The run's tags, when it has some.
    pub tags: Option<Value>,
    /// Wall-clock time of the hook call, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The run's cancellation: a JS hook still running when it fires is interrupted.
    pub cancel: CancellationToken,
    /// The run's deadline: a hook still running (or waiting synchronously) then is interrupted.
    pub deadline: Option<std::time::Instant>,
}

impl HookMeta {
    /// The ids and tags of `ctx`, stamped now.
    pub fn from_context(ctx: &RunContext) -> HookMeta {
        let non_empty = |text: &str| (!text.is_empty()).then(|| text.to_string());
        HookMeta {
            session_id: non_empty(&ctx.session_id),
            inference_id: non_empty(&ctx.inference_id),
            tags: ctx.tags.clone(),
            timestamp_ms: now_ms(),
            cancel: ctx.cancel.clone(),
            deadline: ctx.deadline,
        }
    }
}

/// The payload of `beforeToolCall`.
#[derive(Debug, Clone)]
pub struct BeforeToolCallPayload {
    /// The call about to run.
    pub call: HookCall,
    /// Ids, tags and time.
    pub meta: HookMeta,
}

/// The payload of `afterToolCall`.
#[derive(Debug, Clone)]
pub struct AfterToolCallPayload {
    /// The call that ran.
    pub call: HookCall,
    /// Its result value (`null` on error).
    pub value: Value,
    /// Its error, `""` on success.
    pub error: String,
    /// How long the call took, retries included.
    pub duration_ms: u64,
    /// Ids, tags and time.
    pub meta: HookMeta,
}

/// The payload of `onToolError`.
#[derive(Debug, Clone)]
pub struct ToolErrorPayload {
    /// The failed attempt, from 0.
    pub attempt: u32,
    /// The call that failed.
    pub call: HookCall,
    /// The attempt's error.
    pub error: String,
    /// Whether the loop would retry without the hook.
    pub default_retry: bool,
    /// The backoff the loop would wait before that retry.
    pub default_backoff_ms: u64,
    /// Ids, tags and time.
    pub meta: HookMeta,
}

/// What `beforeToolCall` decided.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum BeforeDecision {
    /// Run the call as it is.
    #[default]
    Continue,
    /// Do not run the call; record `error` as its error. Never fails the run.
    Abort {
        /// The call's error.
        error: String,
    },
    /// Run the call with these changes.
    Rewrite(CallRewrite),
}

/// Changes `beforeToolCall` makes to a call; `None` keeps the field.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallRewrite {
    /// New call id.
    pub id: Option<String>,
    /// New tool name.
    pub name: Option<String>,
    /// New arguments.
    pub args: Option<Value>,
}

impl CallRewrite {
    /// Applies the changes to `call`.
    pub fn apply(&self, call: &mut HookCall) {
        if let Some(id) = &self.id {
            call.id = id.clone();
        }
        if let Some(name) = &self.name {
            call.name = name.clone();
        }
        if let Some(args) = &self.args {
            call.args = args.clone();
        }
    }
}

/// What `afterToolCall` decided.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AfterDecision {
    /// Replacement result value.
    pub result: Option<Value>,
    /// Replacement error (`""` clears it).
    pub error: Option<String>,
    /// The hook aborted the call: its error is recorded but never fails the run.
    pub aborted: bool,
}

impl AfterDecision {
    /// Applies the decision to a call's result `value` and `error`.
    pub fn apply(&self, value: &mut Value, error: &mut String) {
        if let Some(result) = &self.result {
            *value = result.clone();
        }
        if let Some(new_error) = &self.error {
            *error = new_error.clone();
        }
    }
}

/// What `onToolError` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolErrorDecision {
    /// Retry after `backoff_ms` (the default backoff when `None`).
    Retry {
        /// The wait before the retry.
        backoff_ms: Option<u64>,
    },
    /// Stop retrying; the attempt's error stands.
    Stop,
    /// Do what the loop would do without the hook: retry only with `toolErrorHandling: "retry"`
    /// while `attempt < retry_max_retries`.
    #[default]
    Default,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_failure_texts() {
        let closed = HookPolicy::default();
        assert_eq!(
            closed.hook_failure(HookPhase::BeforeToolCall, "boom"),
            Some("beforeToolCall hook: boom".to_string())
        );
        let open = HookPolicy {
            fail_open: true,
            ..HookPolicy::default()
        };
        assert_eq!(open.hook_failure(HookPhase::AfterToolCall, "boom"), None);
    }

    #[test]
    fn after_decision_apply() {
        let mut value = serde_json::json!(1);
        let mut error = "boom".to_string();
        let decision = AfterDecision {
            result: Some(serde_json::json!(2)),
            error: Some(String::new()),
            aborted: false,
        };
        decision.apply(&mut value, &mut error);
        assert_eq!((value, error.as_str()), (serde_json::json!(2), ""));
    }
}
