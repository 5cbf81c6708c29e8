//! geppetto-rs: script LLM inference in JavaScript, safely and fast.
//!
//! # Layout
//! - [`owner`]: the runtime-owner actor. Each QuickJS runtime lives on one dedicated thread behind a
//!   bounded mailbox; everything else talks to it with `Send` closures, plain data and ids.
//! - [`inference`]: the engine-agnostic core (turns, engines, middlewares, tools, sessions, events),
//!   with no JavaScript in it.
//! - [`providers`]: provider engines (OpenAI, OpenAI Responses, Anthropic, Gemini) streaming over
//!   HTTP, and the configuration and profiles behind `engines.fromConfig` / `engines.fromProfile`.

pub mod inference;
pub mod owner;
pub mod providers;
