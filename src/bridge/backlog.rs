//! How far an owner is behind on deliveries it was sent (events of started runs, agent events):
//! producers of many events (provider streams) wait for room before producing more, so a slow
//! owner slows the stream down instead of queueing without bound.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

use crate::inference::Room;

/// Deliveries sent but not yet run by the owner above which a producer waits for room
/// ([`crate::inference::EventSink::room`]). Nothing is dropped: every event is sent, and the
/// producer waits before producing more (a provider stream is then read more slowly).
pub(crate) const BACKLOG_LIMIT: usize = 2048;

/// Deliveries sent and not yet run, and the producers waiting for that number to fall.
#[derive(Default)]
pub(crate) struct Backlog {
    pending: AtomicUsize,
    closed: AtomicBool,
    drained: Notify,
}

impl Backlog {
    /// One more delivery was sent.
    pub(crate) fn sent(&self) {
        self.pending.fetch_add(1, Ordering::Relaxed);
    }

    /// Deliveries sent and not yet run.
    fn pending(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }

    fn has_room(&self) -> bool {
        self.pending() < BACKLOG_LIMIT || self.closed.load(Ordering::Acquire)
    }

    /// Completes once fewer than [`BACKLOG_LIMIT`] deliveries are pending (at once when so), or
    /// when the backlog is closed.
    pub(crate) fn room(&self) -> Room<'_> {
        if self.has_room() {
            return Box::pin(std::future::ready(()));
        }
        Box::pin(async move {
            loop {
                let drained = self.drained.notified();
                tokio::pin!(drained);
                drained.as_mut().enable();
                if self.has_room() {
                    return;
                }
                drained.await;
            }
        })
    }

    /// The owner ran `count` deliveries.
    pub(crate) fn ran(&self, count: usize) {
        let before = self.pending.fetch_sub(count, Ordering::AcqRel);
        if before >= BACKLOG_LIMIT && before - count < BACKLOG_LIMIT {
            self.drained.notify_waiters();
        }
    }

    /// The owner (or the task feeding it) is gone: waiting producers go on (their events go
    /// nowhere).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.drained.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Poll, Waker};

    use super::*;

    fn poll_once(room: &mut Room<'_>) -> Poll<()> {
        room.as_mut().poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn producers_wait_while_the_backlog_is_full_and_go_on_when_it_drains() {
        let backlog = Backlog::default();
        backlog.pending.store(BACKLOG_LIMIT - 1, Ordering::Relaxed);
        assert!(poll_once(&mut backlog.room()).is_ready());

        backlog.pending.store(BACKLOG_LIMIT + 10, Ordering::Relaxed);
        let mut waiting = backlog.room();
        assert!(poll_once(&mut waiting).is_pending());
        backlog.ran(5);
        assert!(poll_once(&mut waiting).is_pending(), "still over the bound");
        backlog.ran(10);
        assert!(poll_once(&mut waiting).is_ready());
    }

    #[test]
    fn a_closed_backlog_never_blocks() {
        let backlog = Backlog::default();
        backlog.pending.store(BACKLOG_LIMIT * 2, Ordering::Relaxed);
        let mut waiting = backlog.room();
        assert!(poll_once(&mut waiting).is_pending());
        backlog.close();
        assert!(poll_once(&mut waiting).is_ready());
    }
}
