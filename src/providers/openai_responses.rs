//! OpenAI Responses (`POST {baseURL}/responses`, `stream: true`).
//!
//! Stream: typed events (`event:` name and `data.type` agree). `response.output_item.added`
//! announces an item (`message`, `function_call` with `call_id` and `name`, `reasoning`);
//! `response.output_text.delta` carries text, `response.function_call_arguments.delta` argument
//! pieces addressed by `item_id` (`...arguments.done` has the whole text),
//! `response.reasoning_summary_text.delta` / `response.reasoning_text.delta` reasoning;
//! `response.completed` (or `response.incomplete`) ends the answer with `usage`; `response.failed`
//! and `error` fail the step. There is no `[DONE]` sentinel.
//!
//! Requests put system prompts in `instructions` and the conversation in `input` (messages,
//! `function_call` and `function_call_output` items). Reasoning blocks are not sent back: without
//! server-side storage their encrypted content is not available.

use serde_json::{Map, Value, json};

use crate::inference::{EngineTools, ReasoningSource, Turn};

use super::accumulator::Accumulator;
use super::config::ProviderConfig;
use super::conversation::{Conversation, Entry};
use super::decoder::{SseEvent, StreamDecoder, error_object_message, event_type, parse_data};
use super::openai_chat::bearer;
use super::request::{insert_sampling, tool_definitions};
use super::transport::HttpRequest;

/// Builds the streaming request for `turn`.
pub(crate) fn build_request(
    config: &ProviderConfig,
    turn: &Turn,
    tools: Option<&EngineTools>,
) -> HttpRequest {
    let conversation = Conversation::from_turn(turn);
    let mut input: Vec<Value> = Vec::new();
    for entry in &conversation.entries {
        match entry {
            Entry::System(_) | Entry::Reasoning(_) => {}
            Entry::User(text) => input.push(json!({"role": "user", "content": text})),
            Entry::Assistant(text) => input.push(json!({"role": "assistant", "content": text})),
            Entry::ToolCalls(calls) => input.extend(calls.iter().map(|call| {
                json!({
                    "type": "function_call",
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": call.args_text(),
                })
            })),
            Entry::ToolResults(results) => input.extend(results.iter().map(|result| {
                json!({
                    "type": "function_call_output",
                    "call_id": result.id,
                    "output": result.content_text(),
                })
            })),
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(config.model));
    if let Some(system) = conversation.system_text() {
        body.insert("instructions".into(), json!(system));
    }
    body.insert("input".into(), Value::Array(input));
    body.insert("stream".into(), json!(true));
    insert_sampling(&mut body, config, "top_p");
    if let Some(max_tokens) = config.max_tokens {
        body.insert("max_output_tokens".into(), json!(max_tokens));
    }
    let tools = tool_definitions(tools, |tool, schema| {
        json!({
            "type": "function",
            "name": tool.name,
            "description": tool.description,
            "parameters": schema,
        })
    });
    if let Some((definitions, choice)) = tools {
        body.insert("tools".into(), Value::Array(definitions));
        body.insert("tool_choice".into(), json!(choice.as_str()));
    }
    HttpRequest {
        url: format!("{}/responses", config.base_url),
        headers: bearer(config),
        body: Value::Object(body),
    }
}

/// Decodes Responses stream events.
#[derive(Debug, Default)]
pub(crate) struct ResponsesDecoder {
    done: bool,
}

/// How argument events address a function call: the item id, else the output index.
fn item_key(data: &Value, item: Option<&Value>) -> String {
    item.and_then(|item| item.get("id"))
        .or_else(|| data.get("item_id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            data.get("output_index")
                .and_then(Value::as_u64)
                .map(|index| format!("#{index}"))
        })
        .unwrap_or_default()
}

fn set_call_fields(out: &mut Accumulator<'_>, data: &Value, item: &Value) {
    let key = item_key(data, Some(item));
    let call = out.call(&key);
    if let Some(call_id) = item
        .get("call_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
    {
        call.id = call_id.to_string();
    }
    if let Some(name) = item
        .get("name")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
    {
        call.name = name.to_string();
    }
    if let Some(arguments) = item
        .get("arguments")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
    {
        out.set_arguments(&key, arguments);
    }
}

impl StreamDecoder for ResponsesDecoder {
    fn on_event(&mut self, event: &SseEvent, out: &mut Accumulator<'_>) -> Result<(), String> {
        let data = parse_data(event)?;
        let kind = event_type(event, &data);
        let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or("");
        match kind {
            "response.created" | "response.in_progress" => {
                out.set_model(data.pointer("/response/model"));
            }
            "response.output_item.added" | "response.output_item.done" => {
                let item = data.get("item").unwrap_or(&Value::Null);
                match item.get("type").and_then(Value::as_str) {
                    Some("function_call") => set_call_fields(out, &data, item),
                    Some("reasoning") if kind.ends_with("done") && out.reasoning.is_empty() => {
                        // No reasoning deltas were streamed: take the finished summary.
                        let summary = item.get("summary").and_then(Value::as_array);
                        let parts: Vec<&str> = summary
                            .into_iter()
                            .flatten()
                            .filter_map(|part| part.get("text").and_then(Value::as_str))
                            .collect();
                        out.push_reasoning(ReasoningSource::Summary, &parts.join("\n\n"));
                    }
                    _ => {}
                }
            }
            "response.output_text.delta" | "response.refusal.delta" => out.push_text(text("delta")),
            "response.reasoning_summary_text.delta" => {
                out.push_reasoning(ReasoningSource::Summary, text("delta"))
            }
            "response.reasoning_text.delta" => {
                out.push_reasoning(ReasoningSource::Text, text("delta"))
            }
            "response.reasoning_summary_part.added" if !out.reasoning.is_empty() => {
                out.push_reasoning(ReasoningSource::Summary, "\n\n");
            }
            "response.function_call_arguments.delta" => {
                out.push_arguments(&item_key(&data, None), text("delta"));
            }
            "response.function_call_arguments.done" => {
                if let Some(arguments) = data.get("arguments").and_then(Value::as_str) {
                    out.set_arguments(&item_key(&data, None), arguments);
                }
            }
            "response.completed" | "response.incomplete" => {
                let response = data.get("response").unwrap_or(&Value::Null);
                out.set_model(response.get("model"));
                let reason = response
                    .pointer("/incomplete_details/reason")
                    .or_else(|| response.get("status"))
                    .and_then(Value::as_str);
                out.stop_reason = reason.map(str::to_string);
                out.set_usage_from(
                    response.get("usage"),
                    &[
                        ("input_tokens", "/input_tokens"),
                        ("output_tokens", "/output_tokens"),
                        ("total_tokens", "/total_tokens"),
                        ("cached_tokens", "/input_tokens_details/cached_tokens"),
                        (
                            "reasoning_tokens",
                            "/output_tokens_details/reasoning_tokens",
                        ),
                    ],
                );
                self.done = true;
            }
            "response.failed" => {
                let error = data.pointer("/response/error").unwrap_or(&Value::Null);
                return Err(format!("response failed: {}", error_object_message(error)));
            }
            "error" => {
                let code = data.get("code").and_then(Value::as_str).unwrap_or("error");
                let message = data.get("message").and_then(Value::as_str).unwrap_or("");
                return Err(format!("stream error: {code}: {message}"));
            }
            _ => {}
        }
        Ok(())
    }

    fn is_complete(&self) -> bool {
        self.done
    }
}
