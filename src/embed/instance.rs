//! [`Instance`]: one owner's runtime, where a script's globals, exports and sessions live.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use super::error::EmbedError;
use super::run::{Run, RunSettings};
use crate::bridge::host_calls::{self, JsName};
use crate::inference::Turn;
use crate::owner::{CallOptions, CpuBudget, OwnerHandle, OwnerStats};
use crate::runtime::{ScriptKind, run_to_completion};

/// A script to evaluate: a name (used in stacks and to find an ES module's exports), its source,
/// and how to evaluate it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    name: String,
    source: String,
    kind: ScriptKind,
}

impl Script {
    /// A classic script (sloppy mode, `require` available).
    pub fn classic(name: &str, source: &str) -> Script {
        Script {
            name: name.into(),
            source: source.into(),
            kind: ScriptKind::Classic,
        }
    }

    /// An ES module (strict; `import`, top-level `await`). Its exports are reachable from Rust
    /// as [`JsName::Export`] with `module` set to `name`.
    pub fn module(name: &str, source: &str) -> Script {
        Script {
            name: name.into(),
            source: source.into(),
            kind: ScriptKind::Module,
        }
    }

    /// The file at `path`, read now: `.mjs` is an ES module, anything else a classic script. Its
    /// name is the path as given.
    pub fn file(path: impl AsRef<Path>) -> Result<Script, EmbedError> {
        let path = path.as_ref();
        let source = std::fs::read_to_string(path).map_err(|source| EmbedError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Script {
            name: path.display().to_string(),
            source,
            kind: ScriptKind::for_path(path),
        })
    }

    /// The script's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Options of one call from Rust: a deadline, a CPU budget and a cancellation token.
#[derive(Debug, Clone, Default)]
pub struct CallSettings {
    deadline: Option<Instant>,
    cpu_budget: CpuBudget,
    cancel: Option<CancellationToken>,
}

impl CallSettings {
    /// Defaults: no deadline, the owner's CPU budget, not cancellable.
    pub fn new() -> CallSettings {
        CallSettings::default()
    }

    /// Stops the call at `deadline` (JS is interrupted; a call not started yet never runs).
    pub fn deadline(mut self, deadline: Instant) -> CallSettings {
        self.deadline = Some(deadline);
        self
    }

    /// Stops the call `timeout` from now.
    pub fn timeout(self, timeout: Duration) -> CallSettings {
        self.deadline(Instant::now() + timeout)
    }

    /// The call's CPU budget.
    pub fn cpu_budget(mut self, budget: CpuBudget) -> CallSettings {
        self.cpu_budget = budget;
        self
    }

    /// Stops the call when `token` is cancelled.
    pub fn cancel_on(mut self, token: CancellationToken) -> CallSettings {
        self.cancel = Some(token);
        self
    }

    fn call_options(&self) -> CallOptions {
        CallOptions {
            cancel: self.cancel.clone(),
            deadline: self.deadline,
            cpu_budget: self.cpu_budget,
            ..CallOptions::default()
        }
    }
}

/// One owner's runtime (one thread, one QuickJS runtime). A clone is a reference-count
/// increment; `Clone + Send + Sync`. Globals, module exports and sessions a script creates live
/// here, so calls and runs that use them go to the same instance.
#[derive(Debug, Clone)]
pub struct Instance {
    owner: OwnerHandle,
}

impl Instance {
    pub(crate) fn new(owner: OwnerHandle) -> Instance {
        Instance { owner }
    }

    /// The owner's name.
    pub fn name(&self) -> &str {
        self.owner.name()
    }

    /// A statistics snapshot of the owner (never waits for it).
    pub fn stats(&self) -> OwnerStats {
        self.owner.stats()
    }

    /// Evaluates `script` and waits until it is done: no pending promise job, timer or run.
    pub async fn eval(&self, script: Script) -> Result<(), EmbedError> {
        self.eval_with(CallSettings::default(), script).await
    }

    /// Like [`eval`](Self::eval) with a deadline, CPU budget or cancellation.
    pub async fn eval_with(
        &self,
        settings: CallSettings,
        script: Script,
    ) -> Result<(), EmbedError> {
        let Script { name, source, kind } = script;
        self.owner
            .call_with(settings.call_options(), "embed-eval", move |ctx| {
                Ok(run_to_completion(ctx, &name, &source, kind))
            })
            .await??;
        Ok(())
    }

    /// Calls the JS function `function` with `args` and decodes its result (a returned promise is
    /// awaited). `args` is serialized to JSON: a tuple or array is spread into the arguments, `()`
    /// passes none, anything else is the single argument.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use geppetto::embed::{JsName, Runtime, Script};
    ///
    /// let runtime = Runtime::builder().spawn()?;
    /// let instance = runtime.eval(Script::classic("add.js", "function add(a, b) { return a + b }")).await?;
    /// let sum: f64 = instance.call(JsName::global("add"), (2, 3)).await?;
    /// assert_eq!(sum, 5.0);
    /// # Ok::<(), geppetto::embed::EmbedError>(())
    /// # }).unwrap();
    /// ```
    pub async fn call<Output: DeserializeOwned>(
        &self,
        function: JsName,
        args: impl Serialize,
    ) -> Result<Output, EmbedError> {
        self.call_with(CallSettings::default(), function, args)
            .await
    }

    /// Like [`call`](Self::call) with a deadline, CPU budget or cancellation.
    pub async fn call_with<Output: DeserializeOwned>(
        &self,
        settings: CallSettings,
        function: JsName,
        args: impl Serialize,
    ) -> Result<Output, EmbedError> {
        let args = match serde_json::to_value(args).map_err(|source| EmbedError::Convert {
            what: "arguments",
            source,
        })? {
            Json::Array(args) => args,
            Json::Null => Vec::new(),
            single => vec![single],
        };
        let result = self
            .owner
            .call_with(settings.call_options(), "embed-call", move |ctx| {
                host_calls::call_json(ctx, &function, args)
            })
            .await?;
        serde_json::from_value(result).map_err(|source| EmbedError::Convert {
            what: "result",
            source,
        })
    }

    /// Starts a run of the session object `session` (a JS session the script built, stored in a
    /// global or exported) on `seed`. The run executes on the current tokio runtime; its JS
    /// engines, tools and middlewares run on this instance.
    pub async fn start(
        &self,
        session: JsName,
        seed: Turn,
        settings: RunSettings,
    ) -> Result<Run, EmbedError> {
        let session = self
            .owner
            .call("embed-session", move |ctx| {
                Ok(host_calls::session(ctx, &session))
            })
            .await??;
        Run::start(&session, seed, settings)
    }
}
