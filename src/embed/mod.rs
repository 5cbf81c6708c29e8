//! The embedding API: run geppetto scripts inside a Rust service without naming a JS engine type.
//!
//! - [`Runtime::builder`] registers modules (`geppetto`, `database`, modules defined in Rust
//!   through [`Module`]), host tools and host middlewares, then spawns one owner or a pool of
//!   them and returns a [`Runtime`] (`Clone + Send + Sync`).
//! - [`Runtime::eval`] evaluates a [`Script`] on the least-loaded owner and returns that owner's
//!   [`Instance`]; the script's globals, exports and sessions live there.
//! - [`Instance::call`] calls a global or exported JS function with serde arguments and a typed
//!   result; [`Instance::start`] starts a run of a session the script built and returns a
//!   [`Run`]: a `Stream` of its events, its outcome as a future, and cancellation.
//! - Errors are [`EmbedError`] (and [`RunError`] for runs); deadlines and CPU budgets are set by
//!   name with [`CallSettings`] and [`CpuBudget`].
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use geppetto::embed::{JsName, Runtime, RunSettings, Script, Turn, Block};
//!
//! let runtime = Runtime::builder().geppetto().spawn()?;
//! let instance = runtime
//!     .eval(Script::classic(
//!         "setup.js",
//!         r#"const gp = require("geppetto");
//!            globalThis.session = gp.createSession({ engine: gp.engines.echo({ reply: "hi" }) });"#,
//!     ))
//!     .await?;
//! let run = instance
//!     .start(JsName::global("session"), Turn::new().with_block(Block::user("hello")), RunSettings::new())
//!     .await?;
//! let output = run.outcome().await?;
//! assert_eq!(output.last_assistant_text(), Some("hi"));
//! # Ok::<(), geppetto::embed::EmbedError>(())
//! # }).unwrap();
//! ```

mod builder;
mod error;
mod instance;
mod run;

pub use crate::bridge::host_calls::JsName;
pub use crate::inference::tools::HostTool;
pub use crate::inference::{Block, Event, EventKind, Middleware, Turn};
pub use crate::owner::{CpuBudget, OwnerStats};
pub use crate::runtime::{Exports, ScriptKind};
pub use builder::RuntimeBuilder;
pub use error::{EmbedError, RunError};
pub use instance::{CallSettings, Instance, Script};
pub use run::{Run, RunCanceller, RunSettings};

use std::sync::Arc;
use std::time::Instant;

use crate::owner::{OwnerPool, ShutdownMode};

/// The error a [`Module`]'s setup may return (any error type).
pub type SetupError = Box<dyn std::error::Error + Send + Sync>;

/// A module defined in Rust: a name scripts `require` (or `import`) and the exports each owner's
/// runtime gets. `exports` runs once per owner when the runtime spawns; an error fails the spawn
/// with [`EmbedError::ModuleSetup`].
///
/// ```
/// use geppetto::embed::{Exports, Module, SetupError};
///
/// struct Units;
///
/// impl Module for Units {
///     fn name(&self) -> &str {
///         "units"
///     }
///
///     fn exports(&self) -> Result<Exports, SetupError> {
///         Ok(Exports::new().function("toFahrenheit", |(celsius,): (f64,)| {
///             Ok::<_, String>(celsius * 9.0 / 5.0 + 32.0)
///         }))
///     }
/// }
/// ```
pub trait Module: Send + Sync + 'static {
    /// The name scripts require.
    fn name(&self) -> &str;
    /// The exports of one owner's module.
    fn exports(&self) -> Result<Exports, SetupError>;
}

/// A running set of owners with the modules of its builder. A clone is a reference-count
/// increment; `Clone + Send + Sync`. Dropping the last clone (and every [`Instance`]) drains and
/// stops the owners.
#[derive(Debug, Clone)]
pub struct Runtime {
    pool: Arc<OwnerPool>,
}

impl Runtime {
    /// A builder with no module, one owner and the default limits.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    pub(crate) fn new(pool: OwnerPool) -> Runtime {
        Runtime {
            pool: Arc::new(pool),
        }
    }

    /// The least-loaded instance (shortest mailbox).
    pub fn instance(&self) -> Instance {
        Instance::new(self.pool.get().clone())
    }

    /// Every instance, in owner order.
    pub fn instances(&self) -> Vec<Instance> {
        self.pool
            .owners()
            .iter()
            .cloned()
            .map(Instance::new)
            .collect()
    }

    /// Evaluates `script` on the least-loaded instance and returns that instance.
    pub async fn eval(&self, script: Script) -> Result<Instance, EmbedError> {
        let instance = self.instance();
        instance.eval(script).await?;
        Ok(instance)
    }

    /// A statistics snapshot per owner.
    pub fn stats(&self) -> Vec<OwnerStats> {
        self.pool
            .owners()
            .iter()
            .map(|owner| owner.stats())
            .collect()
    }

    /// Stops every owner: queued work runs first until `deadline`, then running JS is
    /// interrupted. Returns once all have stopped.
    pub async fn shutdown(&self, deadline: Option<Instant>) {
        for owner in self.pool.owners() {
            owner.shutdown(ShutdownMode::Drain, deadline).await;
        }
    }
}
