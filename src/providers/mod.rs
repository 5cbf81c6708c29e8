//! Provider engines: [`ProviderEngine`]s that stream answers from OpenAI Chat Completions (and
//! OpenAI-compatible servers), OpenAI Responses, Anthropic Messages and Gemini over server-sent
//! events, plus the configuration and profile resolution behind `engines.fromConfig` and
//! `engines.fromProfile`. No JavaScript here.
//!
//! # Layout
//! - [`config`]: options with the spec's names ([`EngineOptions`]) and resolved settings
//!   ([`ProviderConfig`]).
//! - [`env`]: environment variables passed in by the caller ([`Env`]); this module never reads the
//!   process environment.
//! - [`profiles`]: which profile `fromProfile` means and what it resolves to.
//! - [`from_settings`]: engines built from registry-resolved inference settings (agent API).
//! - [`outbound`]: the outbound policy of settings-built engines and the reranker.
//! - [`embeddings`]: OpenAI and Ollama embeddings clients with memory/file caches.
//! - [`reranker`]: the llama.cpp reranker with strict request and response checks.
//! - [`engine`]: the [`Engine`] implementation: events, cancellation, errors.
//! - `transport`: HTTP client, retries, error mapping, server-sent event reading.
//! - `conversation`: a turn as provider-neutral messages, tool calls paired with results.
//! - `request`: what several wire formats put into their requests alike (role-merged messages,
//!   sampling settings, tool definitions, the API key header).
//! - `accumulator` / `decoder`: what a stream adds up to, and the decoder contract.
//! - `openai_chat`, `openai_responses`, `anthropic`, `gemini`: one wire format each.
//!
//! **Architecture Invariant:** creating an engine never touches the network; the first request
//! happens in [`Engine::run_inference`].

use std::sync::Arc;

use serde_json::Value;

use crate::inference::Engine;

mod accumulator;
mod anthropic;
pub mod config;
mod conversation;
mod decoder;
pub mod embeddings;
pub mod engine;
pub mod env;
pub mod from_settings;
mod gemini;
mod openai_chat;
mod openai_responses;
pub mod outbound;
pub mod profiles;
mod request;
pub mod reranker;
mod transport;

pub use config::{ApiKey, ApiType, EngineOptions, ProviderConfig, RetryPolicy};
pub use engine::ProviderEngine;
pub use env::Env;
pub use from_settings::{SettingsEngineError, engine_from_settings};
pub use outbound::OutboundPolicy;
pub use profiles::{ResolvedProfile, resolve_profile};

/// `engines.fromConfig(opts)`: a provider engine named `config`.
///
/// `opts` must be an object (else `fromConfig requires options object`) with a `model`; the provider
/// is `apiType`/`provider` or inferred from the model; an unknown provider fails naming the allowed
/// ones. The API key comes from `apiKey` only; see [`engine_from_config_with_env`] for the
/// environment fallback.
pub fn engine_from_config(opts: &Value) -> Result<Arc<dyn Engine>, String> {
    engine_from_config_with_env(opts, &Env::new())
}

/// [`engine_from_config`], looking a missing API key up in `env` (`OPENAI_API_KEY`,
/// `ANTHROPIC_API_KEY`, `GEMINI_API_KEY`/`GOOGLE_API_KEY`).
pub fn engine_from_config_with_env(opts: &Value, env: &Env) -> Result<Arc<dyn Engine>, String> {
    if !opts.is_object() {
        return Err("fromConfig requires options object".to_string());
    }
    let options = EngineOptions::from_json(opts)?;
    if options.model.is_none() {
        return Err("fromConfig requires model".to_string());
    }
    let config = ProviderConfig::resolve(options, env)?;
    Ok(Arc::new(ProviderEngine::new("config", config)?))
}

/// `engines.fromProfile(profile?, opts?)`: a provider engine named `profile:<resolved>`, resolved by
/// [`resolve_profile`] with the caller's environment `env`.
pub fn engine_from_profile(
    profile: Option<&str>,
    opts: Option<&Value>,
    env: &Env,
) -> Result<Arc<dyn Engine>, String> {
    let resolved = resolve_profile(profile, opts, env)?;
    let name = format!("profile:{}", resolved.name);
    Ok(Arc::new(ProviderEngine::new(name, resolved.config)?))
}
