//! Inference events as plain Rust data, and the sink engines and the tool loop emit them into.

use std::sync::Arc;

use serde_json::Value;

use super::turn::JsonMap;

/// What happened; the variant names match the spec's event types.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// An inference step starts.
    Start,
    /// A streamed text delta, with the text completed so far.
    Partial {
        /// The new text.
        delta: String,
        /// All text of this step so far.
        completion: String,
    },
    /// The model requested a tool call.
    ToolCall {
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
        /// Arguments as compact JSON text.
        input: String,
    },
    /// A tool result reported by the provider.
    ToolResult {
        /// Call id.
        id: String,
        /// Result text.
        result: String,
    },
    /// The tool loop is about to execute a call.
    ToolCallExecute {
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
        /// Arguments as compact JSON text.
        input: String,
    },
    /// The tool loop executed a call (`result` is the JSON result or `"Error: <message>"`).
    ToolCallExecutionResult {
        /// Call id.
        id: String,
        /// Result JSON text, or `"Error: <message>"`.
        result: String,
    },
    /// An inference step finished, with its text.
    Final {
        /// The text produced by the step.
        text: String,
    },
    /// An inference step failed.
    Error {
        /// The failure text.
        error: String,
    },
    /// An inference step was cancelled.
    Interrupt {
        /// Text produced before the interruption.
        text: String,
    },
}

impl EventKind {
    /// The spec's type string (`"start"`, `"partial"`, `"tool-call"`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::Start => "start",
            EventKind::Partial { .. } => "partial",
            EventKind::ToolCall { .. } => "tool-call",
            EventKind::ToolResult { .. } => "tool-result",
            EventKind::ToolCallExecute { .. } => "tool-call-execute",
            EventKind::ToolCallExecutionResult { .. } => "tool-call-execution-result",
            EventKind::Final { .. } => "final",
            EventKind::Error { .. } => "error",
            EventKind::Interrupt { .. } => "interrupt",
        }
    }
}

/// One event of a run, with the ids that say where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// Wall-clock time of emission, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The session of the run.
    pub session_id: String,
    /// The inference id of the run.
    pub inference_id: String,
    /// The id of the turn being processed, when known.
    pub turn_id: Option<String>,
    /// The run id.
    pub run_id: String,
    /// Extra provider-specific metadata.
    pub meta_extra: Option<JsonMap>,
}

/// Receives the events of a run. Implementations must be cheap and never block: the JS bridge
/// forwards each event to the owner's mailbox.
pub trait EventSink: Send + Sync {
    /// Delivers one event.
    fn emit(&self, event: Event);
}

/// A sink that drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: Event) {}
}

/// A sink that collects events in memory (tests and embedders that inspect a run afterwards).
#[derive(Debug, Default, Clone)]
pub struct CollectingSink {
    events: Arc<parking_lot::Mutex<Vec<Event>>>,
}

impl CollectingSink {
    /// A new, empty collector.
    pub fn new() -> CollectingSink {
        CollectingSink::default()
    }

    /// A copy of the events collected so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().clone()
    }
}

impl EventSink for CollectingSink {
    fn emit(&self, event: Event) {
        self.events.lock().push(event);
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

/// Parses JSON text into a value, keeping non-JSON text as a JSON string.
pub fn json_or_string(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}
