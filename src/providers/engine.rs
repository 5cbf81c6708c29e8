//! [`ProviderEngine`]: the [`Engine`] that sends a turn to a provider and streams the answer back.

use futures_util::future::BoxFuture;
use serde_json::Value;

use std::time::Instant;

use tracing::Span;

use crate::inference::{Engine, EngineTools, EventKind, InferenceError, JsonMap, RunContext, Turn};
use crate::telemetry::spans;

use super::accumulator::Accumulator;
use super::config::{ApiType, ProviderConfig};
use super::decoder::StreamDecoder;
use super::error::ConfigError;
use super::transport::{self, ERROR_TYPE, HttpRequest, StepError};
use super::{anthropic, gemini, openai_chat, openai_responses};

/// Shortest API key that is stripped from error messages.
const MIN_REDACTED_KEY_LEN: usize = 8;

/// An engine backed by a provider's streaming HTTP API. Cheap to share (`Arc`); the HTTP client
/// inside pools connections across runs.
pub struct ProviderEngine {
    name: String,
    config: ProviderConfig,
    client: reqwest::Client,
    /// The host of the base URL (`server.address` of the request spans).
    server_address: String,
}

impl std::fmt::Debug for ProviderEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderEngine")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ProviderEngine {
    /// An engine called `name` (`config`, `profile:<p>`) running with `config`. Builds the HTTP
    /// client; touches no network.
    pub fn new(
        name: impl Into<String>,
        config: ProviderConfig,
    ) -> Result<ProviderEngine, ConfigError> {
        let client = transport::build_client(&config)?;
        let server_address = reqwest::Url::parse(&config.base_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_string))
            .unwrap_or_default();
        Ok(ProviderEngine {
            name: name.into(),
            config,
            client,
            server_address,
        })
    }

    /// The engine's configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The request body this engine would send for `turn` with `tools` (for inspection and tests).
    pub fn request_body(
        &self,
        turn: &Turn,
        tools: Option<&EngineTools>,
    ) -> Result<Value, ConfigError> {
        self.build_request(turn, tools).map(|request| request.body)
    }

    fn build_request(
        &self,
        turn: &Turn,
        tools: Option<&EngineTools>,
    ) -> Result<HttpRequest, ConfigError> {
        if self.config.api_key.is_none() && self.config.uses_default_base_url() {
            return Err(ConfigError::NoApiKey {
                api_type: self.config.api_type,
            });
        }
        match self.config.api_type {
            ApiType::OpenAi => Ok(openai_chat::build_request(&self.config, turn, tools)),
            ApiType::OpenAiResponses => {
                Ok(openai_responses::build_request(&self.config, turn, tools))
            }
            ApiType::Claude => Ok(anthropic::build_request(&self.config, turn, tools)),
            ApiType::Gemini => Ok(gemini::build_request(&self.config, turn, tools)),
        }
    }

    fn decoder(&self) -> Box<dyn StreamDecoder> {
        match self.config.api_type {
            ApiType::OpenAi => Box::new(openai_chat::ChatDecoder::default()),
            ApiType::OpenAiResponses => Box::new(openai_responses::ResponsesDecoder::default()),
            ApiType::Claude => Box::new(anthropic::MessagesDecoder::default()),
            ApiType::Gemini => Box::new(gemini::GeminiDecoder::default()),
        }
    }

    async fn step(
        &self,
        ctx: &RunContext,
        turn: &Turn,
        out: &mut Accumulator<'_>,
        span: &Span,
    ) -> Result<(), StepError> {
        ctx.check_canceled().map_err(|_| StepError::Canceled)?;
        let request = self
            .build_request(turn, ctx.tools.as_deref())
            .inspect_err(|_| spans::record(span, ERROR_TYPE, "invalid_request"))
            .map_err(|error| StepError::from(error.to_string()))?;
        let sent = Instant::now();
        let response =
            transport::send(&self.client, &self.config, &request, &ctx.cancel, span).await?;
        let mut decoder = self.decoder();
        let stream = (span, sent);
        transport::read_stream(
            response,
            &self.config,
            decoder.as_mut(),
            out,
            &ctx.cancel,
            stream,
        )
        .await
    }

    /// `message` with the API key replaced by `[redacted]`, should a server have echoed it. Keys
    /// shorter than [`MIN_REDACTED_KEY_LEN`] are left alone: replacing them would mangle ordinary
    /// words, and no real provider issues such keys.
    fn redact(&self, message: String) -> String {
        match &self.config.api_key {
            Some(key) if key.expose().len() >= MIN_REDACTED_KEY_LEN => {
                message.replace(key.expose(), "[redacted]")
            }
            _ => message,
        }
    }

    /// One request in a `provider.request` span (child of the engine's span).
    async fn run(&self, ctx: &RunContext, turn: Turn) -> Result<Turn, InferenceError> {
        let span = spans::provider_request(
            &ctx.span,
            gen_ai_system(self.config.api_type),
            &self.config.model,
            &self.server_address,
        );
        spans::instrument(span.clone(), self.request(ctx, turn, &span)).await
    }

    async fn request(
        &self,
        ctx: &RunContext,
        mut turn: Turn,
        span: &Span,
    ) -> Result<Turn, InferenceError> {
        ctx.emit(EventKind::Start);
        let provider = self.config.api_type.as_str();
        let mut out = Accumulator::new(ctx);
        match self.step(ctx, &turn, &mut out, span).await {
            Ok(()) => {
                let finished = out.finish(provider, &self.config.model);
                record_answer(span, &finished.metadata);
                for call in &finished.calls {
                    ctx.emit(EventKind::ToolCall {
                        id: call.id.clone(),
                        name: call.name.clone(),
                        input: call.input.clone(),
                    });
                }
                turn.blocks.extend(finished.blocks);
                turn.metadata.extend(finished.metadata);
                ctx.emit(EventKind::Final {
                    text: finished.text,
                });
                Ok(turn)
            }
            Err(StepError::Canceled) => {
                spans::record(span, ERROR_TYPE, "canceled");
                ctx.emit(EventKind::Interrupt { text: out.text() });
                Err(ctx.cancellation_error())
            }
            Err(StepError::Failed(message)) => {
                let mut error = format!("{provider}: {message}");
                let text = out.text();
                if !text.is_empty() {
                    error.push_str(&format!(" (partial text: {text:?})"));
                }
                let error = self.redact(error);
                tracing::warn!(target: "geppetto::provider", provider, model = %self.config.model, %error, "provider inference failed");
                ctx.emit(EventKind::Error {
                    error: error.clone(),
                });
                Err(InferenceError::Failed(error))
            }
        }
    }
}

/// The OpenTelemetry `gen_ai.system` of a provider API.
fn gen_ai_system(api_type: ApiType) -> &'static str {
    match api_type {
        ApiType::OpenAi | ApiType::OpenAiResponses => "openai",
        ApiType::Claude => "anthropic",
        ApiType::Gemini => "gcp.gemini",
    }
}

/// Records the answer's model, token counts and stop reason (from the turn metadata entries the
/// accumulator produced) on the `provider.request` span.
fn record_answer(span: &Span, metadata: &JsonMap) {
    if span.is_disabled() {
        return;
    }
    if let Some(model) = metadata.get("model").and_then(Value::as_str) {
        span.record("gen_ai.response.model", model);
    }
    let usage = metadata.get("usage");
    for (key, field) in [
        ("input_tokens", "gen_ai.usage.input_tokens"),
        ("output_tokens", "gen_ai.usage.output_tokens"),
    ] {
        if let Some(count) = usage
            .and_then(|usage| usage.get(key))
            .and_then(Value::as_i64)
        {
            span.record(field, count);
        }
    }
    if let Some(reason) = metadata.get("stop_reason").and_then(Value::as_str) {
        span.record("gen_ai.response.finish_reasons", reason);
    }
}

impl Engine for ProviderEngine {
    fn name(&self) -> &str {
        &self.name
    }

    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        Box::pin(self.run(ctx, turn))
    }
}
