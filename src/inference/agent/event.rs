//! The canonical agent event model: what an agent run reports, as plain Rust data.
//!
//! Every event carries the run's ids ([`RunIds`]) and, where it belongs to one, the id of its
//! engine step (`provider_call_id`), text segment (`segment_id`) or tool call (`tool_call_id`).

use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::Value;

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

/// The text of a segment so far, as a view of one shared, append-only buffer: a delta event costs
/// O(its delta), however long the segment grows; the text is copied only when read.
#[derive(Debug, Clone)]
pub struct SegmentText {
    buffer: Arc<RwLock<String>>,
    len: usize,
}

impl SegmentText {
    /// The text this view covers.
    pub fn text(&self) -> String {
        self.buffer.read()[..self.len].to_string()
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl PartialEq for SegmentText {
    fn eq(&self, other: &SegmentText) -> bool {
        self.text() == other.text()
    }
}

/// An append-only text buffer that hands out [`SegmentText`] views of its prefixes.
#[derive(Debug, Clone, Default)]
pub struct SegmentBuffer {
    buffer: Arc<RwLock<String>>,
}

impl SegmentBuffer {
    /// Appends `delta` and returns the view of everything so far.
    pub fn push(&self, delta: &str) -> SegmentText {
        let mut buffer = self.buffer.write();
        buffer.push_str(delta);
        SegmentText {
            buffer: self.buffer.clone(),
            len: buffer.len(),
        }
    }

    /// A copy of the whole text.
    pub fn text(&self) -> String {
        self.buffer.read().clone()
    }
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
    /// A text segment starts.
    TextSegmentStarted {
        /// The role (`assistant`).
        role: String,
    },
    /// Streamed text.
    TextDelta {
        /// The new text.
        delta: String,
        /// The segment so far.
        text: SegmentText,
        /// 1, 2, ... per segment.
        sequence: u64,
    },
    /// A text segment ended.
    TextSegmentFinished {
        /// The segment's text.
        text: String,
        /// The step's stop reason.
        finish_reason: Option<String>,
    },
    /// The model started a tool call.
    ToolCallStarted {
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
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
            AgentEventKind::TextSegmentStarted { .. } => "text-segment-started",
            AgentEventKind::TextDelta { .. } => "text-delta",
            AgentEventKind::TextSegmentFinished { .. } => "text-segment-finished",
            AgentEventKind::ToolCallStarted { .. } => "tool-call-started",
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
        matches!(self, AgentEventKind::TextDelta { .. })
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
}

/// Receives the events of agent runs. Must be cheap and never block.
pub trait AgentSink: Send + Sync {
    /// Delivers one event.
    fn emit(&self, event: AgentEvent);
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
    fn segment_views_share_one_buffer() {
        let buffer = SegmentBuffer::default();
        let first = buffer.push("ab");
        let second = buffer.push("cd");
        assert_eq!(first.text(), "ab");
        assert_eq!(second.text(), "abcd");
        assert_eq!((first.len(), second.len()), (2, 4));
        assert!(Arc::ptr_eq(&first.buffer, &second.buffer));
        assert_eq!(buffer.text(), "abcd");
    }

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
