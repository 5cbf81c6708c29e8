//! Running sessions from JS: the synchronous `run` (nested pumping) and `start` (a tokio task whose
//! events and settlement come back to the owner as messages, in order).

use std::sync::Arc;

use rquickjs::{Ctx, Function, Value};
use serde_json::{Map, Value as Json, json};
use tokio::sync::mpsc;

use super::codec::{json_to_js, turn_to_js};
use super::table;
use crate::inference::session::RunOptions;
use crate::inference::{Event, EventKind, EventSink, Session, Turn};
use crate::owner::{CallbackId, WeakOwnerHandle, local};

/// Runs `session` synchronously: the run executes on tokio while this owner keeps serving the
/// callbacks it sends back. Returns the output turn or throws the failure text.
pub fn run_sync<'js>(
    ctx: &Ctx<'js>,
    session: &Session,
    seed: Option<Turn>,
    options: RunOptions,
) -> rquickjs::Result<Value<'js>> {
    let prepared = session
        .prepare_run(seed, options)
        .map_err(|error| rquickjs::Exception::throw_message(ctx, &error.to_string()))?;
    let group = super::js_engine::run_group(prepared.inference_id());
    match local::block_on_group(ctx, "session-run", Some(group), prepared.execute()) {
        Ok(Ok(turn)) => turn_to_js(ctx, &turn),
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

/// Starts a run on tokio; it begins executing when [`table::release_run`] is called. Every event is delivered to `deliver` and the outcome to `settle`
/// (`settle(true, turn)` / `settle(false, message)`) on this owner, between JS turns, events first.
pub fn start<'js>(
    ctx: &Ctx<'js>,
    session: &Session,
    seed: Option<Turn>,
    mut options: RunOptions,
    deliver: Function<'js>,
    settle: Function<'js>,
) -> rquickjs::Result<StartedRun> {
    let (sender, receiver) = mpsc::unbounded_channel();
    options.sink = Arc::new(ChannelSink(sender));
    let prepared = session
        .prepare_run(seed, options)
        .map_err(|error| rquickjs::Exception::throw_message(ctx, &error.to_string()))?;
    let (release, released) = tokio::sync::oneshot::channel();
    let cancel_id = table::add_run(prepared.cancel_token(), release);
    let started = StartedRun {
        run_id: prepared.run_id().to_string(),
        session_id: prepared.session_id().to_string(),
        inference_id: prepared.inference_id().to_string(),
        cancel_id,
    };
    let unavailable =
        || rquickjs::Exception::throw_internal(ctx, "start() must run on an owner thread");
    let deliver = local::register_callback(ctx, deliver.into_value()).ok_or_else(unavailable)?;
    let settle = local::register_callback(ctx, settle.into_value()).ok_or_else(unavailable)?;
    let keep_alive = local::keep_alive().ok_or_else(unavailable)?;
    let owner = local::weak_handle().ok_or_else(unavailable)?;
    let tokio = local::tokio_handle().ok_or_else(unavailable)?;
    tokio.spawn(async move {
        // The run begins once the JS turn that started it has ended, so a `cancel()` in that same
        // turn always cancels it (the glue releases it from a promise job).
        let _ = released.await;
        let forwarder = Forwarder { owner, deliver };
        let mut receiver = receiver;
        let run = prepared.execute();
        tokio::pin!(run);
        let result = loop {
            tokio::select! {
                biased;
                Some(event) = receiver.recv() => forwarder.deliver(event).await,
                result = &mut run => break result,
            }
        };
        while let Ok(event) = receiver.try_recv() {
            forwarder.deliver(event).await;
        }
        let outcome = result.map_err(|error| error.to_string());
        forwarder
            .settle(settle, cancel_id, outcome, keep_alive)
            .await;
    });
    Ok(started)
}

/// Sends events into the run's forwarding task.
struct ChannelSink(mpsc::UnboundedSender<Event>);

impl EventSink for ChannelSink {
    fn emit(&self, event: Event) {
        let _ = self.0.send(event);
    }
}

/// Posts a run's events and its settlement to the owner, in order (one sender, FIFO).
struct Forwarder {
    owner: WeakOwnerHandle,
    deliver: CallbackId,
}

impl Forwarder {
    async fn deliver(&self, event: Event) {
        let Some(owner) = self.owner.upgrade() else {
            return;
        };
        let deliver = self.deliver;
        let json = event_json(&event);
        let _ = owner
            .post("deliver-event", move |ctx| {
                local::run_at_top_level(
                    ctx,
                    Box::new(move |ctx: &Ctx<'_>| {
                        let result = call_registered(ctx, deliver, &json, None);
                        report(ctx, "deliver-event", result);
                    }),
                );
                Ok(())
            })
            .await;
    }

    async fn settle(
        self,
        settle: CallbackId,
        cancel_id: u64,
        outcome: Result<Turn, String>,
        keep_alive: local::KeepAlive,
    ) {
        let Some(owner) = self.owner.upgrade() else {
            return;
        };
        let deliver = self.deliver;
        let _ = owner
            .post("settle-promise", move |ctx| {
                local::run_at_top_level(
                    ctx,
                    Box::new(move |ctx: &Ctx<'_>| {
                        let (ok, value) = match &outcome {
                            Ok(turn) => (true, super::codec::encode_turn(turn, false)),
                            Err(message) => (false, Json::String(message.clone())),
                        };
                        let result = call_registered(ctx, settle, &value, Some(ok));
                        report(ctx, "settle-promise", result);
                        local::release_callback(deliver);
                        local::release_callback(settle);
                        table::remove_run(cancel_id);
                        drop(keep_alive);
                    }),
                );
                Ok(())
            })
            .await;
    }
}

/// Calls the registered function `id` with `(flag?, value)`.
fn call_registered<'js>(
    ctx: &Ctx<'js>,
    id: CallbackId,
    value: &Json,
    flag: Option<bool>,
) -> rquickjs::Result<()> {
    let function = super::invoke::callback_function(ctx, id)?;
    let value = json_to_js(ctx, value)?;
    match flag {
        Some(flag) => function.call::<_, ()>((flag, value)),
        None => function.call::<_, ()>((value,)),
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
