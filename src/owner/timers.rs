//! Owner-local timers: callbacks that run on the owner thread when their time comes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use rquickjs::Ctx;

/// A timer callback. It may hold JS values: it never leaves the owner thread.
pub type TimerCallback = Box<dyn for<'js> FnOnce(&Ctx<'js>)>;

/// Names a pending timer, for [`clear_timeout`](super::local::clear_timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId(pub u64);

/// Pending timers ordered by due time (then creation order); cleared timers are removed lazily.
#[derive(Default)]
pub(crate) struct Timers {
    next_id: u64,
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    callbacks: HashMap<u64, TimerCallback>,
}

impl Timers {
    pub(crate) fn insert(&mut self, due: Instant, callback: TimerCallback) -> TimerId {
        self.next_id += 1;
        let id = self.next_id;
        self.queue.push(Reverse((due, id)));
        self.callbacks.insert(id, callback);
        TimerId(id)
    }

    pub(crate) fn remove(&mut self, id: TimerId) -> bool {
        self.callbacks.remove(&id.0).is_some()
    }

    pub(crate) fn len(&self) -> usize {
        self.callbacks.len()
    }

    /// The earliest due time of a live timer.
    pub(crate) fn next_due(&mut self) -> Option<Instant> {
        while let Some(Reverse((due, id))) = self.queue.peek().copied() {
            if self.callbacks.contains_key(&id) {
                return Some(due);
            }
            self.queue.pop();
        }
        None
    }

    /// Takes the callback of the earliest timer due at `now`, if any.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerCallback> {
        while let Some(Reverse((due, id))) = self.queue.peek().copied() {
            if due > now {
                return None;
            }
            self.queue.pop();
            if let Some(callback) = self.callbacks.remove(&id) {
                return Some(callback);
            }
        }
        None
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.callbacks.clear();
    }
}
