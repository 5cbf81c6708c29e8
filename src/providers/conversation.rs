//! A turn seen as a provider-neutral conversation: the blocks each request body is built from, with
//! tool calls paired to their results by call id.
//!
//! Providers reject a tool call that has no result and a result that answers no call, so
//! [`Conversation::from_turn`] keeps a run of consecutive `tool_call` blocks only for the calls some
//! `tool_use` block answers, and puts their results right after them, in call order, wherever the
//! `tool_use` blocks were in the turn.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::inference::{Block, BlockKind, Turn};

/// One entry of a conversation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entry<'a> {
    /// A system prompt.
    System(&'a str),
    /// A user message.
    User(&'a str),
    /// Model text.
    Assistant(&'a str),
    /// Model reasoning (the whole block: providers need extra payload fields such as signatures).
    Reasoning(&'a Block),
    /// A run of answered tool calls.
    ToolCalls(Vec<ToolCall<'a>>),
    /// The results of the preceding [`Entry::ToolCalls`], in the same order.
    ToolResults(Vec<ToolResult<'a>>),
}

/// A tool call as sent back to a provider.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolCall<'a> {
    /// Call id.
    pub id: &'a str,
    /// Tool name.
    pub name: &'a str,
    /// Arguments as a JSON value (an object unless the block held something else).
    pub args: Value,
    /// The block, for provider-specific payload fields.
    pub block: &'a Block,
}

impl ToolCall<'_> {
    /// The arguments as JSON text (what OpenAI expects).
    pub fn args_text(&self) -> String {
        match &self.args {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }

    /// The arguments as a JSON object (what Anthropic and Gemini expect); a non-object is wrapped
    /// as `{"value": ...}`.
    pub fn args_object(&self) -> Value {
        match &self.args {
            Value::Object(_) => self.args.clone(),
            Value::Null => Value::Object(Map::new()),
            other => serde_json::json!({ "value": other }),
        }
    }
}

/// A tool result as sent back to a provider.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolResult<'a> {
    /// Call id.
    pub id: &'a str,
    /// Name of the tool that was called (Gemini needs it).
    pub name: &'a str,
    /// The error message, when the call failed.
    pub error: Option<&'a str>,
    /// The result as the tool loop stored it (usually JSON text).
    pub result: &'a Value,
}

impl ToolResult<'_> {
    /// The result as text: `Error: <message>` for a failed call, the string itself for a string
    /// result, compact JSON otherwise.
    pub fn content_text(&self) -> String {
        if let Some(error) = self.error {
            return format!("Error: {error}");
        }
        match self.result {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// The result as a JSON object (Gemini's `functionResponse.response`): a JSON-text result is
    /// parsed; an object is used as is; anything else is wrapped as `{"result": ...}`; a failed call
    /// gives `{"error": message}`.
    pub fn content_object(&self) -> Value {
        if let Some(error) = self.error {
            return serde_json::json!({ "error": error });
        }
        let value = match self.result {
            Value::String(text) => {
                serde_json::from_str(text).unwrap_or(Value::String(text.clone()))
            }
            other => other.clone(),
        };
        match value {
            Value::Object(_) => value,
            other => serde_json::json!({ "result": other }),
        }
    }
}

/// The conversation of a turn.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Conversation<'a> {
    /// Entries in order.
    pub entries: Vec<Entry<'a>>,
}

impl<'a> Conversation<'a> {
    /// Builds the conversation of `turn` (blocks of kind `other` and empty texts are skipped).
    pub fn from_turn(turn: &'a Turn) -> Conversation<'a> {
        let results: HashMap<&str, &Block> = turn
            .blocks
            .iter()
            .filter(|block| block.kind == BlockKind::ToolUse)
            .filter_map(|block| Some((block.payload_str("id")?, block)))
            .collect();
        let mut entries = Vec::new();
        let mut answered: HashSet<&str> = HashSet::new();
        let mut index = 0;
        while index < turn.blocks.len() {
            let block = &turn.blocks[index];
            index += 1;
            let text = block.text_payload().unwrap_or("");
            match block.kind {
                BlockKind::System if !text.is_empty() => entries.push(Entry::System(text)),
                BlockKind::User if !text.is_empty() => entries.push(Entry::User(text)),
                BlockKind::LlmText if !text.is_empty() => entries.push(Entry::Assistant(text)),
                BlockKind::Reasoning if !text.is_empty() => entries.push(Entry::Reasoning(block)),
                BlockKind::ToolCall => {
                    let mut run = vec![block];
                    while index < turn.blocks.len()
                        && turn.blocks[index].kind == BlockKind::ToolCall
                    {
                        run.push(&turn.blocks[index]);
                        index += 1;
                    }
                    let mut calls = Vec::new();
                    let mut outputs = Vec::new();
                    for call in run {
                        let id = call.payload_str("id").unwrap_or(call.id.as_str());
                        let Some(result) = results.get(id) else {
                            tracing::warn!(
                                call_id = id,
                                "tool call without result left out of the request"
                            );
                            continue;
                        };
                        answered.insert(id);
                        let name = call.payload_str("name").unwrap_or("");
                        let args = match call.payload.get("args") {
                            Some(Value::String(text)) => serde_json::from_str(text)
                                .unwrap_or_else(|_| Value::String(text.clone())),
                            Some(value) => value.clone(),
                            None => Value::Object(Map::new()),
                        };
                        calls.push(ToolCall {
                            id,
                            name,
                            args,
                            block: call,
                        });
                        outputs.push(ToolResult {
                            id,
                            name,
                            error: result
                                .payload_str("error")
                                .filter(|error| !error.is_empty()),
                            result: result.payload.get("result").unwrap_or(&Value::Null),
                        });
                    }
                    if !calls.is_empty() {
                        entries.push(Entry::ToolCalls(calls));
                        entries.push(Entry::ToolResults(outputs));
                    }
                }
                BlockKind::ToolUse => {
                    let id = block.payload_str("id").unwrap_or("");
                    if !answered.contains(id) && !turn_has_call(turn, id) {
                        tracing::warn!(
                            call_id = id,
                            "tool result without call left out of the request"
                        );
                    }
                }
                _ => {}
            }
        }
        Conversation { entries }
    }

    /// The system prompts, joined by blank lines (for providers with a single system field).
    pub fn system_text(&self) -> Option<String> {
        let parts: Vec<&str> = self
            .entries
            .iter()
            .filter_map(|entry| match entry {
                Entry::System(text) => Some(*text),
                _ => None,
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("\n\n"))
    }
}

fn turn_has_call(turn: &Turn, id: &str) -> bool {
    turn.blocks
        .iter()
        .any(|block| block.kind == BlockKind::ToolCall && block.payload_str("id") == Some(id))
}
