//! Provider configuration: the options an engine is asked for ([`EngineOptions`], every field
//! optional; `bridge/` reads them from a script's options object, the profiles file supplies them
//! too) and the resolved settings an engine runs with ([`ProviderConfig`]).

use std::time::Duration;

use super::env::Env;
use super::error::ConfigError;
use super::outbound::OutboundPolicy;

/// Which wire protocol an engine speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiType {
    /// OpenAI Chat Completions (`openai`), also any OpenAI-compatible server via a custom base URL.
    OpenAi,
    /// OpenAI Responses (`openai-responses`).
    OpenAiResponses,
    /// Anthropic Messages (`claude`, alias `anthropic`).
    Claude,
    /// Google Gemini (`gemini`).
    Gemini,
}

impl ApiType {
    /// Every accepted provider name, in the order error messages list them.
    pub const NAMES: [&'static str; 5] = [
        "openai",
        "openai-responses",
        "claude",
        "anthropic",
        "gemini",
    ];

    /// Parses a provider name (case-insensitive, surrounding white space ignored).
    ///
    /// The error names the allowed providers:
    /// `unknown provider "X", expected one of: openai, openai-responses, claude, anthropic, gemini`.
    pub fn parse(name: &str) -> Result<ApiType, ConfigError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "openai" => Ok(ApiType::OpenAi),
            "openai-responses" => Ok(ApiType::OpenAiResponses),
            "claude" | "anthropic" => Ok(ApiType::Claude),
            "gemini" => Ok(ApiType::Gemini),
            _ => Err(ConfigError::UnknownProvider {
                name: name.to_string(),
            }),
        }
    }

    /// The canonical name (`openai`, `openai-responses`, `claude`, `gemini`); also the value of the
    /// turn's `metadata.provider` and the prefix of every error message.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiType::OpenAi => "openai",
            ApiType::OpenAiResponses => "openai-responses",
            ApiType::Claude => "claude",
            ApiType::Gemini => "gemini",
        }
    }

    /// Infers the provider from a model name: contains `gemini` → Gemini, contains `claude` →
    /// Claude, starts with `o1`, `o3`, `o4` or `gpt-5` → OpenAI Responses, anything else → OpenAI.
    pub fn infer_from_model(model: &str) -> ApiType {
        let model = model.trim().to_ascii_lowercase();
        if model.contains("gemini") {
            ApiType::Gemini
        } else if model.contains("claude") {
            ApiType::Claude
        } else if ["o1", "o3", "o4", "gpt-5"]
            .iter()
            .any(|prefix| model.starts_with(prefix))
        {
            ApiType::OpenAiResponses
        } else {
            ApiType::OpenAi
        }
    }

    /// The provider's public API base URL, used when no base URL is given.
    pub fn default_base_url(self) -> &'static str {
        match self {
            ApiType::OpenAi | ApiType::OpenAiResponses => "https://api.openai.com/v1",
            ApiType::Claude => "https://api.anthropic.com/v1",
            ApiType::Gemini => "https://generativelanguage.googleapis.com/v1beta",
        }
    }

    /// The environment variables that may hold this provider's API key, in lookup order.
    pub fn api_key_env_vars(self) -> &'static [&'static str] {
        match self {
            ApiType::OpenAi | ApiType::OpenAiResponses => &["OPENAI_API_KEY"],
            ApiType::Claude => &["ANTHROPIC_API_KEY"],
            ApiType::Gemini => &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        }
    }
}

impl std::fmt::Display for ApiType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An API key. Its `Debug` output never shows the key, and engines strip it from every error
/// message they produce.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key (surrounding white space removed).
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into().trim().to_string())
    }

    /// The key itself, for the request header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// How often and how patiently an engine retries HTTP 429 and 5xx answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt. Two by default: enough to ride out a brief overload
    /// without making a script wait minutes for a provider that is down.
    pub max_retries: u32,
    /// Delay before the first retry when the answer has no `Retry-After`; doubled per retry.
    /// Half a second by default.
    pub initial_backoff: Duration,
    /// Upper bound on any single delay, `Retry-After` included (30 s by default), so a server
    /// asking for an hour does not hang the run; cancellation interrupts the wait anyway.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// The options of a provider engine, before resolution. Every field is optional;
/// [`EngineOptions::overridden_by`] layers them (a profile's options, then the script's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineOptions {
    /// The wire protocol; inferred from the model when absent.
    pub api_type: Option<ApiType>,
    /// The model name.
    pub model: Option<String>,
    /// The API key.
    pub api_key: Option<ApiKey>,
    /// The API base URL.
    pub base_url: Option<String>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Maximum output tokens.
    pub max_tokens: Option<u64>,
    /// Whole-request timeout.
    pub timeout: Option<Duration>,
    /// The profile to resolve (only meaningful for profile engines).
    pub profile: Option<String>,
}

impl EngineOptions {
    /// These options with every field that `over` sets replaced by `over`'s value.
    pub fn overridden_by(self, over: EngineOptions) -> EngineOptions {
        EngineOptions {
            api_type: over.api_type.or(self.api_type),
            model: over.model.or(self.model),
            api_key: over.api_key.or(self.api_key),
            base_url: over.base_url.or(self.base_url),
            temperature: over.temperature.or(self.temperature),
            top_p: over.top_p.or(self.top_p),
            max_tokens: over.max_tokens.or(self.max_tokens),
            timeout: over.timeout.or(self.timeout),
            profile: over.profile.or(self.profile),
        }
    }
}

/// The resolved settings of one provider engine.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    /// Wire protocol.
    pub api_type: ApiType,
    /// Model name sent to the provider.
    pub model: String,
    /// API key; `None` is allowed for OpenAI-compatible local servers (no `Authorization` header
    /// is sent) and is an error at inference time against a provider's public endpoint.
    pub api_key: Option<ApiKey>,
    /// API base URL without trailing slash (for example `https://api.openai.com/v1`).
    pub base_url: String,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Maximum output tokens. Anthropic requires a value; [`DEFAULT_ANTHROPIC_MAX_TOKENS`] is sent
    /// when none is given.
    pub max_tokens: Option<u64>,
    /// Stop sequences (`stop` / `stop_sequences` / `stopSequences`); empty: none sent.
    pub stop: Vec<String>,
    /// Which destinations requests may reach (open for `fromConfig`/`fromProfile`).
    pub outbound: OutboundPolicy,
    /// Whole-request timeout (connect to last byte). `None`: only the connect and idle timeouts
    /// below apply, so long streamed answers are not cut off.
    pub timeout: Option<Duration>,
    /// Retries of 429 and 5xx answers.
    pub retry: RetryPolicy,
}

/// `max_tokens` sent to Anthropic when none is configured (the field is mandatory there).
pub const DEFAULT_ANTHROPIC_MAX_TOKENS: u64 = 4096;

/// Connect timeout when no whole-request timeout is given: generous for a slow network,
/// short enough that a wrong base URL fails within a script's patience.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest silence tolerated between two chunks of a streamed answer when no whole-request timeout
/// is given. Reasoning models can think for minutes before the first token, hence five minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

impl ProviderConfig {
    /// Resolves options into a configuration. The provider is `api_type` or, failing that,
    /// inferred from the model; a missing API key is looked up in the provider's usual environment
    /// variables in `env`, but only for the provider's own endpoint: a key from the environment is
    /// never sent to a custom base URL (a local or third-party server gets a key only when the
    /// options or the profile name one).
    pub fn resolve(options: EngineOptions, env: &Env) -> Result<ProviderConfig, ConfigError> {
        let Some(model) = options.model else {
            return Err(ConfigError::MissingModel);
        };
        let api_type = options
            .api_type
            .unwrap_or_else(|| ApiType::infer_from_model(&model));
        let custom_base_url = options.base_url.is_some();
        let api_key = options.api_key.or_else(|| {
            if custom_base_url {
                return None;
            }
            api_type
                .api_key_env_vars()
                .iter()
                .find_map(|name| env.get(name))
                .map(ApiKey::new)
        });
        let base_url = options
            .base_url
            .unwrap_or_else(|| api_type.default_base_url().to_string())
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError::BaseUrl { base_url });
        }
        Ok(ProviderConfig {
            api_type,
            model,
            api_key,
            base_url,
            temperature: options.temperature,
            top_p: options.top_p,
            max_tokens: options.max_tokens,
            stop: Vec::new(),
            outbound: OutboundPolicy::Open,
            timeout: options.timeout,
            retry: RetryPolicy::default(),
        })
    }

    /// Whether `base_url` is the provider's public endpoint (where a missing key is an error).
    pub fn uses_default_base_url(&self) -> bool {
        self.base_url == self.api_type.default_base_url()
    }
}
