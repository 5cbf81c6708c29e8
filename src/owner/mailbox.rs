//! The mailbox protocol: the closed set of messages an owner thread receives.

use std::time::{Duration, Instant};

use rquickjs::Ctx;
use tokio_util::sync::CancellationToken;

use super::error::Outcome;

/// Work for the owner. It receives the context and the frame describing the call, runs the user's
/// closure, answers its caller itself, and reports how it ended.
pub(crate) type Job = Box<dyn for<'js> FnOnce(&Ctx<'js>, &super::frame::Frame) -> Outcome + Send>;

/// One message in an owner's mailbox.
pub(crate) enum Message {
    /// A `call` or `post`.
    Work(Envelope),
    /// Nothing to run: wakes a pumping owner so it re-checks what it waits for (tokio work done,
    /// keep-alive released, shutdown requested).
    Wake,
}

/// A unit of work with the context it runs under.
pub(crate) struct Envelope {
    pub(crate) op: &'static str,
    pub(crate) job: Job,
    pub(crate) cancel: Option<CancellationToken>,
    pub(crate) deadline: Option<Instant>,
    pub(crate) cpu_budget: Option<Option<Duration>>,
    pub(crate) session_id: Option<String>,
    pub(crate) inference_id: Option<String>,
    pub(crate) group: Option<u64>,
    pub(crate) may_wait: bool,
    pub(crate) enqueued: Instant,
}
