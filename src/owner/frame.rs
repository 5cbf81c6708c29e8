//! A frame: the owner-thread record of one executing item, read by the interrupt handler.

use std::cell::Cell;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::error::InterruptReason;

/// The item the owner is executing: its op, when it started, and what may stop it. Frames nest
/// when an item pumps the mailbox; only the innermost one is checked by the interrupt handler.
pub(crate) struct Frame {
    pub(crate) op: &'static str,
    started: Instant,
    pub(crate) cancel: Option<CancellationToken>,
    pub(crate) deadline: Option<Instant>,
    /// The work group of the item (see `CallOptions::group`).
    pub(crate) group: Option<u64>,
    budget: Option<Duration>,
    /// Time this frame spent pumping the mailbox (not its own CPU time).
    excluded: Cell<Duration>,
    /// Set by the interrupt handler when it stopped this frame's JS.
    pub(crate) interrupted: Cell<Option<InterruptReason>>,
}

impl Frame {
    pub(crate) fn new(
        op: &'static str,
        cancel: Option<CancellationToken>,
        deadline: Option<Instant>,
        budget: Option<Duration>,
    ) -> Frame {
        Frame::started_at(op, cancel, deadline, budget, Instant::now())
    }

    /// Like [`new`](Self::new), with a start time the caller already read (one clock read per
    /// item instead of several on the hot path).
    pub(crate) fn started_at(
        op: &'static str,
        cancel: Option<CancellationToken>,
        deadline: Option<Instant>,
        budget: Option<Duration>,
        started: Instant,
    ) -> Frame {
        Frame {
            op,
            started,
            cancel,
            deadline,
            group: None,
            budget,
            excluded: Cell::new(Duration::ZERO),
            interrupted: Cell::new(None),
        }
    }

    /// Why this frame must stop now, if it must.
    pub(crate) fn stop_reason(&self, aborting: bool) -> Option<InterruptReason> {
        if aborting {
            return Some(InterruptReason::Shutdown);
        }
        if let Some(reason) = self.stop_reason_before_start() {
            return Some(reason);
        }
        if let Some(budget) = self.budget
            && self.started.elapsed().saturating_sub(self.excluded.get()) > budget
        {
            return Some(InterruptReason::CpuBudget(budget));
        }
        None
    }

    /// Why this frame must not start: cancelled or past its deadline. The CPU budget is not checked
    /// (a frame that has not started has spent none of it), which saves a clock read per item.
    pub(crate) fn stop_reason_before_start(&self) -> Option<InterruptReason> {
        if self
            .cancel
            .as_ref()
            .is_some_and(CancellationToken::is_cancelled)
        {
            return Some(InterruptReason::Canceled);
        }
        if self
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            return Some(InterruptReason::Deadline);
        }
        None
    }

    /// Records that the frame spent `spent` pumping (so it does not count against its budget).
    pub(crate) fn exclude(&self, spent: Duration) {
        self.excluded.set(self.excluded.get() + spent);
    }
}
