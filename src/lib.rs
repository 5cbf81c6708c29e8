//! geppetto-rs: script LLM inference in JavaScript, safely and fast.
//!
//! # Layout
//! - [`owner`]: the runtime-owner actor. Each QuickJS runtime lives on one dedicated thread behind a
//!   bounded mailbox; everything else talks to it with `Send` closures, plain data and ids.
//! - [`inference`]: the engine-agnostic core (turns, engines, middlewares, tools, sessions, events),
//!   with no JavaScript in it.

pub mod codegen;
pub mod generated;
pub mod inference;
pub mod owner;
