//! Agent runs from JS: `run()` (the run executes on tokio while the owner keeps serving its
//! callbacks and events), `runAsync()` (a tokio task whose events and settlement come back between
//! JS turns), run options, and the JS shape of a [`RunResult`].

use rquickjs::{Array, Ctx, Function, Object, Value};
use serde_json::Value as Json;

use super::super::argument::error;
use super::super::codec::{json_to_js, turn_to_js};
use super::super::invoke::callback_function;
use super::super::js_engine::run_group;
use super::super::options;
use super::super::table;
use super::events::{DeliveryMode, EventDelivery, event_to_js};
use crate::inference::InferenceError;
use crate::inference::agent::{AgentRunOptions, AgentSession, RunGuard, RunResult};
use crate::inference::turn::{Turn, new_id};
use crate::owner::{CallbackId, local};

/// Merges run option layers (agent defaults, session defaults, the run's own; `undefined`/`null`
/// layers skipped): the last non-zero `timeoutMs` wins, `tags` merge key by key. Each layer is
/// checked as the session API's run options are.
pub fn run_options<'js>(ctx: &Ctx<'js>, layers: Array<'js>) -> rquickjs::Result<AgentRunOptions> {
    let mut merged = AgentRunOptions::default();
    let mut tags = serde_json::Map::new();
    for layer in layers.iter::<Value>() {
        let parsed = options::run_options(ctx, &layer?)?;
        if let Some(timeout) = parsed.timeout_ms.filter(|timeout| *timeout > 0) {
            merged.timeout_ms = timeout;
        }
        if let Some(Json::Object(layer_tags)) = parsed.tags {
            tags.extend(layer_tags);
        }
    }
    merged.tags = (!tags.is_empty()).then_some(Json::Object(tags));
    Ok(merged)
}

/// The JS shape of a result: `{inputTurn, effectiveTurn, outputTurn, text, usage, stopReason,
/// events, persistence}` (plain turns and payloads; the glue wraps it in a `RunResult`).
pub fn result_to_js<'js>(ctx: &Ctx<'js>, result: &RunResult) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("inputTurn", turn_to_js(ctx, &result.input, false)?)?;
    object.set("effectiveTurn", turn_to_js(ctx, &result.effective, false)?)?;
    object.set("outputTurn", turn_to_js(ctx, &result.output, false)?)?;
    object.set("text", result.text.as_str())?;
    let usage = match &result.usage {
        Some(usage) => json_to_js(ctx, &Json::Object(usage.clone()))?,
        None => Value::new_null(ctx.clone()),
    };
    object.set("usage", usage)?;
    let stop_reason = match &result.stop_reason {
        Some(reason) => rquickjs::String::from_str(ctx.clone(), reason)?.into_value(),
        None => Value::new_null(ctx.clone()),
    };
    object.set("stopReason", stop_reason)?;
    let events = Array::new(ctx.clone())?;
    for (index, event) in result.events.iter().enumerate() {
        events.set(index, event_to_js(ctx, event)?)?;
    }
    object.set("events", events)?;
    let persistence = match &result.persistence {
        Some(report) => {
            let persistence = Object::new(ctx.clone())?;
            persistence.set("store", report.store.as_str())?;
            persistence.set("ok", report.error.is_none())?;
            if let Some(error) = &report.error {
                persistence.set("error", error.as_str())?;
            }
            persistence.into_value()
        }
        None => Value::new_null(ctx.clone()),
    };
    object.set("persistence", persistence)?;
    Ok(object)
}

fn unavailable(ctx: &Ctx<'_>) -> rquickjs::Error {
    rquickjs::Exception::throw_internal(ctx, "agent runs need an owner thread")
}

/// Registers `deliver` (when a function) and starts delivering the run's events to it.
fn delivery<'js>(
    ctx: &Ctx<'js>,
    deliver: Value<'js>,
    mode: DeliveryMode,
    options: &mut AgentRunOptions,
) -> rquickjs::Result<Option<(EventDelivery, CallbackId)>> {
    if !deliver.is_function() {
        return Ok(None);
    }
    let owner = local::weak_handle().ok_or_else(|| unavailable(ctx))?;
    let tokio = local::tokio_handle().ok_or_else(|| unavailable(ctx))?;
    let id = local::register_callback(ctx, deliver).ok_or_else(|| unavailable(ctx))?;
    let (delivery, sink) = EventDelivery::start(owner, &tokio, id, mode);
    options.sink = sink;
    Ok(Some((delivery, id)))
}

/// A prepared run, the execution that also drains its event delivery, and the id of the
/// registered `deliver` function (released by the caller once the run is over).
struct Prepared<F> {
    execution: F,
    cancel: tokio_util::sync::CancellationToken,
    deliver_id: Option<CallbackId>,
}

/// Prepares a run of `input` whose events go to `deliver` (when a function); a refusal throws.
fn prepare<'js>(
    ctx: &Ctx<'js>,
    session: &AgentSession,
    input: Turn,
    mut options: AgentRunOptions,
    deliver: Value<'js>,
    mode: DeliveryMode,
) -> rquickjs::Result<
    Prepared<
        impl std::future::Future<Output = (Result<RunResult, InferenceError>, RunGuard)>
        + Send
        + 'static,
    >,
> {
    let delivery = delivery(ctx, deliver, mode, &mut options)?;
    let run = match session.prepare_run(input, options) {
        Ok(run) => run,
        Err(failure) => {
            if let Some((_, id)) = delivery {
                local::release_callback(id);
            }
            return Err(error(ctx, &failure.to_string()));
        }
    };
    let (delivery, deliver_id) = delivery.unzip();
    let cancel = run.cancel_token();
    let execution = async move {
        let (outcome, guard) = run.execute().await;
        if let Some(delivery) = delivery {
            delivery.finish().await;
        }
        (outcome, guard)
    };
    Ok(Prepared {
        execution,
        cancel,
        deliver_id,
    })
}

/// `run()`: runs `input` on `session` and returns the result object once every event of the
/// run was delivered; throws the failure text.
pub fn run_sync<'js>(
    ctx: &Ctx<'js>,
    session: &AgentSession,
    input: Turn,
    mut options: AgentRunOptions,
    deliver: Value<'js>,
) -> rquickjs::Result<Object<'js>> {
    // The events are served by this call's nested wait, whose group is the run's (the group its
    // JS callbacks use too).
    let inference_id = new_id();
    let group = run_group(&inference_id);
    options.inference_id = Some(inference_id);
    let prepared = prepare(
        ctx,
        session,
        input,
        options,
        deliver,
        DeliveryMode::Nested(group),
    )?;
    let waited = local::block_on_group(ctx, "agent-run", Some(group), prepared.execution);
    if let Some(id) = prepared.deliver_id {
        local::release_callback(id);
    }
    match waited {
        Ok((Ok(result), guard)) => {
            let object = result_to_js(ctx, &result);
            drop(guard);
            object
        }
        Ok((Err(failure), guard)) => {
            drop(guard);
            Err(error(ctx, &failure.to_string()))
        }
        Err(failure) => Err(error(ctx, &failure.message())),
    }
}

/// `runAsync()`: prepares the run now (a refusal throws) and executes it once [`release`] is called
/// with the returned id (the glue does so from a promise job, and [`release`] waits for the end of
/// the JS turn, so a `cancel()` in the same JS turn always cancels it). Events go to `deliver` between JS turns;
/// then `settle(true, result)` or `settle(false, message)`. The session stays running until then.
pub fn start<'js>(
    ctx: &Ctx<'js>,
    session: &AgentSession,
    input: Turn,
    options: AgentRunOptions,
    deliver: Value<'js>,
    settle: Function<'js>,
) -> rquickjs::Result<u64> {
    let prepared = prepare(
        ctx,
        session,
        input,
        options,
        deliver,
        DeliveryMode::BetweenTurns,
    )?;
    let deliver_id = prepared.deliver_id;
    let settle =
        local::register_callback(ctx, settle.into_value()).ok_or_else(|| unavailable(ctx))?;
    let owner = local::weak_handle().ok_or_else(|| unavailable(ctx))?;
    let tokio = local::tokio_handle().ok_or_else(|| unavailable(ctx))?;
    let keep_alive = local::keep_alive().ok_or_else(|| unavailable(ctx))?;
    let (release, released) = tokio::sync::oneshot::channel();
    let cancel_id = table::add_run(prepared.cancel, release);
    let execution = prepared.execution;
    tokio.spawn(async move {
        let _ = released.await;
        let (outcome, guard) = execution.await;
        let Some(owner) = owner.upgrade() else {
            return;
        };
        let _ = owner
            .post("settle-agent-run", move |ctx| {
                local::run_at_top_level(
                    ctx,
                    Box::new(move |ctx: &Ctx<'_>| {
                        settle_run(ctx, settle, outcome);
                        local::release_callback(settle);
                        if let Some(id) = deliver_id {
                            local::release_callback(id);
                        }
                        table::remove_run(cancel_id);
                        drop(guard);
                        drop(keep_alive);
                    }),
                );
                Ok(())
            })
            .await;
    });
    Ok(cancel_id)
}

/// Lets the run started as `cancel_id` begin once the current JS turn has ended: a promise job can
/// run inside a nested wait of that turn (a synchronous `run()`, a store call, `sleep`), and the
/// run must not begin (and perhaps finish) before a later `cancel()` of the same turn.
pub fn release(ctx: &Ctx<'_>, cancel_id: u64) {
    local::run_at_top_level(
        ctx,
        Box::new(move |_: &Ctx<'_>| table::release_run(cancel_id)),
    );
}

/// Calls `settle(true, result)` or `settle(false, message)`.
fn settle_run(ctx: &Ctx<'_>, settle: CallbackId, outcome: Result<RunResult, InferenceError>) {
    let called = callback_function(ctx, settle).and_then(|function| match &outcome {
        Ok(result) => function.call::<_, ()>((true, result_to_js(ctx, result)?)),
        Err(failure) => function.call::<_, ()>((false, failure.to_string())),
    });
    if let Err(failure) = called {
        let message = match failure {
            rquickjs::Error::Exception => local::describe_thrown(&ctx.catch()).0,
            other => other.to_string(),
        };
        tracing::warn!(target: "geppetto::bridge", op = "settle-agent-run", "{message}");
    }
}
