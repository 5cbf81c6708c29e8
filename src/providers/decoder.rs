//! The provider-neutral side of stream decoding: what a decoder does with one server-sent event,
//! and the error texts every decoder shares.

use serde_json::Value;

use super::accumulator::Accumulator;

/// One server-sent event, as parsed by `eventsource-stream`.
pub(crate) type SseEvent = eventsource_stream::Event;

/// Turns a provider's server-sent events into an [`Accumulator`]'s content.
pub(crate) trait StreamDecoder: Send {
    /// Handles one event. An `Err` is the failure text (without the provider prefix).
    fn on_event(&mut self, event: &SseEvent, out: &mut Accumulator<'_>) -> Result<(), String>;

    /// Whether the provider's end-of-answer marker has been seen; the stream is then closed
    /// without waiting for the server to close it. A stream that ends before this is truncated.
    fn is_complete(&self) -> bool;

    /// Whether the answer may end here when the server closes the stream (without the explicit
    /// end marker). Defaults to [`StreamDecoder::is_complete`].
    fn may_end(&self) -> bool {
        self.is_complete()
    }
}

/// Parses an event's data as JSON, or fails naming the event.
pub(crate) fn parse_data(event: &SseEvent) -> Result<Value, String> {
    serde_json::from_str(&event.data)
        .map_err(|error| format!("malformed stream event {}: {error}", describe_event(event)))
}

/// The type of a typed event (Anthropic, OpenAI Responses): its data's `type`, else the event name.
pub(crate) fn event_type<'a>(event: &'a SseEvent, data: &'a Value) -> &'a str {
    data.get("type")
        .and_then(Value::as_str)
        .unwrap_or(event.event.as_str())
}

/// `"name" (data: <first 200 characters>)`, for error messages.
pub(crate) fn describe_event(event: &SseEvent) -> String {
    let data: String = event.data.chars().take(200).collect();
    let ellipsis = if event.data.chars().count() > 200 {
        "..."
    } else {
        ""
    };
    format!("\"{}\" (data: {data}{ellipsis})", event.event)
}

/// The message of a provider error object: `error.message` (with `type`/`code`/`status` when
/// present), a bare `message`, or the compact JSON.
pub(crate) fn error_object_message(error: &Value) -> String {
    let inner = error.get("error").unwrap_or(error);
    let message = inner.get("message").and_then(Value::as_str);
    let kind = ["type", "status", "code"]
        .iter()
        .find_map(|key| inner.get(*key).and_then(Value::as_str));
    match (kind, message) {
        (Some(kind), Some(message)) => format!("{kind}: {message}"),
        (None, Some(message)) => message.to_string(),
        _ => inner.to_string(),
    }
}
