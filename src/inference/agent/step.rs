//! Engine steps of an agent run: wraps the agent's engine so every step reports the canonical
//! provider, text and tool-call events, and records its stop reason and usage.
//!
//! An engine reports through the session events of [`crate::inference::event`]; a step turns them
//! into agent events: streamed `partial`s become one text segment of deltas, `tool-call`s become
//! `tool-call-started` + `tool-call-requested`, `error` becomes `inference-error`, `interrupt`
//! stays. An engine that streams nothing (the offline engines) gets its segments and tool calls
//! from the blocks the step added.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use serde_json::Value;

use super::emitter::{EventScope, RunEmitter, StepReport};
use super::event::{AgentEventKind, FinishClass, SegmentBuffer};
use crate::inference::context::RunContext;
use crate::inference::engine::Engine;
use crate::inference::error::InferenceError;
use crate::inference::event::{Event, EventKind, EventSink};
use crate::inference::turn::{Block, BlockKind, Turn, new_id};

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
                    translator.finish(&added, &stop_reason);
                    if !OFFLINE_ENGINES.contains(&self.inner.name()) {
                        translator.emit(
                            AgentEventKind::ProviderCallMetadataUpdated {
                                stop_reason: Some(stop_reason.clone()),
                                stop_sequence: None,
                                usage: usage.clone(),
                            },
                            None,
                        );
                    }
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
    /// The text segment being streamed.
    segment: Option<OpenSegment>,
    /// Whether the engine streamed text (then the added blocks do not make segments).
    streamed_text: bool,
    /// Whether the engine reported tool calls itself.
    reported_tool_calls: bool,
    /// Whether the engine reported its failure (`error`/`interrupt`) itself.
    reported_end: bool,
}

struct OpenSegment {
    id: Arc<str>,
    buffer: SegmentBuffer,
    sequence: u64,
}

/// Translates one step's engine events into agent events.
struct StepTranslator {
    run: Arc<RunEmitter>,
    call_id: Arc<str>,
    state: Mutex<StepState>,
}

impl StepTranslator {
    fn emit(&self, kind: AgentEventKind, segment_id: Option<Arc<str>>) {
        let tool_call_id = match &kind {
            AgentEventKind::ToolCallStarted { id, .. }
            | AgentEventKind::ToolCallRequested { id, .. } => Some(id.clone()),
            _ => None,
        };
        self.run.emit_in(
            kind,
            EventScope {
                provider_call_id: Some(self.call_id.clone()),
                segment_id,
                tool_call_id,
            },
        );
    }

    /// One whole text segment: started, one delta, finished.
    fn segment(&self, text: &str, finish_reason: &str) {
        let id: Arc<str> = Arc::from(new_id());
        let buffer = SegmentBuffer::default();
        self.emit(
            AgentEventKind::TextSegmentStarted {
                role: "assistant".into(),
            },
            Some(id.clone()),
        );
        let view = buffer.push(text);
        self.emit(
            AgentEventKind::TextDelta {
                delta: text.to_string(),
                text: view,
                sequence: 1,
            },
            Some(id.clone()),
        );
        self.emit(
            AgentEventKind::TextSegmentFinished {
                text: text.to_string(),
                finish_reason: Some(finish_reason.to_string()),
            },
            Some(id),
        );
    }

    /// Ends a successful step: closes the streamed segment, or makes segments and tool calls from
    /// the blocks the step added when the engine streamed none.
    fn finish(&self, added: &[&Block], stop_reason: &str) {
        let mut state = self.state.lock();
        if let Some(segment) = state.segment.take() {
            drop(state);
            self.emit(
                AgentEventKind::TextSegmentFinished {
                    text: segment.buffer.text(),
                    finish_reason: Some(stop_reason.to_string()),
                },
                Some(segment.id),
            );
            state = self.state.lock();
        }
        let (streamed_text, reported_tool_calls) = (state.streamed_text, state.reported_tool_calls);
        drop(state);
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
    }

    /// A completed tool call of the model: `tool-call-started`, `tool-call-requested`.
    fn tool_call(&self, id: String, name: String, input: String) {
        self.emit(
            AgentEventKind::ToolCallStarted {
                id: id.clone(),
                name: name.clone(),
            },
            None,
        );
        self.emit(AgentEventKind::ToolCallRequested { id, name, input }, None);
    }

    /// Ends a failed or cancelled step with `inference-error` or `interrupt`, unless the engine
    /// reported it.
    fn fail(&self, error: &InferenceError, cancelled: bool) {
        let mut state = self.state.lock();
        let partial = state
            .segment
            .take()
            .map(|segment| segment.buffer.text())
            .unwrap_or_default();
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

impl EventSink for StepTranslator {
    fn emit(&self, event: Event) {
        match event.kind {
            EventKind::Partial { delta, .. } => {
                let mut state = self.state.lock();
                state.streamed_text = true;
                let opened = state.segment.is_none();
                let segment = state.segment.get_or_insert_with(|| OpenSegment {
                    id: Arc::from(new_id()),
                    buffer: SegmentBuffer::default(),
                    sequence: 0,
                });
                segment.sequence += 1;
                let (id, sequence, text) = (
                    segment.id.clone(),
                    segment.sequence,
                    segment.buffer.push(&delta),
                );
                drop(state);
                if opened {
                    self.emit(
                        AgentEventKind::TextSegmentStarted {
                            role: "assistant".into(),
                        },
                        Some(id.clone()),
                    );
                }
                self.emit(
                    AgentEventKind::TextDelta {
                        delta,
                        text,
                        sequence,
                    },
                    Some(id),
                );
            }
            EventKind::ToolCall { id, name, input } => {
                self.state.lock().reported_tool_calls = true;
                self.tool_call(id, name, input);
            }
            EventKind::Error { error } => {
                self.state.lock().reported_end = true;
                self.emit(AgentEventKind::InferenceError { error }, None);
            }
            EventKind::Interrupt { text } => {
                let mut state = self.state.lock();
                state.reported_end = true;
                let partial = state.segment.take().map(|segment| segment.buffer.text());
                drop(state);
                let text = partial
                    .filter(|partial| !partial.is_empty())
                    .unwrap_or(text);
                self.emit(AgentEventKind::Interrupt { text }, None);
            }
            EventKind::Start
            | EventKind::Final { .. }
            | EventKind::ToolResult { .. }
            | EventKind::ToolCallExecute { .. }
            | EventKind::ToolCallExecutionResult { .. } => {}
        }
    }
}

fn compact_json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
