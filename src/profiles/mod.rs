//! Inference profile registries (the agent API's `gp.inferenceProfiles`): registries loaded from
//! YAML files and SQLite databases, profiles stacked on base profiles, and the merged
//! [`InferenceSettings`] a profile resolves to, with redaction and provenance. No JavaScript here.
//!
//! # Layout
//! - [`source`]: the source list (`yaml:P`, `sqlite:P`, `sqlite-dsn:DSN`, plain paths).
//! - [`document`]: one registry document (YAML shape) decoded and validated into a [`Registry`].
//! - [`load`]: reading a source: a YAML file (one registry) or an SQLite table (many).
//! - [`chain`]: the loaded [`ProfileRegistry`]: precedence, resolution, stacking, merging.
//! - [`settings`]: [`InferenceSettings`]: the merged settings, their redacted view, provenance and
//!   `model_info`.
//!
//! **Architecture Invariant:** loading reads only the named sources; nothing is loaded implicitly
//! and the process environment is never consulted.

pub mod chain;
pub mod document;
mod error;
pub mod load;
pub mod settings;
pub mod source;

pub use chain::{ProfileRegistry, RegistrySummary, ResolveInput};
pub use document::{Profile, Registry, StackRef};
pub use error::ProfileError;
pub use settings::{InferenceSettings, LineageEntry, ModelInfo, Provenance, redact};
pub use source::{RegistrySource, parse_sources};
