//! Tasks polled on the owner thread itself (see [`local::spawn_here`](super::local::spawn_here)):
//! futures whose work is mostly calls back into this owner, so that those calls run inline
//! instead of crossing to a tokio worker and back through the mailbox.
//!
//! A task is polled between JS turns only (with top-level work), never during a nested wait in the
//! middle of a JS turn, and never from inside another task's poll: a task's poll may run JS, and
//! that JS may wait (nested pumping), but what it waits for is never another local task.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use parking_lot::Mutex;

use super::inbox::PumpWaker;
use super::stray_panic::panic_text;

/// A task's future.
type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// One task: its future and its waker.
struct Task {
    future: LocalFuture,
    signal: Arc<TaskWaker>,
    waker: Waker,
}

/// The tasks of one owner and the ids of those due for a poll.
pub(crate) struct LocalTasks {
    tasks: RefCell<HashMap<u64, Task>>,
    ready: Arc<ReadyQueue>,
    next_id: Cell<u64>,
    /// Whether a task is being polled now (its poll may reach the pump again through JS).
    polling: Cell<bool>,
}

/// Ids of tasks woken since their last poll; shared with their wakers.
struct ReadyQueue {
    ids: Mutex<Vec<u64>>,
    /// Wakes the owner's pump when a task is woken from another thread.
    pump: PumpWaker,
}

/// Wakes one task: queues its id once until its next poll.
struct TaskWaker {
    id: u64,
    queued: AtomicBool,
    ready: Arc<ReadyQueue>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let first = {
            let mut ids = self.ready.ids.lock();
            ids.push(self.id);
            ids.len() == 1
        };
        if first {
            self.ready.pump.wake_from_elsewhere();
        }
    }
}

impl LocalTasks {
    pub(crate) fn new(pump: PumpWaker) -> LocalTasks {
        LocalTasks {
            tasks: RefCell::new(HashMap::new()),
            ready: Arc::new(ReadyQueue {
                ids: Mutex::new(Vec::new()),
                pump,
            }),
            next_id: Cell::new(0),
            polling: Cell::new(false),
        }
    }

    /// Adds a task, due for its first poll.
    pub(crate) fn spawn(&self, future: LocalFuture) {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let signal = Arc::new(TaskWaker {
            id,
            queued: AtomicBool::new(false),
            ready: self.ready.clone(),
        });
        let waker = Waker::from(signal.clone());
        signal.wake_by_ref();
        self.tasks.borrow_mut().insert(
            id,
            Task {
                future,
                signal,
                waker,
            },
        );
    }

    /// Polls every task woken since its last poll, once each, with `tokio` entered; returns
    /// whether any was polled. Does nothing when called from inside a task's poll.
    pub(crate) fn poll_ready(&self, tokio: &tokio::runtime::Handle) -> bool {
        if self.polling.get() {
            return false;
        }
        let ids = std::mem::take(&mut *self.ready.ids.lock());
        if ids.is_empty() {
            return false;
        }
        self.polling.set(true);
        let _polling = ResetOnDrop(&self.polling);
        let _entered = tokio.enter();
        for id in ids {
            // Taken out while polled: the poll may spawn tasks (and so borrow the table).
            let Some(mut task) = self.tasks.borrow_mut().remove(&id) else {
                continue;
            };
            task.signal.queued.store(false, Ordering::Release);
            let mut context = Context::from_waker(&task.waker);
            match catch_unwind(AssertUnwindSafe(|| task.future.as_mut().poll(&mut context))) {
                Ok(Poll::Pending) => {
                    self.tasks.borrow_mut().insert(id, task);
                }
                Ok(Poll::Ready(())) => {}
                Err(panic) => {
                    tracing::error!(target: "geppetto::owner", "owner-local task panicked (dropped): {}", panic_text(&*panic));
                }
            }
        }
        true
    }

    /// Whether a task is due for a poll.
    pub(crate) fn has_ready(&self) -> bool {
        !self.ready.ids.lock().is_empty()
    }

    /// Drops every task (at shutdown, while the runtime still exists).
    pub(crate) fn clear(&self) {
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        self.ready.ids.lock().clear();
        drop(tasks);
    }
}

/// Resets a flag when dropped (on every exit path of a poll, panics included).
struct ResetOnDrop<'a>(&'a Cell<bool>);

impl Drop for ResetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}
