//! Turns and blocks: the plain-data conversation model every engine, middleware and tool works on.
//!
//! A [`Turn`] is an ordered list of [`Block`]s plus free-form metadata and data maps. Unknown keys in
//! `metadata`, `data` and block payloads are preserved round-trip, because scripts written for the
//! original geppetto module store their own keys there.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A JSON object: the type of every metadata, data and payload map.
pub type JsonMap = Map<String, Value>;

/// The kind of a block. Decoding is case-insensitive; an unknown kind becomes [`BlockKind::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BlockKind {
    /// Text written by the user.
    User,
    /// Text produced by the model.
    LlmText,
    /// A tool call requested by the model (`payload: {id, name, args}`).
    ToolCall,
    /// The result of a tool call (`payload: {id, result, error}`).
    ToolUse,
    /// A system prompt.
    System,
    /// Model reasoning ("thinking") text.
    Reasoning,
    /// Anything else.
    #[default]
    Other,
}

impl BlockKind {
    /// Every kind, in the order of the spec.
    pub const ALL: [BlockKind; 7] = [
        BlockKind::User,
        BlockKind::LlmText,
        BlockKind::ToolCall,
        BlockKind::ToolUse,
        BlockKind::System,
        BlockKind::Reasoning,
        BlockKind::Other,
    ];

    /// The wire name (`"user"`, `"llm_text"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::User => "user",
            BlockKind::LlmText => "llm_text",
            BlockKind::ToolCall => "tool_call",
            BlockKind::ToolUse => "tool_use",
            BlockKind::System => "system",
            BlockKind::Reasoning => "reasoning",
            BlockKind::Other => "other",
        }
    }

    /// Parses a kind case-insensitively (surrounding white space ignored); unknown names give `Other`.
    pub fn parse(name: &str) -> BlockKind {
        let name = name.trim();
        BlockKind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
            .unwrap_or(BlockKind::Other)
    }
}

impl Serialize for BlockKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for BlockKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(BlockKind::parse(&name))
    }
}

/// One block of a turn.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Block {
    /// Block id; may be empty.
    #[serde(default)]
    pub id: String,
    /// What the block is.
    #[serde(default)]
    pub kind: BlockKind,
    /// Conversation role (`user`, `assistant`, `system`, or empty).
    #[serde(default)]
    pub role: String,
    /// Kind-specific fields (`text`, `id`, `name`, `args`, `result`, `error`, ...).
    #[serde(default)]
    pub payload: JsonMap,
    /// Free-form metadata; empty maps are omitted when encoded.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: JsonMap,
}

impl Block {
    /// A block of the given kind and role whose payload is `{text}`.
    pub fn text(kind: BlockKind, role: &str, text: impl Into<String>) -> Block {
        let mut payload = JsonMap::new();
        payload.insert("text".into(), Value::String(text.into()));
        Block {
            id: String::new(),
            kind,
            role: role.to_string(),
            payload,
            metadata: JsonMap::new(),
        }
    }

    /// `{kind:"user", role:"user", payload:{text}}`.
    pub fn user(text: impl Into<String>) -> Block {
        Block::text(BlockKind::User, "user", text)
    }

    /// `{kind:"system", role:"system", payload:{text}}`.
    pub fn system(text: impl Into<String>) -> Block {
        Block::text(BlockKind::System, "system", text)
    }

    /// `{kind:"llm_text", role:"assistant", payload:{text}}`.
    pub fn assistant(text: impl Into<String>) -> Block {
        Block::text(BlockKind::LlmText, "assistant", text)
    }

    /// A tool call block: block id = `id`, `payload: {id, name, args}`.
    pub fn tool_call(id: impl Into<String>, name: impl Into<String>, args: Value) -> Block {
        let id = id.into();
        let mut payload = JsonMap::new();
        payload.insert("id".into(), Value::String(id.clone()));
        payload.insert("name".into(), Value::String(name.into()));
        payload.insert("args".into(), args);
        Block {
            id,
            kind: BlockKind::ToolCall,
            role: "assistant".into(),
            payload,
            metadata: JsonMap::new(),
        }
    }

    /// A tool result block: `payload: {id, result, error}` (`error` is `""` on success).
    pub fn tool_use(id: impl Into<String>, result: Value, error: impl Into<String>) -> Block {
        let mut payload = JsonMap::new();
        payload.insert("id".into(), Value::String(id.into()));
        payload.insert("result".into(), result);
        payload.insert("error".into(), Value::String(error.into()));
        Block {
            id: String::new(),
            kind: BlockKind::ToolUse,
            role: String::new(),
            payload,
            metadata: JsonMap::new(),
        }
    }

    /// The payload's `text` field, if it is a string.
    pub fn text_payload(&self) -> Option<&str> {
        self.payload.get("text").and_then(Value::as_str)
    }

    /// The payload's string field `key`, if present.
    pub fn payload_str(&self, key: &str) -> Option<&str> {
        self.payload.get(key).and_then(Value::as_str)
    }
}

/// A turn: the unit a session stores and an inference transforms.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Turn {
    /// Turn id; a UUID when created by [`Turn::new`].
    #[serde(default)]
    pub id: String,
    /// The blocks, in conversation order.
    #[serde(default)]
    pub blocks: Vec<Block>,
    /// Turn metadata (session id, inference id, usage, ...); empty maps are omitted when encoded.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: JsonMap,
    /// Turn data (tool configuration, ...); empty maps are omitted when encoded.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub data: JsonMap,
}

impl Turn {
    /// An empty turn with a fresh UUID.
    pub fn new() -> Turn {
        Turn {
            id: new_id(),
            ..Turn::default()
        }
    }

    /// This turn with `block` appended.
    pub fn with_block(mut self, block: Block) -> Turn {
        self.blocks.push(block);
        self
    }

    /// The text of the last `llm_text` block, if any.
    pub fn last_assistant_text(&self) -> Option<&str> {
        self.blocks
            .iter()
            .rev()
            .find(|block| block.kind == BlockKind::LlmText)
            .and_then(Block::text_payload)
    }
}

/// A fresh random UUID (v4) as a string.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
