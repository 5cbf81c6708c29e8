//! Google Gemini (`POST {baseURL}/models/{model}:streamGenerateContent?alt=sse`).
//!
//! Stream: each `data:` is a whole `GenerateContentResponse` chunk: `candidates[0].content.parts`
//! hold `text` parts (`thought: true` marks reasoning) and complete `functionCall {name, args}` parts
//! (Gemini sends no call ids; the engine makes them up); `finishReason` and `usageMetadata` arrive
//! with the last chunk; the server then closes the stream (no sentinel). A chunk with an `error`
//! object fails the step. Requests use `systemInstruction`, `contents` with roles `user`/`model`,
//! and `functionResponse {name, response}` parts for tool results.

use serde_json::{Map, Value, json};

use crate::inference::{EngineTools, ReasoningSource, ToolChoice, Turn};

use super::accumulator::{Accumulator, generated_call_id};
use super::config::ProviderConfig;
use super::conversation::{Conversation, Entry};
use super::decoder::{SseEvent, StreamDecoder, error_object_message, parse_data};
use super::request::{RoleMessages, insert_sampling, insert_stop, key_header, tool_definitions};
use super::transport::HttpRequest;

/// Payload key under which a function call's `thoughtSignature` is kept (Gemini wants it back).
const THOUGHT_SIGNATURE: &str = "thought_signature";

/// Builds the streaming request for `turn`.
pub(crate) fn build_request(
    config: &ProviderConfig,
    turn: &Turn,
    tools: Option<&EngineTools>,
) -> HttpRequest {
    let conversation = Conversation::from_turn(turn);
    let mut contents = RoleMessages::default();
    for entry in &conversation.entries {
        match entry {
            Entry::System(_) | Entry::Reasoning(_) => {}
            Entry::User(text) => contents.push("user", vec![json!({"text": text})]),
            Entry::Assistant(text) => contents.push("model", vec![json!({"text": text})]),
            Entry::ToolCalls(calls) => contents.push(
                "model",
                calls
                    .iter()
                    .map(|call| {
                        let mut part = json!({
                            "functionCall": {"name": call.name, "args": call.args_object()},
                        });
                        if let Some(signature) = call.block.payload_str(THOUGHT_SIGNATURE) {
                            part["thoughtSignature"] = json!(signature);
                        }
                        part
                    })
                    .collect(),
            ),
            Entry::ToolResults(results) => contents.push(
                "user",
                results
                    .iter()
                    .map(|result| {
                        json!({
                            "functionResponse": {"name": result.name, "response": result.content_object()},
                        })
                    })
                    .collect(),
            ),
        }
    }
    let mut body = Map::new();
    if let Some(system) = conversation.system_text() {
        body.insert(
            "systemInstruction".into(),
            json!({"parts": [{"text": system}]}),
        );
    }
    body.insert("contents".into(), contents.into_json("parts"));
    let mut generation = Map::new();
    insert_sampling(&mut generation, config, "topP");
    insert_stop(&mut generation, config, "stopSequences");
    if let Some(max_tokens) = config.max_tokens {
        generation.insert("maxOutputTokens".into(), json!(max_tokens));
    }
    if !generation.is_empty() {
        body.insert("generationConfig".into(), Value::Object(generation));
    }
    let tools = tool_definitions(tools, |tool, schema| {
        json!({
            "name": tool.name,
            "description": tool.description,
            "parameters": schema,
        })
    });
    if let Some((declarations, choice)) = tools {
        body.insert(
            "tools".into(),
            json!([{"functionDeclarations": declarations}]),
        );
        let mode = match choice {
            ToolChoice::Auto => "AUTO",
            ToolChoice::None => "NONE",
            ToolChoice::Required => "ANY",
        };
        body.insert(
            "toolConfig".into(),
            json!({"functionCallingConfig": {"mode": mode}}),
        );
    }
    let model = config
        .model
        .strip_prefix("models/")
        .unwrap_or(&config.model);
    HttpRequest {
        url: format!(
            "{}/models/{model}:streamGenerateContent?alt=sse",
            config.base_url
        ),
        headers: key_header(config, "x-goog-api-key", ""),
        body: Value::Object(body),
    }
}

/// Decodes `GenerateContentResponse` chunks.
#[derive(Debug, Default)]
pub(crate) struct GeminiDecoder {
    finished: bool,
    calls: usize,
}

impl StreamDecoder for GeminiDecoder {
    fn on_event(&mut self, event: &SseEvent, out: &mut Accumulator<'_>) -> Result<(), String> {
        let chunk = parse_data(event)?;
        let chunk = match chunk {
            // Some proxies wrap chunks in a one-element array.
            Value::Array(mut items) if items.len() == 1 => items.remove(0),
            other => other,
        };
        if let Some(error) = chunk.get("error") {
            return Err(format!("stream error: {}", error_object_message(error)));
        }
        out.set_model(chunk.get("modelVersion"));
        out.set_usage_from(
            chunk.get("usageMetadata"),
            &[
                ("input_tokens", "/promptTokenCount"),
                ("output_tokens", "/candidatesTokenCount"),
                ("total_tokens", "/totalTokenCount"),
                ("reasoning_tokens", "/thoughtsTokenCount"),
                ("cached_tokens", "/cachedContentTokenCount"),
            ],
        );
        let candidate = chunk.pointer("/candidates/0");
        if candidate.is_none()
            && let Some(reason) = chunk
                .pointer("/promptFeedback/blockReason")
                .and_then(Value::as_str)
        {
            return Err(format!("prompt blocked: {reason}"));
        }
        let Some(candidate) = candidate else {
            return Ok(());
        };
        let parts = candidate
            .pointer("/content/parts")
            .and_then(Value::as_array);
        for part in parts.into_iter().flatten() {
            if let Some(call) = part.get("functionCall") {
                self.calls += 1;
                let pending = out.call(&format!("#{}", self.calls));
                pending.name = call
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                // Gemini sends no call ids: one is made up now, so the call can be reported
                // while streaming under the id it keeps.
                pending.id = call
                    .get("id")
                    .and_then(Value::as_str)
                    .filter(|id| !id.is_empty())
                    .map_or_else(generated_call_id, str::to_string);
                pending.args_value = Some(call.get("args").cloned().unwrap_or_else(|| json!({})));
                if let Some(signature) = part.get("thoughtSignature").and_then(Value::as_str) {
                    pending
                        .extra
                        .insert(THOUGHT_SIGNATURE.into(), json!(signature));
                }
            } else if let Some(text) = part.get("text").and_then(Value::as_str) {
                if part.get("thought").and_then(Value::as_bool) == Some(true) {
                    out.push_reasoning(ReasoningSource::Thought, text);
                } else {
                    out.push_text(text);
                }
            }
        }
        if let Some(reason) = candidate.get("finishReason").and_then(Value::as_str) {
            out.stop_reason = Some(reason.to_string());
            self.finished = true;
        }
        Ok(())
    }

    /// Gemini has no end marker: read until the server closes the stream.
    fn is_complete(&self) -> bool {
        false
    }

    /// The answer is complete once a candidate reported its finish reason.
    fn may_end(&self) -> bool {
        self.finished
    }
}
