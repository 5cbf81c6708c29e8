//! The mailbox protocol: the closed set of messages an owner thread receives.

use std::time::Instant;

use rquickjs::Ctx;

use super::error::Outcome;
use super::options::CallOptions;

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
    /// The call's options; `None` when they are all defaults (every `post`, every plain `call`).
    /// Boxed so a message stays small: it is moved into the channel, out of it and through the
    /// owner's inbox.
    pub(crate) options: Option<Box<CallOptions>>,
    pub(crate) enqueued: Instant,
    /// The span of the code that sent the work, the parent of the item's `owner.item` span.
    /// Captured only while a subscriber wants owner spans (boxed: one pointer in the message).
    pub(crate) parent: Option<Box<tracing::Span>>,
}

impl Envelope {
    /// The span current where the work is sent, when a subscriber wants owner spans (otherwise
    /// nothing is looked up: one cached interest check).
    pub(crate) fn sender_span() -> Option<Box<tracing::Span>> {
        if !tracing::enabled!(target: "geppetto::owner", tracing::Level::DEBUG) {
            return None;
        }
        let current = tracing::Span::current();
        (!current.is_none()).then(|| Box::new(current))
    }

    /// The work group of the call (see `CallOptions::group`).
    pub(crate) fn group(&self) -> Option<u64> {
        self.options.as_ref().and_then(|options| options.group)
    }

    /// Whether the call may wait in nested pumping (see `CallOptions::may_wait`).
    pub(crate) fn may_wait(&self) -> bool {
        self.options
            .as_ref()
            .is_some_and(|options| options.may_wait)
    }
}

impl Message {
    /// Whether the message holds a mailbox permit (work does, wake-ups do not).
    pub(crate) fn holds_permit(&self) -> bool {
        matches!(self, Message::Work(_))
    }
}
