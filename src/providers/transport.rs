//! HTTP for provider engines: building the client, sending a request with bounded retries, mapping
//! failures to clear messages, and reading the answer as server-sent events until the decoder is
//! done or the run is cancelled.

use std::time::{Duration, Instant};

use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tracing::Span;

use super::accumulator::Accumulator;
use super::config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, ProviderConfig, RetryPolicy};
use super::decoder::{StreamDecoder, describe_event, error_object_message};
use super::error::ConfigError;
use crate::telemetry::spans;

/// The span field naming why a request failed (OpenTelemetry `error.type`).
pub(crate) const ERROR_TYPE: &str = "error.type";

/// A request ready to send: URL, headers and JSON body.
#[derive(Clone)]
pub(crate) struct HttpRequest {
    /// Full URL.
    pub url: String,
    /// Extra headers; values of `sensitive` ones are marked so and never logged by reqwest.
    pub headers: Vec<Header>,
    /// JSON body.
    pub body: Value,
}

/// One request header.
#[derive(Clone)]
pub(crate) struct Header {
    /// Name (lowercase).
    pub name: &'static str,
    /// Value.
    pub value: String,
    /// Whether the value is a secret.
    pub sensitive: bool,
}

/// Why a step stopped early.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StepError {
    /// The run's token fired.
    Canceled,
    /// A failure, as text without the provider prefix.
    Failed(String),
}

impl From<String> for StepError {
    fn from(message: String) -> StepError {
        StepError::Failed(message)
    }
}

/// Builds the HTTP client of an engine. Touches no network.
pub(crate) fn build_client(config: &ProviderConfig) -> Result<reqwest::Client, ConfigError> {
    let builder =
        reqwest::Client::builder().user_agent(concat!("geppetto-rs/", env!("CARGO_PKG_VERSION")));
    let builder = match config.timeout {
        Some(timeout) => builder.timeout(timeout).connect_timeout(timeout),
        None => builder
            .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
            .read_timeout(DEFAULT_IDLE_TIMEOUT),
    };
    builder
        .build()
        .map_err(|error| ConfigError::Client(error.to_string()))
}

/// Sends `request`, retrying 429 and 5xx answers per `config.retry`, and returns the successful
/// response. Cancellation aborts the request (and any backoff wait) at once. Records
/// `http.response.status_code`, `attempt` and, on failure, `error.type` on `span` (the
/// `provider.request` span); each retry is an event in it.
pub(crate) async fn send(
    client: &reqwest::Client,
    config: &ProviderConfig,
    request: &HttpRequest,
    cancel: &CancellationToken,
    span: &Span,
) -> Result<reqwest::Response, StepError> {
    let invalid = |message: String| {
        spans::record(span, ERROR_TYPE, "invalid_request");
        message
    };
    let body = serde_json::to_vec(&request.body)
        .map_err(|error| invalid(format!("cannot encode request body: {error}")))?;
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("accept", HeaderValue::from_static("text/event-stream"));
    for header in &request.headers {
        let mut value = HeaderValue::from_str(&header.value)
            .map_err(|_| invalid(format!("invalid characters in the {} header", header.name)))?;
        value.set_sensitive(header.sensitive);
        headers.insert(HeaderName::from_static(header.name), value);
    }
    tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err(StepError::Canceled),
        checked = config.outbound.check(&request.url) => {
            checked.map_err(|refusal| StepError::Failed(refusal.to_string()))?;
        }
    }
    let mut attempt: u32 = 0;
    loop {
        spans::record(span, "attempt", i64::from(attempt) + 1);
        let pending = client
            .post(&request.url)
            .headers(headers.clone())
            .body(body.clone())
            .send();
        let response = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(StepError::Canceled),
            response = pending => response,
        };
        let response = response.map_err(|error| {
            let kind = if error.is_timeout() {
                "timeout"
            } else if error.is_connect() {
                "connect"
            } else {
                "request"
            };
            spans::record(span, ERROR_TYPE, kind);
            describe_request_error(&error, config)
        })?;
        let status = response.status();
        spans::record(
            span,
            "http.response.status_code",
            i64::from(status.as_u16()),
        );
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = retry_after(response.headers());
        let text = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(StepError::Canceled),
            text = response.text() => text.unwrap_or_default(),
        };
        let message = error_body_message(&text);
        let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
        if retryable && attempt < config.retry.max_retries {
            let delay = backoff(&config.retry, attempt, retry_after);
            tracing::warn!(
                target: "geppetto::provider",
                provider = config.api_type.as_str(),
                attempt = attempt + 1,
                status = status.as_u16(),
                retry_after_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "provider request failed, retrying"
            );
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(StepError::Canceled),
                _ = tokio::time::sleep(delay) => {}
            }
            attempt += 1;
            continue;
        }
        spans::record(span, ERROR_TYPE, status.as_str());
        let attempts = if attempt > 0 {
            format!(" (after {} attempts)", attempt + 1)
        } else {
            String::new()
        };
        return Err(StepError::Failed(format!(
            "HTTP {status}{attempts}: {message}"
        )));
    }
}

/// Reads `response` as server-sent events into `decoder` until the decoder reports completion.
/// Cancellation drops the stream, which closes the connection at once. Records
/// `time_to_first_token_ms` (from `sent`, when the first event arrives) and, on failure,
/// `error.type` on `span`.
pub(crate) async fn read_stream(
    response: reqwest::Response,
    config: &ProviderConfig,
    decoder: &mut dyn StreamDecoder,
    out: &mut Accumulator<'_>,
    cancel: &CancellationToken,
    (span, sent): (&Span, Instant),
) -> Result<(), StepError> {
    let mut events = Box::pin(super::sse_lines::split_lines(response.bytes_stream())).eventsource();
    let mut last_event: Option<String> = None;
    let failed = |kind: &'static str, message: String| {
        spans::record(span, ERROR_TYPE, kind);
        StepError::Failed(message)
    };
    loop {
        let next = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(StepError::Canceled),
            // Backpressure: the next event is read only when the run's event consumer has room.
            next = async {
                out.room().await;
                events.next().await
            } => next,
        };
        match next {
            None if decoder.may_end() => return Ok(()),
            None => break,
            Some(Err(error)) => {
                let last = last_event.as_deref().unwrap_or("(none)");
                return Err(match &error {
                    EventStreamError::Transport(cause) if cause.is_timeout() => failed(
                        "stream_timeout",
                        format!(
                            "stream from {} timed out after event {last}: {}",
                            config.base_url,
                            root_cause(cause)
                        ),
                    ),
                    EventStreamError::Transport(cause) => failed(
                        "stream",
                        format!(
                            "stream from {} failed after event {last}: {}",
                            config.base_url,
                            root_cause(cause)
                        ),
                    ),
                    other => failed(
                        "malformed_stream",
                        format!("malformed stream after event {last}: {other}"),
                    ),
                });
            }
            Some(Ok(event)) => {
                if last_event.is_none() {
                    let elapsed = i64::try_from(sent.elapsed().as_millis()).unwrap_or(i64::MAX);
                    spans::record(span, "time_to_first_token_ms", elapsed);
                }
                out.raw_event(Some(&event.data));
                decoder
                    .on_event(&event, out)
                    .map_err(|message| failed("provider_error", message))?;
                out.end_event();
                out.raw_event(None);
                last_event = Some(describe_event(&event));
                if decoder.is_complete() {
                    return Ok(());
                }
            }
        }
    }
    Err(failed(
        "truncated",
        format!(
            "stream ended before the answer was complete (truncated after event {})",
            last_event.as_deref().unwrap_or("(none)")
        ),
    ))
}

/// The delay before retry number `attempt + 1`: `Retry-After` when given, else exponential backoff,
/// capped by `max_backoff`.
fn backoff(policy: &RetryPolicy, attempt: u32, retry_after: Option<Duration>) -> Duration {
    let computed = retry_after.unwrap_or_else(|| {
        policy
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt))
    });
    computed.min(policy.max_backoff)
}

/// `Retry-After` in seconds (integer or decimal); HTTP dates are ignored (backoff applies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // A server's `Retry-After: 1e300` is beyond any `Duration`: ignored (backoff applies).
    Duration::try_from_secs_f64(seconds).ok()
}

/// The provider's error message in an error body (`{"error": {"message": ...}}`, Gemini's
/// `[{"error": ...}]`, Anthropic's `{"type":"error","error":{...}}`), or the body text itself.
fn error_body_message(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty response body)".to_string();
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Array(items)) if !items.is_empty() => error_object_message(&items[0]),
        Ok(value @ Value::Object(_)) => error_object_message(&value),
        _ => trimmed.chars().take(500).collect(),
    }
}

/// A clear message for a request that got no HTTP answer, naming the base URL.
fn describe_request_error(error: &reqwest::Error, config: &ProviderConfig) -> StepError {
    let base = &config.base_url;
    let cause = root_cause(error);
    let message = if error.is_timeout() {
        match config.timeout {
            Some(timeout) => format!("request to {base} timed out after {timeout:?}: {cause}"),
            None => format!("request to {base} timed out: {cause}"),
        }
    } else if error.is_connect() {
        format!("cannot connect to {base}: {cause}")
    } else {
        format!("request to {base} failed: {cause}")
    };
    StepError::Failed(message)
}

/// The innermost error message of a chain (for example `Connection refused (os error 111)`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}
