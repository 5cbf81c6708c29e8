//! Agent events to JS: the payload objects of js-api-agent.md § Events, built directly as JS
//! objects, and the per-run delivery of events to the JS function that calls the emitters.

use rquickjs::object::Accessor;
use rquickjs::{Ctx, Object, Value};
use tokio::sync::mpsc;

use super::super::backlog::Backlog;
use super::super::codec::json_to_js;
use super::super::invoke::callback_function;
use crate::inference::agent::{AgentEvent, AgentEventKind, AgentSink, SegmentKind};
use crate::inference::turn::JsonMap;
use crate::inference::{Room, TextPrefix};
use crate::owner::{CallOptions, CallbackId, WeakOwnerHandle, local};

/// The JS payload of `event`: `{type, timestampMs, sessionId, inferenceId, turnId, correlation,
/// rawPayload?}` plus the type's fields (`rawPayload`: the provider stream event it came from). A delta's `text` (an arguments delta's `toolCall.arguments`) is a
/// getter: the text so far is copied only when read.
pub fn event_to_js<'js>(ctx: &Ctx<'js>, event: &AgentEvent) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("type", event.kind.type_name())?;
    object.set("timestampMs", event.timestamp_ms as f64)?;
    object.set("sessionId", event.ids.session_id.as_str())?;
    object.set("inferenceId", event.ids.inference_id.as_str())?;
    object.set("turnId", event.ids.turn_id.as_str())?;
    let correlation = Object::new(ctx.clone())?;
    correlation.set("session_id", event.ids.session_id.as_str())?;
    correlation.set("run_id", event.ids.inference_id.as_str())?;
    correlation.set("turn_id", event.ids.turn_id.as_str())?;
    if let Some(id) = &event.provider_call_id {
        correlation.set("provider_call_id", id.as_ref())?;
    }
    if let Some(id) = &event.segment_id {
        correlation.set("segment_id", id.as_ref())?;
    }
    if let Some(id) = &event.tool_call_id {
        correlation.set("tool_call_id", id.as_str())?;
    }
    object.set("correlation", correlation)?;
    if let Some(raw) = &event.raw_payload {
        object.set("rawPayload", raw.as_ref())?;
    }
    fields(ctx, &object, &event.kind)?;
    Ok(object)
}

fn optional_string<'js>(ctx: &Ctx<'js>, text: &Option<String>) -> rquickjs::Result<Value<'js>> {
    match text {
        Some(text) => rquickjs::String::from_str(ctx.clone(), text).map(|s| s.into_value()),
        None => Ok(Value::new_null(ctx.clone())),
    }
}

fn set_usage<'js>(
    ctx: &Ctx<'js>,
    object: &Object<'js>,
    usage: &Option<JsonMap>,
) -> rquickjs::Result<()> {
    if let Some(usage) = usage {
        object.set(
            "usage",
            json_to_js(ctx, &serde_json::Value::Object(usage.clone()))?,
        )?;
    }
    Ok(())
}

fn tool_object<'js>(ctx: &Ctx<'js>, pairs: &[(&str, &str)]) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    for (key, value) in pairs {
        object.set(*key, *value)?;
    }
    Ok(object)
}

/// `source` of a reasoning segment's events (text segments have none).
fn set_source(object: &Object<'_>, kind: SegmentKind) -> rquickjs::Result<()> {
    match kind {
        SegmentKind::Text => Ok(()),
        SegmentKind::Reasoning(source) => object.set("source", source.as_str()),
    }
}

/// An enumerable getter `key` reading the text so far (copied only when read).
fn set_text_getter<'js>(
    object: &Object<'js>,
    key: &str,
    text: &TextPrefix,
) -> rquickjs::Result<()> {
    let view = text.clone();
    let read = move |ctx: Ctx<'js>| view.with_str(|text| rquickjs::String::from_str(ctx, text));
    object.prop(key, Accessor::new_get(read).enumerable().configurable())
}

fn status(failed: bool) -> &'static str {
    if failed { "error" } else { "success" }
}

fn fields<'js>(
    ctx: &Ctx<'js>,
    object: &Object<'js>,
    kind: &AgentEventKind,
) -> rquickjs::Result<()> {
    match kind {
        AgentEventKind::RunStarted { prompt } => object.set("prompt", prompt.as_str()),
        AgentEventKind::RunFinished => object.set("status", "completed"),
        AgentEventKind::RunStopped { cause } => object.set("reason", cause.as_str()),
        AgentEventKind::RunFailed { error } | AgentEventKind::InferenceError { error } => {
            object.set("error", error.as_str())?;
            object.set("message", error.as_str())
        }
        AgentEventKind::ProviderCallStarted => Ok(()),
        AgentEventKind::ProviderCallMetadataUpdated {
            stop_reason,
            stop_sequence,
            usage,
        } => {
            object.set("stopReason", optional_string(ctx, stop_reason)?)?;
            object.set("stopSequence", optional_string(ctx, stop_sequence)?)?;
            set_usage(ctx, object, usage)
        }
        AgentEventKind::ProviderCallFinished {
            stop_reason,
            finish_class,
            has_tool_calls,
            usage,
            duration_ms,
        } => {
            object.set("stopReason", optional_string(ctx, stop_reason)?)?;
            object.set("finishClass", finish_class.as_str())?;
            object.set("hasToolCalls", *has_tool_calls)?;
            set_usage(ctx, object, usage)?;
            object.set("durationMs", *duration_ms as f64)
        }
        AgentEventKind::SegmentStarted { kind, role } => {
            set_source(object, *kind)?;
            object.set("role", role.as_str())
        }
        AgentEventKind::SegmentDelta {
            kind,
            delta,
            text,
            sequence,
        } => {
            set_source(object, *kind)?;
            object.set("delta", delta.as_str())?;
            set_text_getter(object, "text", text)?;
            object.set("sequence", *sequence as f64)
        }
        AgentEventKind::SegmentFinished {
            kind,
            text,
            finish_reason,
        } => {
            set_source(object, *kind)?;
            object.set("text", text.as_str())?;
            object.set("finishReason", optional_string(ctx, finish_reason)?)
        }
        AgentEventKind::ToolCallStarted { id, name } => {
            object.set("toolCall", tool_object(ctx, &[("id", id), ("name", name)])?)
        }
        AgentEventKind::ToolCallArgumentsDelta {
            id,
            delta,
            arguments,
            sequence,
        } => {
            let call = tool_object(ctx, &[("id", id), ("delta", delta)])?;
            set_text_getter(&call, "arguments", arguments)?;
            call.set("sequence", *sequence as f64)?;
            object.set("toolCall", call)
        }
        AgentEventKind::ToolCallRequested { id, name, input }
        | AgentEventKind::ToolExecutionStarted { id, name, input } => object.set(
            "toolCall",
            tool_object(ctx, &[("id", id), ("name", name), ("input", input)])?,
        ),
        AgentEventKind::ToolResultReady {
            id,
            name,
            result,
            failed,
        } => object.set(
            "toolResult",
            tool_object(
                ctx,
                &[
                    ("id", id),
                    ("name", name),
                    ("result", result),
                    ("status", status(*failed)),
                ],
            )?,
        ),
        AgentEventKind::ToolCallFinished { id, name, failed } => object.set(
            "toolCall",
            tool_object(
                ctx,
                &[("id", id), ("name", name), ("status", status(*failed))],
            )?,
        ),
        AgentEventKind::Interrupt { text } => object.set("text", text.as_str()),
        AgentEventKind::Log {
            level,
            message,
            fields,
        } => {
            object.set("level", level.as_str())?;
            object.set("message", message.as_str())?;
            if let Some(fields) = fields {
                object.set(
                    "fields",
                    json_to_js(ctx, &serde_json::Value::Object(fields.clone()))?,
                )?;
            }
            Ok(())
        }
    }
}

/// Most events delivered to the owner in one message.
const DELIVERY_BATCH: usize = 256;

/// One run's events on their way to its JS `deliver(payload, copy)` function. Events are
/// delivered in order, in batches; [`EventDelivery::finish`] returns once every event of the run
/// has been delivered. Events sent and not yet delivered are counted: above
/// [`super::super::backlog::BACKLOG_LIMIT`] the run's provider stream waits (the sink's `room`).
pub struct EventDelivery {
    sender: mpsc::UnboundedSender<Option<AgentEvent>>,
    task: tokio::task::JoinHandle<()>,
}

/// The sink side of an [`EventDelivery`].
struct ChannelSink {
    sender: mpsc::UnboundedSender<Option<AgentEvent>>,
    backlog: std::sync::Arc<Backlog>,
}

impl AgentSink for ChannelSink {
    fn emit(&self, event: AgentEvent) {
        self.backlog.sent();
        if self.sender.send(Some(event)).is_err() {
            // The delivery ended: nothing will run this event, nobody must wait for it.
            self.backlog.close();
        }
    }

    fn room(&self) -> Room<'_> {
        self.backlog.room()
    }
}

/// When a run's events reach JS.
#[derive(Debug, Clone, Copy)]
pub enum DeliveryMode {
    /// Inside the synchronous `run()` that waits for the run: served by its nested wait (the
    /// run's work group).
    Nested(u64),
    /// Between JS turns (`runAsync()`).
    BetweenTurns,
}

impl EventDelivery {
    /// Starts delivering to the registered function `deliver`; returns the delivery and the sink
    /// to give the run.
    pub fn start(
        owner: WeakOwnerHandle,
        tokio: &tokio::runtime::Handle,
        deliver: CallbackId,
        mode: DeliveryMode,
    ) -> (EventDelivery, std::sync::Arc<dyn AgentSink>) {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Option<AgentEvent>>();
        let backlog = std::sync::Arc::new(Backlog::new(owner.clone()));
        let delivered_backlog = backlog.clone();
        let task = tokio.spawn(async move {
            deliver_in_batches(owner, deliver, mode, &mut receiver, &delivered_backlog).await;
            delivered_backlog.close();
        });
        let sink = std::sync::Arc::new(ChannelSink {
            sender: sender.clone(),
            backlog,
        });
        (EventDelivery { sender, task }, sink)
    }

    /// Waits until every event emitted so far has been handed to the owner (for
    /// [`DeliveryMode::Nested`]: delivered; for [`DeliveryMode::BetweenTurns`]: queued before
    /// anything posted after this returns).
    pub async fn finish(self) {
        let _ = self.sender.send(None);
        let _ = self.task.await;
    }
}

/// Posts the events `receiver` gets to the owner in batches, in order, until the end marker
/// (`None`) or until the owner is gone; the owner counts each batch it ran off `backlog`.
async fn deliver_in_batches(
    owner: WeakOwnerHandle,
    deliver: CallbackId,
    mode: DeliveryMode,
    receiver: &mut mpsc::UnboundedReceiver<Option<AgentEvent>>,
    backlog: &std::sync::Arc<Backlog>,
) {
    let mut batch = Vec::with_capacity(DELIVERY_BATCH);
    loop {
        if receiver.recv_many(&mut batch, DELIVERY_BATCH).await == 0 {
            return;
        }
        let end = batch.iter().position(Option::is_none);
        let events: Vec<AgentEvent> = batch.drain(..).map_while(|event| event).collect();
        let Some(owner) = owner.upgrade() else {
            return;
        };
        let ran = backlog.clone();
        let deliver_counted = move |ctx: &Ctx<'_>| {
            let count = events.len();
            deliver_events(ctx, deliver, events);
            ran.ran(count);
        };
        let delivered = match mode {
            DeliveryMode::Nested(group) => {
                let options = CallOptions {
                    group: Some(group),
                    ..CallOptions::default()
                };
                owner
                    .call_with(options, "deliver-agent-events", move |ctx| {
                        deliver_counted(ctx);
                        Ok(())
                    })
                    .await
            }
            DeliveryMode::BetweenTurns => {
                owner
                    .post("deliver-agent-events", move |ctx| {
                        local::run_at_top_level(ctx, Box::new(deliver_counted));
                        Ok(())
                    })
                    .await
            }
        };
        if delivered.is_err() || end.is_some() {
            return;
        }
    }
}

/// Calls `deliver(payload, copy)` for each event, on the owner.
fn deliver_events(ctx: &Ctx<'_>, deliver: CallbackId, events: Vec<AgentEvent>) {
    let Ok(function) = callback_function(ctx, deliver) else {
        return;
    };
    for event in &events {
        let called = event_to_js(ctx, event).and_then(|payload| {
            let copy = event_to_js(ctx, event)?;
            function.call::<_, ()>((payload, copy))
        });
        if let Err(error) = called {
            let message = match error {
                rquickjs::Error::Exception => local::describe_thrown(&ctx.catch()).0,
                other => other.to_string(),
            };
            tracing::warn!(target: "geppetto::bridge", "geppetto event listener threw: {message}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::inference::agent::RunIds;
    use crate::owner::{Owner, OwnerOptions};

    fn event() -> AgentEvent {
        AgentEvent {
            kind: AgentEventKind::RunFinished,
            timestamp_ms: 0,
            ids: Arc::new(RunIds {
                session_id: "s".into(),
                inference_id: "i".into(),
                turn_id: "t".into(),
            }),
            provider_call_id: None,
            segment_id: None,
            tool_call_id: None,
            raw_payload: None,
        }
    }

    /// While the owner is busy, events pile up undelivered: past the backlog limit the run's
    /// sink has no room (a provider stream would wait); once the owner runs them there is room
    /// again and every event reached the JS function once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_busy_owner_leaves_no_room_until_it_delivered() {
        let owner = Owner::spawn(OwnerOptions {
            name: "agent-events".into(),
            ..OwnerOptions::default()
        })
        .expect("owner");
        let tokio = tokio::runtime::Handle::current();
        let (delivery, sink) = owner
            .call("setup", move |ctx| {
                ctx.globals().set("delivered", 0)?;
                let deliver: rquickjs::Function = ctx.eval("(function () { delivered++; })")?;
                let id = local::register_callback(ctx, deliver.into_value()).expect("callback");
                let weak = local::weak_handle().expect("owner thread");
                Ok(EventDelivery::start(
                    weak,
                    &tokio,
                    id,
                    DeliveryMode::BetweenTurns,
                ))
            })
            .await
            .expect("setup");
        let (held, hold) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(std::sync::Barrier::new(2));
        let owner_gate = gate.clone();
        let busy = tokio::spawn(owner.call("hold", move |_| {
            owner_gate.wait();
            let _ = hold.recv();
            Ok(())
        }));
        tokio::task::spawn_blocking(move || gate.wait())
            .await
            .expect("gate");

        let count = super::super::super::backlog::BACKLOG_LIMIT + 500;
        for _ in 0..count {
            sink.emit(event());
        }
        let waited = tokio::time::timeout(Duration::from_millis(100), sink.room()).await;
        assert!(waited.is_err(), "room while {count} events are undelivered");

        held.send(()).expect("release the owner");
        tokio::time::timeout(Duration::from_secs(60), sink.room())
            .await
            .expect("room once the owner delivered (hang detector)");
        busy.await.expect("busy task").expect("busy call");
        delivery.finish().await;
        owner.wait_idle().await.expect("idle");
        let delivered: usize = owner
            .call("read", |ctx| ctx.globals().get("delivered"))
            .await
            .expect("read");
        assert_eq!(delivered, count);
    }
}
