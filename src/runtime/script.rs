//! Running a script file to completion: evaluate it (classic or ES module), then serve promises,
//! timers and native work until nothing is left, reporting the first failure.

use std::path::Path;

use rquickjs::context::EvalOptions;
use rquickjs::promise::PromiseState;
use rquickjs::{Ctx, Module, Promise};

use super::rejections::{self, ScriptFailure};
use crate::owner::local;

/// How to evaluate a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKind {
    /// A classic script in sloppy mode (as Node evaluates CommonJS files).
    Classic,
    /// An ES module (strict; top-level `await` works).
    Module,
}

impl ScriptKind {
    /// `.mjs` files are modules, everything else is a classic script.
    pub fn for_path(path: &Path) -> ScriptKind {
        match path.extension().and_then(|ext| ext.to_str()) {
            Some("mjs") => ScriptKind::Module,
            _ => ScriptKind::Classic,
        }
    }
}

/// Evaluates `source` (named `name`) and runs until it is done: no pending job, timer, run or
/// other native work. Returns the first uncaught exception or unhandled rejection. A classic
/// script whose completion value is a Promise is awaited like a module's top-level `await`: a
/// rejection fails the script. All of it runs in a `script` span (`path` = `name`), the parent of
/// the runs the script starts.
pub fn run_to_completion(
    ctx: &Ctx<'_>,
    name: &str,
    source: &str,
    kind: ScriptKind,
) -> Result<(), ScriptFailure> {
    let span = crate::telemetry::spans::script(name);
    let _entered = (!span.is_disabled()).then(|| span.enter());
    let module_promise = evaluate(ctx, name, source, kind)?;
    local::run_until_idle_or(ctx, "script", rejections::has_failure).map_err(|error| {
        ScriptFailure {
            message: error.message(),
            stack: None,
        }
    })?;
    let failure = rejections::take_failure();
    if let Some(promise) = module_promise {
        match promise.state() {
            PromiseState::Rejected => {
                let reason = promise
                    .result::<rquickjs::Value>()
                    .and_then(Result::err)
                    .map(|_| ctx.catch());
                return Err(match reason {
                    Some(reason) => ScriptFailure::from_value(&reason),
                    None => ScriptFailure {
                        message: "module evaluation failed".into(),
                        stack: None,
                    },
                });
            }
            PromiseState::Pending => {
                return Err(ScriptFailure {
                    message: match kind {
                        ScriptKind::Module => "top-level await never settled",
                        ScriptKind::Classic => {
                            "the script's completion value (a Promise) never settled"
                        }
                    }
                    .into(),
                    stack: None,
                });
            }
            PromiseState::Resolved => {}
        }
    }
    failure.map_or(Ok(()), Err)
}

fn evaluate<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    source: &str,
    kind: ScriptKind,
) -> Result<Option<Promise<'js>>, ScriptFailure> {
    let thrown = |error: rquickjs::Error| match error {
        rquickjs::Error::Exception => ScriptFailure::from_value(&ctx.catch()),
        other => ScriptFailure {
            message: other.to_string(),
            stack: None,
        },
    };
    match kind {
        ScriptKind::Classic => {
            let mut options = EvalOptions::default();
            options.global = true;
            options.strict = false;
            options.filename = Some(name.to_string());
            let completion: rquickjs::Value =
                ctx.eval_with_options(source, options).map_err(thrown)?;
            Ok(completion.into_promise())
        }
        ScriptKind::Module => {
            let module = Module::declare(ctx.clone(), name, source).map_err(thrown)?;
            let (module, promise) = module.eval().map_err(thrown)?;
            let namespace = module.namespace().map_err(thrown)?;
            remember_namespace(ctx, name, namespace).map_err(thrown)?;
            Ok(Some(promise))
        }
    }
}

/// Hidden global mapping module names to their namespaces, so a host can call their exports.
const NAMESPACES_GLOBAL: &str = "__geppetto_module_namespaces";

fn remember_namespace<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    namespace: rquickjs::Object<'js>,
) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    let namespaces = match globals.get::<_, Option<rquickjs::Object>>(NAMESPACES_GLOBAL)? {
        Some(namespaces) => namespaces,
        None => {
            let namespaces = rquickjs::Object::new(ctx.clone())?;
            globals.prop(
                NAMESPACES_GLOBAL,
                rquickjs::object::Property::from(namespaces.clone()),
            )?;
            namespaces
        }
    };
    namespaces.set(name, namespace)
}

/// The namespace of the ES module evaluated under `name`, if any.
pub fn module_namespace<'js>(
    ctx: &Ctx<'js>,
    name: &str,
) -> rquickjs::Result<Option<rquickjs::Object<'js>>> {
    match ctx
        .globals()
        .get::<_, Option<rquickjs::Object>>(NAMESPACES_GLOBAL)?
    {
        Some(namespaces) => namespaces.get(name),
        None => Ok(None),
    }
}
