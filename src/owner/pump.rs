//! Pumping: the owner's serve loop, and nested pumping (a native function that blocks while the
//! owner keeps serving its mailbox, promise jobs and timers).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use rquickjs::Ctx;

use super::actor::OwnerLocal;
use super::error::OwnerError;
use super::frame::Frame;
use super::lifecycle::OwnerState;
use super::mailbox::Message;
use super::stray_panic::{log_stray_panic, panic_text};
use super::timers::TimerCallback;

/// Where a nested wait stands in the JS turn that started it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NestedWait {
    /// Between JS turns (a script waiting for everything to settle): top-level work runs
    /// meanwhile.
    BetweenTurns,
    /// A native function blocking in the middle of a JS turn, waiting for work of `group`:
    /// top-level work is held back so the turn is not split by it.
    MidTurn {
        /// The work group whose calls are served meanwhile (see `CallOptions::group`).
        group: Option<u64>,
    },
}

/// The counters nested waits keep. Each is raised by a guard and lowered by its `Drop`, so every
/// exit path (errors and panics unwinding through a native function included) restores them.
pub(crate) struct Nesting {
    depth: Cell<usize>,
    max_depth: usize,
    /// How many pumps are waiting in the middle of a JS turn. While it is non-zero, top-level work
    /// is held back so a JS turn is never split by it.
    mid_turn: Cell<usize>,
    /// How many nested waits hold timers back (a blocking `sleep`): timers fire only at zero.
    timers_held: Cell<usize>,
}

impl Nesting {
    pub(crate) fn new(max_depth: usize) -> Nesting {
        Nesting {
            depth: Cell::new(0),
            max_depth,
            mid_turn: Cell::new(0),
            timers_held: Cell::new(0),
        }
    }

    /// Whether a nested pump is in progress.
    pub(crate) fn is_nested(&self) -> bool {
        self.depth.get() > 0
    }

    /// Whether some pump waits in the middle of a JS turn.
    pub(crate) fn is_mid_turn(&self) -> bool {
        self.mid_turn.get() > 0
    }

    /// Whether timers are held back.
    pub(crate) fn timers_held(&self) -> bool {
        self.timers_held.get() > 0
    }

    /// `NestingTooDeep` when one more nested pump would exceed the nesting limit.
    pub(crate) fn check(&self, owner: &Arc<str>, op: &'static str) -> Result<(), OwnerError> {
        if self.depth.get() >= self.max_depth {
            return Err(OwnerError::NestingTooDeep {
                owner: owner.clone(),
                op,
                limit: self.max_depth,
            });
        }
        Ok(())
    }

    fn enter(&self, wait: NestedWait) -> NestedPump<'_> {
        self.depth.set(self.depth.get() + 1);
        let mid_turn = matches!(wait, NestedWait::MidTurn { .. });
        if mid_turn {
            self.mid_turn.set(self.mid_turn.get() + 1);
        }
        NestedPump {
            nesting: self,
            mid_turn,
        }
    }

    /// Holds timers back until the returned guard drops.
    pub(crate) fn hold_timers(&self) -> TimersHeld<'_> {
        self.timers_held.set(self.timers_held.get() + 1);
        TimersHeld { nesting: self }
    }
}

/// One nested pump in progress: lowers the depth (and the mid-turn count) when dropped.
struct NestedPump<'a> {
    nesting: &'a Nesting,
    mid_turn: bool,
}

impl Drop for NestedPump<'_> {
    fn drop(&mut self) {
        let nesting = self.nesting;
        nesting.depth.set(nesting.depth.get() - 1);
        if self.mid_turn {
            nesting.mid_turn.set(nesting.mid_turn.get() - 1);
        }
    }
}

/// Timers held back (see [`Nesting::hold_timers`]); released when dropped.
pub(crate) struct TimersHeld<'a> {
    nesting: &'a Nesting,
}

impl Drop for TimersHeld<'_> {
    fn drop(&mut self) {
        let held = &self.nesting.timers_held;
        held.set(held.get() - 1);
    }
}

impl OwnerLocal {
    /// The main loop: serve the mailbox, jobs and timers until shutdown.
    pub(crate) fn serve(&self, ctx: &Ctx<'_>) {
        loop {
            self.run_ready(ctx);
            if self.lifecycle.abort_requested() {
                return;
            }
            if self.run_parked(ctx) {
                continue;
            }
            if self.lifecycle.state() == OwnerState::Stopping && self.inbox.is_empty() {
                return;
            }
            let next_due = self.timers.borrow_mut().next_due();
            match self.inbox.next_message(&self.lifecycle, next_due) {
                Ok(message) => {
                    self.dispatch(ctx, message);
                    self.signal_if_idle();
                }
                Err(flume::RecvTimeoutError::Timeout) => {}
                Err(flume::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn signal_if_idle(&self) {
        // Waiters first: `is_empty()` takes the channel lock the senders contend for.
        if !self.nesting.is_nested() && self.lifecycle.has_idle_waiters() && self.inbox.is_empty() {
            self.lifecycle.signal_idle();
        }
    }

    /// Runs pending promise jobs, due timers and (between JS turns only) queued top-level work,
    /// until none is left. Timers fire inside nested waits too: a Promise that a blocking call
    /// waits for may depend on one.
    pub(crate) fn run_ready(&self, ctx: &Ctx<'_>) {
        self.release_queued_callbacks();
        loop {
            let mut ran = self.run_jobs(ctx);
            if !self.nesting.is_mid_turn() {
                let next = self.top_level.borrow_mut().pop_front();
                if let Some(work) = next {
                    ran = true;
                    self.run_local("top-level", ctx, work);
                }
            }
            let due = {
                let mut timers = self.timers.borrow_mut();
                // No clock read while no timer is pending (the common case).
                if self.nesting.timers_held() || timers.len() == 0 {
                    None
                } else {
                    timers.pop_due(Instant::now())
                }
            };
            if let Some(callback) = due {
                ran = true;
                self.run_local("timer", ctx, callback);
            }
            if !self.nesting.is_mid_turn() && self.local_tasks.poll_ready(&self.tokio) {
                ran = true;
            }
            if !ran {
                return;
            }
        }
    }

    /// Releases the callbacks other threads queued for release.
    fn release_queued_callbacks(&self) {
        let ids = self.lifecycle.releases.take();
        if ids.is_empty() {
            return;
        }
        // Removed first, dropped after the table is no longer borrowed (dropping a JS value may
        // run finalizers).
        let released: Vec<_> = {
            let mut callbacks = self.callbacks.borrow_mut();
            ids.into_iter()
                .filter_map(|id| callbacks.take(id))
                .collect()
        };
        drop(released);
    }

    fn run_jobs(&self, ctx: &Ctx<'_>) -> bool {
        // SAFETY: `ctx` is this owner's live context, used on its own thread; `JS_IsJobPending`
        // only reads the runtime's job list. Checking first spares a frame (an allocation and a
        // clock read) after every item when no promise job is pending, the common case.
        let pending = unsafe {
            rquickjs::qjs::JS_IsJobPending(rquickjs::qjs::JS_GetRuntime(ctx.as_raw().as_ptr()))
        };
        if !pending {
            return false;
        }
        let frame = self
            .frames
            .push(Frame::new("promise-jobs", None, None, self.cpu_budget));
        let mut ran = false;
        while ctx.execute_pending_job() {
            ran = true;
        }
        drop(frame);
        log_stray_panic(ctx, &self.name, "promise job");
        ran
    }

    fn run_local(&self, op: &'static str, ctx: &Ctx<'_>, work: TimerCallback) {
        let frame = self
            .frames
            .push(Frame::new(op, None, None, self.cpu_budget));
        let result = catch_unwind(AssertUnwindSafe(|| work(ctx)));
        drop(frame);
        log_stray_panic(ctx, &self.name, op);
        if let Err(panic) = result {
            tracing::error!(target: "geppetto::owner", owner = %self.name, op, "owner-local work panicked: {}", panic_text(&*panic));
        }
    }

    /// Runs `work` now when no JS turn is in progress and nothing is queued before it; otherwise
    /// queues it to run, in order, as soon as the current JS turn has ended.
    pub(crate) fn run_at_top_level(&self, ctx: &Ctx<'_>, work: TimerCallback) {
        if !self.nesting.is_mid_turn() && self.top_level.borrow().is_empty() {
            self.run_local("top-level", ctx, work);
        } else {
            self.top_level.borrow_mut().push_back(work);
        }
    }

    fn dispatch(&self, ctx: &Ctx<'_>, message: Message) {
        match message {
            Message::Work(envelope) if self.parking.accepts(&envelope) => {
                self.execute(ctx, envelope)
            }
            Message::Work(envelope) => self.parking.park(envelope),
            Message::Wake => {}
        }
    }

    /// Runs the first parked call that may run now, if any.
    fn run_parked(&self, ctx: &Ctx<'_>) -> bool {
        match self.parking.take_runnable() {
            Some(envelope) => {
                self.execute(ctx, envelope);
                true
            }
            None => false,
        }
    }

    /// `NestingTooDeep` when one more nested pump would exceed the nesting limit.
    pub(crate) fn check_nesting(&self, op: &'static str) -> Result<(), OwnerError> {
        self.nesting.check(&self.name, op)
    }

    /// Serves the mailbox, promise jobs and timers (and, between JS turns, top-level work) until
    /// `done()` holds (nested pumping). Fails with `NestingTooDeep` beyond the nesting limit,
    /// `Closed` when the owner aborts, and with the pumping frame's cancellation or deadline when
    /// those fire first.
    pub(crate) fn pump_until(
        &self,
        ctx: &Ctx<'_>,
        op: &'static str,
        wait: NestedWait,
        mut done: impl FnMut() -> bool,
    ) -> Result<(), OwnerError> {
        self.check_nesting(op)?;
        let _nested = self.nesting.enter(wait);
        let _waiting = match wait {
            NestedWait::MidTurn { group } => Some((
                self.parking.begin_wait(group),
                self.lifecycle.show_mid_turn_wait(),
            )),
            NestedWait::BetweenTurns => None,
        };
        let frame = self.frames.top();
        let started = Instant::now();
        // Pumping time does not count against the pumping item's CPU budget, however the pump
        // ends.
        let _excluded = frame
            .as_deref()
            .map(|frame| ExcludeOnDrop { frame, started });
        loop {
            self.run_ready(ctx);
            if done() {
                return Ok(());
            }
            if self.lifecycle.abort_requested() {
                return Err(OwnerError::Closed {
                    owner: self.name.clone(),
                    op,
                });
            }
            if let Some(frame) = &frame
                && let Some(reason) = frame.stop_reason(false)
            {
                // The item is stopped as if the interrupt handler had stopped its JS: however the
                // error travels back through JS, the item ends `Interrupted` with this reason.
                frame.interrupted.set(Some(reason));
                return Err(self.stop_error(op, reason));
            }
            if self.run_parked(ctx) {
                continue;
            }
            let next_due = if self.nesting.timers_held() {
                None
            } else {
                self.timers.borrow_mut().next_due()
            };
            let frame_deadline = frame.as_ref().and_then(|frame| frame.deadline);
            let wake_at = next_due.into_iter().chain(frame_deadline).min();
            match self.inbox.next_message(&self.lifecycle, wake_at) {
                Ok(message) => self.dispatch(ctx, message),
                Err(flume::RecvTimeoutError::Timeout) => {}
                Err(flume::RecvTimeoutError::Disconnected) => {
                    return Err(OwnerError::Closed {
                        owner: self.name.clone(),
                        op,
                    });
                }
            }
        }
    }
}

/// Excludes the time since `started` from `frame`'s CPU budget when dropped.
struct ExcludeOnDrop<'a> {
    frame: &'a Frame,
    started: Instant,
}

impl Drop for ExcludeOnDrop<'_> {
    fn drop(&mut self) {
        self.frame.exclude(self.started.elapsed());
    }
}
