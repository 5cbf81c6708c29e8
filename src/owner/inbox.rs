//! The owner's receiving end of its mailbox: the channel, and the inbox a whole burst is moved to
//! at once (one channel lock per burst instead of one per message).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::thread::ThreadId;
use std::time::Instant;

use super::lifecycle::Lifecycle;
use super::mailbox::Message;

/// The receiving end of an owner's mailbox.
pub(crate) struct Inbox {
    rx: flume::Receiver<Message>,
    /// Messages taken off the channel in one batch, served in order before the channel again.
    /// Holds at most one mailbox's worth.
    queue: RefCell<VecDeque<Message>>,
    /// Sends wake-ups to this owner (never keeps it alive).
    pub(crate) wake: flume::WeakSender<Message>,
}

impl Inbox {
    pub(crate) fn new(rx: flume::Receiver<Message>, wake: flume::WeakSender<Message>) -> Inbox {
        Inbox {
            rx,
            queue: RefCell::new(VecDeque::new()),
            wake,
        }
    }

    /// The next message: from the inbox; else everything waiting in the channel, moved to the
    /// inbox at once; else the next one to arrive, waiting until `until` (forever when `None`).
    /// Every work message taken off the channel gives its mailbox permit back.
    pub(crate) fn next_message(
        &self,
        lifecycle: &Lifecycle,
        until: Option<Instant>,
    ) -> Result<Message, flume::RecvTimeoutError> {
        if let Some(message) = self.pop(lifecycle) {
            return Ok(message);
        }
        let batch = self.rx.drain();
        if batch.len() > 0 {
            lifecycle.stats.observe_depth(batch.len());
            let mut queue = self.queue.borrow_mut();
            let before = queue.len();
            queue.extend(batch);
            let permits = queue.range(before..).filter(|m| m.holds_permit()).count();
            drop(queue);
            lifecycle.permits.add_permits(permits);
            if let Some(message) = self.pop(lifecycle) {
                return Ok(message);
            }
        }
        let message = match until {
            Some(at) => self.rx.recv_deadline(at),
            None => self
                .rx
                .recv()
                .map_err(|_| flume::RecvTimeoutError::Disconnected),
        }?;
        if message.holds_permit() {
            lifecycle.permits.add_permits(1);
        }
        Ok(message)
    }

    fn pop(&self, lifecycle: &Lifecycle) -> Option<Message> {
        let mut queue = self.queue.borrow_mut();
        let message = queue.pop_front();
        if message.is_some() {
            lifecycle.set_inbox_len(queue.len());
        }
        message
    }

    /// A waker of this owner's pump; must be called on the owner thread.
    pub(crate) fn pump_waker(&self) -> PumpWaker {
        PumpWaker {
            owner_thread: std::thread::current().id(),
            wake: self.wake.clone(),
        }
    }

    /// Whether no message waits, in the inbox or the channel.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.borrow().is_empty() && self.rx.is_empty()
    }

    /// Messages in the inbox (taken off the channel, not started yet); 0 while it is in use.
    pub(crate) fn waiting(&self) -> usize {
        self.queue.try_borrow().map_or(0, |queue| queue.len())
    }

    /// Drops every message of the inbox and the channel (their callers get `Closed`), returning
    /// once no sender is between "state checked" and "message enqueued" any more.
    pub(crate) fn discard_all(&self, lifecycle: &Lifecycle) {
        loop {
            // Taken out first so the drops run with the inbox not borrowed.
            let queue = std::mem::take(&mut *self.queue.borrow_mut());
            lifecycle.set_inbox_len(0);
            drop(queue);
            while self.rx.try_recv().is_ok() {}
            if lifecycle.senders_in_flight() == 0 {
                while self.rx.try_recv().is_ok() {}
                return;
            }
            std::thread::yield_now();
        }
    }
}

/// Wakes the pump of one owner for a future or task polled on its thread. Made on the owner
/// thread (see [`Inbox::pump_waker`]).
#[derive(Clone)]
pub(crate) struct PumpWaker {
    owner_thread: ThreadId,
    wake: flume::WeakSender<Message>,
}

impl PumpWaker {
    /// Sends the pump a wake-up: a waiting pump goes round its loop (and polls what is due).
    pub(crate) fn wake(&self) {
        if let Some(sender) = self.wake.upgrade() {
            let _ = sender.send(Message::Wake);
        }
    }

    /// Like [`wake`](Self::wake), but only from another thread: on the owner thread the pump
    /// checks what is due before it waits for a message.
    pub(crate) fn wake_from_elsewhere(&self) {
        if std::thread::current().id() != self.owner_thread {
            self.wake();
        }
    }
}
