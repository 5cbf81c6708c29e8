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

/// The host's profile registry (`--profile-registries`, `GEPPETTO_PROFILE_REGISTRIES`, or the
/// embedder's builder) and default profile (`--profile`, `GEPPETTO_DEFAULT_PROFILE`): what
/// `inferenceProfiles.resolve()` and `inferenceProfiles.default()` use.
#[derive(Debug, Clone)]
pub struct HostProfiles {
    /// The loaded registry chain.
    pub registry: std::sync::Arc<ProfileRegistry>,
    /// The profile resolved when a script names none.
    pub default_profile: Option<String>,
}

impl HostProfiles {
    /// Loads `sources` (a comma-separated list, see [`parse_sources`]) once.
    pub fn load(
        sources: &str,
        default_profile: Option<String>,
    ) -> Result<HostProfiles, ProfileError> {
        let entries = parse_sources(sources)?;
        Ok(HostProfiles {
            registry: std::sync::Arc::new(ProfileRegistry::load(&entries)?),
            default_profile: default_profile.filter(|slug| !slug.trim().is_empty()),
        })
    }

    /// These profiles with `base` settings under every resolved profile.
    pub fn with_base_settings(
        self,
        base: serde_json::Map<String, serde_json::Value>,
    ) -> HostProfiles {
        HostProfiles {
            registry: std::sync::Arc::new((*self.registry).clone().with_base_settings(base)),
            default_profile: self.default_profile,
        }
    }
}
