//! The owner thread: builds the runtime, serves the mailbox, runs JS jobs and timers, pumps
//! nested waits, and answers every caller at shutdown.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use rquickjs::{Context, Ctx, Runtime};
use tracing::field::Empty;

use super::callbacks::CallbackTable;
use super::error::{InterruptReason, OwnerError};
use super::frame::Frame;
use super::handle::Inner;
use super::lifecycle::{Lifecycle, OwnerState};
use super::mailbox::{Envelope, Message};
use super::options::{CallOptions, OwnerOptions};
use super::timers::{TimerCallback, Timers};

thread_local! {
    /// The owner served by this thread, if this is an owner thread.
    static LOCAL: RefCell<Option<Rc<OwnerLocal>>> = const { RefCell::new(None) };
    /// Id of the owner served by this thread (0: none). The O(1) reentrancy check.
    static OWNER_ID: Cell<u64> = const { Cell::new(0) };
}

/// The id of the owner whose thread this is (0 when this is not an owner thread).
pub(crate) fn current_owner_id() -> u64 {
    OWNER_ID.with(Cell::get)
}

/// The owner state of this thread, when this is an owner thread.
pub(crate) fn current_local() -> Option<Rc<OwnerLocal>> {
    LOCAL.with(|local| local.borrow().clone())
}

/// Everything the owner thread keeps for itself. Never leaves the thread.
pub(crate) struct OwnerLocal {
    pub(crate) name: Arc<str>,
    ctx: Cell<Option<NonNull<rquickjs::qjs::JSContext>>>,
    rx: flume::Receiver<Message>,
    /// Messages taken off the channel in one batch (one lock for a whole burst), served in order
    /// before the channel again. Holds at most one mailbox's worth.
    inbox: RefCell<VecDeque<Message>>,
    pub(crate) wake: flume::WeakSender<Message>,
    pub(crate) lifecycle: Arc<Lifecycle>,
    pub(crate) handle: Weak<Inner>,
    frames: RefCell<Vec<Rc<Frame>>>,
    /// The frame of the last finished item, kept for the next one when nothing else holds it
    /// (saves an allocation per item).
    spare_frame: RefCell<Option<Rc<Frame>>>,
    pub(crate) timers: RefCell<Timers>,
    pub(crate) callbacks: RefCell<CallbackTable>,
    depth: Cell<usize>,
    /// How many pumps are waiting in the middle of a JS turn (a blocking native call). While it is
    /// non-zero, top-level work is held back so a JS turn is never split by it.
    mid_turn: Cell<usize>,
    /// Work that must run between JS turns (event deliveries, promise settlements), in order.
    top_level: RefCell<VecDeque<TimerCallback>>,
    /// How many nested waits hold timers back (a blocking `sleep`): timers fire only at zero.
    pub(crate) timers_held: Cell<usize>,
    /// Groups of the nested waits in progress (innermost last).
    waiting_groups: RefCell<Vec<Option<u64>>>,
    /// Calls that may wait, parked while another group's nested wait is in progress.
    parked: RefCell<VecDeque<Envelope>>,
    /// How many parked calls each group has (so a nested wait finds its own without a scan).
    parked_per_group: RefCell<HashMap<Option<u64>, usize>>,
    max_nesting: usize,
    cpu_budget: Option<Duration>,
    /// Whether the runtime has a memory limit (a thrown `null` then means out of memory).
    memory_limited: bool,
    pub(crate) tokio: tokio::runtime::Handle,
}

/// What the thread needs to start.
pub(crate) struct Startup {
    pub(crate) id: u64,
    pub(crate) name: Arc<str>,
    pub(crate) rx: flume::Receiver<Message>,
    pub(crate) wake: flume::WeakSender<Message>,
    pub(crate) lifecycle: Arc<Lifecycle>,
    pub(crate) handle: Weak<Inner>,
    pub(crate) tokio: tokio::runtime::Handle,
    pub(crate) options: OwnerOptions,
    pub(crate) ready: std::sync::mpsc::SyncSender<Result<(), String>>,
}

/// The body of an owner thread.
pub(crate) fn run_owner_thread(startup: Startup) {
    let Startup {
        id,
        name,
        rx,
        wake,
        lifecycle,
        handle,
        tokio,
        mut options,
        ready,
    } = startup;
    // Futures built on this thread (timers in `block_on`, for example) use the owner's runtime.
    let _tokio_context = tokio.enter();
    let runtime = match Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(format!("cannot create runtime: {error}")));
            lifecycle.set_state(OwnerState::Stopped);
            return;
        }
    };
    if let Some(limit) = options.memory_limit {
        runtime.set_memory_limit(limit);
    }
    if let Some(limit) = options.max_stack_size {
        runtime.set_max_stack_size(limit);
    }
    if let Some(setup) = options.setup_runtime.take() {
        setup(&runtime);
    }
    let context = match Context::full(&runtime) {
        Ok(context) => context,
        Err(error) => {
            let _ = ready.send(Err(format!("cannot create context: {error}")));
            lifecycle.set_state(OwnerState::Stopped);
            return;
        }
    };
    let local = Rc::new(OwnerLocal {
        name,
        ctx: Cell::new(None),
        rx,
        inbox: RefCell::new(VecDeque::new()),
        wake,
        lifecycle: lifecycle.clone(),
        handle,
        frames: RefCell::new(Vec::new()),
        spare_frame: RefCell::new(None),
        timers: RefCell::new(Timers::default()),
        callbacks: RefCell::new(CallbackTable::default()),
        depth: Cell::new(0),
        mid_turn: Cell::new(0),
        top_level: RefCell::new(VecDeque::new()),
        timers_held: Cell::new(0),
        waiting_groups: RefCell::new(Vec::new()),
        parked: RefCell::new(VecDeque::new()),
        parked_per_group: RefCell::new(HashMap::new()),
        max_nesting: options.max_nesting,
        cpu_budget: options.cpu_budget,
        memory_limited: options.memory_limit.is_some(),
        tokio,
    });
    let interrupt_local = Rc::downgrade(&local);
    runtime.set_interrupt_handler(Some(Box::new(move || {
        interrupt_local
            .upgrade()
            .is_some_and(|local| local.should_interrupt())
    })));
    LOCAL.with(|slot| *slot.borrow_mut() = Some(local.clone()));
    OWNER_ID.with(|slot| slot.set(id));

    context.with(|ctx| {
        local.ctx.set(Some(ctx.as_raw()));
        if let Some(setup) = options.setup_context.take() {
            let setup_result = catch_unwind(AssertUnwindSafe(|| setup(&ctx)));
            let failure = match setup_result {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(js_error_text(&ctx, error)),
                Err(panic) => Some(format!("setup panicked: {}", panic_text(&*panic))),
            };
            if let Some(failure) = failure {
                let _ = ready.send(Err(failure));
                local.finish();
                return;
            }
        }
        lifecycle.set_state(OwnerState::Running);
        let _ = ready.send(Ok(()));
        local.serve(&ctx);
        local.finish();
    });
    local.ctx.set(None);
    runtime.set_interrupt_handler(None);
    LOCAL.with(|slot| slot.borrow_mut().take());
    OWNER_ID.with(|slot| slot.set(0));
    drop(local);
    drop(context);
    drop(runtime);
    lifecycle.set_state(OwnerState::Stopped);
}

impl OwnerLocal {
    /// The main loop: serve the mailbox, jobs and timers until shutdown.
    fn serve(&self, ctx: &Ctx<'_>) {
        loop {
            self.run_ready(ctx);
            if self.lifecycle.abort_requested() {
                return;
            }
            if self.run_parked(ctx) {
                continue;
            }
            if self.lifecycle.state() == OwnerState::Stopping && self.mailbox_is_empty() {
                return;
            }
            match self.receive() {
                Ok(Some(message)) => {
                    self.dispatch(ctx, message);
                    self.signal_if_idle();
                }
                Ok(None) => {}
                Err(()) => return,
            }
        }
    }

    /// After the loop: refuse new work, drop (and so answer with `Closed`) everything queued, and
    /// release every JS value while the runtime still exists.
    fn finish(&self) {
        self.lifecycle.begin_stopping();
        self.lifecycle.set_state(OwnerState::Stopped);
        // Senders waiting for room give up with `Closed`.
        self.lifecycle.permits.close();
        loop {
            // Taken out first so the drops run with the inbox not borrowed.
            let inbox = std::mem::take(&mut *self.inbox.borrow_mut());
            self.lifecycle.set_inbox_len(0);
            drop(inbox);
            while self.rx.try_recv().is_ok() {}
            if self.lifecycle.senders_in_flight() == 0 {
                while self.rx.try_recv().is_ok() {}
                break;
            }
            std::thread::yield_now();
        }
        self.timers.borrow_mut().clear();
        self.top_level.borrow_mut().clear();
        self.parked.borrow_mut().clear();
        self.parked_per_group.borrow_mut().clear();
        self.callbacks.borrow_mut().clear();
    }

    /// Waits for the next message, or for the next timer. `Ok(None)`: a timer is due.
    fn receive(&self) -> Result<Option<Message>, ()> {
        let next_due = self.timers.borrow_mut().next_due();
        match self.next_message(next_due) {
            Ok(message) => Ok(Some(message)),
            Err(flume::RecvTimeoutError::Timeout) => Ok(None),
            Err(flume::RecvTimeoutError::Disconnected) => Err(()),
        }
    }

    /// The next message: from the inbox; else everything waiting in the channel, moved to the
    /// inbox at once; else the next one to arrive, waiting until `until` (forever when `None`).
    fn next_message(&self, until: Option<Instant>) -> Result<Message, flume::RecvTimeoutError> {
        if let Some(message) = self.pop_inbox() {
            return Ok(message);
        }
        let batch = self.rx.drain();
        if batch.len() > 0 {
            self.lifecycle.stats.observe_depth(batch.len());
            let mut inbox = self.inbox.borrow_mut();
            let before = inbox.len();
            inbox.extend(batch);
            let permits = inbox.range(before..).filter(|m| m.holds_permit()).count();
            drop(inbox);
            self.lifecycle.permits.add_permits(permits);
            if let Some(message) = self.pop_inbox() {
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
            self.lifecycle.permits.add_permits(1);
        }
        Ok(message)
    }

    fn pop_inbox(&self) -> Option<Message> {
        let mut inbox = self.inbox.borrow_mut();
        let message = inbox.pop_front();
        if message.is_some() {
            self.lifecycle.set_inbox_len(inbox.len());
        }
        message
    }

    /// Whether no message waits, in the inbox or the channel.
    fn mailbox_is_empty(&self) -> bool {
        self.inbox.borrow().is_empty() && self.rx.is_empty()
    }

    fn signal_if_idle(&self) {
        // Waiters first: `rx.is_empty()` takes the channel lock the senders contend for.
        if self.depth.get() == 0 && self.lifecycle.has_idle_waiters() && self.mailbox_is_empty() {
            self.lifecycle.signal_idle();
        }
    }

    /// Runs pending promise jobs, due timers and (between JS turns only) queued top-level work,
    /// until none is left. Timers fire inside nested waits too: a Promise that a blocking call
    /// waits for may depend on one.
    pub(crate) fn run_ready(&self, ctx: &Ctx<'_>) {
        loop {
            let mut ran = self.run_jobs(ctx);
            if self.mid_turn.get() == 0 {
                let next = self.top_level.borrow_mut().pop_front();
                if let Some(work) = next {
                    ran = true;
                    self.run_local("top-level", ctx, work);
                }
            }
            let due = {
                let mut timers = self.timers.borrow_mut();
                // No clock read while no timer is pending (the common case).
                if self.timers_held.get() > 0 || timers.len() == 0 {
                    None
                } else {
                    timers.pop_due(Instant::now())
                }
            };
            if let Some(callback) = due {
                ran = true;
                self.run_local("timer", ctx, callback);
            }
            if !ran {
                return;
            }
        }
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
        let frame = Rc::new(Frame::new("promise-jobs", None, None, self.cpu_budget));
        self.frames.borrow_mut().push(frame);
        let mut ran = false;
        while ctx.execute_pending_job() {
            ran = true;
        }
        self.frames.borrow_mut().pop();
        self.log_stray_panic(ctx, "promise job");
        ran
    }

    fn run_local(&self, op: &'static str, ctx: &Ctx<'_>, work: TimerCallback) {
        let frame = Rc::new(Frame::new(op, None, None, self.cpu_budget));
        self.frames.borrow_mut().push(frame);
        let result = catch_unwind(AssertUnwindSafe(|| work(ctx)));
        self.frames.borrow_mut().pop();
        self.log_stray_panic(ctx, op);
        if let Err(panic) = result {
            tracing::error!(target: "geppetto::owner", owner = %self.name, op, "owner-local work panicked: {}", panic_text(&*panic));
        }
    }

    /// Runs `work` now when no JS turn is in progress and nothing is queued before it; otherwise
    /// queues it to run, in order, as soon as the current JS turn has ended.
    pub(crate) fn run_at_top_level(&self, ctx: &Ctx<'_>, work: TimerCallback) {
        if self.mid_turn.get() == 0 && self.top_level.borrow().is_empty() {
            self.run_local("top-level", ctx, work);
        } else {
            self.top_level.borrow_mut().push_back(work);
        }
    }

    /// Reports a native-function panic that JS caught outside any item (promise jobs, timers).
    fn log_stray_panic(&self, ctx: &Ctx<'_>, what: &str) {
        if let Some(panic) = take_stray_panic(ctx) {
            tracing::error!(target: "geppetto::owner", owner = %self.name, "{what} panicked: {}", panic_text(&*panic));
        }
    }

    fn dispatch(&self, ctx: &Ctx<'_>, message: Message) {
        match message {
            Message::Work(envelope) if self.accepts(&envelope) => self.execute(ctx, envelope),
            Message::Work(envelope) => {
                *self
                    .parked_per_group
                    .borrow_mut()
                    .entry(envelope.group())
                    .or_insert(0) += 1;
                self.parked.borrow_mut().push_back(envelope);
            }
            Message::Wake => {}
        }
    }

    /// Whether `envelope` may run now: anything may, except a call that may wait while a nested
    /// wait of another group is in progress.
    fn accepts(&self, envelope: &Envelope) -> bool {
        if !envelope.may_wait() {
            return true;
        }
        match self.waiting_groups.borrow().last() {
            None => true,
            Some(group) => group.is_some() && *group == envelope.group(),
        }
    }

    /// Runs the first parked call that may run now, if any: any parked call when no nested wait is
    /// in progress, else the first one of the innermost wait's group.
    fn run_parked(&self, ctx: &Ctx<'_>) -> bool {
        let next = {
            let waiting = self.waiting_groups.borrow().last().copied();
            let mut parked = self.parked.borrow_mut();
            match waiting {
                None => parked.pop_front(),
                Some(None) => None,
                Some(group) => {
                    let has_own = self
                        .parked_per_group
                        .borrow()
                        .get(&group)
                        .is_some_and(|count| *count > 0);
                    let position = has_own
                        .then(|| parked.iter().position(|envelope| envelope.group() == group))
                        .flatten();
                    position.and_then(|index| parked.remove(index))
                }
            }
        };
        let Some(envelope) = next else {
            return false;
        };
        let mut counts = self.parked_per_group.borrow_mut();
        if let Some(count) = counts.get_mut(&envelope.group()) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&envelope.group());
            }
        }
        drop(counts);
        self.execute(ctx, envelope);
        true
    }

    /// Runs one item under a frame, inside its trace span, and records its stats.
    pub(crate) fn execute(&self, ctx: &Ctx<'_>, envelope: Envelope) {
        let Envelope {
            op,
            job,
            options,
            enqueued,
        } = envelope;
        let CallOptions {
            cancel,
            deadline,
            cpu_budget,
            session_id,
            inference_id,
            group,
            may_wait: _,
        } = options.map(|options| *options).unwrap_or_default();
        // One clock read serves as the end of the queue wait, the frame's start and the start of
        // execution.
        let started = Instant::now();
        let queue_wait = started.saturating_duration_since(enqueued);
        // Items waiting in the inbox, and this one (bursts waiting in the channel are observed
        // when they are moved to the inbox).
        let waiting = self.inbox.try_borrow().map_or(0, |inbox| inbox.len());
        self.lifecycle.stats.observe_depth(waiting + 1);
        let span = tracing::debug_span!(
            target: "geppetto::owner",
            "owner_item",
            owner = %self.name,
            op,
            session_id = session_id.as_deref(),
            inference_id = inference_id.as_deref(),
            queue_wait_us = queue_wait.as_micros() as u64,
            exec_us = Empty,
            outcome = Empty,
        );
        // A disabled span (no subscriber wants it) is neither entered nor recorded: with tracing's
        // `log` feature on, those calls cost more than the item itself for trivial work.
        let traced = !span.is_disabled();
        let _entered = traced.then(|| span.enter());
        let mut frame = Frame::started_at(
            op,
            cancel,
            deadline,
            cpu_budget.unwrap_or(self.cpu_budget),
            started,
        );
        frame.group = group;
        let frame = self.new_frame(frame);
        self.frames.borrow_mut().push(frame.clone());
        let outcome = job(ctx, &frame);
        let exec = started.elapsed();
        self.frames.borrow_mut().pop();
        self.recycle_frame(frame);
        if traced {
            span.record("exec_us", exec.as_micros() as u64);
            span.record("outcome", outcome.as_str());
        }
        self.lifecycle.stats.record(op, outcome, queue_wait, exec);
    }

    /// `frame` in the spare allocation when there is one nobody else holds, else in a new one.
    fn new_frame(&self, frame: Frame) -> Rc<Frame> {
        let spare = self.spare_frame.borrow_mut().take();
        match spare {
            Some(mut spare) => match Rc::get_mut(&mut spare) {
                Some(slot) => {
                    *slot = frame;
                    spare
                }
                None => Rc::new(frame),
            },
            None => Rc::new(frame),
        }
    }

    /// Keeps a finished item's frame for the next item (only if nothing else still holds it),
    /// without its cancellation token.
    fn recycle_frame(&self, mut frame: Rc<Frame>) {
        if let Some(slot) = Rc::get_mut(&mut frame) {
            slot.cancel = None;
            *self.spare_frame.borrow_mut() = Some(frame);
        }
    }

    /// The interrupt handler: stops the innermost frame's JS when it is cancelled, past its
    /// deadline or over its CPU budget, or when the owner aborts.
    fn should_interrupt(&self) -> bool {
        let Ok(frames) = self.frames.try_borrow() else {
            return false;
        };
        let Some(frame) = frames.last() else {
            return false;
        };
        match frame.stop_reason(self.lifecycle.abort_requested()) {
            Some(reason) => {
                frame.interrupted.set(Some(reason));
                true
            }
            None => false,
        }
    }

    /// The innermost frame (the item now executing).
    pub(crate) fn top_frame(&self) -> Option<Rc<Frame>> {
        self.frames.borrow().last().cloned()
    }

    /// The context of this owner. Only valid while the owner thread is inside its context.
    pub(crate) fn ctx_ptr(&self) -> Option<NonNull<rquickjs::qjs::JSContext>> {
        self.ctx.get()
    }

    /// `NestingTooDeep` when one more nested pump would exceed the nesting limit.
    pub(crate) fn check_nesting(&self, op: &'static str) -> Result<(), OwnerError> {
        if self.depth.get() >= self.max_nesting {
            return Err(OwnerError::NestingTooDeep {
                owner: self.name.clone(),
                op,
                limit: self.max_nesting,
            });
        }
        Ok(())
    }

    /// Serves the mailbox, promise jobs and timers (and, unless `wait` is given, top-level work)
    /// until `done()` holds (nested pumping). `wait: Some(group)` says the caller is a native
    /// function waiting in the middle of a JS turn, for work of `group`. Fails with
    /// `NestingTooDeep` beyond the nesting limit, `Closed` when the owner aborts, and with the
    /// pumping frame's cancellation or deadline when those fire first.
    pub(crate) fn pump_until(
        &self,
        ctx: &Ctx<'_>,
        op: &'static str,
        wait: Option<Option<u64>>,
        mut done: impl FnMut() -> bool,
    ) -> Result<(), OwnerError> {
        self.check_nesting(op)?;
        let mid_turn = wait.is_some();
        let depth = self.depth.get();
        self.depth.set(depth + 1);
        if let Some(group) = wait {
            self.mid_turn.set(self.mid_turn.get() + 1);
            self.waiting_groups.borrow_mut().push(group);
        }
        let frame = self.top_frame();
        let started = Instant::now();
        let result = loop {
            self.run_ready(ctx);
            if done() {
                break Ok(());
            }
            if self.lifecycle.abort_requested() {
                break Err(OwnerError::Closed {
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
                break Err(self.stop_error(op, reason));
            }
            if self.run_parked(ctx) {
                continue;
            }
            let next_due = if self.timers_held.get() == 0 {
                self.timers.borrow_mut().next_due()
            } else {
                None
            };
            let frame_deadline = frame.as_ref().and_then(|frame| frame.deadline);
            let wake_at = match (next_due, frame_deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            match self.next_message(wake_at) {
                Ok(message) => self.dispatch(ctx, message),
                Err(flume::RecvTimeoutError::Timeout) => {}
                Err(flume::RecvTimeoutError::Disconnected) => {
                    break Err(OwnerError::Closed {
                        owner: self.name.clone(),
                        op,
                    });
                }
            }
        };
        if let Some(frame) = frame {
            frame.exclude(started.elapsed());
        }
        self.depth.set(depth);
        if mid_turn {
            self.mid_turn.set(self.mid_turn.get() - 1);
            self.waiting_groups.borrow_mut().pop();
        }
        result
    }

    fn stop_error(&self, op: &'static str, reason: InterruptReason) -> OwnerError {
        match reason {
            InterruptReason::Canceled => OwnerError::Canceled {
                owner: self.name.clone(),
                op,
            },
            InterruptReason::Deadline => OwnerError::Timeout {
                owner: self.name.clone(),
                op,
            },
            reason => OwnerError::Interrupted {
                owner: self.name.clone(),
                op,
                reason,
            },
        }
    }

    /// Whether the owner has nothing left to do for a script: no pending job, no timer, no
    /// keep-alive held by outstanding native work.
    pub(crate) fn is_quiescent(&self) -> bool {
        self.timers.borrow().len() == 0
            && self.top_level.borrow().is_empty()
            && self.parked.borrow().is_empty()
            && self.lifecycle.keepalive_count() == 0
    }

    /// Runs `f` as an item of this owner under a frame, turning JS exceptions, interrupts and
    /// panics into `OwnerError` values.
    pub(crate) fn run_guarded<'js, T>(
        &self,
        ctx: &Ctx<'js>,
        frame: &Frame,
        f: impl FnOnce(&Ctx<'js>) -> rquickjs::Result<T>,
    ) -> Result<T, OwnerError> {
        if let Some(reason) = frame.stop_reason_before_start() {
            return Err(self.stop_error(frame.op, reason));
        }
        let result = catch_unwind(AssertUnwindSafe(|| f(ctx)));
        // A native-function panic whose exception JS caught is still stored in the runtime: it
        // fails this item, and must not resurface in a later one.
        let result = match (result, take_stray_panic(ctx)) {
            (Ok(_), Some(panic)) => Err(panic),
            (result, _) => result,
        };
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.convert_error(ctx, frame, error)),
            Err(panic) => {
                // A panic may leave an exception pending; clear it so the next item starts clean.
                let _ = ctx.catch();
                Err(OwnerError::Panicked {
                    owner: self.name.clone(),
                    op: frame.op,
                    message: panic_text(&*panic),
                })
            }
        }
    }

    fn convert_error(&self, ctx: &Ctx<'_>, frame: &Frame, error: rquickjs::Error) -> OwnerError {
        let owner = self.name.clone();
        let op = frame.op;
        // QuickJS throws `null` when it cannot even allocate the "out of memory" error.
        let (thrown, thrown_null) = if matches!(error, rquickjs::Error::Exception) {
            let value = ctx.catch();
            (JsThrown::from_value(&value), value.is_null())
        } else {
            (JsThrown::take(ctx, &error), false)
        };
        if let Some(reason) = frame.interrupted.take() {
            return OwnerError::Interrupted { owner, op, reason };
        }
        if matches!(error, rquickjs::Error::Allocation)
            || thrown.message == "out of memory"
            || (thrown_null && self.memory_limited)
        {
            return OwnerError::OutOfMemory { owner, op };
        }
        OwnerError::Js {
            owner,
            op,
            message: thrown.message,
            stack: thrown.stack,
        }
    }
}

/// A thrown JS value taken off the context: its message and stack.
pub(crate) struct JsThrown {
    /// `Error.message`, or the thrown value as text.
    pub(crate) message: String,
    /// `Error.stack`, when present and not empty.
    pub(crate) stack: Option<String>,
}

impl JsThrown {
    /// Takes the pending exception for `error` (or describes `error` when it is not an exception).
    pub(crate) fn take(ctx: &Ctx<'_>, error: &rquickjs::Error) -> JsThrown {
        if !matches!(error, rquickjs::Error::Exception) {
            return JsThrown {
                message: error.to_string(),
                stack: None,
            };
        }
        let value = ctx.catch();
        JsThrown::from_value(&value)
    }

    /// Describes a thrown value.
    pub(crate) fn from_value(value: &rquickjs::Value<'_>) -> JsThrown {
        if let Some(object) = value.as_object() {
            let message = object.get::<_, Option<String>>("message").ok().flatten();
            let stack = object
                .get::<_, Option<String>>("stack")
                .ok()
                .flatten()
                .filter(|stack| !stack.trim().is_empty());
            if let Some(message) = message {
                return JsThrown { message, stack };
            }
        }
        let message = match value.as_string() {
            Some(text) => text.to_string().unwrap_or_default(),
            None => value
                .ctx()
                .json_stringify(value.clone())
                .ok()
                .flatten()
                .and_then(|text| text.to_string().ok())
                .unwrap_or_else(|| format!("{value:?}")),
        };
        JsThrown {
            message,
            stack: None,
        }
    }
}

fn js_error_text(ctx: &Ctx<'_>, error: rquickjs::Error) -> String {
    let thrown = JsThrown::take(ctx, &error);
    match thrown.stack {
        Some(stack) => format!("{}\n{stack}", thrown.message),
        None => thrown.message,
    }
}

/// Takes a panic that rquickjs caught in a native function but still holds: rquickjs turns the
/// panic into a JS exception and resumes it only when an exception next reaches Rust, so when JS
/// catches that exception the panic would surface in some later, unrelated call.
fn take_stray_panic(ctx: &Ctx<'_>) -> Option<Box<dyn std::any::Any + Send>> {
    use rquickjs::FromJs;
    // SAFETY: `JS_EXCEPTION` is a tag-only value (not reference counted). Converting it with
    // `FromJs for Result` resumes a stored panic (caught here) or yields `Ok(Err(Exception))`,
    // without touching the pending exception.
    let marker = unsafe { rquickjs::Value::from_raw(ctx.clone(), rquickjs::qjs::JS_EXCEPTION) };
    catch_unwind(AssertUnwindSafe(|| {
        let _ = <rquickjs::Result<()> as FromJs>::from_js(ctx, marker);
    }))
    .err()
}

/// The text of a panic payload.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic payload".into()
    }
}
