//! Options of an owner and of a single call.

use std::time::{Duration, Instant};

use rquickjs::{Ctx, Runtime};
use tokio_util::sync::CancellationToken;

/// Runs once on the owner thread to prepare the runtime (before the context exists).
pub type RuntimeSetup = Box<dyn FnOnce(&Runtime) + Send>;
/// Runs once on the owner thread to prepare the context (globals, modules, ...).
pub type ContextSetup = Box<dyn for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<()> + Send>;

/// The default heap limit of one runtime: 1 GiB. A runaway script (say one that pushes 1 MiB strings
/// in a loop) then fails with a catchable out-of-memory error within about a second instead of
/// growing the process until the machine swaps or the OOM killer ends the whole service. 1 GiB is
/// about 700 times what an idle runtime with the geppetto module takes (about 1.5 MB) and far more
/// than any script this project runs needs (the 10,000-run benchmark stays in the hundreds of MB),
/// while a machine running a few owners still has room. Embedders with many owners or big
/// workloads set `OwnerOptions::memory_limit` (`geppetto run --max-memory`).
pub const DEFAULT_MEMORY_LIMIT: usize = 1 << 30;

/// How to build an owner. `Default` gives the documented defaults.
pub struct OwnerOptions {
    /// Name of the owner; the thread is named `js-owner-<name>`.
    pub name: String,
    /// Mailbox capacity. 1024 (the default) absorbs bursts of events from many concurrent runs
    /// while keeping memory bounded; a full mailbox makes senders wait (backpressure).
    pub mailbox_capacity: usize,
    /// Runtime memory limit in bytes (default [`DEFAULT_MEMORY_LIMIT`], 1 GiB); `None` means
    /// unlimited. Past it, the allocation that does not fit throws QuickJS's catchable
    /// `InternalError: out of memory` in the script; an uncaught one fails the call with
    /// `OutOfMemory`.
    pub memory_limit: Option<usize>,
    /// Maximum JS stack size in bytes; `None` keeps QuickJS's default (256 KiB in rquickjs).
    pub max_stack_size: Option<usize>,
    /// CPU budget of one call, checked by the interrupt handler. The default is 30 s: generous
    /// for any real callback, short enough that a runaway `while(true){}` does not hang a service.
    /// `None` disables it.
    pub cpu_budget: Option<Duration>,
    /// How deep nested pumping may go (default 32) before calls fail with `NestingTooDeep`.
    pub max_nesting: usize,
    /// Tokio runtime used by [`block_on`](super::local::block_on); defaults to the runtime current
    /// when `Owner::spawn` is called, if any.
    pub tokio: Option<tokio::runtime::Handle>,
    /// Prepares the runtime before the context is created.
    pub setup_runtime: Option<RuntimeSetup>,
    /// Prepares the context before the owner starts serving its mailbox.
    pub setup_context: Option<ContextSetup>,
}

impl Default for OwnerOptions {
    fn default() -> OwnerOptions {
        OwnerOptions {
            name: "main".into(),
            mailbox_capacity: 1024,
            memory_limit: Some(DEFAULT_MEMORY_LIMIT),
            max_stack_size: None,
            cpu_budget: Some(Duration::from_secs(30)),
            max_nesting: 32,
            tokio: None,
            setup_runtime: None,
            setup_context: None,
        }
    }
}

impl std::fmt::Debug for OwnerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerOptions")
            .field("name", &self.name)
            .field("mailbox_capacity", &self.mailbox_capacity)
            .field("memory_limit", &self.memory_limit)
            .field("max_stack_size", &self.max_stack_size)
            .field("cpu_budget", &self.cpu_budget)
            .field("max_nesting", &self.max_nesting)
            .finish_non_exhaustive()
    }
}

/// The CPU budget of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CpuBudget {
    /// The owner's budget ([`OwnerOptions::cpu_budget`]).
    #[default]
    OwnerDefault,
    /// At most this much CPU time (time spent pumping nested waits does not count).
    Limit(Duration),
    /// No budget: the call may run as long as it likes (cancellation and deadlines still apply).
    Unlimited,
}

impl CpuBudget {
    /// The budget to enforce, given the owner's (`None`: unlimited).
    pub(crate) fn resolve(self, owner_default: Option<Duration>) -> Option<Duration> {
        match self {
            CpuBudget::OwnerDefault => owner_default,
            CpuBudget::Limit(budget) => Some(budget),
            CpuBudget::Unlimited => None,
        }
    }
}

/// Per-call options for [`OwnerHandle::call_with`](super::OwnerHandle::call_with).
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Cancels the call: before it starts it never runs; while JS runs, JS is interrupted; the
    /// caller stops waiting at once.
    pub cancel: Option<CancellationToken>,
    /// Like `cancel`, at a point in time.
    pub deadline: Option<Instant>,
    /// The CPU budget of this call (by default the owner's).
    pub cpu_budget: CpuBudget,
    /// Session id for the trace span.
    pub session_id: Option<String>,
    /// Inference id for the trace span.
    pub inference_id: Option<String>,
    /// The work group of the call (for example one inference run): a nested wait started by an
    /// item of group G serves calls of group G.
    pub group: Option<u64>,
    /// The closure may itself wait in nested pumping (a JS middleware calling `next()`). While a
    /// nested wait of another group is in progress, such a call is parked and runs when that wait
    /// has ended, so concurrent runs do not stack nested waits on each other.
    pub may_wait: bool,
}

impl CallOptions {
    /// Whether every option has its default (none set).
    pub(crate) fn is_default(&self) -> bool {
        let CallOptions {
            cancel,
            deadline,
            cpu_budget,
            session_id,
            inference_id,
            group,
            may_wait,
        } = self;
        cancel.is_none()
            && deadline.is_none()
            && *cpu_budget == CpuBudget::OwnerDefault
            && session_id.is_none()
            && inference_id.is_none()
            && group.is_none()
            && !may_wait
    }
}
