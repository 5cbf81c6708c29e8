//! OpenAI Chat Completions (`POST {baseURL}/chat/completions`, `stream: true`), which most
//! OpenAI-compatible servers (llama.cpp, vLLM, Ollama) also speak.
//!
//! Stream: `data: {chat.completion.chunk}` lines, then `data: [DONE]`. Tool calls arrive as
//! `choices[0].delta.tool_calls[]` pieces addressed by `index`; the first piece of a call carries
//! `id` and `function.name`, later pieces append to `function.arguments`. With
//! `stream_options.include_usage` a last chunk with empty `choices` carries `usage`.
//! OpenAI-compatible servers that stream reasoning send it as `delta.reasoning_content` (or
//! `delta.reasoning`); it becomes a `reasoning` block.

use serde_json::{Map, Value, json};

use crate::inference::{EngineTools, ReasoningSource, Turn};

use super::accumulator::Accumulator;
use super::config::ProviderConfig;
use super::conversation::{Conversation, Entry};
use super::decoder::{SseEvent, StreamDecoder, error_object_message, parse_data};
use super::request::{insert_sampling, insert_stop, key_header, tool_definitions};
use super::transport::{Header, HttpRequest};

/// Builds the streaming request for `turn`.
pub(crate) fn build_request(
    config: &ProviderConfig,
    turn: &Turn,
    tools: Option<&EngineTools>,
) -> HttpRequest {
    let conversation = Conversation::from_turn(turn);
    let mut messages: Vec<Value> = Vec::new();
    for entry in &conversation.entries {
        match entry {
            Entry::System(text) => messages.push(json!({"role": "system", "content": text})),
            Entry::User(text) => messages.push(json!({"role": "user", "content": text})),
            Entry::Assistant(text) => messages.push(json!({"role": "assistant", "content": text})),
            Entry::Reasoning(_) => {}
            Entry::ToolCalls(calls) => {
                let tool_calls: Vec<Value> = calls
                    .iter()
                    .map(|call| {
                        json!({
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": call.args_text()},
                        })
                    })
                    .collect();
                // Text the model wrote before calling tools belongs to the same assistant message.
                match messages.last_mut() {
                    Some(last)
                        if last["role"] == "assistant" && last.get("tool_calls").is_none() =>
                    {
                        last["tool_calls"] = Value::Array(tool_calls);
                    }
                    _ => messages.push(json!({
                        "role": "assistant",
                        "content": Value::Null,
                        "tool_calls": tool_calls,
                    })),
                }
            }
            Entry::ToolResults(results) => {
                for result in results {
                    messages.push(json!({
                        "role": "tool",
                        "tool_call_id": result.id,
                        "content": result.content_text(),
                    }));
                }
            }
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(config.model));
    body.insert("messages".into(), Value::Array(messages));
    body.insert("stream".into(), json!(true));
    body.insert("stream_options".into(), json!({"include_usage": true}));
    insert_sampling(&mut body, config, "top_p");
    insert_stop(&mut body, config, "stop");
    if let Some(max_tokens) = config.max_tokens {
        // OpenAI itself deprecated `max_tokens` (its reasoning models reject it); compatible servers
        // (llama.cpp, vLLM, Ollama) know `max_tokens` for sure.
        let field = if config.uses_default_base_url() {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body.insert(field.into(), json!(max_tokens));
    }
    let tools = tool_definitions(tools, |tool, schema| {
        json!({
            "type": "function",
            "function": {"name": tool.name, "description": tool.description, "parameters": schema},
        })
    });
    if let Some((definitions, choice)) = tools {
        body.insert("tools".into(), Value::Array(definitions));
        body.insert("tool_choice".into(), json!(choice.as_str()));
    }
    HttpRequest {
        url: format!("{}/chat/completions", config.base_url),
        headers: bearer(config),
        body: Value::Object(body),
    }
}

/// `Authorization: Bearer <key>` when a key is configured (shared with the Responses API).
pub(crate) fn bearer(config: &ProviderConfig) -> Vec<Header> {
    key_header(config, "authorization", "Bearer ")
}

/// Decodes `chat.completion.chunk` events.
#[derive(Debug, Default)]
pub(crate) struct ChatDecoder {
    done: bool,
    finished: bool,
}

impl StreamDecoder for ChatDecoder {
    fn on_event(&mut self, event: &SseEvent, out: &mut Accumulator<'_>) -> Result<(), String> {
        if event.data.trim() == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        let chunk = parse_data(event)?;
        if let Some(error) = chunk.get("error").filter(|error| !error.is_null()) {
            return Err(format!("stream error: {}", error_object_message(error)));
        }
        out.set_model(chunk.get("model"));
        out.set_usage_from(
            chunk.get("usage"),
            &[
                ("input_tokens", "/prompt_tokens"),
                ("output_tokens", "/completion_tokens"),
                ("total_tokens", "/total_tokens"),
                ("cached_tokens", "/prompt_tokens_details/cached_tokens"),
                (
                    "reasoning_tokens",
                    "/completion_tokens_details/reasoning_tokens",
                ),
            ],
        );
        let choices = chunk.get("choices").and_then(Value::as_array);
        for choice in choices.into_iter().flatten() {
            let delta = choice.get("delta").unwrap_or(&Value::Null);
            for key in ["reasoning_content", "reasoning"] {
                if let Some(text) = delta.get(key).and_then(Value::as_str) {
                    out.push_reasoning(ReasoningSource::Text, text);
                }
            }
            if let Some(text) = delta.get("content").and_then(Value::as_str) {
                out.push_text(text);
            }
            let tool_calls = delta.get("tool_calls").and_then(Value::as_array);
            for (position, piece) in tool_calls.into_iter().flatten().enumerate() {
                let key = piece
                    .get("index")
                    .and_then(Value::as_u64)
                    .map(|index| index.to_string())
                    .unwrap_or_else(|| position.to_string());
                let call = out.call(&key);
                if let Some(id) = piece
                    .get("id")
                    .and_then(Value::as_str)
                    .filter(|id| !id.is_empty())
                {
                    call.id = id.to_string();
                }
                let function = piece.get("function").unwrap_or(&Value::Null);
                if let Some(name) = function.get("name").and_then(Value::as_str)
                    && call.name.is_empty()
                {
                    call.name = name.to_string();
                }
                if let Some(arguments) = function.get("arguments").and_then(Value::as_str) {
                    out.push_arguments(&key, arguments);
                }
            }
            if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                out.stop_reason = Some(reason.to_string());
                self.finished = true;
            }
        }
        Ok(())
    }

    fn is_complete(&self) -> bool {
        self.done
    }

    /// Some OpenAI-compatible servers close the stream after the finish reason without `[DONE]`.
    fn may_end(&self) -> bool {
        self.done || self.finished
    }
}
