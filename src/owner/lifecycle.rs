//! Lifecycle state shared between handles and the owner thread: state, the send gate, the abort
//! flag, the keep-alive count and the "stopped" signal.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use std::sync::Arc;

use tokio::sync::{Semaphore, watch};

use super::releases::ReleaseQueue;
use super::stats::StatsCells;

/// Lifecycle of an owner: `Created → Running → Stopping → Stopped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerState {
    /// The thread is starting and building its runtime.
    Created,
    /// Accepting and running work.
    Running,
    /// Shutdown was requested; no new work is accepted.
    Stopping,
    /// The thread has finished; every call returns `Closed`.
    Stopped,
}

impl OwnerState {
    fn from_u8(value: u8) -> OwnerState {
        match value {
            0 => OwnerState::Created,
            1 => OwnerState::Running,
            2 => OwnerState::Stopping,
            _ => OwnerState::Stopped,
        }
    }
}

/// How to stop an owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownMode {
    /// Stop accepting work, run what is queued, then stop.
    Drain,
    /// Interrupt running JS and answer everything queued with `Closed` at once.
    Abort,
}

/// State every handle and the owner thread share. Senders announce themselves in `senders_in_flight`
/// before checking `state`, and the owner sets `Stopped` before waiting for that count to reach
/// zero: so every message is either refused up front or drained by the owner (no caller can be left
/// waiting on a message nobody will read).
pub(crate) struct Lifecycle {
    state: AtomicU8,
    senders_in_flight: AtomicUsize,
    abort: AtomicBool,
    keepalive: AtomicUsize,
    /// Messages the owner took off the channel and has not started yet.
    inbox_len: AtomicUsize,
    /// Nested waits in progress in the middle of a JS turn (top-level work held back meanwhile).
    mid_turn_waits: AtomicUsize,
    stopped_tx: watch::Sender<bool>,
    idle_tx: watch::Sender<u64>,
    pub(crate) stats: StatsCells,
    /// Room in the mailbox: a sender takes a permit before enqueuing work and the owner returns it
    /// when it takes the work off the channel. Tokio's semaphore queues waiting senders fairly at
    /// O(1) each (flume's own bounded send removes a woken waiter with a linear scan, which is
    /// quadratic with thousands of waiting senders).
    pub(crate) permits: Arc<Semaphore>,
    /// Callback releases from other threads, exempt from the mailbox bound.
    pub(crate) releases: ReleaseQueue,
}

impl Lifecycle {
    pub(crate) fn new(capacity: usize) -> Lifecycle {
        Lifecycle {
            state: AtomicU8::new(OwnerState::Created as u8),
            senders_in_flight: AtomicUsize::new(0),
            abort: AtomicBool::new(false),
            keepalive: AtomicUsize::new(0),
            inbox_len: AtomicUsize::new(0),
            mid_turn_waits: AtomicUsize::new(0),
            stopped_tx: watch::channel(false).0,
            idle_tx: watch::channel(0).0,
            stats: StatsCells::new(),
            permits: Arc::new(Semaphore::new(capacity)),
            releases: ReleaseQueue::default(),
        }
    }

    pub(crate) fn state(&self) -> OwnerState {
        OwnerState::from_u8(self.state.load(Ordering::SeqCst))
    }

    pub(crate) fn set_state(&self, state: OwnerState) {
        self.state.store(state as u8, Ordering::SeqCst);
        if state == OwnerState::Stopped {
            self.stopped_tx.send_replace(true);
        }
    }

    /// Moves `Created|Running → Stopping`; returns false when already stopping or stopped.
    pub(crate) fn begin_stopping(&self) -> bool {
        let mut current = self.state.load(Ordering::SeqCst);
        loop {
            if current >= OwnerState::Stopping as u8 {
                return false;
            }
            match self.state.compare_exchange(
                current,
                OwnerState::Stopping as u8,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return true,
                Err(now) => current = now,
            }
        }
    }

    /// Registers a sender; `None` when the owner no longer accepts work.
    pub(crate) fn enter_send(&self) -> Option<SendGuard<'_>> {
        self.senders_in_flight.fetch_add(1, Ordering::SeqCst);
        let guard = SendGuard { lifecycle: self };
        let open = matches!(self.state(), OwnerState::Created | OwnerState::Running);
        open.then_some(guard)
    }

    pub(crate) fn senders_in_flight(&self) -> usize {
        self.senders_in_flight.load(Ordering::SeqCst)
    }

    pub(crate) fn request_abort(&self) {
        self.abort.store(true, Ordering::SeqCst);
    }

    pub(crate) fn abort_requested(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }

    pub(crate) fn keepalive_count(&self) -> usize {
        self.keepalive.load(Ordering::SeqCst)
    }

    pub(crate) fn keepalive_add(&self) {
        self.keepalive.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn keepalive_sub(&self) {
        self.keepalive.fetch_sub(1, Ordering::SeqCst);
    }

    /// Tells `wait_idle` callers that the mailbox is empty and nothing runs (only when someone
    /// waits, so the hot path pays one load).
    pub(crate) fn signal_idle(&self) {
        if self.idle_tx.receiver_count() > 0 {
            self.idle_tx.send_modify(|generation| *generation += 1);
        }
    }

    /// Messages the owner took off the channel and has not started yet.
    pub(crate) fn inbox_len(&self) -> usize {
        self.inbox_len.load(Ordering::Relaxed)
    }

    /// Whether the owner is in a nested wait in the middle of a JS turn.
    pub(crate) fn is_waiting_mid_turn(&self) -> bool {
        self.mid_turn_waits.load(Ordering::Acquire) > 0
    }

    /// Shows a nested wait in the middle of a JS turn to other threads until the guard drops.
    pub(crate) fn show_mid_turn_wait(&self) -> MidTurnShown<'_> {
        self.mid_turn_waits.fetch_add(1, Ordering::AcqRel);
        MidTurnShown { lifecycle: self }
    }

    /// Set by the owner thread only.
    pub(crate) fn set_inbox_len(&self, len: usize) {
        self.inbox_len.store(len, Ordering::Relaxed);
    }

    /// Whether some `wait_idle` caller is waiting (one load).
    pub(crate) fn has_idle_waiters(&self) -> bool {
        self.idle_tx.receiver_count() > 0
    }

    pub(crate) fn idle(&self) -> watch::Receiver<u64> {
        self.idle_tx.subscribe()
    }

    pub(crate) fn stopped(&self) -> watch::Receiver<bool> {
        self.stopped_tx.subscribe()
    }
}

/// Held while a sender is between "state checked" and "message enqueued".
pub(crate) struct SendGuard<'a> {
    lifecycle: &'a Lifecycle,
}

impl Drop for SendGuard<'_> {
    fn drop(&mut self) {
        self.lifecycle
            .senders_in_flight
            .fetch_sub(1, Ordering::SeqCst);
    }
}

/// A nested wait in the middle of a JS turn, shown by [`Lifecycle::show_mid_turn_wait`]; hidden
/// again when dropped (on every exit path of the wait).
pub(crate) struct MidTurnShown<'a> {
    lifecycle: &'a Lifecycle,
}

impl Drop for MidTurnShown<'_> {
    fn drop(&mut self) {
        self.lifecycle.mid_turn_waits.fetch_sub(1, Ordering::AcqRel);
    }
}
