//! `Owner::spawn` and `OwnerHandle`: the `Send` face of an owner.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Instant;

use futures_util::future::Either;
use parking_lot::Mutex;
use rquickjs::Ctx;
use tokio_util::sync::CancellationToken;

use super::actor;
use super::callbacks::CallbackId;
use super::error::{InterruptReason, Outcome, OwnerError, SpawnError};
use super::frame::Frame;
use super::lifecycle::{Lifecycle, OwnerState, ShutdownMode};
use super::mailbox::{Envelope, Job, Message};
use super::options::{CallOptions, OwnerOptions};
use super::stats::OwnerStats;
use super::thread::{self, Startup};

static NEXT_OWNER_ID: AtomicU64 = AtomicU64::new(1);

/// Spawns owners.
#[derive(Debug)]
pub struct Owner;

impl Owner {
    /// Starts an owner thread (`js-owner-<name>`), builds its runtime and context there, runs the
    /// setup hooks, and returns once it serves its mailbox. Fails when the runtime cannot be built
    /// or a setup hook fails.
    pub fn spawn(mut options: OwnerOptions) -> Result<OwnerHandle, SpawnError> {
        let tokio = options
            .tokio
            .take()
            .or_else(|| tokio::runtime::Handle::try_current().ok())
            .unwrap_or_else(|| fallback_runtime().clone());
        let id = NEXT_OWNER_ID.fetch_add(1, Ordering::Relaxed);
        let name: Arc<str> = Arc::from(options.name.as_str());
        // Unbounded channel, bounded by the lifecycle's permits (see `Lifecycle::permits`).
        let (tx, rx) = flume::unbounded();
        let lifecycle = Arc::new(Lifecycle::new(options.mailbox_capacity.max(1)));
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let stack_size = options
            .max_stack_size
            .unwrap_or(0)
            .saturating_add(4 * 1024 * 1024);
        let mut spawn_error = None;
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| {
            let startup = Startup {
                id,
                name: name.clone(),
                rx,
                wake: tx.downgrade(),
                lifecycle: lifecycle.clone(),
                handle: weak.clone(),
                tokio,
                options,
                ready: ready_tx,
            };
            let thread = std::thread::Builder::new()
                .name(format!("js-owner-{name}"))
                .stack_size(stack_size)
                .spawn(move || thread::run_owner_thread(startup));
            let thread = match thread {
                Ok(thread) => Some(thread),
                Err(error) => {
                    spawn_error = Some(SpawnError::Thread(error.to_string()));
                    None
                }
            };
            Inner {
                id,
                name: name.clone(),
                tx,
                lifecycle: lifecycle.clone(),
                thread: Mutex::new(thread),
            }
        });
        if let Some(error) = spawn_error {
            return Err(error);
        }
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(OwnerHandle { inner }),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(SpawnError::Exited),
        }
    }
}

/// The tokio runtime used by owners spawned outside any tokio runtime.
fn fallback_runtime() -> &'static tokio::runtime::Handle {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .thread_name("geppetto-owner-tokio")
                .enable_all()
                .build()
                .expect("cannot build the fallback tokio runtime")
        })
        .handle()
}

pub(crate) struct Inner {
    id: u64,
    name: Arc<str>,
    tx: flume::Sender<Message>,
    lifecycle: Arc<Lifecycle>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for Inner {
    /// Dropping the last handle drains and stops the owner and joins its thread (unless the drop
    /// happens on the owner thread itself, which then stops when it returns to its loop).
    fn drop(&mut self) {
        if self.lifecycle.begin_stopping() {
            let _ = self.tx.try_send(Message::Wake);
        }
        let thread = self.thread.lock().take();
        if let Some(thread) = thread
            && actor::current_owner_id() != self.id
        {
            let _ = thread.join();
        }
    }
}

/// A handle to an owner: `Clone + Send + Sync`. A clone is one reference-count increment on the
/// shared mailbox sender; all runtime state stays on the owner thread.
#[derive(Clone)]
pub struct OwnerHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for OwnerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerHandle")
            .field("name", &self.inner.name)
            .field("state", &self.state())
            .finish()
    }
}

/// A handle that does not keep the owner alive. Owner-side objects (for example JS-backed
/// engines stored in the runtime) hold these, so dropping every `OwnerHandle` still stops it.
#[derive(Clone)]
pub struct WeakOwnerHandle {
    inner: Weak<Inner>,
}

impl std::fmt::Debug for WeakOwnerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeakOwnerHandle").finish_non_exhaustive()
    }
}

impl WeakOwnerHandle {
    /// The owner, while some `OwnerHandle` still exists.
    pub fn upgrade(&self) -> Option<OwnerHandle> {
        self.inner.upgrade().map(|inner| OwnerHandle { inner })
    }
}

impl OwnerHandle {
    pub(crate) fn from_inner(inner: Arc<Inner>) -> OwnerHandle {
        OwnerHandle { inner }
    }

    /// The owner's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// A weak handle to the same owner.
    pub fn downgrade(&self) -> WeakOwnerHandle {
        WeakOwnerHandle {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// Whether the calling thread is this owner's thread (calls from it run inline).
    pub fn is_owner_thread(&self) -> bool {
        actor::current_owner_id() == self.inner.id
    }

    /// Whether the owner thread is blocked in the middle of a JS turn, serving only the calls the
    /// wait needs (a native function waiting for a nested call, see
    /// [`local::block_on`](super::local::block_on)): top-level work, such as event deliveries
    /// queued with [`local::run_at_top_level`](super::local::run_at_top_level), waits until the
    /// turn ends. A producer that throttles itself until such work has run must not wait while
    /// this holds: the wait may be waiting for that very producer.
    pub fn is_waiting_mid_turn(&self) -> bool {
        self.inner.lifecycle.is_waiting_mid_turn()
    }

    /// The lifecycle state.
    pub fn state(&self) -> OwnerState {
        self.inner.lifecycle.state()
    }

    /// Items waiting in the mailbox now (in its channel, or taken off it by the owner and not
    /// started yet).
    pub fn queue_depth(&self) -> usize {
        self.inner.tx.len() + self.inner.lifecycle.inbox_len()
    }

    /// A statistics snapshot; never waits for the owner thread.
    pub fn stats(&self) -> OwnerStats {
        self.inner
            .lifecycle
            .stats
            .snapshot(self.state(), self.queue_depth())
    }

    /// Runs `f` on the owner and returns its result.
    pub fn call<T, F>(
        &self,
        op: &'static str,
        f: F,
    ) -> impl Future<Output = Result<T, OwnerError>> + Send + 'static + use<T, F>
    where
        T: Send + 'static,
        F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<T> + Send + 'static,
    {
        self.call_with(CallOptions::default(), op, f)
    }

    /// Runs `f` on the owner with a cancellation token, deadline, CPU budget and trace ids. On the
    /// owner thread itself it runs inline, at once.
    pub fn call_with<T, F>(
        &self,
        options: CallOptions,
        op: &'static str,
        f: F,
    ) -> impl Future<Output = Result<T, OwnerError>> + Send + 'static + use<T, F>
    where
        T: Send + 'static,
        F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<T> + Send + 'static,
    {
        if self.is_owner_thread() {
            return Either::Left(std::future::ready(self.run_inline(options, op, f)));
        }
        Either::Right(self.clone().call_remote(options, op, f))
    }

    /// Like [`call`](Self::call), blocking the calling thread. Do not use it from async code.
    pub fn call_blocking<T, F>(&self, op: &'static str, f: F) -> Result<T, OwnerError>
    where
        T: Send + 'static,
        F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<T> + Send + 'static,
    {
        if self.is_owner_thread() {
            return self.run_inline(CallOptions::default(), op, f);
        }
        let (job, reply) = self.reply_job(f);
        let envelope = self.envelope(CallOptions::default(), op, job);
        let guard = self
            .inner
            .lifecycle
            .enter_send()
            .ok_or_else(|| self.closed_error(op))?;
        wait_blocking(self.inner.lifecycle.permits.acquire())
            .map_err(|_| self.closed_error(op))?
            .forget();
        self.inner
            .tx
            .send(Message::Work(envelope))
            .map_err(|_| self.closed_error(op))?;
        drop(guard);
        reply
            .blocking_recv()
            .unwrap_or_else(|_| Err(self.closed_error(op)))
    }

    /// Runs `f` on the owner without waiting for it; errors are logged. Waits (cancellably, via
    /// dropping the future) while the mailbox is full. Items from one sender run in send order.
    pub async fn post<F>(&self, op: &'static str, f: F) -> Result<(), OwnerError>
    where
        F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<()> + Send + 'static,
    {
        if self.is_owner_thread() {
            return self.run_inline(CallOptions::default(), op, f);
        }
        let envelope = self.envelope(CallOptions::default(), op, self.logging_job(f));
        self.send(envelope, None).await
    }

    /// Like [`post`](Self::post) but never waits: `Err(Full)` when the mailbox is full.
    pub fn try_post<F>(&self, op: &'static str, f: F) -> Result<(), OwnerError>
    where
        F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<()> + Send + 'static,
    {
        if self.is_owner_thread() {
            return self.run_inline(CallOptions::default(), op, f);
        }
        let envelope = self.envelope(CallOptions::default(), op, self.logging_job(f));
        let _guard = self
            .inner
            .lifecycle
            .enter_send()
            .ok_or_else(|| self.closed_error(op))?;
        match self.inner.lifecycle.permits.try_acquire() {
            Ok(permit) => permit.forget(),
            Err(tokio::sync::TryAcquireError::NoPermits) => {
                return Err(OwnerError::Full {
                    owner: self.inner.name.clone(),
                    op,
                });
            }
            Err(tokio::sync::TryAcquireError::Closed) => return Err(self.closed_error(op)),
        };
        self.inner
            .tx
            .send(Message::Work(envelope))
            .map_err(|_| self.closed_error(op))
    }

    /// Releases the JS values stored under `ids` in this owner's callback table, from any thread.
    /// Never waits and is never refused for a full mailbox: the ids go to a queue the owner drains
    /// on every turn of its loops (on the owner thread itself they are released at once when the
    /// table is free). Ids released after the owner stopped need nothing: its table was cleared.
    pub fn release_callbacks(&self, ids: impl IntoIterator<Item = CallbackId>) {
        if self.is_owner_thread()
            && let Some(local) = actor::current_local()
            && let Ok(mut callbacks) = local.callbacks.try_borrow_mut()
        {
            let released: Vec<_> = ids
                .into_iter()
                .filter_map(|id| callbacks.take(id))
                .collect();
            drop(callbacks);
            drop(released);
            return;
        }
        if self.inner.lifecycle.releases.push(ids) {
            // A wake-up holds no mailbox permit: it is never refused for a full mailbox.
            let _ = self.inner.tx.send(Message::Wake);
        }
    }

    /// Stops the owner. `Drain` runs what is queued first; `Abort` interrupts running JS and
    /// answers everything queued with `Closed`. A `Drain` still running at `deadline` becomes an
    /// `Abort`. Idempotent; returns once the owner has stopped.
    pub async fn shutdown(&self, mode: ShutdownMode, deadline: Option<Instant>) {
        let lifecycle = &self.inner.lifecycle;
        lifecycle.begin_stopping();
        if mode == ShutdownMode::Abort {
            lifecycle.request_abort();
        }
        let _ = self.inner.tx.try_send(Message::Wake);
        let mut stopped = lifecycle.stopped();
        let wait_stopped = async {
            let _ = stopped.wait_for(|stopped| *stopped).await;
        };
        match deadline {
            Some(deadline) if mode == ShutdownMode::Drain => {
                let in_time = tokio::time::timeout_at(deadline.into(), wait_stopped)
                    .await
                    .is_ok();
                if !in_time {
                    lifecycle.request_abort();
                    let _ = self.inner.tx.try_send(Message::Wake);
                    let _ = lifecycle.stopped().wait_for(|stopped| *stopped).await;
                }
            }
            _ => wait_stopped.await,
        }
    }

    /// Resolves when the mailbox is empty and the owner is not executing anything. Notified by
    /// the owner, never polled.
    pub async fn wait_idle(&self) -> Result<(), OwnerError> {
        let mut idle = self.inner.lifecycle.idle();
        let envelope = self.envelope(
            CallOptions::default(),
            "wait-idle",
            Box::new(|_, _| Outcome::Ok),
        );
        self.send(envelope, None).await?;
        let mut stopped = self.inner.lifecycle.stopped();
        tokio::select! {
            changed = idle.changed() => changed.map_err(|_| self.closed_error("wait-idle")),
            _ = stopped.wait_for(|stopped| *stopped) => Err(self.closed_error("wait-idle")),
        }
    }

    /// The `Closed` error of this owner for `op`.
    pub fn closed_error(&self, op: &'static str) -> OwnerError {
        OwnerError::Closed {
            owner: self.inner.name.clone(),
            op,
        }
    }

    fn run_inline<T, F>(
        &self,
        options: CallOptions,
        op: &'static str,
        f: F,
    ) -> Result<T, OwnerError>
    where
        T: Send + 'static,
        F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<T> + Send + 'static,
    {
        let local = actor::current_local().ok_or_else(|| self.closed_error(op))?;
        let ptr = local.ctx_ptr().ok_or_else(|| self.closed_error(op))?;
        // SAFETY: we are on the owner thread, inside its `Context::with`, and `ptr` is that
        // context; `from_raw` takes its own reference, released when `ctx` drops below.
        let ctx = unsafe { Ctx::from_raw(ptr) };
        let (job, mut reply) = self.reply_job(f);
        local.execute(&ctx, self.envelope(options, op, job));
        reply
            .try_recv()
            .unwrap_or_else(|_| Err(self.closed_error(op)))
    }

    /// The call's work and options are boxed before the returned future exists, so the future
    /// holds two pointers, the reply channel and the stop conditions, not the closure and the
    /// options a second time (every run waiting on the owner holds one of these).
    fn call_remote<T, F>(
        self,
        options: CallOptions,
        op: &'static str,
        f: F,
    ) -> impl Future<Output = Result<T, OwnerError>> + Send + 'static + use<T, F>
    where
        T: Send + 'static,
        F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<T> + Send + 'static,
    {
        let cancel = options.cancel.clone();
        let deadline = options.deadline;
        let canceled_already = cancel.as_ref().is_some_and(CancellationToken::is_cancelled);
        let started = Arc::new(AtomicBool::new(false));
        let started_flag = started.clone();
        let (job, reply) = self.reply_job(move |ctx: &Ctx<'_>| {
            started_flag.store(true, Ordering::SeqCst);
            f(ctx)
        });
        let options = boxed_options(options);
        // Only a call with a deadline holds a timer (boxed: most calls have none).
        let expired: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = match deadline {
            Some(deadline) => Box::pin(tokio::time::sleep_until(deadline.into())),
            None => Box::pin(std::future::pending()),
        };
        async move {
            if canceled_already {
                return Err(OwnerError::Canceled {
                    owner: self.inner.name.clone(),
                    op,
                });
            }
            // The caller stops waiting the moment its token fires or its deadline passes. When
            // the closure was already running, the interrupt handler stops its JS at the next
            // check, so the answer is `Interrupted`; otherwise the closure never runs.
            let owner = self.inner.name.clone();
            let stopped = |reason: InterruptReason| {
                if started.load(Ordering::SeqCst) {
                    OwnerError::Interrupted {
                        owner: owner.clone(),
                        op,
                        reason,
                    }
                } else if reason == InterruptReason::Deadline {
                    OwnerError::Timeout {
                        owner: owner.clone(),
                        op,
                    }
                } else {
                    OwnerError::Canceled {
                        owner: owner.clone(),
                        op,
                    }
                }
            };
            // The branches are written in place: futures bound to locals first would be stored
            // twice.
            // Sealed when first polled: the sender's span is the one the future runs in.
            tokio::select! {
                biased;
                result = async {
                    self.send(sealed(op, job, options), cancel.as_ref()).await?;
                    reply.await.unwrap_or_else(|_| Err(self.closed_error(op)))
                } => result,
                _ = async {
                    match &cancel {
                        Some(token) => token.cancelled().await,
                        None => std::future::pending().await,
                    }
                } => Err(stopped(InterruptReason::Canceled)),
                _ = expired => Err(stopped(InterruptReason::Deadline)),
            }
        }
    }

    /// Enqueues an envelope, waiting for room; cancellable through `cancel`.
    async fn send(
        &self,
        envelope: Envelope,
        cancel: Option<&CancellationToken>,
    ) -> Result<(), OwnerError> {
        let op = envelope.op;
        let _guard = self
            .inner
            .lifecycle
            .enter_send()
            .ok_or_else(|| self.closed_error(op))?;
        // A permit is forgotten once taken: the owner adds one back for each work message it
        // takes off the channel (one `add_permits` per burst).
        let permits = &self.inner.lifecycle.permits;
        match permits.try_acquire() {
            Ok(permit) => permit.forget(),
            Err(tokio::sync::TryAcquireError::Closed) => return Err(self.closed_error(op)),
            Err(tokio::sync::TryAcquireError::NoPermits) => {
                let waiting = permits.acquire();
                let acquired = match cancel {
                    Some(token) => tokio::select! {
                        acquired = waiting => acquired,
                        _ = token.cancelled() => {
                            return Err(OwnerError::Canceled { owner: self.inner.name.clone(), op });
                        }
                    },
                    None => waiting.await,
                };
                acquired.map_err(|_| self.closed_error(op))?.forget();
            }
        }
        self.inner
            .tx
            .send(Message::Work(envelope))
            .map_err(|_| self.closed_error(op))
    }

    fn envelope(&self, options: CallOptions, op: &'static str, job: Job) -> Envelope {
        sealed(op, job, boxed_options(options))
    }

    /// A job that runs `f` guarded and sends its result to the returned receiver.
    fn reply_job<T, F>(&self, f: F) -> (Job, tokio::sync::oneshot::Receiver<Result<T, OwnerError>>)
    where
        T: Send + 'static,
        F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |ctx: &Ctx<'_>, frame: &Frame| {
            let result = guarded(ctx, frame, f);
            let outcome = match &result {
                Ok(_) => Outcome::Ok,
                Err(error) => error.outcome(),
            };
            let _ = tx.send(result);
            outcome
        });
        (job, rx)
    }

    /// A job that runs `f` guarded and logs its failure (for posts).
    fn logging_job<F>(&self, f: F) -> Job
    where
        F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<()> + Send + 'static,
    {
        Box::new(
            move |ctx: &Ctx<'_>, frame: &Frame| match guarded(ctx, frame, f) {
                Ok(()) => Outcome::Ok,
                Err(error) => {
                    tracing::warn!(target: "geppetto::owner", op = frame.op, "posted work failed: {error}");
                    error.outcome()
                }
            },
        )
    }
}

/// Call options as an envelope carries them: boxed, and only when not the defaults.
fn boxed_options(options: CallOptions) -> Option<Box<CallOptions>> {
    (!options.is_default()).then(|| Box::new(options))
}

/// An envelope sent now: enqueued at this instant, under the current span.
fn sealed(op: &'static str, job: Job, options: Option<Box<CallOptions>>) -> Envelope {
    Envelope {
        op,
        job,
        options,
        enqueued: Instant::now(),
        parent: Envelope::sender_span(),
    }
}

/// Runs `f` under the current owner's guards (must be called on an owner thread).
fn guarded<'js, T>(
    ctx: &Ctx<'js>,
    frame: &Frame,
    f: impl FnOnce(&Ctx<'js>) -> rquickjs::Result<T>,
) -> Result<T, OwnerError> {
    match actor::current_local() {
        Some(local) => local.run_guarded(ctx, frame, f),
        None => Err(OwnerError::Closed {
            owner: Arc::from("unknown"),
            op: frame.op,
        }),
    }
}

/// Runs `future` to completion on the calling thread, parking it while the future waits (for
/// `call_blocking`, which must not be used from async code).
fn wait_blocking<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl std::task::Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut context = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}
