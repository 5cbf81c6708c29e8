//! Anthropic Messages (`POST {baseURL}/messages`, `stream: true`).
//!
//! Stream: `message_start` (model, input usage), then per content block `content_block_start`
//! (`text`, `tool_use` with id and name, `thinking`), `content_block_delta` (`text_delta`,
//! `input_json_delta` pieces of the tool input, `thinking_delta`, `signature_delta`) and
//! `content_block_stop`; then `message_delta` (stop reason, output usage) and `message_stop`.
//! `ping` events are ignored; an `error` event fails the step. The system prompt is the top-level
//! `system` field; tool results go back as `tool_result` blocks in a user message.

use serde_json::{Map, Value, json};

use crate::inference::{EngineTools, ReasoningSource, ToolChoice, Turn};

use super::accumulator::Accumulator;
use super::config::{DEFAULT_ANTHROPIC_MAX_TOKENS, ProviderConfig};
use super::conversation::{Conversation, Entry};
use super::decoder::{
    SseEvent, StreamDecoder, describe_event, error_object_message, event_type, parse_data,
};
use super::request::{RoleMessages, insert_sampling, insert_stop, key_header, tool_definitions};
use super::transport::{Header, HttpRequest};

/// The `anthropic-version` header value: the stable API version the wire format above is from.
const API_VERSION: &str = "2023-06-01";

/// Builds the streaming request for `turn`.
pub(crate) fn build_request(
    config: &ProviderConfig,
    turn: &Turn,
    tools: Option<&EngineTools>,
) -> HttpRequest {
    let conversation = Conversation::from_turn(turn);
    let mut messages = RoleMessages::default();
    for entry in &conversation.entries {
        match entry {
            Entry::System(_) => {}
            Entry::User(text) => messages.push("user", vec![json!({"type": "text", "text": text})]),
            Entry::Assistant(text) => {
                messages.push("assistant", vec![json!({"type": "text", "text": text})])
            }
            Entry::Reasoning(block) => {
                // Thinking can only be sent back with the signature that came with it.
                if let Some(signature) = block.payload_str("signature").filter(|s| !s.is_empty()) {
                    messages.push(
                        "assistant",
                        vec![json!({
                            "type": "thinking",
                            "thinking": block.text_payload().unwrap_or(""),
                            "signature": signature,
                        })],
                    );
                }
            }
            Entry::ToolCalls(calls) => messages.push(
                "assistant",
                calls
                    .iter()
                    .map(|call| {
                        json!({
                            "type": "tool_use",
                            "id": call.id,
                            "name": call.name,
                            "input": call.args_object(),
                        })
                    })
                    .collect(),
            ),
            Entry::ToolResults(results) => messages.push(
                "user",
                results
                    .iter()
                    .map(|result| {
                        let mut block = json!({
                            "type": "tool_result",
                            "tool_use_id": result.id,
                            "content": result.content_text(),
                        });
                        if result.error.is_some() {
                            block["is_error"] = json!(true);
                        }
                        block
                    })
                    .collect(),
            ),
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(config.model));
    body.insert(
        "max_tokens".into(),
        json!(config.max_tokens.unwrap_or(DEFAULT_ANTHROPIC_MAX_TOKENS)),
    );
    if let Some(system) = conversation.system_text() {
        body.insert("system".into(), json!(system));
    }
    body.insert("messages".into(), messages.into_json("content"));
    body.insert("stream".into(), json!(true));
    insert_sampling(&mut body, config, "top_p");
    insert_stop(&mut body, config, "stop_sequences");
    let tools = tool_definitions(tools, |tool, schema| {
        json!({
            "name": tool.name,
            "description": tool.description,
            "input_schema": schema,
        })
    });
    if let Some((definitions, choice)) = tools {
        body.insert("tools".into(), Value::Array(definitions));
        let choice = match choice {
            ToolChoice::Auto => "auto",
            ToolChoice::None => "none",
            ToolChoice::Required => "any",
        };
        body.insert("tool_choice".into(), json!({"type": choice}));
    }
    let mut headers = vec![Header {
        name: "anthropic-version",
        value: API_VERSION.to_string(),
        sensitive: false,
    }];
    headers.extend(key_header(config, "x-api-key", ""));
    HttpRequest {
        url: format!("{}/messages", config.base_url),
        headers,
        body: Value::Object(body),
    }
}

/// Decodes Messages stream events.
#[derive(Debug, Default)]
pub(crate) struct MessagesDecoder {
    done: bool,
}

impl StreamDecoder for MessagesDecoder {
    fn on_event(&mut self, event: &SseEvent, out: &mut Accumulator<'_>) -> Result<(), String> {
        let data = parse_data(event)?;
        let kind = event_type(event, &data);
        let index_key = || {
            data.get("index")
                .and_then(Value::as_u64)
                .map(|index| index.to_string())
                .ok_or_else(|| format!("stream event {} has no index", describe_event(event)))
        };
        match kind {
            "message_start" => {
                let message = data.get("message").unwrap_or(&Value::Null);
                out.set_model(message.get("model"));
                record_usage(out, message.get("usage"));
            }
            "content_block_start" => {
                let block = data.get("content_block").unwrap_or(&Value::Null);
                match block.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        out.push_text(block.get("text").and_then(Value::as_str).unwrap_or(""))
                    }
                    Some("thinking") => out.push_reasoning(
                        ReasoningSource::Thinking,
                        block.get("thinking").and_then(Value::as_str).unwrap_or(""),
                    ),
                    Some("tool_use") => {
                        let key = index_key()?;
                        let call = out.call(&key);
                        call.id = block
                            .get("id")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        call.name = block
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        // The input is normally `{}` here and streamed as JSON pieces; a non-empty
                        // one is used when no piece follows.
                        if let Some(input) = block
                            .get("input")
                            .filter(|input| input.as_object().is_some_and(|map| !map.is_empty()))
                        {
                            call.args_value = Some(input.clone());
                        }
                    }
                    _ => {}
                }
            }
            "content_block_delta" => {
                let delta = data.get("delta").unwrap_or(&Value::Null);
                let field = |name: &str| delta.get(name).and_then(Value::as_str).unwrap_or("");
                match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => out.push_text(field("text")),
                    Some("thinking_delta") => {
                        out.push_reasoning(ReasoningSource::Thinking, field("thinking"))
                    }
                    Some("signature_delta") => out.reasoning_signature.push_str(field("signature")),
                    Some("input_json_delta") => {
                        let key = index_key()?;
                        out.call(&key).args_value = None;
                        out.push_arguments(&key, field("partial_json"));
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(reason) = data.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    out.stop_reason = Some(reason.to_string());
                }
                if let Some(sequence) = data.pointer("/delta/stop_sequence").and_then(Value::as_str)
                {
                    out.stop_sequence = Some(sequence.to_string());
                }
                record_usage(out, data.get("usage"));
            }
            "message_stop" => self.done = true,
            "error" => {
                return Err(format!("stream error: {}", error_object_message(&data)));
            }
            _ => {}
        }
        Ok(())
    }

    fn is_complete(&self) -> bool {
        self.done
    }
}

fn record_usage(out: &mut Accumulator<'_>, usage: Option<&Value>) {
    out.set_usage_from(
        usage,
        &[
            ("input_tokens", "/input_tokens"),
            ("output_tokens", "/output_tokens"),
            ("cached_tokens", "/cache_read_input_tokens"),
            (
                "cache_creation_input_tokens",
                "/cache_creation_input_tokens",
            ),
        ],
    );
}
