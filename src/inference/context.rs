//! The run context: ids, tags, deadline, cancellation and the event sink of one run.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::engine::EngineTools;
use super::error::InferenceError;
use super::event::{Event, EventKind, EventSink, NullSink, StreamDetail, now_ms};

/// Everything a run carries besides its turn. Cheap to clone (ids are strings, the rest is shared).
#[derive(Clone)]
pub struct RunContext {
    /// Session id of the run.
    pub session_id: String,
    /// Fresh id of this inference (also written to the turn's `metadata.inference_id`).
    pub inference_id: String,
    /// Id of this run (`RunHandle.runId`).
    pub run_id: String,
    /// Id of the turn being processed.
    pub turn_id: Option<String>,
    /// Caller tags (any JSON object), passed to every middleware, tool and hook context.
    pub tags: Option<Value>,
    /// When the run must end (monotonic clock).
    pub deadline: Option<Instant>,
    /// The same deadline in milliseconds since the Unix epoch (`deadlineMs` in JS contexts).
    pub deadline_ms: Option<u64>,
    /// Fires when the run is cancelled or its deadline passes.
    pub cancel: CancellationToken,
    /// Where the run's events go.
    pub sink: Arc<dyn EventSink>,
    /// Tools the engine may offer the model, and the tool choice.
    pub tools: Option<Arc<EngineTools>>,
    /// The tracing span of the layer now running (`session.run`, `inference.step`, `middleware`,
    /// `engine`): spans opened below it are its children (see [`crate::telemetry::spans`]).
    /// Disabled (`Span::none()`) when nobody listens.
    pub span: tracing::Span,
}

impl std::fmt::Debug for RunContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunContext")
            .field("session_id", &self.session_id)
            .field("inference_id", &self.inference_id)
            .field("run_id", &self.run_id)
            .field("turn_id", &self.turn_id)
            .field("tags", &self.tags)
            .field("deadline_ms", &self.deadline_ms)
            .field("canceled", &self.cancel.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl RunContext {
    /// A context with fresh ids, no deadline, no tags and a sink that drops events.
    pub fn detached() -> RunContext {
        RunContext {
            session_id: super::turn::new_id(),
            inference_id: super::turn::new_id(),
            run_id: super::turn::new_id(),
            turn_id: None,
            tags: None,
            deadline: None,
            deadline_ms: None,
            cancel: CancellationToken::new(),
            sink: Arc::new(NullSink),
            tools: None,
            span: tracing::Span::none(),
        }
    }

    /// Emits an event of this run, stamping it with the run's ids and the current time.
    pub fn emit(&self, kind: EventKind) {
        self.sink.emit(Event {
            kind,
            timestamp_ms: now_ms(),
            session_id: self.session_id.clone(),
            inference_id: self.inference_id.clone(),
            turn_id: self.turn_id.clone(),
            run_id: self.run_id.clone(),
            meta_extra: None,
        });
    }

    /// Reports a streaming detail to the run's sink (see [`EventSink::detail`]).
    pub fn emit_detail(&self, detail: StreamDetail<'_>) {
        self.sink.detail(detail);
    }

    /// The error to fail with when the run's token fired: deadline or explicit cancel.
    pub fn cancellation_error(&self) -> InferenceError {
        match self.deadline {
            Some(deadline) if Instant::now() >= deadline => InferenceError::DeadlineExceeded,
            _ => InferenceError::Canceled,
        }
    }

    /// Whether the run must stop: cancelled, or past its deadline (which fires the token a moment
    /// later).
    pub fn is_stopped(&self) -> bool {
        self.cancel.is_cancelled()
            || self
                .deadline
                .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// `Err(cancellation_error())` when the run is cancelled, else `Ok(())`.
    pub fn check_canceled(&self) -> Result<(), InferenceError> {
        if self.cancel.is_cancelled() {
            Err(self.cancellation_error())
        } else {
            Ok(())
        }
    }
}
