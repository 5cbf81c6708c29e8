//! The runtime owner: one QuickJS runtime per dedicated OS thread, reached only through a bounded
//! mailbox.
//!
//! rquickjs is built without its `parallel` feature, so `Ctx`, `Value` and `Persistent` are `!Send`:
//! code that tries to move a JS value off the owner thread does not compile. Into the owner go
//! `Send` closures, plain data and ids; out of it come plain data and ids.
//!
//! **Architecture Invariant:** this module knows nothing about geppetto. It is a reusable actor for
//! any rquickjs runtime.
//!
//! - [`Owner::spawn`] starts an owner and returns an [`OwnerHandle`] (`Clone + Send + Sync`).
//! - [`OwnerHandle::call`], [`call_blocking`](OwnerHandle::call_blocking),
//!   [`call_with`](OwnerHandle::call_with), [`post`](OwnerHandle::post),
//!   [`try_post`](OwnerHandle::try_post), [`shutdown`](OwnerHandle::shutdown),
//!   [`wait_idle`](OwnerHandle::wait_idle), [`state`](OwnerHandle::state),
//!   [`stats`](OwnerHandle::stats).
//! - [`local`]: what native code running on the owner thread may do (nested pumping with
//!   [`local::block_on`], timers, keep-alives, the callback table).
//! - [`OwnerPool`]: several owners, least-loaded selection.

mod actor;
mod callbacks;
mod error;
mod frame;
mod guarded;
mod handle;
mod inbox;
mod lifecycle;
pub mod local;
mod local_tasks;
mod mailbox;
mod options;
mod parking;
mod pool;
mod pump;
mod releases;
mod stats;
mod stray_panic;
mod thread;
mod thrown;
mod timers;

pub use callbacks::CallbackId;
pub use error::{InterruptReason, Outcome, OwnerError, SpawnError};
pub use handle::{Owner, OwnerHandle, WeakOwnerHandle};
pub use lifecycle::{OwnerState, ShutdownMode};
pub use options::{
    CallOptions, ContextSetup, CpuBudget, DEFAULT_MEMORY_LIMIT, OwnerOptions, RuntimeSetup,
};
pub use pool::OwnerPool;
pub use stats::{OwnerStats, Percentiles};
pub use timers::{TimerCallback, TimerId};
