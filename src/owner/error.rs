//! `OwnerError`: every way a call to the owner can fail, each naming the owner and the op.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Why JS execution was interrupted by the interrupt handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptReason {
    /// The call's cancellation token fired.
    Canceled,
    /// The call's deadline passed.
    Deadline,
    /// The call ran longer than its CPU budget.
    CpuBudget(Duration),
    /// The owner is shutting down with [`ShutdownMode::Abort`](super::ShutdownMode::Abort).
    Shutdown,
}

impl fmt::Display for InterruptReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterruptReason::Canceled => f.write_str("canceled"),
            InterruptReason::Deadline => f.write_str("deadline exceeded"),
            InterruptReason::CpuBudget(budget) => write!(f, "after {budget:?} CPU budget"),
            InterruptReason::Shutdown => f.write_str("owner shutting down"),
        }
    }
}

/// Why [`Owner::spawn`](super::Owner::spawn) failed: the owner never served its mailbox.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpawnError {
    /// The OS refused to start the owner thread.
    #[error("cannot spawn owner thread: {0}")]
    Thread(String),
    /// QuickJS could not create the runtime.
    #[error("cannot create runtime: {0}")]
    Runtime(String),
    /// QuickJS could not create the context.
    #[error("cannot create context: {0}")]
    Context(String),
    /// A context setup hook threw or panicked; the text is the thrown message.
    #[error("{0}")]
    Setup(String),
    /// The owner thread ended before reporting that it was ready.
    #[error("owner thread exited during startup")]
    Exited,
}

/// The error of every owner operation. Display texts name the owner and the op, for example
/// `owner "main" op invoke-tool: interrupted after 30s CPU budget`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OwnerError {
    /// The owner is stopping or stopped; the work did not run (or its answer was lost).
    #[error("owner {owner:?} op {op}: closed")]
    Closed {
        /// Owner name.
        owner: Arc<str>,
        /// Operation name.
        op: &'static str,
    },
    /// `try_post` found the mailbox full.
    #[error("owner {owner:?} op {op}: mailbox full")]
    Full {
        /// Owner name.
        owner: Arc<str>,
        /// Operation name.
        op: &'static str,
    },
    /// The call was cancelled before it started running (it never runs).
    #[error("owner {owner:?} op {op}: canceled")]
    Canceled {
        /// Owner name.
        owner: Arc<str>,
        /// Operation name.
        op: &'static str,
    },
    /// JS execution was stopped by the interrupt handler.
    #[error("owner {owner:?} op {op}: interrupted {reason}")]
    Interrupted {
        /// Owner name.
        owner: Arc<str>,
        /// Operation name.
        op: &'static str,
        /// Why it was interrupted.
        reason: InterruptReason,
    },
    /// The call's deadline passed before it started running (it never runs).
    #[error("owner {owner:?} op {op}: deadline exceeded")]
    Timeout {
        /// Owner name.
        owner: Arc<str>,
        /// Operation name.
        op: &'static str,
    },
    /// Nested pumping went deeper than `OwnerOptions::max_nesting`.
    #[error("owner {owner:?} op {op}: nesting too deep (limit {limit})")]
    NestingTooDeep {
        /// Owner name.
        owner: Arc<str>,
        /// Operation name.
        op: &'static str,
        /// The configured limit.
        limit: usize,
    },
    /// A JS exception, with its message and JS stack.
    #[error("owner {owner:?} op {op}: {message}")]
    Js {
        /// Owner name.
        owner: Arc<str>,
        /// Operation name.
        op: &'static str,
        /// The exception's message (`Error.message`, or the thrown value as text).
        message: String,
        /// The JS stack, when the exception had one.
        stack: Option<String>,
    },
    /// A Rust panic inside the call; the owner survived it.
    #[error("owner {owner:?} op {op}: panicked: {message}")]
    Panicked {
        /// Owner name.
        owner: Arc<str>,
        /// Operation name.
        op: &'static str,
        /// The panic payload as text.
        message: String,
    },
    /// The runtime's memory limit was exceeded.
    #[error("owner {owner:?} op {op}: out of memory")]
    OutOfMemory {
        /// Owner name.
        owner: Arc<str>,
        /// Operation name.
        op: &'static str,
    },
}

impl OwnerError {
    /// The op this error belongs to.
    pub fn op(&self) -> &'static str {
        match self {
            OwnerError::Closed { op, .. }
            | OwnerError::Full { op, .. }
            | OwnerError::Canceled { op, .. }
            | OwnerError::Interrupted { op, .. }
            | OwnerError::Timeout { op, .. }
            | OwnerError::NestingTooDeep { op, .. }
            | OwnerError::Js { op, .. }
            | OwnerError::Panicked { op, .. }
            | OwnerError::OutOfMemory { op, .. } => op,
        }
    }

    /// The message without the `owner "x" op y:` prefix (what a script should see).
    pub fn message(&self) -> String {
        match self {
            OwnerError::Js { message, .. } => message.clone(),
            OwnerError::Panicked { message, .. } => format!("panicked: {message}"),
            OwnerError::Interrupted { reason, .. } => format!("interrupted {reason}"),
            OwnerError::Closed { .. } => "closed".into(),
            OwnerError::Full { .. } => "mailbox full".into(),
            OwnerError::Canceled { .. } => "canceled".into(),
            OwnerError::Timeout { .. } => "deadline exceeded".into(),
            OwnerError::NestingTooDeep { limit, .. } => format!("nesting too deep (limit {limit})"),
            OwnerError::OutOfMemory { .. } => "out of memory".into(),
        }
    }

    /// The outcome label used in traces and stats.
    pub fn outcome(&self) -> Outcome {
        match self {
            OwnerError::Canceled { .. }
            | OwnerError::Timeout { .. }
            | OwnerError::Closed { .. } => Outcome::Canceled,
            OwnerError::Interrupted { .. } => Outcome::Interrupted,
            OwnerError::Panicked { .. } => Outcome::Panicked,
            _ => Outcome::Error,
        }
    }
}

/// How one executed item ended (`outcome` field of the trace span, and the stats counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Completed with `Ok`.
    Ok,
    /// Completed with an error (JS exception, memory limit, nesting).
    Error,
    /// Never ran, or its caller gave up (cancelled, deadline, closed).
    Canceled,
    /// JS was interrupted.
    Interrupted,
    /// A Rust panic was caught.
    Panicked,
}

impl Outcome {
    /// All outcomes, in stats order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Ok,
        Outcome::Error,
        Outcome::Canceled,
        Outcome::Interrupted,
        Outcome::Panicked,
    ];

    /// The label (`ok|error|canceled|interrupted|panicked`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Canceled => "canceled",
            Outcome::Interrupted => "interrupted",
            Outcome::Panicked => "panicked",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}
