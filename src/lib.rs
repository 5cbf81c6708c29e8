//! geppetto-rs: script LLM inference in JavaScript, safely and fast.
//!
//! # Layout
//! - [`embed`]: the embedding API: a runtime builder (modules, host tools, middlewares, owners),
//!   scripts, calls and runs from Rust with typed errors and no JS engine type.
//! - [`owner`]: the runtime-owner actor. Each QuickJS runtime lives on one dedicated thread behind a
//!   bounded mailbox; everything else talks to it with `Send` closures, plain data and ids.
//! - [`inference`]: the engine-agnostic core (turns, engines, middlewares, tools, sessions, events),
//!   with no JavaScript in it.
//! - [`runtime`]: what runs on the owner thread for scripts: module registry and `require`, the
//!   harness globals, the script runner.
//! - [`bridge`]: the JS ↔ Rust boundary of the `geppetto` module (codec, handles, JS-backed
//!   engines, middlewares, tools and hooks, runs).
//! - [`codegen`] and [`generated`]: the constants generator and its checked-in output.
//! - [`host`]: which modules and host tools a `geppetto` runtime gets.
//! - [`cli`]: the `geppetto` command.
//! - [`profiles`]: the agent API's profile registries (YAML, SQLite), stacking, resolution,
//!   redaction and provenance of the resulting inference settings.
//! - [`stores`]: the built-in turn stores of the agent API (SQLite, Go's schema).
//! - [`providers`]: provider engines (OpenAI, OpenAI Responses, Anthropic, Gemini) streaming over
//!   HTTP, and the configuration and profiles behind `engines.fromConfig` / `engines.fromProfile`.
//! - [`telemetry`]: the tracing spans of a run and the layers that print them as JSON/text lines
//!   or export them over OTLP (the library never installs a global subscriber).

#![warn(missing_docs)]

pub mod bridge;
#[doc(hidden)] // The `geppetto` binary's command code (and benches), not an embedding API.
pub mod cli;
#[doc(hidden)] // The constants generator behind `src/bin/gen.rs`, not an embedding API.
pub mod codegen;
pub mod embed;
pub mod generated;
pub mod host;
pub mod inference;
pub mod owner;
pub mod profiles;
pub mod providers;
pub mod runtime;
pub mod stores;
pub mod telemetry;
