//! Running sessions from JS: the synchronous `run` (nested pumping) and `start` (a tokio task whose
//! events and settlement come back to the owner as messages, in order).

use std::sync::Arc;

use rquickjs::{Ctx, Function, Value};
use serde_json::{Map, Value as Json, json};
use tokio::sync::mpsc;

use super::codec::{json_to_js, turn_to_js};
use super::table;
use crate::inference::session::{RunMode, RunOptions};
use crate::inference::{Event, EventKind, EventSink, Session, Turn};
use crate::owner::{CallbackId, local};

/// Runs `session` synchronously: the run executes on tokio while this owner keeps serving the
/// callbacks it sends back. Returns the output turn or throws the failure text.
pub fn run_sync<'js>(
    ctx: &Ctx<'js>,
    session: &Session,
    seed: Option<Turn>,
    options: RunOptions,
) -> rquickjs::Result<Value<'js>> {
    let options = RunOptions {
        mode: RunMode::Run,
        ..options
    };
    let prepared = session
        .prepare_run(seed, options)
        .map_err(|error| rquickjs::Exception::throw_message(ctx, &error.to_string()))?;
    let group = super::js_engine::run_group(prepared.inference_id());
    match local::block_on_group(ctx, "session-run", Some(group), prepared.execute()) {
        Ok(Ok(turn)) => turn_to_js(ctx, &turn, false),
        Ok(Err(error)) => Err(rquickjs::Exception::throw_message(ctx, &error.to_string())),
        Err(error) => Err(rquickjs::Exception::throw_message(ctx, &error.message())),
    }
}

/// The ids `start` returns to JS: run id, session id, inference id, and the id of the run's
/// cancellation token in the handle table.
pub struct StartedRun {
    /// `RunHandle.runId`.
    pub run_id: String,
    /// `RunHandle.sessionId`.
    pub session_id: String,
    /// `RunHandle.inferenceId`.
    pub inference_id: String,
    /// Handle-table id of the run's cancellation token.
    pub cancel_id: u64,
}

/// Starts a run on tokio (`options.mode` says whether for `runAsync` or `start`); it begins
/// executing when [`table::release_run`] is called. Every event is delivered to `deliver` and the
/// outcome to `settle` (`settle(true, turn)` / `settle(false, message)`) on this owner, between JS
/// turns, events first.
pub fn start<'js>(
    ctx: &Ctx<'js>,
    session: &Session,
    seed: Option<Turn>,
    mut options: RunOptions,
    deliver: Function<'js>,
    settle: Function<'js>,
) -> rquickjs::Result<StartedRun> {
    let unavailable =
        || rquickjs::Exception::throw_internal(ctx, "start() must run on an owner thread");
    let deliveries = deliveries().ok_or_else(unavailable)?;
    let deliver = local::register_callback(ctx, deliver.into_value()).ok_or_else(unavailable)?;
    let settle = local::register_callback(ctx, settle.into_value()).ok_or_else(unavailable)?;
    options.sink = Arc::new(DeliverySink {
        deliveries: deliveries.clone(),
        deliver,
    });
    let prepared = match session.prepare_run(seed, options) {
        Ok(prepared) => prepared,
        Err(error) => {
            local::release_callback(deliver);
            local::release_callback(settle);
            return Err(rquickjs::Exception::throw_message(ctx, &error.to_string()));
        }
    };
    let (release, released) = tokio::sync::oneshot::channel();
    let cancel_id = table::add_run(prepared.cancel_token(), release);
    let started = StartedRun {
        run_id: prepared.run_id().to_string(),
        session_id: prepared.session_id().to_string(),
        inference_id: prepared.inference_id().to_string(),
        cancel_id,
    };
    let keep_alive = local::keep_alive().ok_or_else(unavailable)?;
    let tokio = local::tokio_handle().ok_or_else(unavailable)?;
    tokio.spawn(async move {
        // The run begins once the JS turn that started it has ended, so a `cancel()` in that same
        // turn always cancels it (the glue releases it from a promise job).
        let _ = released.await;
        let outcome = prepared.execute().await.map_err(|error| error.to_string());
        // After every event of the run: they went into the same channel before it completed.
        let _ = deliveries.send(Delivery::Settle {
            deliver,
            settle,
            cancel_id,
            outcome,
            keep_alive,
        });
    });
    Ok(started)
}

/// What the owner must do for a started run.
enum Delivery {
    /// Call the run's `deliver` with an event.
    Event { deliver: CallbackId, event: Event },
    /// Call the run's `settle` and release what the run held.
    Settle {
        deliver: CallbackId,
        settle: CallbackId,
        cancel_id: u64,
        outcome: Result<Arc<Turn>, String>,
        keep_alive: local::KeepAlive,
    },
}

/// Sends a run's events into this owner's delivery channel.
struct DeliverySink {
    deliveries: mpsc::UnboundedSender<Delivery>,
    deliver: CallbackId,
}

impl EventSink for DeliverySink {
    fn emit(&self, event: Event) {
        let _ = self.deliveries.send(Delivery::Event {
            deliver: self.deliver,
            event,
        });
    }
}

thread_local! {
    /// This owner's delivery channel, served by one forwarding task.
    static DELIVERIES: std::cell::RefCell<Option<mpsc::UnboundedSender<Delivery>>> =
        const { std::cell::RefCell::new(None) };
}

/// Most deliveries posted to the owner in one message.
const DELIVERY_BATCH: usize = 256;

/// The delivery channel of this owner, starting its forwarding task on first use. One task per
/// owner posts deliveries in batches, in channel order: per run, events in emission order and the
/// settlement last; and only one sender waits on the mailbox however many runs are active.
fn deliveries() -> Option<mpsc::UnboundedSender<Delivery>> {
    if let Some(sender) = DELIVERIES.with(|slot| slot.borrow().clone()) {
        return Some(sender);
    }
    let owner = local::weak_handle()?;
    let tokio = local::tokio_handle()?;
    let (sender, mut receiver) = mpsc::unbounded_channel::<Delivery>();
    tokio.spawn(async move {
        let mut batch = Vec::with_capacity(DELIVERY_BATCH);
        while receiver.recv_many(&mut batch, DELIVERY_BATCH).await > 0 {
            let Some(owner) = owner.upgrade() else {
                return;
            };
            let items = std::mem::replace(&mut batch, Vec::with_capacity(DELIVERY_BATCH));
            let posted = owner
                .post("deliver-events", move |ctx| {
                    local::run_at_top_level(
                        ctx,
                        Box::new(move |ctx: &Ctx<'_>| deliver_all(ctx, items)),
                    );
                    Ok(())
                })
                .await;
            if posted.is_err() {
                return;
            }
        }
    });
    DELIVERIES.with(|slot| *slot.borrow_mut() = Some(sender.clone()));
    Some(sender)
}

/// Runs a batch of deliveries on the owner, in order.
fn deliver_all(ctx: &Ctx<'_>, items: Vec<Delivery>) {
    for item in items {
        match item {
            Delivery::Event { deliver, event } => {
                let result = call_registered(ctx, deliver, &event_json(&event));
                report(ctx, "deliver-event", result);
            }
            Delivery::Settle {
                deliver,
                settle,
                cancel_id,
                outcome,
                keep_alive,
            } => {
                let result = settle_run(ctx, settle, &outcome);
                report(ctx, "settle-promise", result);
                local::release_callback(deliver);
                local::release_callback(settle);
                table::remove_run(cancel_id);
                drop(keep_alive);
            }
        }
    }
}

/// Calls the registered function `id` with `value`.
fn call_registered<'js>(ctx: &Ctx<'js>, id: CallbackId, value: &Json) -> rquickjs::Result<()> {
    let function = super::invoke::callback_function(ctx, id)?;
    function.call::<_, ()>((json_to_js(ctx, value)?,))
}

/// Calls the run's `settle` function with `(true, outputTurn)` or `(false, message)`.
fn settle_run<'js>(
    ctx: &Ctx<'js>,
    settle: CallbackId,
    outcome: &Result<Arc<Turn>, String>,
) -> rquickjs::Result<()> {
    let function = super::invoke::callback_function(ctx, settle)?;
    match outcome {
        Ok(turn) => function.call::<_, ()>((true, turn_to_js(ctx, turn, false)?)),
        Err(message) => function.call::<_, ()>((false, message.as_str())),
    }
}

fn report(ctx: &Ctx<'_>, op: &'static str, result: rquickjs::Result<()>) {
    if let Err(error) = result {
        let message = match error {
            rquickjs::Error::Exception => local::describe_thrown(&ctx.catch()).0,
            other => other.to_string(),
        };
        tracing::warn!(target: "geppetto::bridge", op, "{message}");
    }
}

/// The JS event object: `{type, timestampMs, sessionId, inferenceId, turnId?, runId, metaExtra?}`
/// plus the type's fields.
pub fn event_json(event: &Event) -> Json {
    let mut object = Map::new();
    object.insert("type".into(), Json::String(event.kind.type_name().into()));
    object.insert("timestampMs".into(), Json::from(event.timestamp_ms));
    object.insert("sessionId".into(), Json::String(event.session_id.clone()));
    object.insert(
        "inferenceId".into(),
        Json::String(event.inference_id.clone()),
    );
    if let Some(turn_id) = &event.turn_id {
        object.insert("turnId".into(), Json::String(turn_id.clone()));
    }
    object.insert("runId".into(), Json::String(event.run_id.clone()));
    if let Some(extra) = &event.meta_extra {
        object.insert("metaExtra".into(), Json::Object(extra.clone()));
    }
    let fields = match &event.kind {
        EventKind::Start => json!({}),
        EventKind::Partial { delta, completion } => {
            json!({"delta": delta, "completion": completion})
        }
        EventKind::ToolCall { id, name, input }
        | EventKind::ToolCallExecute { id, name, input } => {
            json!({"toolCall": {"id": id, "name": name, "input": input}})
        }
        EventKind::ToolResult { id, result }
        | EventKind::ToolCallExecutionResult { id, result } => {
            json!({"toolResult": {"id": id, "result": result}})
        }
        EventKind::Final { text } | EventKind::Interrupt { text } => json!({"text": text}),
        EventKind::Error { error } => json!({"error": error}),
    };
    if let Json::Object(fields) = fields {
        object.extend(fields);
    }
    Json::Object(object)
}
