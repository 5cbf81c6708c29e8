//! Engine steps of an agent run: wraps the agent's engine so every step reports the canonical
//! provider, text and tool-call events, and records its stop reason and usage.
//!
//! An engine reports through the session events of [`crate::inference::event`] and the stream
//! details only agent steps receive ([`StreamDetail`]); a step turns them into agent events:
//! streamed `partial`s and reasoning deltas become text and reasoning segments of deltas (a segment
//! ends when the stream switches between text and reasoning, or when the step's stop reason is
//! known at its end), started calls and their argument pieces become `tool-call-started` and
//! `tool-call-arguments-delta`, `tool-call`s become `tool-call-requested` (after
//! `tool-call-started` when the engine did not stream the call), stop reason and usage become
//! `provider-call-metadata-updated`, `error` becomes `inference-error`, `interrupt` stays. An
//! engine that streams nothing (the offline engines) gets its segments and tool calls from the
//! blocks the step added.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use serde_json::Value;

use super::emitter::{EventScope, RunEmitter, StepReport};
use super::event::{AgentEventKind, FinishClass, SegmentKind};
use crate::inference::context::RunContext;
use crate::inference::engine::Engine;
use crate::inference::error::InferenceError;
use crate::inference::event::{Event, EventKind, EventSink, Room, SharedText, StreamDetail};
use crate::inference::turn::{Block, BlockKind, JsonMap, Turn, new_id};

/// The turn metadata key a step writes its stop reason under.
pub const STOP_REASON_KEY: &str = "stop_reason";
/// The turn metadata key a step writes its usage under.
pub const USAGE_KEY: &str = "usage";

/// Engines that answer offline (the callback or a fixed text): they report stop reason and usage
/// through the turn they return, and no provider metadata events.
const OFFLINE_ENGINES: [&str; 2] = ["echo", "jsFunction"];

/// The agent's engine, reporting each step to the run's emitter.
pub struct StepEngine {
    /// The engine that answers.
    pub inner: Arc<dyn Engine>,
    /// The run's emitter.
    pub run: Arc<RunEmitter>,
}

impl Engine for StepEngine {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn answers_in_process(&self) -> bool {
        self.inner.answers_in_process()
    }

    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        mut turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        Box::pin(async move {
            let started = Instant::now();
            let call_id: Arc<str> = Arc::from(new_id());
            let translator = Arc::new(StepTranslator {
                run: self.run.clone(),
                call_id: call_id.clone(),
                state: Mutex::new(StepState::default()),
                raw_event: Mutex::new(None),
            });
            translator.emit(AgentEventKind::ProviderCallStarted, None);
            turn.metadata.remove(STOP_REASON_KEY);
            turn.metadata.remove(USAGE_KEY);
            // Blocks that reach a step without an id (an earlier step's or a middleware's) get one
            // now, as the output turn would anyway: otherwise they would count as this step's.
            for block in turn.blocks.iter_mut().filter(|block| block.id.is_empty()) {
                block.id = new_id();
            }
            let known: HashSet<String> = turn.blocks.iter().map(|block| block.id.clone()).collect();
            let mut step_ctx = ctx.clone();
            step_ctx.sink = translator.clone();
            let result = self.inner.run_inference(&step_ctx, turn).await;
            let duration_ms = started.elapsed().as_millis() as u64;
            match result {
                Ok(mut output) => {
                    let added: Vec<&Block> = output
                        .blocks
                        .iter()
                        .filter(|block| block.id.is_empty() || !known.contains(&block.id))
                        .collect();
                    let has_tool_calls = added.iter().any(|b| b.kind == BlockKind::ToolCall);
                    let stop_reason = match output.metadata.get(STOP_REASON_KEY) {
                        Some(Value::String(reason)) if !reason.is_empty() => reason.clone(),
                        _ if has_tool_calls => "tool_calls".to_string(),
                        _ => "stop".to_string(),
                    };
                    let usage = match output.metadata.get(USAGE_KEY) {
                        Some(Value::Object(usage)) => Some(usage.clone()),
                        _ => None,
                    };
                    let offline = OFFLINE_ENGINES.contains(&self.inner.name());
                    translator.finish(&added, &stop_reason, usage.as_ref(), offline);
                    translator.emit(
                        AgentEventKind::ProviderCallFinished {
                            stop_reason: Some(stop_reason.clone()),
                            finish_class: if has_tool_calls {
                                FinishClass::ToolCallsPending
                            } else {
                                FinishClass::Completed
                            },
                            has_tool_calls,
                            usage: usage.clone(),
                            duration_ms,
                        },
                        None,
                    );
                    output
                        .metadata
                        .insert(STOP_REASON_KEY.into(), Value::String(stop_reason.clone()));
                    if let Some(usage) = &usage {
                        output
                            .metadata
                            .insert(USAGE_KEY.into(), Value::Object(usage.clone()));
                    }
                    self.run.record_step(StepReport { stop_reason, usage });
                    Ok(output)
                }
                Err(error) => {
                    let cancelled = error.is_cancellation();
                    translator.fail(&error, cancelled);
                    translator.emit(
                        AgentEventKind::ProviderCallFinished {
                            stop_reason: None,
                            finish_class: if cancelled {
                                FinishClass::Cancelled
                            } else {
                                FinishClass::Failed
                            },
                            has_tool_calls: false,
                            usage: None,
                            duration_ms,
                        },
                        None,
                    );
                    Err(error)
                }
            }
        })
    }
}

#[derive(Default)]
struct StepState {
    /// The text or reasoning segment being streamed.
    segment: Option<OpenSegment>,
    /// Whether the engine streamed text (then the added blocks do not make segments).
    streamed_text: bool,
    /// The calls the engine reported as started, by id, with their argument text so far.
    started_calls: HashMap<String, StreamedCall>,
    /// Whether the engine reported tool calls itself.
    reported_tool_calls: bool,
    /// Whether the engine reported stop reason or usage itself.
    reported_metadata: bool,
    /// The stop reason the engine reported, once it did.
    stop_reason: Option<String>,
    /// Whether the engine reported its failure (`error`/`interrupt`) itself.
    reported_end: bool,
}

struct OpenSegment {
    kind: SegmentKind,
    id: Arc<str>,
    buffer: SharedText,
    sequence: u64,
}

impl OpenSegment {
    fn new(kind: SegmentKind) -> OpenSegment {
        OpenSegment {
            kind,
            id: Arc::from(new_id()),
            buffer: SharedText::new(),
            sequence: 0,
        }
    }
}

/// A tool call being streamed: its argument text so far and the last piece's sequence number.
#[derive(Default)]
struct StreamedCall {
    arguments: SharedText,
    sequence: u64,
}

/// Translates one step's engine events into agent events.
struct StepTranslator {
    run: Arc<RunEmitter>,
    call_id: Arc<str>,
    state: Mutex<StepState>,
    /// The provider stream event being decoded, if any (see [`StreamDetail::RawEvent`]).
    raw_event: Mutex<Option<Arc<str>>>,
}

impl StepTranslator {
    fn emit(&self, kind: AgentEventKind, segment_id: Option<Arc<str>>) {
        let tool_call_id = match &kind {
            AgentEventKind::ToolCallStarted { id, .. }
            | AgentEventKind::ToolCallArgumentsDelta { id, .. }
            | AgentEventKind::ToolCallRequested { id, .. } => Some(id.clone()),
            _ => None,
        };
        self.run.emit_in(
            kind,
            EventScope {
                provider_call_id: Some(self.call_id.clone()),
                segment_id,
                tool_call_id,
                raw_payload: self.raw_event.lock().clone(),
            },
        );
    }

    /// A streamed piece of text or reasoning: continues the open segment of that kind, else ends
    /// the open one (without finish reason: the step goes on) and starts a new one.
    fn delta(&self, kind: SegmentKind, delta: String) {
        let mut state = self.state.lock();
        if kind == SegmentKind::Text {
            state.streamed_text = true;
        }
        let ended = match &state.segment {
            Some(open) if open.kind != kind => state.segment.take(),
            _ => None,
        };
        let opened = state.segment.is_none();
        let segment = state.segment.get_or_insert_with(|| OpenSegment::new(kind));
        segment.sequence += 1;
        let (id, sequence, text) = (
            segment.id.clone(),
            segment.sequence,
            segment.buffer.push_str(&delta),
        );
        drop(state);
        if let Some(ended) = ended {
            self.end_segment(ended, None);
        }
        if opened {
            self.emit(
                AgentEventKind::SegmentStarted {
                    kind,
                    role: "assistant".into(),
                },
                Some(id.clone()),
            );
        }
        self.emit(
            AgentEventKind::SegmentDelta {
                kind,
                delta,
                text,
                sequence,
            },
            Some(id),
        );
    }

    fn end_segment(&self, segment: OpenSegment, finish_reason: Option<String>) {
        self.emit(
            AgentEventKind::SegmentFinished {
                kind: segment.kind,
                text: segment.buffer.to_text(),
                finish_reason,
            },
            Some(segment.id),
        );
    }

    /// Ends the open segment once the engine reported its stop reason (the stream is over when
    /// the engine reports its tool calls or final text).
    fn end_segment_at_stop(&self) {
        let mut state = self.state.lock();
        let Some(stop_reason) = state.stop_reason.clone() else {
            return;
        };
        let segment = state.segment.take();
        drop(state);
        if let Some(segment) = segment {
            self.end_segment(segment, Some(stop_reason));
        }
    }

    /// One whole text segment: started, one delta, finished.
    fn segment(&self, text: &str, finish_reason: &str) {
        let segment = OpenSegment::new(SegmentKind::Text);
        self.emit(
            AgentEventKind::SegmentStarted {
                kind: SegmentKind::Text,
                role: "assistant".into(),
            },
            Some(segment.id.clone()),
        );
        let view = segment.buffer.push_str(text);
        self.emit(
            AgentEventKind::SegmentDelta {
                kind: SegmentKind::Text,
                delta: text.to_string(),
                text: view,
                sequence: 1,
            },
            Some(segment.id.clone()),
        );
        self.end_segment(segment, Some(finish_reason.to_string()));
    }

    /// Ends a successful step: closes the streamed segment, makes segments and tool calls from
    /// the blocks the step added when the engine streamed none, and reports stop reason and usage
    /// when a non-offline engine did not.
    fn finish(&self, added: &[&Block], stop_reason: &str, usage: Option<&JsonMap>, offline: bool) {
        let mut state = self.state.lock();
        let segment = state.segment.take();
        let (streamed_text, reported_tool_calls, reported_metadata) = (
            state.streamed_text,
            state.reported_tool_calls,
            state.reported_metadata,
        );
        drop(state);
        if let Some(segment) = segment {
            self.end_segment(segment, Some(stop_reason.to_string()));
        }
        if !streamed_text {
            for block in added.iter().filter(|b| b.kind == BlockKind::LlmText) {
                match block.text_payload() {
                    Some(text) if !text.is_empty() => self.segment(text, stop_reason),
                    _ => {}
                }
            }
        }
        if !reported_tool_calls {
            for block in added.iter().filter(|b| b.kind == BlockKind::ToolCall) {
                let id = block.payload_str("id").unwrap_or(&block.id).to_string();
                let name = block.payload_str("name").unwrap_or_default().to_string();
                let input = block
                    .payload
                    .get("args")
                    .map_or_else(|| "{}".to_string(), compact_json);
                self.tool_call(id, name, input);
            }
        }
        if !offline && !reported_metadata {
            self.emit(
                AgentEventKind::ProviderCallMetadataUpdated {
                    stop_reason: Some(stop_reason.to_string()),
                    stop_sequence: None,
                    usage: usage.cloned(),
                },
                None,
            );
        }
    }

    /// A completed tool call of the model: `tool-call-started` (unless the engine streamed it),
    /// `tool-call-requested`.
    fn tool_call(&self, id: String, name: String, input: String) {
        let streamed = self.state.lock().started_calls.contains_key(&id);
        if !streamed {
            self.emit(
                AgentEventKind::ToolCallStarted {
                    id: id.clone(),
                    name: name.clone(),
                },
                None,
            );
        }
        self.emit(AgentEventKind::ToolCallRequested { id, name, input }, None);
    }

    /// Ends a failed or cancelled step with `inference-error` or `interrupt`, unless the engine
    /// reported it.
    fn fail(&self, error: &InferenceError, cancelled: bool) {
        let mut state = self.state.lock();
        let partial = state.segment.take().and_then(text_of).unwrap_or_default();
        let reported = state.reported_end;
        drop(state);
        if reported {
            return;
        }
        if cancelled {
            self.emit(AgentEventKind::Interrupt { text: partial }, None);
        } else {
            self.emit(
                AgentEventKind::InferenceError {
                    error: error.to_string(),
                },
                None,
            );
        }
    }
}

/// The text of a text segment (`None` for reasoning).
fn text_of(segment: OpenSegment) -> Option<String> {
    (segment.kind == SegmentKind::Text).then(|| segment.buffer.to_text())
}

impl EventSink for StepTranslator {
    fn emit(&self, event: Event) {
        match event.kind {
            EventKind::Partial { delta, .. } => self.delta(SegmentKind::Text, delta),
            EventKind::ToolCall { id, name, input } => {
                self.end_segment_at_stop();
                self.state.lock().reported_tool_calls = true;
                self.tool_call(id, name, input);
            }
            EventKind::Final { .. } => self.end_segment_at_stop(),
            EventKind::Error { error } => {
                self.state.lock().reported_end = true;
                self.emit(AgentEventKind::InferenceError { error }, None);
            }
            EventKind::Interrupt { text } => {
                let mut state = self.state.lock();
                state.reported_end = true;
                let partial = state.segment.take().and_then(text_of);
                drop(state);
                let text = if text.is_empty() {
                    partial.unwrap_or_default()
                } else {
                    text
                };
                self.emit(AgentEventKind::Interrupt { text }, None);
            }
            EventKind::Start
            | EventKind::ToolResult { .. }
            | EventKind::ToolCallExecute { .. }
            | EventKind::ToolCallExecutionResult { .. } => {}
        }
    }

    fn detail(&self, detail: StreamDetail<'_>) {
        match detail {
            StreamDetail::RawEvent { data } => *self.raw_event.lock() = data.map(Arc::from),
            StreamDetail::ReasoningDelta { source, delta } => {
                self.delta(SegmentKind::Reasoning(source), delta.to_string())
            }
            StreamDetail::ToolCallStarted { id, name } => {
                self.state
                    .lock()
                    .started_calls
                    .insert(id.to_string(), StreamedCall::default());
                self.emit(
                    AgentEventKind::ToolCallStarted {
                        id: id.to_string(),
                        name: name.to_string(),
                    },
                    None,
                );
            }
            StreamDetail::ToolCallArgumentsDelta { id, delta } => {
                let mut state = self.state.lock();
                let call = state.started_calls.entry(id.to_string()).or_default();
                call.sequence += 1;
                let (sequence, arguments) = (call.sequence, call.arguments.push_str(delta));
                drop(state);
                self.emit(
                    AgentEventKind::ToolCallArgumentsDelta {
                        id: id.to_string(),
                        delta: delta.to_string(),
                        arguments,
                        sequence,
                    },
                    None,
                );
            }
            StreamDetail::Metadata {
                stop_reason,
                stop_sequence,
                usage,
            } => {
                let mut state = self.state.lock();
                state.reported_metadata = true;
                state.stop_reason = stop_reason.map(str::to_string);
                drop(state);
                self.emit(
                    AgentEventKind::ProviderCallMetadataUpdated {
                        stop_reason: stop_reason.map(str::to_string),
                        stop_sequence: stop_sequence.map(str::to_string),
                        usage: usage.cloned(),
                    },
                    None,
                );
            }
        }
    }

    /// The run's room: a provider stream of the step waits for the agent events' consumer.
    fn room(&self) -> Room<'_> {
        EventSink::room(self.run.as_ref())
    }
}

fn compact_json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
