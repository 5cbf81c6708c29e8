//! Inference events as plain Rust data, and the sink engines and the tool loop emit them into.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;

use parking_lot::RwLock;
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
        /// All text of this step so far: a view of the step's shared buffer, so an event costs
        /// O(its delta), not O(text so far).
        completion: TextPrefix,
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

/// Receives the events of a run. `emit` must be cheap and never block (it takes every event: none
/// is dropped); a sink whose consumer can fall behind says so through [`EventSink::room`], which a
/// producer of many events (a provider stream) awaits before producing more.
pub trait EventSink: Send + Sync {
    /// Delivers one event.
    fn emit(&self, event: Event);

    /// Completes when the sink's consumer has caught up enough to take more events. The default
    /// sink is never behind.
    fn room(&self) -> Room<'_> {
        Box::pin(std::future::ready(()))
    }

    /// Receives a streaming detail that has no session event (reasoning, tool-call arguments,
    /// provider metadata). Only agent steps consume details; every other sink ignores them (this
    /// default), so the session API's events stay as they are.
    fn detail(&self, _detail: StreamDetail<'_>) {}
}

/// Where streamed reasoning comes from (the `source` of the agent's reasoning events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasoningSource {
    /// Anthropic `thinking` blocks.
    Thinking,
    /// OpenAI Responses reasoning summaries.
    Summary,
    /// Raw reasoning text: OpenAI Responses `reasoning_text`, and the `reasoning_content` /
    /// `reasoning` deltas of OpenAI-compatible chat servers.
    Text,
    /// Gemini thought parts.
    Thought,
}

impl ReasoningSource {
    /// The wire name (`thinking`, `summary`, `text`, `thought`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningSource::Thinking => "thinking",
            ReasoningSource::Summary => "summary",
            ReasoningSource::Text => "text",
            ReasoningSource::Thought => "thought",
        }
    }
}

/// Streaming details a provider engine reports besides its session events, as they arrive (see
/// [`EventSink::detail`]). Borrowed: a sink that ignores them costs nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StreamDetail<'a> {
    /// Streamed reasoning text.
    ReasoningDelta {
        /// Which kind of reasoning.
        source: ReasoningSource,
        /// The new text.
        delta: &'a str,
    },
    /// The model started a tool call (its id and name are known).
    ToolCallStarted {
        /// Call id.
        id: &'a str,
        /// Tool name.
        name: &'a str,
    },
    /// A piece of a started tool call's argument text.
    ToolCallArgumentsDelta {
        /// Call id.
        id: &'a str,
        /// The new argument text.
        delta: &'a str,
    },
    /// The raw text of the server-sent event being decoded now (`None` once it is decoded): the
    /// details and events reported meanwhile came from it.
    RawEvent {
        /// The event's data, as the provider sent it.
        data: Option<&'a str>,
    },
    /// The provider reported a stop reason or usage (the values known so far).
    Metadata {
        /// The provider's stop reason, verbatim.
        stop_reason: Option<&'a str>,
        /// The stop sequence that ended the answer.
        stop_sequence: Option<&'a str>,
        /// Normalized usage counters.
        usage: Option<&'a JsonMap>,
    },
}

/// The future [`EventSink::room`] returns (boxing a zero-sized ready future does not allocate).
pub type Room<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

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

/// Text that only grows, shared by the step that writes it and the `partial` events that show a
/// prefix of it: each event holds the buffer and a length, never a copy.
#[derive(Clone, Default)]
pub struct SharedText(Arc<RwLock<String>>);

impl SharedText {
    /// An empty buffer.
    pub fn new() -> SharedText {
        SharedText::default()
    }

    /// Appends `delta` and returns the view of the text up to and including it.
    pub fn push_str(&self, delta: &str) -> TextPrefix {
        let mut text = self.0.write();
        text.push_str(delta);
        TextPrefix {
            text: self.clone(),
            len: text.len(),
        }
    }

    /// The whole text so far, copied.
    pub fn to_text(&self) -> String {
        self.0.read().clone()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.0.read().is_empty()
    }
}

impl fmt::Debug for SharedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.read().as_str(), f)
    }
}

/// The first `len` bytes of a [`SharedText`] (a prefix ending on a character boundary, as every
/// append ends on one): what a `partial` event's `completion` is.
#[derive(Clone)]
pub struct TextPrefix {
    text: SharedText,
    len: usize,
}

impl TextPrefix {
    /// Calls `read` with the prefix, without copying it.
    pub fn with_str<R>(&self, read: impl FnOnce(&str) -> R) -> R {
        read(&self.text.0.read()[..self.len])
    }

    /// Length of the prefix in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the prefix is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl From<&str> for TextPrefix {
    fn from(text: &str) -> TextPrefix {
        SharedText::new().push_str(text)
    }
}

impl From<String> for TextPrefix {
    fn from(text: String) -> TextPrefix {
        TextPrefix {
            len: text.len(),
            text: SharedText(Arc::new(RwLock::new(text))),
        }
    }
}

impl fmt::Display for TextPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|text| f.write_str(text))
    }
}

impl fmt::Debug for TextPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|text| fmt::Debug::fmt(text, f))
    }
}

impl PartialEq for TextPrefix {
    fn eq(&self, other: &TextPrefix) -> bool {
        // One lock at a time: both may view the same buffer.
        let mine = self.to_string();
        other.with_str(|theirs| mine == theirs)
    }
}

impl PartialEq<str> for TextPrefix {
    fn eq(&self, other: &str) -> bool {
        self.with_str(|mine| mine == other)
    }
}

impl PartialEq<&str> for TextPrefix {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_a_shared_text_keep_their_length_while_it_grows() {
        let text = SharedText::new();
        let first = text.push_str("Hello");
        let second = text.push_str(", wörld");
        assert_eq!(first, "Hello");
        assert_eq!(second, "Hello, wörld");
        assert_eq!(second.len(), "Hello, wörld".len());
        assert_eq!(text.to_text(), "Hello, wörld");
        assert_eq!(first, TextPrefix::from("Hello"));
        assert_eq!(format!("{first:?} {second}"), "\"Hello\" Hello, wörld");
    }
}
