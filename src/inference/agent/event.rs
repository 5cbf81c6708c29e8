//! The canonical agent event model: what an agent run reports, as plain Rust data.
//!
//! Every event carries the run's ids ([`RunIds`]) and, where it belongs to one, the id of its
//! engine step (`provider_call_id`), text segment (`segment_id`) or tool call (`tool_call_id`).

use std::sync::Arc;

use serde_json::Value;

use super::super::event::{ReasoningSource, Room, TextPrefix};
use super::super::turn::JsonMap;

/// The ids of one run, shared by all of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIds {
    /// The session id.
    pub session_id: String,
    /// The run's inference id (also the run id of `correlation`).
    pub inference_id: String,
    /// The effective turn's id.
    pub turn_id: String,
}

/// Why a run stopped without failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// `cancel()`/`close()`.
    Cancelled,
    /// The run's deadline passed.
    DeadlineExceeded,
}

impl StopCause {
    /// The `reason` text (`cancelled`, `deadline exceeded`).
    pub fn as_str(self) -> &'static str {
        match self {
            StopCause::Cancelled => "cancelled",
            StopCause::DeadlineExceeded => "deadline exceeded",
        }
    }
}

/// How an engine step ended (`finishClass`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishClass {
    /// The step answered without tool calls.
    Completed,
    /// The step answered with tool calls to execute.
    ToolCallsPending,
    /// The step was cancelled.
    Cancelled,
    /// The step failed.
    Failed,
}

impl FinishClass {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FinishClass::Completed => "completed",
            FinishClass::ToolCallsPending => "tool_calls_pending",
            FinishClass::Cancelled => "cancelled",
            FinishClass::Failed => "failed",
        }
    }
}

/// What a segment holds: the answer's text, or reasoning of some source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    /// Answer text (`text-*` events).
    Text,
    /// Reasoning (`reasoning-*` events, with their `source`).
    Reasoning(ReasoningSource),
}

/// What happened; see the agent spec's event table for the fields.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEventKind {
    /// A run starts; `prompt` is the text of the effective turn's last user block.
    RunStarted {
        /// The prompt.
        prompt: String,
    },
    /// A run completed.
    RunFinished,
    /// A run was cancelled or hit its deadline.
    RunStopped {
        /// Why.
        cause: StopCause,
    },
    /// A run failed.
    RunFailed {
        /// The failure text.
        error: String,
    },
    /// An engine step starts.
    ProviderCallStarted,
    /// A provider reported a stop reason or usage.
    ProviderCallMetadataUpdated {
        /// The stop reason, when known.
        stop_reason: Option<String>,
        /// The stop sequence, when known.
        stop_sequence: Option<String>,
        /// The usage, when known.
        usage: Option<JsonMap>,
    },
    /// An engine step ended.
    ProviderCallFinished {
        /// The step's stop reason (`None` when it failed or was cancelled).
        stop_reason: Option<String>,
        /// How it ended.
        finish_class: FinishClass,
        /// Whether it added tool calls.
        has_tool_calls: bool,
        /// The step's usage, when reported.
        usage: Option<JsonMap>,
        /// How long it took.
        duration_ms: u64,
    },
    /// A text or reasoning segment starts.
    SegmentStarted {
        /// Text or reasoning.
        kind: SegmentKind,
        /// The role (`assistant`).
        role: String,
    },
    /// Streamed text or reasoning.
    SegmentDelta {
        /// Text or reasoning.
        kind: SegmentKind,
        /// The new text.
        delta: String,
        /// The segment so far: a view of the segment's shared buffer, so an event costs O(its
        /// delta) however long the segment grows.
        text: TextPrefix,
        /// 1, 2, ... per segment.
        sequence: u64,
    },
    /// A text or reasoning segment ended.
    SegmentFinished {
        /// Text or reasoning.
        kind: SegmentKind,
        /// The segment's text.
        text: String,
        /// The step's stop reason; `None` for a segment that ended before it was known.
        finish_reason: Option<String>,
    },
    /// The model started a tool call.
    ToolCallStarted {
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
    },
    /// A piece of a started tool call's arguments.
    ToolCallArgumentsDelta {
        /// Call id.
        id: String,
        /// The new argument text.
        delta: String,
        /// The argument text so far (a view of the call's shared buffer, like a segment's).
        arguments: TextPrefix,
        /// 1, 2, ... per call.
        sequence: u64,
    },
    /// The model requested a tool call.
    ToolCallRequested {
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
        /// Arguments as compact JSON text.
        input: String,
    },
    /// The tool loop executes a call.
    ToolExecutionStarted {
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
        /// Arguments as compact JSON text.
        input: String,
    },
    /// A tool call's result is ready.
    ToolResultReady {
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
        /// Result JSON, `Error: <e>` or `<json> | Error: <e>`.
        result: String,
        /// Whether the call failed.
        failed: bool,
    },
    /// A tool call ended.
    ToolCallFinished {
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
        /// Whether the call failed.
        failed: bool,
    },
    /// An engine step failed.
    InferenceError {
        /// The failure text.
        error: String,
    },
    /// An engine step was cancelled.
    Interrupt {
        /// The partial text.
        text: String,
    },
    /// A log line from the host or persistence.
    Log {
        /// `error`, `warn`, `info`, ...
        level: String,
        /// The message.
        message: String,
        /// Structured fields.
        fields: Option<JsonMap>,
    },
}

impl AgentEventKind {
    /// The event's `type` (`error` for [`AgentEventKind::InferenceError`]).
    pub fn type_name(&self) -> &'static str {
        match self {
            AgentEventKind::RunStarted { .. } => "run-started",
            AgentEventKind::RunFinished => "run-finished",
            AgentEventKind::RunStopped { .. } => "run-stopped",
            AgentEventKind::RunFailed { .. } => "run-failed",
            AgentEventKind::ProviderCallStarted => "provider-call-started",
            AgentEventKind::ProviderCallMetadataUpdated { .. } => "provider-call-metadata-updated",
            AgentEventKind::ProviderCallFinished { .. } => "provider-call-finished",
            AgentEventKind::SegmentStarted { kind, .. } => match kind {
                SegmentKind::Text => "text-segment-started",
                SegmentKind::Reasoning(_) => "reasoning-segment-started",
            },
            AgentEventKind::SegmentDelta { kind, .. } => match kind {
                SegmentKind::Text => "text-delta",
                SegmentKind::Reasoning(_) => "reasoning-delta",
            },
            AgentEventKind::SegmentFinished { kind, .. } => match kind {
                SegmentKind::Text => "text-segment-finished",
                SegmentKind::Reasoning(_) => "reasoning-segment-finished",
            },
            AgentEventKind::ToolCallStarted { .. } => "tool-call-started",
            AgentEventKind::ToolCallArgumentsDelta { .. } => "tool-call-arguments-delta",
            AgentEventKind::ToolCallRequested { .. } => "tool-call-requested",
            AgentEventKind::ToolExecutionStarted { .. } => "tool-execution-started",
            AgentEventKind::ToolResultReady { .. } => "tool-result-ready",
            AgentEventKind::ToolCallFinished { .. } => "tool-call-finished",
            AgentEventKind::InferenceError { .. } => "error",
            AgentEventKind::Interrupt { .. } => "interrupt",
            AgentEventKind::Log { .. } => "log",
        }
    }

    /// Whether this is a streaming delta (not kept in a run's recorded events).
    pub fn is_delta(&self) -> bool {
        matches!(
            self,
            AgentEventKind::SegmentDelta { .. } | AgentEventKind::ToolCallArgumentsDelta { .. }
        )
    }

    /// Whether this ends a run (`run-finished`, `run-stopped`, `run-failed`).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            AgentEventKind::RunFinished
                | AgentEventKind::RunStopped { .. }
                | AgentEventKind::RunFailed { .. }
        )
    }
}

/// One event of an agent run.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentEvent {
    /// What happened.
    pub kind: AgentEventKind,
    /// Wall-clock time of emission, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The run's ids.
    pub ids: Arc<RunIds>,
    /// The engine step's opaque id, on the step's events.
    pub provider_call_id: Option<Arc<str>>,
    /// The segment id, on segment and delta events.
    pub segment_id: Option<Arc<str>>,
    /// The tool call id, on tool events.
    pub tool_call_id: Option<String>,
    /// The raw text of the provider's stream event this event came from, when it came from one.
    pub raw_payload: Option<Arc<str>>,
}

/// Receives the events of agent runs. `emit` must be cheap and never block (it takes every
/// event); a sink whose consumer can fall behind says so through [`AgentSink::room`], which a
/// provider stream awaits before reading more (as [`crate::inference::EventSink::room`]).
pub trait AgentSink: Send + Sync {
    /// Delivers one event.
    fn emit(&self, event: AgentEvent);

    /// Completes when the sink's consumer can take more events. The default sink is never behind.
    fn room(&self) -> Room<'_> {
        Box::pin(std::future::ready(()))
    }
}

/// A sink that drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullAgentSink;

impl AgentSink for NullAgentSink {
    fn emit(&self, _event: AgentEvent) {}
}

/// Sums usage maps key by key (numbers only; other values of a later map replace earlier ones).
pub fn add_usage(total: &mut JsonMap, usage: &JsonMap) {
    for (key, value) in usage {
        match (total.get(key).and_then(Value::as_f64), value.as_f64()) {
            (Some(sum), Some(add)) => {
                let added = sum + add;
                let number = if added.fract() == 0.0 && added.abs() < 9e15 {
                    Value::from(added as i64)
                } else {
                    serde_json::Number::from_f64(added).map_or(Value::Null, Value::Number)
                };
                total.insert(key.clone(), number);
            }
            _ => {
                total.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usage_adds_key_by_key() {
        let mut total = JsonMap::new();
        let step = |value: serde_json::Value| value.as_object().unwrap().clone();
        add_usage(
            &mut total,
            &step(json!({"input_tokens": 3, "output_tokens": 1})),
        );
        add_usage(
            &mut total,
            &step(json!({"input_tokens": 4, "cached_tokens": 2})),
        );
        assert_eq!(
            Value::Object(total),
            json!({"input_tokens": 7, "output_tokens": 1, "cached_tokens": 2})
        );
    }
}
