//! The owner-thread state: what an owner thread keeps for itself, reachable through a
//! thread-local from native code running on that thread.
//!
//! The behaviour is split by concern: [`thread`](super::thread) (start and stop of the thread),
//! [`pump`](super::pump) (the serve loop and nested pumping), [`parking`](super::parking) (calls
//! held back during another group's nested wait), [`guarded`](super::guarded) (running one item
//! under a frame) and [`stray_panic`](super::stray_panic).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::callbacks::CallbackTable;
use super::frame::FrameStack;
use super::handle::Inner;
use super::inbox::Inbox;
use super::lifecycle::Lifecycle;
use super::local_tasks::LocalTasks;
use super::parking::Parking;
use super::pump::Nesting;
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

/// Makes `local` the owner of this thread until the returned guard drops.
pub(crate) fn install(local: Rc<OwnerLocal>, id: u64) -> Installed {
    LOCAL.with(|slot| *slot.borrow_mut() = Some(local));
    OWNER_ID.with(|slot| slot.set(id));
    Installed(())
}

/// While alive, this thread is an owner thread. Dropping it (on every exit path, unwinding
/// included) clears the thread-locals, so the owner state does not outlive its runtime.
pub(crate) struct Installed(());

impl Drop for Installed {
    fn drop(&mut self) {
        let local = LOCAL.with(|slot| slot.borrow_mut().take());
        OWNER_ID.with(|slot| slot.set(0));
        drop(local);
    }
}

/// Everything the owner thread keeps for itself. Never leaves the thread.
pub(crate) struct OwnerLocal {
    pub(crate) name: Arc<str>,
    /// The context while the thread is inside it (for calls that run inline).
    pub(crate) ctx: Cell<Option<NonNull<rquickjs::qjs::JSContext>>>,
    pub(crate) inbox: Inbox,
    pub(crate) lifecycle: Arc<Lifecycle>,
    pub(crate) handle: Weak<Inner>,
    pub(crate) frames: FrameStack,
    pub(crate) timers: RefCell<Timers>,
    pub(crate) callbacks: RefCell<CallbackTable>,
    pub(crate) nesting: Nesting,
    /// Work that must run between JS turns (event deliveries, promise settlements), in order.
    pub(crate) top_level: RefCell<VecDeque<TimerCallback>>,
    pub(crate) parking: Parking,
    /// Futures polled on this thread between JS turns (see `local::spawn_here`).
    pub(crate) local_tasks: LocalTasks,
    /// The owner's CPU budget of one call (`None`: unlimited).
    pub(crate) cpu_budget: Option<Duration>,
    /// Whether the runtime has a memory limit.
    pub(crate) memory_limited: bool,
    pub(crate) tokio: tokio::runtime::Handle,
}

impl OwnerLocal {
    /// The context of this owner. Only valid while the owner thread is inside its context.
    pub(crate) fn ctx_ptr(&self) -> Option<NonNull<rquickjs::qjs::JSContext>> {
        self.ctx.get()
    }

    /// Whether the owner has nothing left to do for a script: no pending job, no timer, no
    /// keep-alive held by outstanding native work.
    pub(crate) fn is_quiescent(&self) -> bool {
        self.timers.borrow().len() == 0
            && self.top_level.borrow().is_empty()
            && self.parking.is_empty()
            && !self.local_tasks.has_ready()
            && self.lifecycle.keepalive_count() == 0
    }
}
