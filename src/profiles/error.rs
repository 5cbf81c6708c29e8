//! The errors of loading and resolving profile registries, with the contract's texts.

/// Why a registry could not be loaded or a profile not resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// A malformed source list (the text is the contract's, e.g.
    /// `profile registry sources must not be empty`).
    #[error("{0}")]
    Sources(String),
    /// A source that could not be read or opened.
    #[error("cannot read profile registry source \"{entry}\": {reason}")]
    Unreadable {
        /// The source entry as given.
        entry: String,
        /// What went wrong.
        reason: String,
    },
    /// An empty YAML file.
    #[error("yaml profile registry source \"{0}\" did not contain a registry")]
    EmptyYaml(String),
    /// A document or stack that breaks a rule: `validation error (<field>): <reason>`.
    #[error("validation error ({field}): {reason}")]
    Validation {
        /// Where (`registry.slug`, `registry.profiles[a].stack[0]`, ...).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Two sources define the same registry.
    #[error("duplicate registry slug \"{0}\" across profile registry sources")]
    DuplicateRegistry(String),
    /// A slug that is empty or does not match the slug pattern (`profile slug "X" is invalid`).
    #[error("{0}")]
    Slug(String),
    /// No registry has that slug.
    #[error("registry not found: {0}")]
    RegistryNotFound(String),
    /// No (searched) registry has that profile.
    #[error("profile not found: {0}")]
    ProfileNotFound(String),
    /// The chain holds no registry at all.
    #[error("profile registry has no registries")]
    NoRegistries,
}

impl ProfileError {
    /// A [`ProfileError::Validation`].
    pub(crate) fn validation(field: impl Into<String>, reason: impl Into<String>) -> ProfileError {
        ProfileError::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
