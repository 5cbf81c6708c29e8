//! Modules an embedder defines in plain Rust: named values and functions over serde types, turned
//! into a [`NativeModule`] whose exports object is built on the owner thread.

use std::fmt::Display;
use std::sync::Arc;

use rquickjs::function::Rest;
use rquickjs::{Ctx, Exception, Function, Object, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::NativeModule;
use crate::bridge::codec::{js_to_json, json_to_js};

type Call = dyn Fn(Json) -> Result<Json, String> + Send + Sync;

#[derive(Clone)]
enum Export {
    Value(Json),
    Function(Arc<Call>),
}

/// What a Rust module exports: plain values and functions over serde types.
///
/// ```
/// use geppetto::runtime::Exports;
///
/// let exports = Exports::new()
///     .value("unit", "celsius")
///     .function("add", |(a, b): (f64, f64)| Ok::<_, String>(a + b));
/// assert_eq!(exports.names(), ["unit", "add"]);
/// ```
#[derive(Clone, Default)]
pub struct Exports {
    entries: Vec<(String, Export)>,
}

impl std::fmt::Debug for Exports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Exports {
    /// No exports.
    pub fn new() -> Exports {
        Exports::default()
    }

    /// Exports `value` (serialized to JSON; a value that does not serialize exports `null`).
    pub fn value(mut self, name: &str, value: impl Serialize) -> Exports {
        let value = serde_json::to_value(value).unwrap_or(Json::Null);
        self.entries.push((name.to_string(), Export::Value(value)));
        self
    }

    /// Exports a function. Its JS arguments, as a JSON array, are decoded as `Args` (a tuple such
    /// as `(String, f64)` takes two arguments); its result is encoded to a JS value. A decoding
    /// failure or an `Err` throws a JS `Error` with that text.
    pub fn function<Args, Output, Error>(
        mut self,
        name: &str,
        function: impl Fn(Args) -> Result<Output, Error> + Send + Sync + 'static,
    ) -> Exports
    where
        Args: DeserializeOwned,
        Output: Serialize,
        Error: Display,
    {
        let label = name.to_string();
        let call = move |args: Json| {
            // No arguments also decode as `()` (serde reads unit from `null`, not `[]`).
            let none = args.as_array().is_some_and(Vec::is_empty);
            let args: Args = serde_json::from_value(args)
                .or_else(|error| {
                    if none {
                        serde_json::from_value(Json::Null)
                    } else {
                        Err(error)
                    }
                })
                .map_err(|error| format!("invalid arguments for {label}: {error}"))?;
            let output = function(args).map_err(|error| error.to_string())?;
            serde_json::to_value(output).map_err(|error| error.to_string())
        };
        self.entries
            .push((name.to_string(), Export::Function(Arc::new(call))));
        self
    }

    /// The exported names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(name, _)| name.as_str()).collect()
    }
}

/// A [`NativeModule`] built from [`Exports`].
#[derive(Debug, Clone)]
pub struct RustModule {
    name: &'static str,
    exports: Exports,
}

impl RustModule {
    /// A module `name` with `exports`. The name is interned for the life of the process (a module
    /// name is registered once per builder, not per call).
    pub fn new(name: &str, exports: Exports) -> RustModule {
        RustModule {
            name: Box::leak(name.to_string().into_boxed_str()),
            exports,
        }
    }
}

impl NativeModule for RustModule {
    fn name(&self) -> &'static str {
        self.name
    }

    fn exports<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let object = Object::new(ctx.clone())?;
        for (name, export) in &self.exports.entries {
            match export {
                Export::Value(value) => object.set(name.as_str(), json_to_js(ctx, value)?)?,
                Export::Function(call) => {
                    let call = call.clone();
                    let function = Function::new(
                        ctx.clone(),
                        move |ctx: Ctx<'js>, args: Rest<Value<'js>>| {
                            let args = args
                                .0
                                .into_iter()
                                .map(|arg| js_to_json(&ctx, arg))
                                .collect::<rquickjs::Result<Vec<_>>>()?;
                            match call(Json::Array(args)) {
                                Ok(value) => json_to_js(&ctx, &value),
                                Err(message) => Err(Exception::throw_message(&ctx, &message)),
                            }
                        },
                    )?
                    .with_name(name.as_str())?;
                    object.set(name.as_str(), function)?;
                }
            }
        }
        Ok(object)
    }
}
