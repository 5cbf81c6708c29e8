//! `middlewares.fromJS`: a middleware whose step is a JS function `fn(turn, next, ctx)`.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, Value};
use serde_json::{Map, Value as Json};

use super::codec::{decode_turn, json_to_js, turn_from_js, turn_to_js};
use super::invoke::{Answer, InvokeError, answer, callback_function, release_callbacks};
use super::js_engine::{call_options, run_group};
use crate::inference::{InferenceError, Middleware, Next, RunContext, Turn};
use crate::owner::{CallOptions, CallbackId, OwnerError, WeakOwnerHandle, local};

/// A middleware backed by a JS function. `next(turn?)` runs the rest of the chain synchronously
/// (nested pumping) and returns its output turn; errors from below are thrown into JS.
pub struct JsMiddleware {
    /// The JS function in the owner's callback table.
    pub callback: CallbackId,
    /// The middleware's name (`js-middleware` by default).
    pub name: String,
    /// The owner holding the function.
    pub owner: WeakOwnerHandle,
}

impl Drop for JsMiddleware {
    fn drop(&mut self) {
        release_callbacks(&self.owner, vec![self.callback]);
    }
}

impl Middleware for JsMiddleware {
    fn name(&self) -> &str {
        &self.name
    }

    fn handle(
        &self,
        ctx: RunContext,
        turn: Turn,
        next: Next,
    ) -> BoxFuture<'static, Result<Turn, InferenceError>> {
        let owner = self.owner.clone();
        let callback = self.callback;
        let name = self.name.clone();
        // Shared, not copied: JS gets its own copy when the turn is converted, and `next()`
        // without an argument or a callback returning nothing takes it back. Made before the
        // future, which then holds a pointer instead of the whole turn.
        let turn = Arc::new(turn);
        Box::pin(async move {
            let owner = owner
                .upgrade()
                .ok_or_else(|| InferenceError::failed(format!("{name}: runtime closed")))?;
            let below: Arc<Mutex<Option<InferenceError>>> = Arc::new(Mutex::new(None));
            let incoming = turn.clone();
            // What moves into the call is made in this block, so this future does not keep a
            // second copy of it while the call waits for the owner.
            let result = {
                let context = context_json(&ctx, &name);
                let options = CallOptions {
                    may_wait: true,
                    ..call_options(&ctx)
                };
                let job_below = below.clone();
                let job_ctx = ctx.clone();
                owner.call_with(options, "invoke-middleware", move |js| {
                    run_middleware(js, callback, turn, next, job_ctx, context, job_below)
                })
            }
            .await;
            // A middleware may return a Promise (an `async` function): await it.
            let returned = match result {
                Ok(Answer::Ready(value)) => Ok(value),
                Ok(Answer::Pending(pending)) => pending
                    .settled(&owner, Some(&ctx.cancel))
                    .await
                    .map_err(|error| match error {
                        InvokeError::Thrown(message) => OwnerError::Js {
                            owner: owner.name().into(),
                            op: "invoke-middleware",
                            message,
                            stack: None,
                        },
                        _ => owner.closed_error("invoke-middleware"),
                    }),
                Err(error) => Err(error),
            };
            match returned {
                Ok(Json::Null) => Ok(Arc::unwrap_or_clone(incoming)),
                Ok(value) => decode_turn(value)
                    .map_err(|error| InferenceError::failed(format!("{name}: {error}"))),
                Err(OwnerError::Js { message, .. }) => {
                    let from_below = below.lock().take();
                    match from_below {
                        Some(error) if error.to_string() == message => Err(error),
                        _ => Err(InferenceError::failed(format!("{name}: {message}"))),
                    }
                }
                Err(
                    OwnerError::Canceled { .. }
                    | OwnerError::Interrupted { .. }
                    | OwnerError::Timeout { .. },
                ) if ctx.is_stopped() => Err(ctx.cancellation_error()),
                Err(error) => Err(InferenceError::failed(format!(
                    "{name}: {}",
                    error.message()
                ))),
            }
        })
    }
}

fn run_middleware<'js>(
    js: &Ctx<'js>,
    callback: CallbackId,
    turn: Arc<Turn>,
    next: Next,
    run_ctx: RunContext,
    context: Json,
    below: Arc<Mutex<Option<InferenceError>>>,
) -> rquickjs::Result<Answer> {
    let function = callback_function(js, callback)?;
    let turn_value = turn_to_js(js, &turn, false)?;
    let next_fn = Function::new(js.clone(), move |js: Ctx<'js>, arg: Opt<Value<'js>>| {
        let input = match arg.0 {
            Some(value) if !value.is_undefined() && !value.is_null() => turn_from_js(&js, value)?,
            _ => Turn::clone(&turn),
        };
        // The run's own group: `next()` may also be called from a promise job of an `async`
        // middleware, outside the middleware's item.
        let group = Some(run_group(&run_ctx.inference_id));
        let below_run = next.run(run_ctx.clone(), input);
        match local::block_on_here_group(&js, "middleware-next", group, below_run) {
            Ok(Ok(output)) => turn_to_js(&js, &output, false),
            Ok(Err(error)) => {
                let message = error.to_string();
                *below.lock() = Some(error);
                Err(rquickjs::Exception::throw_message(&js, &message))
            }
            Err(error) => Err(rquickjs::Exception::throw_message(&js, &error.message())),
        }
    })?
    .with_name("next")?;
    let context_value = json_to_js(js, &context)?;
    let returned: Value = function.call((turn_value, next_fn, context_value))?;
    answer(js, returned)
}

/// The middleware `ctx` object: `{middlewareName, timestampMs, turnId?, sessionId?, inferenceId?,
/// traceId?, tags?, deadlineMs?}`; missing fields are absent.
fn context_json(ctx: &RunContext, name: &str) -> Json {
    let mut object = Map::new();
    object.insert("middlewareName".into(), Json::String(name.into()));
    object.insert(
        "timestampMs".into(),
        Json::from(crate::inference::event::now_ms()),
    );
    let mut put = |key: &str, value: &str| {
        if !value.is_empty() {
            object.insert(key.into(), Json::String(value.into()));
        }
    };
    put("turnId", ctx.turn_id.as_deref().unwrap_or_default());
    put("sessionId", &ctx.session_id);
    put("inferenceId", &ctx.inference_id);
    if let Some(tags) = &ctx.tags {
        object.insert("tags".into(), tags.clone());
    }
    if let Some(deadline) = ctx.deadline_ms {
        object.insert("deadlineMs".into(), Json::from(deadline));
    }
    Json::Object(object)
}
