//! Calling a JS callback from tokio: a message to the owner carrying the callback's id and its
//! arguments as plain data (converted to JS values on the owner); a returned Promise is awaited
//! without blocking the owner.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::FutureExt;
use futures_util::future::Either;
use rquickjs::function::{Args, This};
use rquickjs::{Ctx, Function, Value};
use serde_json::Value as Json;

use super::codec::{JsArg, js_to_json};
use crate::owner::{CallOptions, CallbackId, OwnerError, WeakOwnerHandle, local};

/// Why invoking a JS callback failed.
#[derive(Debug, Clone, PartialEq)]
pub enum InvokeError {
    /// The callback threw (or its Promise rejected) with this message.
    Thrown(String),
    /// The call was cancelled, interrupted or timed out before it finished.
    Stopped(String),
    /// The runtime is gone.
    Closed,
}

impl InvokeError {
    fn from_owner(error: OwnerError) -> InvokeError {
        match error {
            OwnerError::Js { message, .. } => InvokeError::Thrown(message),
            OwnerError::Closed { .. } => InvokeError::Closed,
            OwnerError::Canceled { .. }
            | OwnerError::Interrupted { .. }
            | OwnerError::Timeout { .. } => InvokeError::Stopped(error.message()),
            other => InvokeError::Thrown(other.message()),
        }
    }

    /// The message to report.
    pub fn message(&self) -> String {
        match self {
            InvokeError::Thrown(message) | InvokeError::Stopped(message) => message.clone(),
            InvokeError::Closed => "runtime closed".into(),
        }
    }
}

/// What a JS callback returned: a value, or a Promise still to settle.
pub(crate) enum Answer {
    /// The returned value.
    Ready(Json),
    /// A returned Promise, kept alive in the callback table until it settles.
    Pending(PendingPromise),
}

/// A Promise being awaited from tokio: its outcome arrives on `outcome`; `keep` holds it alive.
pub(crate) struct PendingPromise {
    outcome: tokio::sync::oneshot::Receiver<Result<Json, String>>,
    keep: CallbackId,
}

impl PendingPromise {
    /// Waits for the Promise to settle, or for `cancel`; on cancellation the Promise is let go.
    pub(crate) async fn settled(
        self,
        owner: &crate::owner::OwnerHandle,
        cancel: Option<&tokio_util::sync::CancellationToken>,
    ) -> Result<Json, InvokeError> {
        let canceled = async {
            match cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            settled = self.outcome => match settled {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(message)) => Err(InvokeError::Thrown(message)),
                Err(_) => Err(InvokeError::Closed),
            },
            _ = canceled => {
                owner.release_callbacks([self.keep]);
                Err(InvokeError::Stopped("canceled".into()))
            }
        }
    }
}

/// Calls the JS function `callback` with `args` on its owner and returns its result as JSON; a
/// returned Promise is awaited. `options.cancel` stops the wait (and interrupts running JS).
///
/// Built from combinators rather than an `async fn`: the future holds the owner call, then the
/// Promise wait, never both and never a second copy of the arguments (every run waiting on the
/// owner holds one).
pub fn invoke_json(
    owner: &WeakOwnerHandle,
    options: CallOptions,
    op: &'static str,
    callback: CallbackId,
    args: Vec<JsArg>,
) -> impl Future<Output = Result<Json, InvokeError>> + Send + 'static {
    let Some(owner) = owner.upgrade() else {
        return Either::Left(std::future::ready(Err(InvokeError::Closed)));
    };
    let cancel = options.cancel.clone();
    let call = owner.call_with(options, op, move |ctx| call_callback(ctx, callback, &args));
    Either::Right(call.then(move |answer| match answer {
        Ok(Answer::Ready(value)) => Either::Left(std::future::ready(Ok(value))),
        Ok(Answer::Pending(pending)) => Either::Right(Box::pin(async move {
            pending.settled(&owner, cancel.as_ref()).await
        })),
        Err(error) => Either::Left(std::future::ready(Err(InvokeError::from_owner(error)))),
    }))
}

/// The JS function registered under `id`.
pub fn callback_function<'js>(ctx: &Ctx<'js>, id: CallbackId) -> rquickjs::Result<Function<'js>> {
    local::callback(ctx, id)
        .and_then(|value| value.into_function())
        .ok_or_else(|| rquickjs::Exception::throw_internal(ctx, "callback is no longer registered"))
}

fn call_callback<'js>(ctx: &Ctx<'js>, id: CallbackId, args: &[JsArg]) -> rquickjs::Result<Answer> {
    let function = callback_function(ctx, id)?;
    let mut call_args = Args::new(ctx.clone(), args.len());
    for arg in args {
        call_args.push_arg(arg.to_js(ctx)?)?;
    }
    let result: Value = function.call_arg(call_args)?;
    answer(ctx, result)
}

/// A returned value as an [`Answer`]: Promises are awaited, anything else is converted now.
pub(crate) fn answer<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Answer> {
    match value.as_promise() {
        Some(promise) => Ok(Answer::Pending(await_promise(ctx, promise.clone())?)),
        None => Ok(Answer::Ready(js_to_json(ctx, value)?)),
    }
}

/// Attaches handlers to `promise` that send its JSON outcome to the returned receiver, and keeps
/// the Promise alive in the callback table until it settles (a Promise that nobody else references
/// would otherwise be collected with its handlers).
fn await_promise<'js>(
    ctx: &Ctx<'js>,
    promise: rquickjs::Promise<'js>,
) -> rquickjs::Result<PendingPromise> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let keep = local::register_callback(ctx, promise.clone().into_value())
        .ok_or_else(|| rquickjs::Exception::throw_internal(ctx, "not on an owner thread"))?;
    let sender = Rc::new(RefCell::new(Some(sender)));
    let on_ok = {
        let sender = sender.clone();
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, value: Value<'js>| {
            let outcome = js_to_json(&ctx, value).map_err(|_| {
                let thrown = local::describe_thrown(&ctx.catch());
                thrown.0
            });
            local::release_callback(keep);
            if let Some(sender) = sender.borrow_mut().take() {
                let _ = sender.send(outcome);
            }
        })?
    };
    let on_err = Function::new(ctx.clone(), move |reason: Value<'js>| {
        let message = local::describe_thrown(&reason).0;
        local::release_callback(keep);
        if let Some(sender) = sender.borrow_mut().take() {
            let _ = sender.send(Err(message));
        }
    })?;
    let then: Function = promise.get("then")?;
    then.call::<_, Value>((This(promise), on_ok, on_err))?;
    Ok(PendingPromise {
        outcome: receiver,
        keep,
    })
}

/// Releases JS callbacks held by a Rust object that is being dropped (from any thread): the
/// release runs on their owner, never refused for a full mailbox. Nothing to do when the owner is
/// gone (its table was cleared at shutdown).
pub(crate) fn release_callbacks(owner: &WeakOwnerHandle, ids: Vec<CallbackId>) {
    if ids.is_empty() {
        return;
    }
    if let Some(owner) = owner.upgrade() {
        owner.release_callbacks(ids);
    }
}
