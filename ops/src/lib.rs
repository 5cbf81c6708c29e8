//! geppetto-ops: host capabilities as plain Rust with typed serde inputs and outputs.
//!
//! Nothing here knows about JavaScript or about the inference core: each capability is an ordinary
//! function over typed data, testable on its own. The `geppetto` crate wraps them (for example as
//! host tools) and the JS bridge exposes them to scripts.
//!
//! # Layout
//! - [`host_tools`]: the built-in host tools of the CLI harness (`go_double`, `go_concat`).
//! - [`database`]: SQLite for the `database` module (values, statements, a connection thread).

pub mod database;
pub mod host_tools;
