//! JS tool handlers and JS tool hooks, as inference-core `Tool`s and `ToolHooks`.

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value as Json;

use super::codec::JsArg;
use super::hooks::{
    after_decision, after_payload, before_decision, before_payload, tool_error_decision,
    tool_error_payload,
};
use super::invoke::{InvokeError, invoke_json, release_callbacks};
use super::js_engine::run_group;
use crate::inference::ToolDefinition;
use crate::inference::hooks::{
    AfterDecision, AfterToolCallPayload, BeforeDecision, BeforeToolCallPayload, HookMeta,
    HookPhase, HookPolicy, ToolErrorDecision, ToolErrorPayload,
};
use crate::inference::{Tool, ToolContext, ToolHooks};
use crate::owner::{CallOptions, CallbackId, WeakOwnerHandle};

/// A tool whose handler is a JS function `handler(args, ctx)`; a returned Promise is awaited; a
/// throw is the tool error `js tool <name>: <message>`.
pub struct JsTool {
    /// Name, description and parameter schema.
    pub definition: ToolDefinition,
    /// The handler in the owner's callback table.
    pub callback: CallbackId,
    /// The owner holding it.
    pub owner: WeakOwnerHandle,
}

impl Drop for JsTool {
    fn drop(&mut self) {
        release_callbacks(&self.owner, vec![self.callback]);
    }
}

impl Tool for JsTool {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    fn call(&self, args: Json, ctx: ToolContext) -> BoxFuture<'static, Result<Json, String>> {
        // A handler may wait synchronously (a sync `run()`, a database query): like a JS
        // middleware it is parked while another run's nested wait is in progress, so concurrent
        // runs do not stack nested waits on each other.
        let options = CallOptions {
            group: ctx.inference_id.as_deref().map(run_group),
            // A call outside any run (`registry.call()`) has no group to be served by.
            may_wait: ctx.inference_id.is_some(),
            cancel: Some(ctx.cancel.clone()),
            deadline: ctx.deadline,
            session_id: ctx.session_id.clone(),
            inference_id: ctx.inference_id.clone(),
            ..CallOptions::default()
        };
        let name = self.definition.name.clone();
        // Built here and mapped (no async block): a block would hold the arguments twice while
        // the call waits for the owner (once captured, once in the call's own future).
        let call = invoke_json(
            &self.owner,
            options,
            "invoke-tool",
            self.callback,
            vec![JsArg::Json(args), JsArg::ToolContext(Box::new(ctx))],
        );
        Box::pin(call.map(move |result| {
            result.map_err(|error| format!("js tool {name}: {}", error.message()))
        }))
    }
}

/// Tool hooks written in JS (`beforeToolCall`, `afterToolCall`, `onToolError`).
pub struct JsHooks {
    /// `beforeToolCall`, when given.
    pub before: Option<CallbackId>,
    /// `afterToolCall`, when given.
    pub after: Option<CallbackId>,
    /// `onToolError`, when given.
    pub on_error: Option<CallbackId>,
    /// Fail-open/closed and retry limits.
    pub policy: HookPolicy,
    /// The owner holding the functions.
    pub owner: WeakOwnerHandle,
}

impl JsHooks {
    /// Calls hook `callback` with `payload`, interrupted when the run (`meta.cancel`) is cancelled.
    fn invoke(
        &self,
        callback: Option<CallbackId>,
        payload: Json,
        meta: &HookMeta,
    ) -> BoxFuture<'static, Result<Option<Json>, String>> {
        let owner = self.owner.clone();
        let options = CallOptions {
            cancel: Some(meta.cancel.clone()),
            deadline: meta.deadline,
            session_id: meta.session_id.clone(),
            inference_id: meta.inference_id.clone(),
            ..CallOptions::default()
        };
        Box::pin(async move {
            let Some(callback) = callback else {
                return Ok(None);
            };
            let args = vec![JsArg::Json(payload)];
            match invoke_json(&owner, options, "invoke-hook", callback, args).await {
                Ok(value) => Ok(Some(value)),
                Err(InvokeError::Thrown(message) | InvokeError::Stopped(message)) => Err(message),
                Err(InvokeError::Closed) => Err("runtime closed".into()),
            }
        })
    }
}

impl Drop for JsHooks {
    fn drop(&mut self) {
        let held = [self.before, self.after, self.on_error];
        release_callbacks(&self.owner, held.into_iter().flatten().collect());
    }
}

impl ToolHooks for JsHooks {
    fn handles(&self, phase: HookPhase) -> bool {
        match phase {
            HookPhase::BeforeToolCall => self.before.is_some(),
            HookPhase::AfterToolCall => self.after.is_some(),
            HookPhase::OnToolError => self.on_error.is_some(),
        }
    }

    fn policy(&self) -> HookPolicy {
        self.policy
    }

    fn before_tool_call(
        &self,
        payload: BeforeToolCallPayload,
    ) -> BoxFuture<'static, Result<BeforeDecision, String>> {
        let answer = self.invoke(self.before, before_payload(&payload), &payload.meta);
        Box::pin(async move {
            Ok(match answer.await? {
                Some(value) => before_decision(&value),
                None => BeforeDecision::Continue,
            })
        })
    }

    fn after_tool_call(
        &self,
        payload: AfterToolCallPayload,
    ) -> BoxFuture<'static, Result<AfterDecision, String>> {
        let answer = self.invoke(self.after, after_payload(&payload), &payload.meta);
        Box::pin(async move {
            Ok(match answer.await? {
                Some(value) => after_decision(&value),
                None => AfterDecision::default(),
            })
        })
    }

    fn on_tool_error(
        &self,
        payload: ToolErrorPayload,
    ) -> BoxFuture<'static, Result<ToolErrorDecision, String>> {
        let answer = self.invoke(self.on_error, tool_error_payload(&payload), &payload.meta);
        Box::pin(async move {
            match answer.await? {
                Some(value) => tool_error_decision(&value),
                None => Ok(ToolErrorDecision::Default),
            }
        })
    }
}
