//! How far an owner is behind on deliveries it was sent (events of started runs, agent events):
//! producers of many events (provider streams) wait for room before producing more, so a slow
//! owner slows the stream down instead of queueing without bound.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

use crate::inference::Room;
use crate::owner::WeakOwnerHandle;

/// Deliveries sent but not yet run by the owner above which a producer waits for room
/// ([`crate::inference::EventSink::room`]). Nothing is dropped: every event is sent, and the
/// producer waits before producing more (a provider stream is then read more slowly).
pub(crate) const BACKLOG_LIMIT: usize = 2048;

/// Deliveries sent and not yet run, and the producers waiting for that number to fall.
pub(crate) struct Backlog {
    pending: AtomicUsize,
    closed: AtomicBool,
    drained: Notify,
    /// The owner running the deliveries.
    owner: WeakOwnerHandle,
}

impl Backlog {
    /// An empty backlog of deliveries `owner` runs.
    pub(crate) fn new(owner: WeakOwnerHandle) -> Backlog {
        Backlog {
            pending: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            drained: Notify::new(),
            owner,
        }
    }

    /// One more delivery was sent.
    pub(crate) fn sent(&self) {
        self.pending.fetch_add(1, Ordering::Relaxed);
    }

    /// Deliveries sent and not yet run.
    fn pending(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }

    /// Whether a producer may go on: the backlog is short, the owner is gone, or the owner is
    /// blocked in the middle of a JS turn. Deliveries run only between JS turns (or in the wait of
    /// a synchronous `run()`), and such a wait (a JS middleware's `next()`, a synchronous `run()`)
    /// may be waiting for this very producer: holding it back would deadlock, so its events queue
    /// until the turn ends.
    fn has_room(&self) -> bool {
        self.pending() < BACKLOG_LIMIT
            || self.closed.load(Ordering::Acquire)
            || self
                .owner
                .upgrade()
                .is_none_or(|owner| owner.is_waiting_mid_turn())
    }

    /// Completes once fewer than [`BACKLOG_LIMIT`] deliveries are pending (at once when so), or
    /// when the backlog is closed, the owner gone or waiting mid-turn.
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

    /// A backlog of a live owner that is not waiting (the handle keeps the owner alive).
    fn backlog_of_an_idle_owner() -> (crate::owner::OwnerHandle, Backlog) {
        let owner = crate::owner::Owner::spawn(crate::owner::OwnerOptions::default()).unwrap();
        let backlog = Backlog::new(owner.downgrade());
        (owner, backlog)
    }

    #[tokio::test]
    async fn producers_wait_while_the_backlog_is_full_and_go_on_when_it_drains() {
        let (_owner, backlog) = backlog_of_an_idle_owner();
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

    #[tokio::test]
    async fn a_closed_backlog_never_blocks() {
        let (_owner, backlog) = backlog_of_an_idle_owner();
        backlog.pending.store(BACKLOG_LIMIT * 2, Ordering::Relaxed);
        let mut waiting = backlog.room();
        assert!(poll_once(&mut waiting).is_pending());
        backlog.close();
        assert!(poll_once(&mut waiting).is_ready());
    }
}
