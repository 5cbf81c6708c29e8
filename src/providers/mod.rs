//! Provider engines: [`ProviderEngine`]s that stream answers from OpenAI Chat Completions (and
//! OpenAI-compatible servers), OpenAI Responses, Anthropic Messages and Gemini over server-sent
//! events, plus the configuration and profile resolution behind `engines.fromConfig` and
//! `engines.fromProfile`. No JavaScript here.
//!
//! # Layout
//! - [`config`]: options ([`EngineOptions`]) and resolved settings ([`ProviderConfig`]); the
//!   script's option objects are read in `bridge/`.
//! - [`env`]: environment variables passed in by the caller ([`Env`]); this module never reads the
//!   process environment.
//! - [`profiles`]: which profile `fromProfile` means and what it resolves to.
//! - [`from_settings`]: engines built from registry-resolved inference settings (agent API).
//! - [`outbound`]: the outbound policy of settings-built engines and the reranker.
//! - [`embeddings`]: OpenAI and Ollama embeddings clients with memory/file caches.
//! - [`reranker`]: the llama.cpp reranker with strict request and response checks.
//! - [`engine`]: the [`Engine`] implementation: events, cancellation, errors.
//! - `transport`: HTTP client, retries, error mapping, server-sent event reading; `sse_lines`
//!   feeds the event parser whole lines (linear time for long events).
//! - `conversation`: a turn as provider-neutral messages, tool calls paired with results.
//! - `request`: what several wire formats put into their requests alike (role-merged messages,
//!   sampling settings, tool definitions, the API key header).
//! - `accumulator` / `decoder`: what a stream adds up to, and the decoder contract.
//! - `openai_chat`, `openai_responses`, `anthropic`, `gemini`: one wire format each.
//!
//! **Architecture Invariant:** creating an engine never touches the network; the first request
//! happens in [`Engine::run_inference`].

use std::sync::Arc;

use crate::inference::Engine;

mod accumulator;
mod anthropic;
pub mod config;
mod conversation;
mod decoder;
pub mod embeddings;
pub mod engine;
pub mod env;
mod error;
pub mod from_settings;
mod gemini;
mod openai_chat;
mod openai_responses;
pub mod outbound;
pub mod profiles;
mod request;
pub mod reranker;
mod sse_lines;
mod transport;

pub use config::{ApiKey, ApiType, EngineOptions, ProviderConfig, RetryPolicy};
pub use engine::ProviderEngine;
pub use env::Env;
pub use error::ConfigError;
pub use from_settings::{
    BearerTokenSource, SettingsEngineError, engine_from_settings, engine_from_settings_with_tokens,
};
pub use outbound::OutboundPolicy;
pub use profiles::{ResolvedProfile, resolve_profile};

/// A provider engine named `config` (`engines.fromConfig(opts)`): the provider is `api_type` or
/// inferred from the model (required); the API key comes from the options only; see
/// [`engine_from_config_with_env`] for the environment fallback.
pub fn engine_from_config(options: EngineOptions) -> Result<Arc<dyn Engine>, ConfigError> {
    engine_from_config_with_env(options, &Env::new())
}

/// [`engine_from_config`], looking a missing API key up in `env` (`OPENAI_API_KEY`,
/// `ANTHROPIC_API_KEY`, `GEMINI_API_KEY`/`GOOGLE_API_KEY`).
pub fn engine_from_config_with_env(
    options: EngineOptions,
    env: &Env,
) -> Result<Arc<dyn Engine>, ConfigError> {
    let config = ProviderConfig::resolve(options, env)?;
    Ok(Arc::new(ProviderEngine::new("config", config)?))
}

/// A provider engine named `profile:<resolved>` (`engines.fromProfile(profile?, opts?)`), resolved
/// by [`resolve_profile`] with the script's options `overrides` and the caller's environment `env`.
pub fn engine_from_profile(
    profile: Option<&str>,
    overrides: EngineOptions,
    env: &Env,
) -> Result<Arc<dyn Engine>, ConfigError> {
    let resolved = resolve_profile(profile, overrides, env)?;
    let name = format!("profile:{}", resolved.name);
    Ok(Arc::new(ProviderEngine::new(name, resolved.config)?))
}
