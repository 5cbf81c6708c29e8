//! The owner-thread API: what native functions running on an owner thread may do with it.
//!
//! Every function here must be called on an owner thread (from a job, a native function JS
//! called, a timer or a promise job). Off an owner thread they return `None`/errors.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rquickjs::{Ctx, Value};

use super::actor::{self, OwnerLocal};
use super::callbacks::CallbackId;
use super::error::OwnerError;
use super::handle::{OwnerHandle, WeakOwnerHandle};
use super::inbox::PumpWaker;
use super::lifecycle::Lifecycle;
use super::mailbox::Message;
use super::pump::NestedWait;
use super::thrown::JsThrown;
use super::timers::{TimerCallback, TimerId};

fn local(op: &'static str) -> Result<std::rc::Rc<OwnerLocal>, OwnerError> {
    actor::current_local().ok_or(OwnerError::Closed {
        owner: Arc::from("none"),
        op,
    })
}

/// A weak handle to the owner of this thread.
pub fn weak_handle() -> Option<WeakOwnerHandle> {
    let local = actor::current_local()?;
    Some(OwnerHandle::from_inner(local.handle.upgrade()?).downgrade())
}

/// The name of the owner of this thread.
pub fn owner_name() -> Option<Arc<str>> {
    actor::current_local().map(|local| local.name.clone())
}

/// The tokio runtime this owner hands work to.
pub fn tokio_handle() -> Option<tokio::runtime::Handle> {
    actor::current_local().map(|local| local.tokio.clone())
}

/// Runs `future` on tokio and, while it runs, keeps serving this owner's mailbox and promise jobs
/// with `ctx` (nested pumping), so work the future sends back to this owner gets done; promise
/// jobs and timers run too. Top-level work waits until the current JS turn ends. Fails with
/// `NestingTooDeep` beyond the nesting limit, and with `Canceled`/`Timeout` when the current
/// item's token or deadline fires first (the future is then dropped).
pub fn block_on<'js, F>(
    ctx: &Ctx<'js>,
    op: &'static str,
    future: F,
) -> Result<F::Output, OwnerError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let group = actor::current_local()
        .and_then(|local| local.frames.top())
        .and_then(|frame| frame.group);
    block_on_group(ctx, op, group, future)
}

/// Like [`block_on`], serving calls of work group `group` (see
/// [`CallOptions::group`](super::CallOptions::group)) while it waits; `block_on` uses the group of
/// the item now executing.
pub fn block_on_group<'js, F>(
    ctx: &Ctx<'js>,
    op: &'static str,
    group: Option<u64>,
    future: F,
) -> Result<F::Output, OwnerError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let local = local(op)?;
    // Refuse before starting the future: work reported as failed must not run (nor call back
    // into this owner later, at a shallower depth).
    local.check_nesting(op)?;
    let slot: Arc<Mutex<Option<F::Output>>> = Arc::new(Mutex::new(None));
    let frame = local.frames.top();
    let cancel = frame.as_ref().and_then(|frame| frame.cancel.clone());
    let task_slot = slot.clone();
    let wake = local.inbox.wake.clone();
    let task = local.tokio.spawn(async move {
        let canceled = async {
            match &cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            output = future => { *task_slot.lock() = Some(output); }
            _ = canceled => {}
        }
        if let Some(sender) = wake.upgrade() {
            let _ = sender.send_async(Message::Wake).await;
        }
    });
    let pumped = local.pump_until(ctx, op, NestedWait::MidTurn { group }, || {
        slot.lock().is_some()
    });
    let output = slot.lock().take();
    match (pumped, output) {
        (_, Some(output)) => Ok(output),
        (Err(error), None) => {
            task.abort();
            Err(error)
        }
        (Ok(()), None) => Err(OwnerError::Closed {
            owner: local.name.clone(),
            op,
        }),
    }
}

/// Like [`block_on_group`], but polls `future` here, on the owner thread, between the items the
/// nested wait serves, instead of handing it to a tokio worker: no thread hop per step. Owner
/// calls the future makes run inline at once (see [`OwnerHandle::call_with`]), so a chain whose
/// next step is also JS never leaves this thread. For futures that do little CPU work between
/// their awaits (the rest of an inference chain below a JS middleware); tokio resources (timers,
/// sockets, spawning) work as on a worker, the runtime being entered while polling.
pub fn block_on_here_group<'js, F>(
    ctx: &Ctx<'js>,
    op: &'static str,
    group: Option<u64>,
    future: F,
) -> Result<F::Output, OwnerError>
where
    F: Future,
{
    let local = local(op)?;
    local.check_nesting(op)?;
    let cancel = local.frames.top().and_then(|frame| frame.cancel.clone());
    // Stops polling once the pumping item is cancelled; the pump then ends with the cancellation.
    let guarded = async {
        let canceled = async {
            match &cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            output = future => Some(output),
            _ = canceled => None,
        }
    };
    let mut guarded = std::pin::pin!(guarded);
    let signal = Arc::new(PollSignal {
        woken: AtomicBool::new(true),
        pump: local.inbox.pump_waker(),
    });
    let waker = std::task::Waker::from(signal.clone());
    let mut finished = false;
    let mut output = None;
    let pumped = local.pump_until(ctx, op, NestedWait::MidTurn { group }, || {
        if !finished && signal.woken.swap(false, Ordering::AcqRel) {
            let _entered = local.tokio.enter();
            let mut context = std::task::Context::from_waker(&waker);
            if let std::task::Poll::Ready(value) = guarded.as_mut().poll(&mut context) {
                finished = true;
                output = value;
            } else {
                signal.repoll_if_woken_meanwhile();
            }
        }
        output.is_some()
    });
    match (pumped, output) {
        (_, Some(output)) => Ok(output),
        (Err(error), None) => Err(error),
        (Ok(()), None) => Err(OwnerError::Closed {
            owner: local.name.clone(),
            op,
        }),
    }
}

/// Wakes a future polled on an owner thread: marks it to be polled again and, from another
/// thread, wakes the owner's pump. On the owner thread itself no message is sent: a wake while
/// the pump serves other work is seen when it next checks, and a wake during the poll itself is
/// caught by [`PollSignal::repoll_if_woken_meanwhile`].
struct PollSignal {
    woken: AtomicBool,
    pump: PumpWaker,
}

impl PollSignal {
    /// After a poll returned `Pending`: if the future was woken during that poll on this very
    /// thread (it yielded, or something it awaits completed inline), no wake-up message was sent,
    /// and the pump would park with the future due for a poll. Sends one so the pump serves what
    /// is waiting and polls again instead of parking.
    fn repoll_if_woken_meanwhile(&self) {
        if self.woken.load(Ordering::Acquire) {
            self.pump.wake();
        }
    }
}

impl std::task::Wake for PollSignal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::AcqRel) {
            self.pump.wake_from_elsewhere();
        }
    }
}

/// The cancellation token of the item now executing, if it has one. Native code that starts
/// background work on the item's behalf (a promise settled later) stops that work when it fires.
pub fn current_cancel() -> Option<tokio_util::sync::CancellationToken> {
    actor::current_local()?.frames.top()?.cancel.clone()
}

/// Blocks the current JS turn for `duration` like a synchronous sleep: timers do not fire
/// meanwhile, but the mailbox and promise jobs are still served, so other work is not starved.
pub fn sleep(ctx: &Ctx<'_>, op: &'static str, duration: Duration) -> Result<(), OwnerError> {
    let local = local(op)?;
    let _held = local.nesting.hold_timers();
    block_on(ctx, op, tokio::time::sleep(duration))
}

/// Serves the mailbox, promise jobs and timers until nothing is left for a script to wait on: no
/// pending job, no timer, no [`KeepAlive`] outstanding.
pub fn run_until_idle(ctx: &Ctx<'_>, op: &'static str) -> Result<(), OwnerError> {
    run_until_idle_or(ctx, op, || false)
}

/// Like [`run_until_idle`], returning early as soon as `stop()` holds (checked whenever no job is
/// pending).
pub fn run_until_idle_or(
    ctx: &Ctx<'_>,
    op: &'static str,
    mut stop: impl FnMut() -> bool,
) -> Result<(), OwnerError> {
    let local = local(op)?;
    local.pump_until(ctx, op, NestedWait::BetweenTurns, || {
        stop() || local.is_quiescent()
    })
}

/// Describes a thrown JS value: its message (`Error.message` or the value as text) and stack.
pub fn describe_thrown(value: &Value<'_>) -> (String, Option<String>) {
    let thrown = JsThrown::from_value(value);
    (thrown.message, thrown.stack)
}

/// Runs `work` between JS turns: now, when no JS turn is in progress (no [`block_on`] waiting) and
/// no earlier top-level work is queued; otherwise as soon as the current JS turn ends, in the order
/// queued. Event deliveries and promise settlements use it so a JS turn is never split by them.
pub fn run_at_top_level(ctx: &Ctx<'_>, work: TimerCallback) {
    if let Some(local) = actor::current_local() {
        local.run_at_top_level(ctx, work);
    }
}

/// Runs all pending promise jobs and due timers now, without waiting for anything.
pub fn run_ready(ctx: &Ctx<'_>) {
    if let Some(local) = actor::current_local() {
        local.run_ready(ctx);
    }
}

/// The latest a timer is scheduled: a delay beyond what `Instant` can represent (an embedder's
/// `Duration::MAX`) means "never in practice", not a panic.
const LATEST_TIMER: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// Schedules `callback` to run on this owner after `delay` (at most about a century; longer
/// delays are clamped to that).
pub fn set_timeout(delay: Duration, callback: TimerCallback) -> Option<TimerId> {
    let local = actor::current_local()?;
    let due = Instant::now() + delay.min(LATEST_TIMER);
    let id = local.timers.borrow_mut().insert(due, callback);
    Some(id)
}

/// Cancels a pending timer; returns whether it was pending.
pub fn clear_timeout(id: TimerId) -> bool {
    actor::current_local().is_some_and(|local| local.timers.borrow_mut().remove(id))
}

/// Keeps `value` alive in this owner's callback table and returns its `Send` id.
pub fn register_callback<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Option<CallbackId> {
    let local = actor::current_local()?;
    let id = local.callbacks.borrow_mut().insert(ctx, value);
    Some(id)
}

/// The value stored under `id`, if it is still registered.
pub fn callback<'js>(ctx: &Ctx<'js>, id: CallbackId) -> Option<Value<'js>> {
    let local = actor::current_local()?;
    let callbacks = local.callbacks.borrow();
    callbacks.get(ctx, id)
}

/// Drops the value stored under `id`; returns whether it was registered.
pub fn release_callback(id: CallbackId) -> bool {
    actor::current_local().is_some_and(|local| local.callbacks.borrow_mut().remove(id))
}

/// Number of values in this owner's callback table.
pub fn callback_count() -> usize {
    actor::current_local().map_or(0, |local| local.callbacks.borrow().len())
}

/// Takes a keep-alive on this owner: [`run_until_idle`] does not return while one is held.
pub fn keep_alive() -> Option<KeepAlive> {
    let local = actor::current_local()?;
    local.lifecycle.keepalive_add();
    Some(KeepAlive {
        lifecycle: local.lifecycle.clone(),
        wake: local.inbox.wake.clone(),
    })
}

/// Outstanding native work that a script waits for (for example an async run). `Send`: it is
/// usually dropped on a tokio task when the work completes; dropping it wakes the owner.
pub struct KeepAlive {
    lifecycle: Arc<Lifecycle>,
    wake: flume::WeakSender<Message>,
}

impl std::fmt::Debug for KeepAlive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeepAlive").finish_non_exhaustive()
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        self.lifecycle.keepalive_sub();
        if let Some(sender) = self.wake.upgrade() {
            let _ = sender.try_send(Message::Wake);
        }
    }
}

/// Runs `future` on this owner thread instead of a tokio worker: it is polled between JS turns
/// (like top-level work: never during a nested wait in the middle of a JS turn), with the tokio
/// runtime entered, so tokio timers and sockets work. Owner calls it makes run inline, at once:
/// for futures whose work is mostly calls back into this owner, that spares two thread switches
/// and a mailbox message per call. Its CPU work runs on the owner thread, so keep it to futures
/// that do little besides such calls. Returns `false` off an owner thread (nothing is spawned).
pub fn spawn_here(future: impl Future<Output = ()> + 'static) -> bool {
    let Some(local) = actor::current_local() else {
        return false;
    };
    local.local_tasks.spawn(Box::pin(future));
    true
}
