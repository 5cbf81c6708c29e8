//! The span tree of a script and its runs. Names, fields and parents are a contract (see
//! `docs/observability.md`): dashboards and tests rely on them.
//!
//! | span | level | fields | parent |
//! |---|---|---|---|
//! | `script` | debug | `path` | — |
//! | `session.run` | info | `session_id`, `inference_id`, `run_id`, `mode`, `outcome` | the span current when the run was prepared |
//! | `inference.step` | debug | `iteration`, `session_id`, `inference_id` | `session.run` |
//! | `middleware` | debug | `name` | `inference.step` or the middleware it wraps |
//! | `engine` | debug | `engine` | the innermost middleware or `inference.step` |
//! | `provider.request` | info | OpenTelemetry GenAI fields, `server.address`, `http.response.status_code`, `attempt`, `time_to_first_token_ms`, `error.type` | `engine` |
//! | `tool.call` | info | `gen_ai.tool.name`, `gen_ai.tool.call.id`, `outcome` | `inference.step` |
//! | `tool.hook` | debug | `hook`, `action` | `tool.call` |
//!
//! Every target starts with `geppetto`. Numeric fields are recorded as `i64` (OpenTelemetry has no
//! unsigned integers: tracing-opentelemetry would export a `u64` as text). Parents are given explicitly (a run hops between tokio
//! tasks and the owner thread); a span is also entered (`Instrument`) around the work it covers, so
//! events and owner work sent from inside it see it as the current span. A span nobody listens to
//! is disabled: creating it costs a cached interest check, and callers skip entering it.

use std::future::Future;

use futures_util::future::Either;
use tracing::Span;
use tracing::field::Empty;
use tracing::instrument::{Instrument, Instrumented};

/// `script`: one script file being run.
pub fn script(path: &str) -> Span {
    tracing::debug_span!(target: "geppetto::script", "script", path)
}

/// `session.run`: one run of a session; its parent is the current span. `outcome` is recorded
/// when the run ends ([`record_outcome`]).
pub fn session_run(session_id: &str, inference_id: &str, run_id: &str, mode: &str) -> Span {
    tracing::info_span!(
        target: "geppetto::session",
        "session.run",
        session_id,
        inference_id,
        run_id,
        mode,
        outcome = Empty,
    )
}

/// `inference.step`: step `iteration` (from 0) of a run: one pass through the middleware chain
/// and engine, and the tool calls it asked for.
pub fn inference_step(
    parent: &Span,
    iteration: usize,
    session_id: &str,
    inference_id: &str,
) -> Span {
    tracing::debug_span!(
        target: "geppetto::inference",
        parent: parent,
        "inference.step",
        iteration = i64::try_from(iteration).unwrap_or(i64::MAX),
        session_id,
        inference_id,
    )
}

/// `middleware`: one middleware handling a step.
pub fn middleware(parent: &Span, name: &str) -> Span {
    tracing::debug_span!(target: "geppetto::middleware", parent: parent, "middleware", name)
}

/// `engine`: the engine at the end of the chain running a step.
pub fn engine(parent: &Span, engine: &str) -> Span {
    tracing::debug_span!(target: "geppetto::engine", parent: parent, "engine", engine)
}

/// `provider.request`: one chat request to a provider (all its HTTP attempts), with the
/// OpenTelemetry GenAI fields. The answer's fields are recorded when known.
pub fn provider_request(parent: &Span, system: &str, model: &str, server_address: &str) -> Span {
    tracing::info_span!(
        target: "geppetto::provider",
        parent: parent,
        "provider.request",
        gen_ai.system = system,
        gen_ai.operation.name = "chat",
        gen_ai.request.model = model,
        gen_ai.response.model = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
        gen_ai.response.finish_reasons = Empty,
        server.address = server_address,
        http.response.status_code = Empty,
        attempt = Empty,
        time_to_first_token_ms = Empty,
        error.type = Empty,
    )
}

/// `tool.call`: one tool call of a step, hooks and retries included.
pub fn tool_call(parent: &Span, name: &str, call_id: &str) -> Span {
    tracing::info_span!(
        target: "geppetto::tool",
        parent: parent,
        "tool.call",
        gen_ai.tool.name = name,
        gen_ai.tool.call.id = call_id,
        outcome = Empty,
    )
}

/// `tool.hook`: one hook call (`beforeToolCall`, `afterToolCall`, `onToolError`); `action` is
/// recorded from its decision. Its parent is the current span: the `tool.call` it belongs to.
pub fn tool_hook(hook: &str) -> Span {
    tracing::debug_span!(target: "geppetto::tool", "tool.hook", hook, action = Empty)
}

/// Records the `outcome` field of `span` (nothing when it is disabled).
pub fn record_outcome(span: &Span, outcome: &str) {
    record(span, "outcome", outcome);
}

/// `future` entered in `span` each time it is polled; `future` itself when `span` is disabled
/// (entering a disabled span still costs something when tracing's `log` feature is on).
pub fn instrument<F: Future>(span: Span, future: F) -> Either<Instrumented<F>, F> {
    if span.is_disabled() {
        Either::Right(future)
    } else {
        Either::Left(future.instrument(span))
    }
}

/// Makes `child` the current layer's span in a run context (`current`), unless it is disabled:
/// then `current` stays, so enabled spans further down (`provider.request`, `tool.call`) still
/// hang under the nearest enabled ancestor.
pub fn enter_child(current: &mut Span, child: &Span) {
    if !child.is_disabled() {
        *current = child.clone();
    }
}

/// Records `field` of `span` (nothing when it is disabled).
pub fn record(span: &Span, field: &str, value: impl tracing::Value) {
    if !span.is_disabled() {
        span.record(field, value);
    }
}
