//! Provider engines built from registry-resolved [`InferenceSettings`] (`gp.engine()` and
//! `agent().inference(settings)`): the `chat`, `api` and `client` sections mapped onto a
//! [`ProviderConfig`], with the contract's validation texts and the outbound policy.
//!
//! API keys come from the settings only; the environment is never consulted.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::config::{ApiKey, ApiType, ProviderConfig, RetryPolicy};
use super::engine::ProviderEngine;
use super::outbound::OutboundPolicy;
use crate::inference::Engine;
use crate::profiles::InferenceSettings;

/// The name of every settings-built engine.
pub const SETTINGS_ENGINE_NAME: &str = "inferenceSettings";

/// Why settings do not describe a usable engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsEngineError {
    /// `invalid settings for provider <p>: <reason>` (the Go texts).
    #[error("invalid settings for provider {provider}: {reason}")]
    Invalid {
        /// `chat.api_type` (default `openai`).
        provider: String,
        /// What is wrong (`missing API key openai-api-key`, ...).
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("{0}")]
    Client(String),
}

/// Where an embedder supplies API keys that profiles do not hold (the Rust form of Go's
/// bearer-token source). Asked by key name (`openai-api-key`, `claude-api-key`, ...) only when the
/// settings lack that key, when an engine or embeddings client is built.
pub trait BearerTokenSource: Send + Sync {
    /// The key named `key_name`, if this source has one.
    fn token(&self, key_name: &str) -> Option<String>;
}

/// The provider settings of `settings` (see [`provider_config_from_settings_with_tokens`]), with
/// keys from the settings only.
pub fn provider_config_from_settings(
    settings: &InferenceSettings,
) -> Result<ProviderConfig, SettingsEngineError> {
    provider_config_from_settings_with_tokens(settings, None)
}

/// The engine configuration of `settings`, outbound policy included; a key the settings lack is
/// asked of `tokens`. Touches no network.
pub fn provider_config_from_settings_with_tokens(
    settings: &InferenceSettings,
    tokens: Option<&dyn BearerTokenSource>,
) -> Result<ProviderConfig, SettingsEngineError> {
    let key = |name: &str| {
        string_in(settings, "api_keys", name).or_else(|| tokens.and_then(|t| t.token(name)))
    };
    let chat = settings.section("chat");
    let provider = chat
        .and_then(|chat| chat.get("api_type"))
        .and_then(Value::as_str)
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "openai".to_string());
    let invalid = |reason: String| SettingsEngineError::Invalid {
        provider: provider.clone(),
        reason,
    };
    let Some(chat) = chat else {
        return Err(invalid("chat settings cannot be nil".into()));
    };
    let api_type = match provider.as_str() {
        "openai" | "anyscale" | "fireworks" => ApiType::OpenAi,
        "openai-responses" | "open-responses" => ApiType::OpenAiResponses,
        "claude" | "anthropic" => ApiType::Claude,
        "gemini" => ApiType::Gemini,
        other => return Err(invalid(format!("unknown provider {other}"))),
    };
    // The settings-key prefix of this provider (`anthropic` uses the `claude-*` keys).
    let prefix = match provider.as_str() {
        "anthropic" => "claude",
        other => other,
    };
    let api_key = match api_type {
        ApiType::OpenAiResponses => {
            const KEYS: [&str; 3] = [
                "open-responses-api-key",
                "openai-responses-api-key",
                "openai-api-key",
            ];
            KEYS.iter().find_map(|name| key(name)).ok_or_else(|| {
                invalid(format!(
                    "missing API key openai-responses-api-key (or fallback {})",
                    KEYS.join(", ")
                ))
            })?
        }
        _ => {
            let name = format!("{prefix}-api-key");
            key(&name).ok_or_else(|| invalid(format!("missing API key {name}")))?
        }
    };
    let base_url = match provider.as_str() {
        "anyscale" | "fireworks" => {
            let name = format!("{prefix}-base-url");
            string_in(settings, "base_urls", &name)
                .ok_or_else(|| invalid(format!("missing base URL {name} for provider {prefix}")))?
        }
        "openai-responses" | "open-responses" => [
            format!("{prefix}-base-url"),
            "openai-responses-base-url".into(),
            "openai-base-url".into(),
        ]
        .iter()
        .find_map(|name| string_in(settings, "base_urls", name))
        .unwrap_or_else(|| api_type.default_base_url().to_string()),
        _ => match api_type {
            ApiType::Claude => format!(
                "{}/v1",
                string_in(settings, "base_urls", "claude-base-url")
                    .unwrap_or_else(|| "https://api.anthropic.com".into())
                    .trim_end_matches('/')
            ),
            ApiType::Gemini => format!(
                "{}/v1beta",
                string_in(settings, "base_urls", "gemini-base-url")
                    .unwrap_or_else(|| "https://generativelanguage.googleapis.com".into())
                    .trim_end_matches('/')
            ),
            _ => string_in(settings, "base_urls", &format!("{prefix}-base-url"))
                .unwrap_or_else(|| api_type.default_base_url().to_string()),
        },
    };
    let base_url = base_url.trim_end_matches('/').to_string();
    if reqwest::Url::parse(&base_url)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .is_none()
    {
        return Err(invalid(format!(
            "base URL for provider {prefix} must be an http(s) URL with a host"
        )));
    }
    let model = chat
        .get("engine")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|model| !model.is_empty())
        .ok_or_else(|| invalid("chat.engine (the model) is not set".into()))?
        .to_string();
    let number = |key: &str| -> Result<Option<f64>, SettingsEngineError> {
        match chat.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => match value.as_f64() {
                Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
                _ => Err(invalid(format!("chat.{key} must be a non-negative number"))),
            },
        }
    };
    let max_tokens = match number("max_response_tokens")? {
        None => None,
        Some(n) if n >= 1.0 && n.fract() == 0.0 => Some(n as u64),
        Some(_) => {
            return Err(invalid(
                "chat.max_response_tokens must be a positive integer".into(),
            ));
        }
    };
    let stop = match chat.get("stop") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid("chat.stop must be a list of strings".into()))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("chat.stop must be a list of strings".into())),
    };
    let timeout = client_timeout(settings).map_err(|reason| invalid(reason.into()))?;
    Ok(ProviderConfig {
        api_type,
        model,
        api_key: Some(ApiKey::new(api_key)),
        base_url,
        temperature: number("temperature")?,
        top_p: number("top_p")?,
        max_tokens,
        stop,
        timeout,
        retry: RetryPolicy::default(),
        outbound: outbound_policy(settings, &[prefix, &provider, api_type.as_str()]),
    })
}

/// The outbound policy for the provider known by any of `names` in `settings`:
/// `api.allow_http.<p>`, `api.allow_local_networks.<p>`, or the `<p>-allow-http` /
/// `<p>-allow-local-networks` keys (in those maps or directly in `api`).
pub fn outbound_policy(settings: &InferenceSettings, names: &[&str]) -> OutboundPolicy {
    let flag = |map: &str, suffix: &str| {
        names.iter().any(|name| {
            let long = format!("{name}-{suffix}");
            [
                settings.lookup("api", map, name),
                settings.lookup("api", map, &long),
                settings.section("api").and_then(|api| api.get(&long)),
            ]
            .into_iter()
            .flatten()
            .any(|value| value.as_bool() == Some(true))
        })
    };
    OutboundPolicy::Guarded {
        key: names[0].to_string(),
        allow_http: flag("allow_http", "allow-http"),
        allow_local_networks: flag("allow_local_networks", "allow-local-networks"),
    }
}

/// `client.timeout_second` as a whole-request timeout: `None` when absent or 0; an error text when
/// it is not a non-negative number (below 10^9 seconds).
pub fn client_timeout(settings: &InferenceSettings) -> Result<Option<Duration>, &'static str> {
    match settings
        .section("client")
        .and_then(|client| client.get("timeout_second"))
    {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_f64() {
            Some(0.0) => Ok(None),
            Some(seconds) if seconds.is_finite() && seconds > 0.0 && seconds < 1e9 => {
                Ok(Some(Duration::from_secs_f64(seconds)))
            }
            _ => Err("client.timeout_second must be a non-negative number"),
        },
    }
}

/// `api.<map>.<name>` when it is a string (an empty string counts as present).
fn string_in(settings: &InferenceSettings, map: &str, name: &str) -> Option<String> {
    settings
        .lookup("api", map, name)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A provider engine named [`SETTINGS_ENGINE_NAME`] built from `settings` (see
/// [`provider_config_from_settings`]). Touches no network; the outbound policy is enforced at
/// request time.
pub fn engine_from_settings(
    settings: &InferenceSettings,
) -> Result<Arc<dyn Engine>, SettingsEngineError> {
    engine_from_settings_with_tokens(settings, None)
}

/// [`engine_from_settings`], asking `tokens` for a key the settings lack.
pub fn engine_from_settings_with_tokens(
    settings: &InferenceSettings,
    tokens: Option<&dyn BearerTokenSource>,
) -> Result<Arc<dyn Engine>, SettingsEngineError> {
    let config = provider_config_from_settings_with_tokens(settings, tokens)?;
    let engine = ProviderEngine::new(SETTINGS_ENGINE_NAME, config)
        .map_err(|error| SettingsEngineError::Client(error.to_string()))?;
    Ok(Arc::new(engine))
}
