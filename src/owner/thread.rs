//! The owner thread's lifecycle: build the runtime and context, run the setup hooks, serve, and
//! on every way out (a panic unwinding through the serve loop included) answer every caller,
//! release every JS value while the runtime still exists, and reach `Stopped`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::{Arc, Weak};

use rquickjs::{Context, Runtime};

use super::actor::{self, OwnerLocal};
use super::callbacks::CallbackTable;
use super::error::SpawnError;
use super::frame::FrameStack;
use super::handle::Inner;
use super::inbox::Inbox;
use super::lifecycle::{Lifecycle, OwnerState};
use super::local_tasks::LocalTasks;
use super::mailbox::Message;
use super::options::OwnerOptions;
use super::parking::Parking;
use super::pump::Nesting;
use super::stray_panic::panic_text;
use super::thrown::JsThrown;
use super::timers::Timers;

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
    pub(crate) ready: std::sync::mpsc::SyncSender<Result<(), SpawnError>>,
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
    // Dropped last, on every path: the state reaches `Stopped` however the thread ends.
    let _stopped = StoppedOnExit(lifecycle.clone());
    // Futures built on this thread (timers in `block_on`, for example) use the owner's runtime.
    let _tokio_context = tokio.enter();
    let runtime = match Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(SpawnError::Runtime(error.to_string())));
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
            let _ = ready.send(Err(SpawnError::Context(error.to_string())));
            return;
        }
    };
    let inbox = Inbox::new(rx, wake);
    let local_tasks = LocalTasks::new(inbox.pump_waker());
    let local = Rc::new(OwnerLocal {
        name,
        ctx: Cell::new(None),
        inbox,
        lifecycle: lifecycle.clone(),
        handle,
        frames: FrameStack::default(),
        timers: RefCell::new(Timers::default()),
        callbacks: RefCell::new(CallbackTable::default()),
        nesting: Nesting::new(options.max_nesting),
        top_level: RefCell::new(VecDeque::new()),
        parking: Parking::default(),
        local_tasks,
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
    let _installed = actor::install(local.clone(), id);

    context.with(|ctx| {
        // Dropped inside the context, before the thread-locals and the runtime: answers every
        // caller and releases every JS value while the runtime still exists.
        let _finish = FinishOnExit(&local);
        local.ctx.set(Some(ctx.as_raw()));
        if let Some(setup) = options.setup_context.take() {
            let setup_result = catch_unwind(AssertUnwindSafe(|| setup(&ctx)));
            let failure = match setup_result {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(JsThrown::text(&ctx, error)),
                Err(panic) => Some(format!("setup panicked: {}", panic_text(&*panic))),
            };
            if let Some(failure) = failure {
                let _ = ready.send(Err(SpawnError::Setup(failure)));
                return;
            }
        }
        lifecycle.set_state(OwnerState::Running);
        let _ = ready.send(Ok(()));
        local.serve(&ctx);
    });
}

/// Sets `Stopped` when dropped.
struct StoppedOnExit(Arc<Lifecycle>);

impl Drop for StoppedOnExit {
    fn drop(&mut self) {
        self.0.set_state(OwnerState::Stopped);
    }
}

/// Runs [`OwnerLocal::finish`] when dropped.
struct FinishOnExit<'a>(&'a OwnerLocal);

impl Drop for FinishOnExit<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            tracing::error!(target: "geppetto::owner", owner = %self.0.name, "owner thread panicked; stopping the owner");
        }
        self.0.finish();
    }
}

impl OwnerLocal {
    /// After the loop: refuse new work, drop (and so answer with `Closed`) everything queued, and
    /// release every JS value while the runtime still exists.
    fn finish(&self) {
        self.ctx.set(None);
        self.lifecycle.begin_stopping();
        self.lifecycle.set_state(OwnerState::Stopped);
        // Senders waiting for room give up with `Closed`.
        self.lifecycle.permits.close();
        self.inbox.discard_all(&self.lifecycle);
        self.timers.borrow_mut().clear();
        self.top_level.borrow_mut().clear();
        self.parking.clear();
        self.local_tasks.clear();
        self.lifecycle.releases.take();
        self.callbacks.borrow_mut().clear();
    }
}
