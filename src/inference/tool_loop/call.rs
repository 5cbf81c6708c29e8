//! Executing one tool call: `beforeToolCall` → lookup and checks → the tool, with retries and
//! `onToolError` → `afterToolCall`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::pending::PendingCall;
use super::settings::ToolLoopSettings;
use crate::inference::context::RunContext;
use crate::inference::error::InferenceError;
use crate::inference::event::EventKind;
use crate::inference::hooks::{
    AfterToolCallPayload, BeforeDecision, BeforeToolCallPayload, HookCall, HookMeta, HookPhase,
    ToolErrorDecision, ToolErrorPayload, ToolHooks,
};
use crate::inference::tools::{Tool, ToolContext, ToolRegistry};
use crate::inference::turn::Block;
use crate::telemetry::spans;

/// Everything a call needs besides the call itself; shared by the calls of one step.
pub(super) struct CallEnv<'a> {
    pub ctx: &'a RunContext,
    pub registry: &'a ToolRegistry,
    pub settings: &'a ToolLoopSettings,
    pub hooks: Option<&'a Arc<dyn ToolHooks>>,
}

/// How one call ended.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CallOutcome {
    /// The id of the pending call (the tool-use block answers this id, even if a hook rewrote it).
    pub id: String,
    /// The tool name of the pending call.
    pub name: String,
    /// The result value (`null` when there is none).
    pub value: Value,
    /// The error, `""` on success.
    pub error: String,
    /// Whether the error is a tool error (which fails the run with `toolErrorHandling: "abort"`),
    /// rather than a hook's abort (which never does).
    pub is_tool_error: bool,
}

impl CallOutcome {
    fn failed(call: &PendingCall, error: String, is_tool_error: bool) -> CallOutcome {
        CallOutcome {
            id: call.id.clone(),
            name: call.name.clone(),
            value: Value::Null,
            error,
            is_tool_error,
        }
    }

    /// `{kind:"tool_use", role:"", payload:{id, result: <JSON text> or null, error}}`.
    pub fn into_block(self) -> Block {
        let result = if self.error.is_empty() {
            Value::String(self.value.to_string())
        } else {
            Value::Null
        };
        Block::tool_use(self.id, result, self.error)
    }
}

/// Runs `future` unless the run is cancelled first.
async fn until_canceled<T>(
    ctx: &RunContext,
    future: impl Future<Output = T>,
) -> Result<T, InferenceError> {
    tokio::select! {
        biased;
        _ = ctx.cancel.cancelled() => Err(ctx.cancellation_error()),
        output = future => Ok(output),
    }
}

impl CallEnv<'_> {
    fn hook(&self, phase: HookPhase) -> Option<&Arc<dyn ToolHooks>> {
        self.hooks.filter(|hooks| hooks.handles(phase))
    }

    /// Executes `pending` in a `tool.call` span (child of the step's span), recording its
    /// `outcome`: `ok`, `error` (a tool error), `aborted` (a hook aborted it), `canceled` or
    /// `deadline`. Fails only when the run is cancelled; every other failure is the outcome's
    /// error.
    pub async fn execute(&self, pending: PendingCall) -> Result<CallOutcome, InferenceError> {
        let span = spans::tool_call(&self.ctx.span, &pending.name, &pending.id);
        let result = spans::instrument(span.clone(), self.execute_call(pending)).await;
        if !span.is_disabled() {
            let outcome = match &result {
                Ok(outcome) if outcome.error.is_empty() => "ok",
                Ok(outcome) if outcome.is_tool_error => "error",
                Ok(_) => "aborted",
                Err(InferenceError::DeadlineExceeded) => "deadline",
                Err(_) => "canceled",
            };
            spans::record_outcome(&span, outcome);
        }
        result
    }

    async fn execute_call(&self, mut pending: PendingCall) -> Result<CallOutcome, InferenceError> {
        let started = Instant::now();
        let mut call = HookCall {
            id: pending.id.clone(),
            name: pending.name.clone(),
            // Moved, not copied: only the pending call's id and name are used below.
            args: std::mem::take(&mut pending.args),
        };

        if let Some(hooks) = self.hook(HookPhase::BeforeToolCall) {
            let payload = BeforeToolCallPayload {
                call: call.clone(),
                meta: HookMeta::from_context(self.ctx),
            };
            let span = spans::tool_hook(HookPhase::BeforeToolCall.as_str());
            let decision = self
                .traced_hook(
                    &span,
                    hooks.before_tool_call(payload),
                    |decision| match decision {
                        BeforeDecision::Continue => "continue",
                        BeforeDecision::Abort { .. } => "abort",
                        BeforeDecision::Rewrite(_) => "rewrite",
                    },
                )
                .await?;
            match decision {
                Ok(BeforeDecision::Continue) => {}
                Ok(BeforeDecision::Abort { error }) => {
                    return Ok(CallOutcome::failed(&pending, error, false));
                }
                Ok(BeforeDecision::Rewrite(rewrite)) => rewrite.apply(&mut call),
                Err(message) => {
                    let policy = hooks.policy();
                    let failure =
                        span.in_scope(|| policy.hook_failure(HookPhase::BeforeToolCall, &message));
                    if let Some(error) = failure {
                        return Ok(CallOutcome::failed(&pending, error, true));
                    }
                }
            }
        }

        let Some(tool) = self.registry.get(&call.name) else {
            let error = format!("tool not found: {}", call.name);
            return Ok(CallOutcome::failed(&pending, error, true));
        };
        if !self.settings.is_allowed(&call.name) {
            let error = format!("tool not allowed: {}", call.name);
            return Ok(CallOutcome::failed(&pending, error, true));
        }

        self.ctx.emit(EventKind::ToolCallExecute {
            id: call.id.clone(),
            name: call.name.clone(),
            input: call.args.to_string(),
        });
        let result = self.run_with_retries(&tool, &call).await?;
        let (mut value, mut error) = match result {
            Ok(value) => (value, String::new()),
            Err(error) => (Value::Null, error),
        };

        let mut hook_aborted = false;
        if let Some(hooks) = self.hook(HookPhase::AfterToolCall) {
            let payload = AfterToolCallPayload {
                call: call.clone(),
                value: value.clone(),
                error: error.clone(),
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                meta: HookMeta::from_context(self.ctx),
            };
            let span = spans::tool_hook(HookPhase::AfterToolCall.as_str());
            let decision = self
                .traced_hook(&span, hooks.after_tool_call(payload), |decision| {
                    if decision.aborted {
                        "abort"
                    } else if decision.result.is_some() || decision.error.is_some() {
                        "replace"
                    } else {
                        "continue"
                    }
                })
                .await?;
            match decision {
                Ok(decision) => {
                    hook_aborted = decision.aborted;
                    decision.apply(&mut value, &mut error);
                }
                Err(message) => {
                    let policy = hooks.policy();
                    let failure =
                        span.in_scope(|| policy.hook_failure(HookPhase::AfterToolCall, &message));
                    if let Some(hook_error) = failure {
                        error = hook_error;
                    }
                }
            }
        }

        self.ctx.emit(EventKind::ToolCallExecutionResult {
            id: call.id.clone(),
            result: execution_result_text(&value, &error),
        });
        Ok(CallOutcome {
            id: pending.id,
            name: pending.name,
            is_tool_error: !error.is_empty() && !hook_aborted,
            value,
            error,
        })
    }

    /// Runs the tool, retrying failed attempts as `onToolError` or the settings decide.
    async fn run_with_retries(
        &self,
        tool: &Arc<dyn Tool>,
        call: &HookCall,
    ) -> Result<Result<Value, String>, InferenceError> {
        let mut attempt: u32 = 0;
        loop {
            let error = match self.run_attempt(tool, call).await? {
                Ok(value) => return Ok(Ok(value)),
                Err(error) => error,
            };
            tracing::info!(target: "geppetto::tool", attempt, error = %error, "tool attempt failed");
            let (retry, backoff_ms, hook_error) =
                self.retry_decision(attempt, call, &error).await?;
            if !retry {
                return Ok(Err(hook_error.unwrap_or(error)));
            }
            tracing::info!(
                target: "geppetto::tool",
                attempt,
                retry_after_ms = backoff_ms,
                "tool call retrying"
            );
            until_canceled(
                self.ctx,
                tokio::time::sleep(Duration::from_millis(backoff_ms)),
            )
            .await?;
            attempt += 1;
        }
    }

    /// Whether to retry after failed attempt `attempt`, after how long, and the error that
    /// replaces the tool's own when a fail-closed `onToolError` hook failed. Once `attempt` reaches
    /// `maxHookRetries` the hook is no longer asked and the settings decide.
    async fn retry_decision(
        &self,
        attempt: u32,
        call: &HookCall,
        error: &str,
    ) -> Result<(bool, u64, Option<String>), InferenceError> {
        let (default_retry, default_backoff_ms) = self.settings.default_retry(attempt);
        let Some(hooks) = self.hook(HookPhase::OnToolError) else {
            return Ok((default_retry, default_backoff_ms, None));
        };
        let policy = hooks.policy();
        if attempt >= policy.max_hook_retries {
            return Ok((default_retry, default_backoff_ms, None));
        }
        let payload = ToolErrorPayload {
            attempt,
            call: call.clone(),
            error: error.to_string(),
            default_retry,
            default_backoff_ms,
            meta: HookMeta::from_context(self.ctx),
        };
        let span = spans::tool_hook(HookPhase::OnToolError.as_str());
        let decision = self
            .traced_hook(
                &span,
                hooks.on_tool_error(payload),
                |decision| match decision {
                    ToolErrorDecision::Retry { .. } => "retry",
                    ToolErrorDecision::Stop => "stop",
                    ToolErrorDecision::Default => "default",
                },
            )
            .await?;
        Ok(match decision {
            Ok(ToolErrorDecision::Retry { backoff_ms }) => {
                (true, backoff_ms.unwrap_or(default_backoff_ms), None)
            }
            Ok(ToolErrorDecision::Stop) => (false, 0, None),
            Ok(ToolErrorDecision::Default) => (default_retry, default_backoff_ms, None),
            Err(message) => {
                match span.in_scope(|| policy.hook_failure(HookPhase::OnToolError, &message)) {
                    None => (default_retry, default_backoff_ms, None),
                    Some(hook_error) => (false, 0, Some(hook_error)),
                }
            }
        })
    }

    /// Runs a hook in its `tool.hook` span unless the run is cancelled first, recording the
    /// span's `action` (`action_of` its decision, or `error` when the hook failed).
    async fn traced_hook<T>(
        &self,
        span: &tracing::Span,
        hook: impl Future<Output = Result<T, String>>,
        action_of: impl FnOnce(&T) -> &'static str,
    ) -> Result<Result<T, String>, InferenceError> {
        let result = spans::instrument(span.clone(), until_canceled(self.ctx, hook)).await?;
        if !span.is_disabled() {
            let action = result.as_ref().map_or("error", action_of);
            span.record("action", action);
        }
        Ok(result)
    }

    /// One attempt, limited by `executionTimeoutMs`: on timeout the attempt's own token fires
    /// (interrupting a JS handler) and the attempt fails with `tool X timed out after N ms`.
    async fn run_attempt(
        &self,
        tool: &Arc<dyn Tool>,
        call: &HookCall,
    ) -> Result<Result<Value, String>, InferenceError> {
        let cancel = self.ctx.cancel.child_token();
        let timeout_ms = self.settings.execution_timeout_ms;
        let timeout_at =
            (timeout_ms != 0).then(|| Instant::now() + Duration::from_millis(timeout_ms));
        let tool_ctx =
            ToolContext::for_call(self.ctx, &call.name, &call.id, cancel.clone(), timeout_at);
        let running = tool.call(call.args.clone(), tool_ctx);
        let timeout = async {
            match timeout_at {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending::<()>().await,
            }
        };
        let timed_out = || format!("tool {} timed out after {timeout_ms} ms", call.name);
        tokio::select! {
            biased;
            _ = self.ctx.cancel.cancelled() => Err(self.ctx.cancellation_error()),
            // A handler that waited synchronously past the timeout (stopped by the call's
            // deadline while this future could not run) failed because it timed out.
            result = running => Ok(match result {
                Err(_) if timeout_at.is_some_and(|at| Instant::now() >= at) => Err(timed_out()),
                result => result,
            }),
            _ = timeout => {
                cancel.cancel();
                Ok(Err(timed_out()))
            }
        }
    }
}

/// The `tool-call-execution-result` text: the result's JSON, `Error: <error>`, or both joined by
/// ` | ` (as in the original).
fn execution_result_text(value: &Value, error: &str) -> String {
    match (value.is_null(), error.is_empty()) {
        (_, true) => value.to_string(),
        (true, false) => format!("Error: {error}"),
        (false, false) => format!("{value} | Error: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn execution_result_text_table() {
        let cases = [
            (json!({"value": 2}), "", "{\"value\":2}"),
            (Value::Null, "", "null"),
            (Value::Null, "boom", "Error: boom"),
            (json!(1), "boom", "1 | Error: boom"),
        ];
        for (value, error, expected) in cases {
            assert_eq!(execution_result_text(&value, error), expected);
        }
    }

    #[test]
    fn outcome_block_table() {
        let outcome = |value: Value, error: &str| CallOutcome {
            id: "c1".into(),
            name: "t".into(),
            value,
            error: error.into(),
            is_tool_error: false,
        };
        let cases = [
            (outcome(json!({"value": 2}), ""), json!("{\"value\":2}"), ""),
            (outcome(Value::Null, ""), json!("null"), ""),
            (outcome(json!(1), "boom"), Value::Null, "boom"),
        ];
        for (outcome, result, error) in cases {
            assert_eq!(outcome.into_block(), Block::tool_use("c1", result, error));
        }
    }
}
