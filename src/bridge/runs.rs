//! Running sessions from JS: the synchronous `run` (nested pumping) and `start` (a task, on tokio or,
//! for an engine answering in process, on the owner thread itself, whose events and settlement
//! come back to the owner as messages, in order).

use std::sync::Arc;

use rquickjs::object::Accessor;
use rquickjs::{Ctx, Function, Object, Value};
use serde_json::Value as Json;
use tokio::sync::mpsc;

use super::backlog::Backlog;
use super::codec::{json_to_js, turn_to_js};
use super::table;
use crate::inference::session::{RunMode, RunOptions};
use crate::inference::{Event, EventKind, EventSink, Room, Session, Turn};
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

/// Starts a run as a task (`options.mode` says whether for `runAsync` or `start`); it begins
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
    let in_process = session.answers_in_process();
    // Boxed outside the task: awaited as a captured value, the run's future would be stored twice
    // in the task (the capture and the awaited copy).
    let execution = Box::pin(prepared.execute());
    let run = async move {
        // The run begins once the JS turn that started it has ended, so a `cancel()` in that same
        // turn always cancels it (the glue releases it from a promise job).
        let _ = released.await;
        let outcome = execution.await.map_err(|error| error.to_string());
        // After every event of the run: they went into the same channel before it completed.
        deliveries.send(Delivery::Settle {
            deliver,
            settle,
            cancel_id,
            outcome,
            keep_alive,
        });
    };
    // A run whose engine answers in process (a JS engine, echo) is mostly calls back into this
    // owner: driven here, between JS turns, those calls run inline instead of each crossing to
    // tokio and back. Provider runs stay on tokio (their HTTP work must not load the owner).
    if in_process {
        local::spawn_here(run);
    } else {
        local::tokio_handle().ok_or_else(unavailable)?.spawn(run);
    }
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
    deliveries: Deliveries,
    deliver: CallbackId,
}

impl EventSink for DeliverySink {
    fn emit(&self, event: Event) {
        self.deliveries.send(Delivery::Event {
            deliver: self.deliver,
            event,
        });
    }

    fn room(&self) -> Room<'_> {
        self.deliveries.backlog.room()
    }
}

/// Most deliveries posted to the owner in one message.
const DELIVERY_BATCH: usize = 1024;

/// One owner's delivery channel: events and settlements of its started runs, in order, and the
/// count of those the owner has not run yet.
#[derive(Clone)]
struct Deliveries {
    sender: mpsc::UnboundedSender<Delivery>,
    backlog: Arc<Backlog>,
}

impl Deliveries {
    fn send(&self, delivery: Delivery) {
        self.backlog.sent();
        if self.sender.send(delivery).is_err() {
            // The owner is gone: nothing will run it, nobody must wait for it.
            self.backlog.close();
        }
    }
}

thread_local! {
    /// This owner's delivery channel, served by one forwarding task.
    static DELIVERIES: std::cell::RefCell<Option<Deliveries>> =
        const { std::cell::RefCell::new(None) };
}

/// The delivery channel of this owner, starting its forwarding task on first use. One task per
/// owner posts deliveries in batches, in channel order: per run, events in emission order and the
/// settlement last; only one sender waits on the mailbox however many runs are active, and it
/// posts the next batch when the owner has run the last one.
fn deliveries() -> Option<Deliveries> {
    if let Some(deliveries) = DELIVERIES.with(|slot| slot.borrow().clone()) {
        return Some(deliveries);
    }
    let owner = local::weak_handle()?;
    let tokio = local::tokio_handle()?;
    let (sender, mut receiver) = mpsc::unbounded_channel::<Delivery>();
    let deliveries = Deliveries {
        sender,
        backlog: Arc::new(Backlog::new(owner.clone())),
    };
    let backlog = deliveries.backlog.clone();
    tokio.spawn(async move {
        let mut batch = Vec::with_capacity(DELIVERY_BATCH);
        while receiver.recv_many(&mut batch, DELIVERY_BATCH).await > 0 {
            let Some(owner) = owner.upgrade() else {
                break;
            };
            let items = std::mem::replace(&mut batch, Vec::with_capacity(DELIVERY_BATCH));
            let ran = backlog.clone();
            let (done, delivered) = tokio::sync::oneshot::channel::<()>();
            let posted = owner
                .post("deliver-events", move |ctx| {
                    local::run_at_top_level(
                        ctx,
                        Box::new(move |ctx: &Ctx<'_>| {
                            let count = items.len();
                            deliver_all(ctx, items);
                            ran.ran(count);
                            let _ = done.send(());
                        }),
                    );
                    Ok(())
                })
                .await;
            drop(owner);
            // One batch on the owner at a time: what arrives meanwhile makes the next batch, so a
            // busy owner runs few, large batches instead of one item per event.
            if posted.is_err() || delivered.await.is_err() {
                break;
            }
        }
        backlog.close();
    });
    DELIVERIES.with(|slot| *slot.borrow_mut() = Some(deliveries.clone()));
    Some(deliveries)
}

/// Runs a batch of deliveries on the owner, in order.
fn deliver_all(ctx: &Ctx<'_>, items: Vec<Delivery>) {
    for item in items {
        match item {
            Delivery::Event { deliver, event } => {
                let result = event_to_js(ctx, event).and_then(|event| {
                    super::invoke::callback_function(ctx, deliver)?.call::<_, ()>((event,))
                });
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
/// plus the type's fields, built directly (no JSON text). A `partial` event's `completion` is an
/// enumerable getter reading the step's shared text up to this event, so building the event costs
/// O(its delta) whatever the text so far.
fn event_to_js<'js>(ctx: &Ctx<'js>, event: Event) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("type", event.kind.type_name())?;
    object.set("timestampMs", event.timestamp_ms as f64)?;
    object.set("sessionId", event.session_id)?;
    object.set("inferenceId", event.inference_id)?;
    if let Some(turn_id) = event.turn_id {
        object.set("turnId", turn_id)?;
    }
    object.set("runId", event.run_id)?;
    if let Some(extra) = event.meta_extra {
        object.set("metaExtra", json_to_js(ctx, &Json::Object(extra))?)?;
    }
    match event.kind {
        EventKind::Start => {}
        EventKind::Partial { delta, completion } => {
            object.set("delta", delta)?;
            let read = move |ctx: Ctx<'js>| {
                completion.with_str(|text| rquickjs::String::from_str(ctx, text))
            };
            object.prop(
                "completion",
                Accessor::new_get(read).enumerable().configurable(),
            )?;
        }
        EventKind::ToolCall { id, name, input }
        | EventKind::ToolCallExecute { id, name, input } => {
            let call = Object::new(ctx.clone())?;
            call.set("id", id)?;
            call.set("name", name)?;
            call.set("input", input)?;
            object.set("toolCall", call)?;
        }
        EventKind::ToolResult { id, result }
        | EventKind::ToolCallExecutionResult { id, result } => {
            let outcome = Object::new(ctx.clone())?;
            outcome.set("id", id)?;
            outcome.set("result", result)?;
            object.set("toolResult", outcome)?;
        }
        EventKind::Final { text } | EventKind::Interrupt { text } => object.set("text", text)?,
        EventKind::Error { error } => object.set("error", error)?,
    }
    Ok(object)
}
