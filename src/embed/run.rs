//! A run started from Rust: its events as a [`Stream`], its outcome as a future, cancellation.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use serde_json::Value as Json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::error::{EmbedError, RunError};
use crate::inference::session::{RunMode, RunOptions};
use crate::inference::{Event, EventSink, Session, Turn};

/// Options of a run started from Rust.
#[derive(Debug, Clone, Default)]
pub struct RunSettings {
    timeout: Option<Duration>,
    tags: Option<Json>,
}

impl RunSettings {
    /// Defaults: no timeout, no tags.
    pub fn new() -> RunSettings {
        RunSettings::default()
    }

    /// Cancels the run this long after it starts; it then fails with
    /// [`RunError::DeadlineExceeded`].
    pub fn timeout(mut self, timeout: Duration) -> RunSettings {
        self.timeout = Some(timeout);
        self
    }

    /// Tags (a JSON object) passed to every middleware, tool and hook of the run.
    pub fn tags(mut self, tags: Json) -> RunSettings {
        self.tags = Some(tags);
        self
    }
}

/// What the run's channel carries: its events, then its outcome.
enum RunMessage {
    Event(Event),
    Done(Result<Turn, RunError>),
}

/// Sends a run's events into its channel.
struct ChannelSink {
    sender: mpsc::UnboundedSender<RunMessage>,
}

impl EventSink for ChannelSink {
    fn emit(&self, event: Event) {
        let _ = self.sender.send(RunMessage::Event(event));
    }
}

/// A running inference started from Rust.
///
/// It is a [`Stream`] of the run's [`Event`]s in emission order, ending after the last one;
/// [`outcome`](Run::outcome) then gives the output turn or the failure. Dropping a `Run` does not
/// cancel it: call [`cancel`](Run::cancel) (or a [`RunCanceller`]).
pub struct Run {
    run_id: String,
    session_id: String,
    inference_id: String,
    cancel: CancellationToken,
    messages: mpsc::UnboundedReceiver<RunMessage>,
    outcome: Option<Result<Turn, RunError>>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("run_id", &self.run_id)
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// Cancels a [`Run`] from anywhere (`Clone + Send + Sync`).
#[derive(Debug, Clone)]
pub struct RunCanceller(CancellationToken);

impl RunCanceller {
    /// Cancels the run; its outcome becomes [`RunError::Canceled`] unless it already ended.
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

impl Run {
    /// Prepares a run of `session` on `seed` and executes it on the current tokio runtime.
    pub(crate) fn start(
        session: &Session,
        seed: Turn,
        settings: RunSettings,
    ) -> Result<Run, EmbedError> {
        let (sender, messages) = mpsc::unbounded_channel();
        let options = RunOptions {
            timeout_ms: settings
                .timeout
                .map(|timeout| timeout.as_millis().clamp(1, u64::MAX as u128) as u64),
            tags: settings.tags,
            run_id: None,
            sink: Arc::new(ChannelSink {
                sender: sender.clone(),
            }),
            mode: RunMode::Start,
        };
        let prepared = session
            .prepare_run(Some(seed), options)
            .map_err(RunError::from)?;
        let run = Run {
            run_id: prepared.run_id().to_string(),
            session_id: prepared.session_id().to_string(),
            inference_id: prepared.inference_id().to_string(),
            cancel: prepared.cancel_token(),
            messages,
            outcome: None,
        };
        let tokio = tokio::runtime::Handle::try_current().map_err(|_| {
            EmbedError::InvalidConfig("runs start on a tokio runtime (none is current)".into())
        })?;
        tokio.spawn(async move {
            let outcome = prepared
                .execute()
                .await
                .map(Arc::unwrap_or_clone)
                .map_err(RunError::from);
            // After every event: the sink sent them into the same channel while the run executed.
            let _ = sender.send(RunMessage::Done(outcome));
        });
        Ok(run)
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The session id.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The inference id.
    pub fn inference_id(&self) -> &str {
        &self.inference_id
    }

    /// Cancels the run.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A handle that cancels this run from another task.
    pub fn canceller(&self) -> RunCanceller {
        RunCanceller(self.cancel.clone())
    }

    /// The next event, or `None` once the run has ended (the same as polling the stream).
    pub async fn next_event(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Waits for the run to end (skipping events not yet read) and returns its output turn.
    pub async fn outcome(mut self) -> Result<Turn, EmbedError> {
        while self.next_event().await.is_some() {}
        self.outcome
            .take()
            .unwrap_or_else(|| Err(RunError::Failed("the run ended without an outcome".into())))
            .map_err(EmbedError::from)
    }
}

impl Stream for Run {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let this = self.get_mut();
        if this.outcome.is_some() {
            return Poll::Ready(None);
        }
        match this.messages.poll_recv(cx) {
            Poll::Ready(Some(RunMessage::Event(event))) => Poll::Ready(Some(event)),
            Poll::Ready(Some(RunMessage::Done(outcome))) => {
                this.outcome = Some(outcome);
                Poll::Ready(None)
            }
            Poll::Ready(None) => {
                this.outcome = Some(Err(RunError::Failed("the run was dropped".into())));
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
