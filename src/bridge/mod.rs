//! The JS ↔ Rust boundary of the `geppetto` module: the codec, the handle table, JS-backed engines,
//! middlewares, tools and hooks, runs, and the module definition.
//!
//! **Architecture Invariant:** `bridge/` and `runtime/` are the only places that name rquickjs
//! types (besides the generic `owner/`). JS values never leave the owner thread: JS functions are
//! named outside by callback ids, and turns cross as plain data.

pub mod codec;
mod invoke;
mod js_engine;
mod js_middleware;
mod js_tools;
mod module;
mod runs;
mod table;

pub use invoke::InvokeError;
pub use js_engine::JsFunctionEngine;
pub use js_middleware::JsMiddleware;
pub use js_tools::{JsHooks, JsTool};
pub use module::{GeppettoModule, ProviderFactory, ProviderRequest};
pub use table::live_objects;
