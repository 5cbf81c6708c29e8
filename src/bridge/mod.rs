//! The JS ↔ Rust boundary of the built-in modules. For `geppetto`: the codec, argument checks and
//! option objects, hook payloads and decisions, the handle table, JS-backed engines, middlewares,
//! tools and hooks, runs, and the module definition. The `database` module (`database.rs`).
//!
//! **Architecture Invariant:** `bridge/` and `runtime/` are the only places that name rquickjs
//! types (besides the generic `owner/`). JS values never leave the owner thread: JS functions are
//! named outside by callback ids, and turns cross as plain data. Every JS-facing shape (camelCase
//! option objects, hook payloads and decisions, event objects, argument error texts) is read and
//! written here; `inference/` and `providers/` are typed and know no JS field names.

mod agent;
mod argument;
mod backlog;
pub(crate) mod codec;
mod database;
mod hooks;
pub mod host_calls;
mod invoke;
mod js_engine;
mod js_middleware;
mod js_tools;
mod module;
mod options;
pub mod profiles;
mod runs;
mod table;

pub use database::{DATABASE_MODULE_NAMES, DatabaseModule, DatabaseSource, database_modules};
pub use invoke::InvokeError;
pub use js_engine::JsFunctionEngine;
pub use js_middleware::JsMiddleware;
pub use js_tools::{JsHooks, JsTool};
pub use module::{GeppettoModule, HostMiddlewareFactory, ProviderFactory, ProviderRequest};
pub use table::live_objects;

#[cfg(test)]
pub(crate) mod test_support {
    //! Reading JS values in unit tests: a fresh runtime per call.

    use rquickjs::{Context, Ctx, Runtime, Value};

    /// Evaluates `source`, applies `read` to the value, and returns its result or the thrown
    /// error as `"<name>: <message>"`.
    pub fn with_value<T>(
        source: &str,
        read: impl for<'js> FnOnce(&Ctx<'js>, Value<'js>) -> rquickjs::Result<T>,
    ) -> Result<T, String> {
        let runtime = Runtime::new().expect("runtime");
        let context = Context::full(&runtime).expect("context");
        context.with(|ctx| {
            let value: Value = ctx.eval(source).expect("test source evaluates");
            read(&ctx, value).map_err(|error| match error {
                rquickjs::Error::Exception => {
                    let thrown = ctx.catch();
                    let field = |key: &str| -> String {
                        thrown
                            .as_object()
                            .and_then(|object| object.get::<_, String>(key).ok())
                            .unwrap_or_default()
                    };
                    format!("{}: {}", field("name"), field("message"))
                }
                other => other.to_string(),
            })
        })
    }
}
