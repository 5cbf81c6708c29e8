//! What the embedding API ([`crate::embed`]) does on the owner thread: find a global or exported
//! JS value by name, call a JS function with JSON arguments (awaiting a returned promise), and
//! find the Rust session behind a JS session object.

use rquickjs::function::Rest;
use rquickjs::promise::PromiseState;
use rquickjs::{Ctx, Exception, Object, Promise, Value};
use serde_json::Value as Json;

use super::codec::{js_to_json, json_to_js};
use super::table;
use crate::inference::Session;
use crate::owner::local;
use crate::runtime::{ScriptFailure, module_namespace};

/// Names a JS value from Rust: a global (a dotted path from `globalThis`, such as `app.agent`)
/// or an export of an ES module evaluated by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsName {
    /// `globalThis.<path>`; dots walk into objects.
    Global(String),
    /// The export `name` of the ES module evaluated as `module`.
    Export {
        /// The name the module was evaluated under.
        module: String,
        /// The export's name (`default` for the default export).
        name: String,
    },
}

impl JsName {
    /// `globalThis.<path>` (dots walk into objects).
    pub fn global(path: &str) -> JsName {
        JsName::Global(path.to_string())
    }

    /// The export `name` of the ES module evaluated as `module`.
    pub fn export(module: &str, name: &str) -> JsName {
        JsName::Export {
            module: module.to_string(),
            name: name.to_string(),
        }
    }
}

impl std::fmt::Display for JsName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsName::Global(path) => write!(f, "global {path}"),
            JsName::Export { module, name } => write!(f, "export {name} of module {module}"),
        }
    }
}

fn failure(message: String) -> ScriptFailure {
    ScriptFailure {
        message,
        stack: None,
    }
}

fn thrown(ctx: &Ctx<'_>, error: rquickjs::Error) -> ScriptFailure {
    match error {
        rquickjs::Error::Exception => ScriptFailure::from_value(&ctx.catch()),
        other => failure(other.to_string()),
    }
}

/// The value `name` names; `undefined` when a global path ends early.
pub fn lookup<'js>(ctx: &Ctx<'js>, name: &JsName) -> Result<Value<'js>, ScriptFailure> {
    match name {
        JsName::Global(path) => {
            let mut value = ctx.globals().into_value();
            for key in path.split('.') {
                let Some(object) = value.as_object() else {
                    return Ok(Value::new_undefined(ctx.clone()));
                };
                value = object.get(key).map_err(|error| thrown(ctx, error))?;
            }
            Ok(value)
        }
        JsName::Export { module, name: key } => {
            let namespace = module_namespace(ctx, module)
                .map_err(|error| thrown(ctx, error))?
                .ok_or_else(|| failure(format!("no ES module {module:?} was evaluated")))?;
            namespace
                .get(key.as_str())
                .map_err(|error| thrown(ctx, error))
        }
    }
}

/// Calls the function `name` names with `args` spread as its arguments. A returned promise is
/// awaited while the owner serves other work; its value (or the function's) comes back as JSON.
/// A JS exception stays pending in `ctx` (the owner turns it into its error, with the stack, or
/// into an interruption).
pub fn call_json(ctx: &Ctx<'_>, name: &JsName, args: Vec<Json>) -> rquickjs::Result<Json> {
    let raise = |failure: ScriptFailure| Exception::throw_message(ctx, &failure.message);
    let function = lookup(ctx, name)
        .map_err(raise)?
        .into_function()
        .ok_or_else(|| Exception::throw_type(ctx, &format!("{name} is not a function")))?;
    let args = args
        .iter()
        .map(|arg| json_to_js(ctx, arg))
        .collect::<rquickjs::Result<Vec<_>>>()?;
    let result: Value = function.call((Rest(args),))?;
    let result = match result.as_promise() {
        Some(promise) => settled(ctx, name, promise.clone())?,
        None => result,
    };
    js_to_json(ctx, result)
}

/// Waits for `promise` while serving the mailbox, jobs and timers; its value, or its rejection
/// rethrown.
fn settled<'js>(
    ctx: &Ctx<'js>,
    name: &JsName,
    promise: Promise<'js>,
) -> rquickjs::Result<Value<'js>> {
    local::run_until_idle_or(ctx, "host-call", || {
        promise.state() != PromiseState::Pending
    })
    .map_err(|error| Exception::throw_message(ctx, &error.message()))?;
    match promise.state() {
        PromiseState::Resolved | PromiseState::Rejected => match promise.result::<Value>() {
            Some(result) => result,
            None => Err(Exception::throw_message(
                ctx,
                &format!("the promise returned by {name} has no value"),
            )),
        },
        PromiseState::Pending => Err(Exception::throw_message(
            ctx,
            &format!("the promise returned by {name} never settled"),
        )),
    }
}

/// The session behind the JS session object `name` names.
pub fn session(ctx: &Ctx<'_>, name: &JsName) -> Result<Session, ScriptFailure> {
    let not_a_session = || failure(format!("{name} is not a geppetto session"));
    let value = lookup(ctx, name)?;
    let object = value.as_object().ok_or_else(not_a_session)?;
    let reference: Option<Object> = object
        .get(super::module::REF_PROPERTY)
        .map_err(|error| thrown(ctx, error))?;
    let reference = reference.ok_or_else(not_a_session)?;
    let kind: Option<String> = reference.get("kind").map_err(|error| thrown(ctx, error))?;
    let id: Option<f64> = reference.get("id").map_err(|error| thrown(ctx, error))?;
    match (kind.as_deref(), id) {
        (Some("session"), Some(id)) if id >= 1.0 && id.fract() == 0.0 => {
            table::session(id as u64).ok_or_else(not_a_session)
        }
        _ => Err(not_a_session()),
    }
}
