//! A frame: the owner-thread record of one executing item, read by the interrupt handler.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
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

/// The frames of the items executing on an owner (innermost last), and a spare allocation for the
/// next one.
#[derive(Default)]
pub(crate) struct FrameStack {
    frames: RefCell<Vec<Rc<Frame>>>,
    /// The frame of the last finished item, kept for the next one when nothing else holds it
    /// (saves an allocation per item).
    spare: RefCell<Option<Rc<Frame>>>,
}

impl FrameStack {
    /// Pushes `frame` (in the spare allocation when there is one nobody else holds); the returned
    /// guard pops it when dropped, on every exit path.
    pub(crate) fn push(&self, frame: Frame) -> ActiveFrame<'_> {
        let spare = self.spare.borrow_mut().take();
        let frame = match spare {
            Some(mut spare) => match Rc::get_mut(&mut spare) {
                Some(slot) => {
                    *slot = frame;
                    spare
                }
                None => Rc::new(frame),
            },
            None => Rc::new(frame),
        };
        self.frames.borrow_mut().push(frame.clone());
        ActiveFrame {
            stack: self,
            frame: Some(frame),
        }
    }

    /// The innermost frame (the item now executing).
    pub(crate) fn top(&self) -> Option<Rc<Frame>> {
        self.frames.borrow().last().cloned()
    }

    /// Runs `check` on the innermost frame, unless the stack is being changed right now (the
    /// interrupt handler may run at any point of the interpreter).
    pub(crate) fn with_top<T>(&self, check: impl FnOnce(&Frame) -> Option<T>) -> Option<T> {
        let frames = self.frames.try_borrow().ok()?;
        check(frames.last()?)
    }
}

/// A frame on the stack; popped when dropped, on every exit path. Its allocation is kept for the
/// next item when nothing else holds it.
pub(crate) struct ActiveFrame<'a> {
    stack: &'a FrameStack,
    /// Always `Some` until dropped.
    frame: Option<Rc<Frame>>,
}

impl std::ops::Deref for ActiveFrame<'_> {
    type Target = Frame;

    fn deref(&self) -> &Frame {
        self.frame
            .as_deref()
            .expect("an active frame holds its frame until dropped")
    }
}

impl Drop for ActiveFrame<'_> {
    fn drop(&mut self) {
        self.stack.frames.borrow_mut().pop();
        if let Some(mut frame) = self.frame.take()
            && let Some(slot) = Rc::get_mut(&mut frame)
        {
            slot.cancel = None;
            *self.stack.spare.borrow_mut() = Some(frame);
        }
    }
}
