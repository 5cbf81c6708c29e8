//! Callback releases sent from any thread: a queue exempt from the mailbox bound, drained by the
//! owner on every turn of its loops, so no release is lost when the mailbox is full.

use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use super::callbacks::CallbackId;

/// Callback ids waiting to be released on the owner thread. Bounded by the callback table itself
/// (an id is released at most once), so it needs no bound of its own.
#[derive(Default)]
pub(crate) struct ReleaseQueue {
    ids: Mutex<Vec<CallbackId>>,
    /// Whether `ids` may be non-empty: the owner's loops check it with one load.
    pending: AtomicBool,
}

impl ReleaseQueue {
    /// Queues `ids`; returns whether the queue was empty before (the caller then wakes the owner).
    pub(crate) fn push(&self, ids: impl IntoIterator<Item = CallbackId>) -> bool {
        let mut queued = self.ids.lock();
        let was_empty = queued.is_empty();
        queued.extend(ids);
        let now_empty = queued.is_empty();
        drop(queued);
        if !now_empty {
            self.pending.store(true, Ordering::Release);
        }
        was_empty && !now_empty
    }

    /// Takes every queued id (none, with one atomic load, in the common case).
    pub(crate) fn take(&self) -> Vec<CallbackId> {
        if !self.pending.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut queued = self.ids.lock();
        self.pending.store(false, Ordering::Release);
        std::mem::take(&mut *queued)
    }
}
