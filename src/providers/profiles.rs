//! Profiles for `engines.fromProfile(profile?, opts?)`: which profile is meant, where the profiles
//! file is, and what a profile resolves to.
//!
//! The profile is the explicit argument, else `opts.profile`, else `PINOCCHIO_PROFILE`, else
//! [`DEFAULT_PROFILE`]. The profiles file is `$GEPPETTO_PROFILES` when set, else
//! `$XDG_CONFIG_HOME/pinocchio/profiles.yaml`, else `$HOME/.config/pinocchio/profiles.yaml` (the
//! file pinocchio uses). A profile found there supplies the options and `opts` override them;
//! otherwise the profile name is the model name. See docs/providers.md for the file format.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::config::{ApiKey, ApiType, EngineOptions, ProviderConfig};
use super::env::Env;
use super::error::ConfigError;

/// The profile used when none is given anywhere.
pub const DEFAULT_PROFILE: &str = "4o-mini";

/// The environment variable naming the profile when no argument or `opts.profile` does.
pub const PROFILE_ENV_VAR: &str = "PINOCCHIO_PROFILE";

/// The environment variable that overrides the profiles file path.
pub const PROFILES_FILE_ENV_VAR: &str = "GEPPETTO_PROFILES";

/// A resolved profile: its name and the configuration of the engine it describes.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedProfile {
    /// The profile name (the engine is called `profile:<name>`).
    pub name: String,
    /// The engine configuration.
    pub config: ProviderConfig,
    /// The profiles file the profile came from; `None` when the name was taken as a model name.
    pub source: Option<PathBuf>,
}

/// The profiles file path for `env`: `$GEPPETTO_PROFILES`, else
/// `$XDG_CONFIG_HOME/pinocchio/profiles.yaml`, else `$HOME/.config/pinocchio/profiles.yaml`;
/// `None` when none of these variables is set.
pub fn profiles_file_path(env: &Env) -> Option<PathBuf> {
    if let Some(path) = env.get(PROFILES_FILE_ENV_VAR) {
        return Some(PathBuf::from(path));
    }
    let config_dir = env
        .get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|home| Path::new(home).join(".config")))?;
    Some(config_dir.join("pinocchio").join("profiles.yaml"))
}

/// Resolves a profile engine (`engines.fromProfile(profile, opts)`) as the spec says: `overrides`
/// are the script's options. Reads the profiles file (if any); touches no network. Errors: a
/// malformed profiles file, an explicitly named profiles file (`$GEPPETTO_PROFILES`) that does not
/// exist, an unknown provider.
pub fn resolve_profile(
    profile: Option<&str>,
    overrides: EngineOptions,
    env: &Env,
) -> Result<ResolvedProfile, ConfigError> {
    let name = profile
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .or_else(|| overrides.profile.clone())
        .or_else(|| env.get(PROFILE_ENV_VAR).map(|name| name.trim().to_string()))
        .unwrap_or_else(|| DEFAULT_PROFILE.to_string());
    let path = profiles_file_path(env);
    let explicit_path = env.get(PROFILES_FILE_ENV_VAR).is_some();
    let profiles = match &path {
        Some(path) => load_profiles(path, explicit_path)?,
        None => None,
    };
    let (base, source) = match profiles.as_ref().and_then(|profiles| profiles.get(&name)) {
        Some(settings) => (
            profile_options(settings).map_err(|error| ConfigError::Profile {
                name: name.clone(),
                path: path
                    .as_deref()
                    .unwrap_or(Path::new("?"))
                    .display()
                    .to_string(),
                source: Box::new(error),
            })?,
            path.clone(),
        ),
        None => (
            EngineOptions {
                model: Some(name.clone()),
                ..EngineOptions::default()
            },
            None,
        ),
    };
    let mut options = base.overridden_by(overrides);
    if options.model.is_none() {
        options.model = Some(name.clone());
    }
    let config = ProviderConfig::resolve(options, env)?;
    Ok(ResolvedProfile {
        name,
        config,
        source,
    })
}

/// Reads a profiles file: a YAML mapping from profile name to settings. A missing file is `None`
/// unless `required`.
pub fn load_profiles(
    path: &Path,
    required: bool,
) -> Result<Option<Map<String, Value>>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(error) => {
            return Err(ConfigError::ProfilesFile(format!(
                "cannot read profiles file {}: {error}",
                path.display()
            )));
        }
    };
    if text.trim().is_empty() {
        return Ok(Some(Map::new()));
    }
    let value: Value = serde_norway::from_str(&text).map_err(|error| {
        ConfigError::ProfilesFile(format!(
            "malformed profiles file {}: {error}",
            path.display()
        ))
    })?;
    match value {
        Value::Object(map) => Ok(Some(map)),
        Value::Null => Ok(Some(Map::new())),
        _ => Err(ConfigError::ProfilesFile(format!(
            "malformed profiles file {}: expected a mapping from profile name to settings",
            path.display()
        ))),
    }
}

/// The options of one profile. Two layouts are accepted: flat ([`FlatProfile`], with the names of
/// the script options: `apiType`/`provider`, `model`, `apiKey`, `baseURL`, ...), and pinocchio's
/// layered one
/// (`ai-chat: {ai-api-type, ai-engine, ...}`, `openai-chat: {openai-api-key, openai-base-url}`,
/// `claude-chat: {claude-api-key, claude-base-url}`, `gemini-chat: {gemini-api-key}`).
pub fn profile_options(settings: &Value) -> Result<EngineOptions, ConfigError> {
    let Some(map) = settings.as_object() else {
        return Err(ConfigError::Setting(
            "settings must be a mapping".to_string(),
        ));
    };
    if !map.keys().any(|key| key.ends_with("-chat")) {
        return flat_profile(settings);
    }
    let layer = |name: &str, key: &str| map.get(name).and_then(|layer| layer.get(key)).cloned();
    let mut flat = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value.filter(|value| !value.is_null()) {
            flat.insert(key.to_string(), value);
        }
    };
    put("apiType", layer("ai-chat", "ai-api-type"));
    put("model", layer("ai-chat", "ai-engine"));
    put("temperature", layer("ai-chat", "ai-temperature"));
    put("topP", layer("ai-chat", "ai-top-p"));
    put("maxTokens", layer("ai-chat", "ai-max-response-tokens"));
    let api_type = match layer("ai-chat", "ai-api-type")
        .as_ref()
        .and_then(Value::as_str)
    {
        Some(name) => ApiType::parse(name)?,
        None => ApiType::infer_from_model(
            layer("ai-chat", "ai-engine")
                .as_ref()
                .and_then(Value::as_str)
                .unwrap_or(""),
        ),
    };
    let (section, prefix) = match api_type {
        ApiType::OpenAi | ApiType::OpenAiResponses => ("openai-chat", "openai"),
        ApiType::Claude => ("claude-chat", "claude"),
        ApiType::Gemini => ("gemini-chat", "gemini"),
    };
    put("apiKey", layer(section, &format!("{prefix}-api-key")));
    put("baseURL", layer(section, &format!("{prefix}-base-url")));
    flat_profile(&Value::Object(flat))
}

/// The flat layout of a profile in the profiles file (a file format, read with serde). Unknown keys
/// are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct FlatProfile {
    #[serde(alias = "provider")]
    api_type: Option<String>,
    model: Option<String>,
    api_key: Option<String>,
    #[serde(rename = "baseURL", alias = "baseUrl")]
    base_url: Option<String>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    max_tokens: Option<f64>,
    timeout_ms: Option<f64>,
    timeout_seconds: Option<f64>,
}

/// Longest timeout a profile may set: 2^53 - 1 milliseconds, as for scripts.
const MAX_TIMEOUT_MS: f64 = 9_007_199_254_740_991.0;

/// Reads and checks a flat profile: numbers must be finite and non-negative, `maxTokens` a positive
/// whole number, timeouts at most 2^53 - 1 ms (0 means none; `timeoutMs` wins); blank strings count
/// as absent.
fn flat_profile(settings: &Value) -> Result<EngineOptions, ConfigError> {
    let flat = FlatProfile::deserialize(settings)
        .map_err(|error| ConfigError::Setting(error.to_string()))?;
    let text = |value: Option<String>| {
        value
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
    };
    let number = |name: &str, value: Option<f64>, max: f64| match value {
        Some(number) if !(number >= 0.0 && number <= max) => Err(ConfigError::Setting(format!(
            "{name} must be a non-negative number no larger than {max}, got {number}"
        ))),
        other => Ok(other),
    };
    let max_tokens = match number("maxTokens", flat.max_tokens, f64::from(u32::MAX))? {
        Some(n) if n < 1.0 || n.fract() != 0.0 => {
            return Err(ConfigError::Setting(format!(
                "maxTokens must be a positive integer, got {n}"
            )));
        }
        other => other.map(|n| n as u64),
    };
    let millis = number("timeoutMs", flat.timeout_ms, MAX_TIMEOUT_MS)?;
    let seconds = number(
        "timeoutSeconds",
        flat.timeout_seconds,
        MAX_TIMEOUT_MS / 1000.0,
    )?;
    let timeout = millis
        .filter(|ms| *ms > 0.0)
        .or(seconds.filter(|s| *s > 0.0).map(|s| s * 1000.0))
        .map(|ms| Duration::from_millis(ms as u64));
    Ok(EngineOptions {
        api_type: text(flat.api_type)
            .map(|name| ApiType::parse(&name))
            .transpose()?,
        model: text(flat.model),
        api_key: text(flat.api_key).map(ApiKey::new),
        base_url: text(flat.base_url),
        temperature: number("temperature", flat.temperature, 2.0)?,
        top_p: number("topP", flat.top_p, 1.0)?,
        max_tokens,
        timeout,
        profile: None,
    })
}
