//! `ConfigError`: why provider options, a profile or an engine could not be built. The display
//! texts are the ones scripts see (`engines.fromConfig`, `engines.fromProfile`).

use super::config::ApiType;

/// Why a provider configuration, profile or engine could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A provider name that is not one of [`ApiType::NAMES`].
    #[error("unknown provider \"{name}\", expected one of: {}", ApiType::NAMES.join(", "))]
    UnknownProvider {
        /// The name as given.
        name: String,
    },
    /// Neither the options nor the profile name a model.
    #[error("provider options require model")]
    MissingModel,
    /// The base URL is not an http(s) URL.
    #[error("baseURL must start with http:// or https://, got \"{base_url}\"")]
    BaseUrl {
        /// The base URL as resolved.
        base_url: String,
    },
    /// A profile setting is malformed or out of range; the text names the setting.
    #[error("{0}")]
    Setting(String),
    /// A profile's settings are invalid.
    #[error("profile \"{name}\" in {path}: {source}")]
    Profile {
        /// Profile name.
        name: String,
        /// The profiles file, as displayed.
        path: String,
        /// What is wrong with its settings.
        source: Box<ConfigError>,
    },
    /// The profiles file cannot be read or is not a mapping of profiles; the text names the file.
    #[error("{0}")]
    ProfilesFile(String),
    /// The HTTP client could not be built.
    #[error("cannot build HTTP client: {0}")]
    Client(String),
    /// The provider's public endpoint needs an API key and none was given.
    #[error("no API key: set apiKey or {}", .api_type.api_key_env_vars().join(" or "))]
    NoApiKey {
        /// The provider.
        api_type: ApiType,
    },
}
