//! `engines.fromFunction`: an engine whose inference step is a JS function.

use futures_util::future::BoxFuture;

use std::sync::Arc;

use super::codec::{JsArg, decode_turn};
use super::invoke::{InvokeError, invoke_json, release_callbacks};
use crate::inference::{Engine, EventKind, InferenceError, RunContext, Turn};
use crate::owner::{CallOptions, CallbackId, CpuBudget, WeakOwnerHandle};

/// An engine backed by a JS function `fn(turn)`: a returned turn replaces the input, `undefined`/
/// `null` keeps it; a throw fails with `js engine callback: <message>`.
pub struct JsFunctionEngine {
    /// The JS function in the owner's callback table.
    pub callback: CallbackId,
    /// The owner holding it.
    pub owner: WeakOwnerHandle,
}

impl Drop for JsFunctionEngine {
    fn drop(&mut self) {
        release_callbacks(&self.owner, vec![self.callback]);
    }
}

impl Engine for JsFunctionEngine {
    fn name(&self) -> &str {
        "jsFunction"
    }

    fn answers_in_process(&self) -> bool {
        true
    }

    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        // The turn is shared with the call, not copied: it is taken back when the callback keeps
        // it (returns `undefined`/`null`). Made before the future, which then holds a pointer.
        let turn = Arc::new(turn);
        Box::pin(async move {
            ctx.check_canceled()?;
            ctx.emit(EventKind::Start);
            // Made in a block: what moves into the call is not kept twice while it waits.
            let result = {
                let args = vec![JsArg::Turn(turn.clone())];
                invoke_json(
                    &self.owner,
                    call_options(ctx),
                    "invoke-engine",
                    self.callback,
                    args,
                )
            }
            .await;
            let outcome = match result {
                Ok(serde_json::Value::Null) => Ok(Arc::unwrap_or_clone(turn)),
                Ok(value) => decode_turn(value).map_err(|error| {
                    InferenceError::failed(format!("js engine callback: {error}"))
                }),
                Err(InvokeError::Stopped(_)) if ctx.is_stopped() => Err(ctx.cancellation_error()),
                Err(error) => Err(InferenceError::failed(format!(
                    "js engine callback: {}",
                    error.message()
                ))),
            };
            match &outcome {
                Ok(output) => ctx.emit(EventKind::Final {
                    text: output.last_assistant_text().unwrap_or_default().to_string(),
                }),
                Err(error) if error.is_cancellation() => ctx.emit(EventKind::Interrupt {
                    text: String::new(),
                }),
                Err(error) => ctx.emit(EventKind::Error {
                    error: error.to_string(),
                }),
            }
            outcome
        })
    }
}

/// Call options tying a JS callback to its run: cancellation, deadline and trace ids.
pub fn call_options(ctx: &RunContext) -> CallOptions {
    CallOptions {
        cancel: Some(ctx.cancel.clone()),
        deadline: ctx.deadline,
        cpu_budget: CpuBudget::OwnerDefault,
        session_id: Some(ctx.session_id.clone()),
        inference_id: Some(ctx.inference_id.clone()),
        group: Some(run_group(&ctx.inference_id)),
        may_wait: false,
    }
}

/// The owner work group of a run: its callbacks are served by nested waits of the same run.
pub fn run_group(inference_id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    inference_id.hash(&mut hasher);
    hasher.finish()
}
