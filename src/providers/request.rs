//! What several wire formats put into their requests alike: messages that merge consecutive
//! entries of one role, the sampling settings, the offered tools and the API key header.

use serde_json::{Map, Value, json};

use crate::inference::{EngineTools, ToolChoice, ToolDefinition};

use super::config::ProviderConfig;
use super::transport::Header;

/// Messages in which consecutive entries of one role form one message (Anthropic and Gemini want
/// roles to alternate).
#[derive(Debug, Default)]
pub(crate) struct RoleMessages {
    messages: Vec<(&'static str, Vec<Value>)>,
}

impl RoleMessages {
    /// Adds `items` (content blocks, parts) as `role`, to the last message if it has that role.
    pub fn push(&mut self, role: &'static str, items: Vec<Value>) {
        match self.messages.last_mut() {
            Some((last_role, last)) if *last_role == role => last.extend(items),
            _ => self.messages.push((role, items)),
        }
    }

    /// The messages as `{"role": role, <items_key>: items}`.
    pub fn into_json(self, items_key: &str) -> Value {
        Value::Array(
            self.messages
                .into_iter()
                .map(|(role, items)| json!({"role": role, items_key: items}))
                .collect(),
        )
    }
}

/// Inserts the configured `temperature`, then top-p as `top_p_key`.
pub(crate) fn insert_sampling(
    body: &mut Map<String, Value>,
    config: &ProviderConfig,
    top_p_key: &str,
) {
    if let Some(temperature) = config.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    if let Some(top_p) = config.top_p {
        body.insert(top_p_key.into(), json!(top_p));
    }
}

/// Inserts the configured stop sequences as `key`, when there are any.
pub(crate) fn insert_stop(body: &mut Map<String, Value>, config: &ProviderConfig, key: &str) {
    if !config.stop.is_empty() {
        body.insert(key.into(), json!(config.stop));
    }
}

/// The offered tools, when there are any: each as `shape(tool, schema)`, `schema` being its
/// parameter schema (an empty object schema when none was given); and how the model may use them.
pub(crate) fn tool_definitions(
    tools: Option<&EngineTools>,
    shape: impl Fn(&ToolDefinition, Value) -> Value,
) -> Option<(Vec<Value>, ToolChoice)> {
    let tools = tools.filter(|tools| !tools.definitions.is_empty())?;
    let definitions = tools
        .definitions
        .iter()
        .map(|tool| shape(tool, parameters_schema(&tool.parameters)))
        .collect();
    Some((definitions, tools.choice))
}

/// A tool's parameter schema, or an empty object schema when none was given.
fn parameters_schema(parameters: &Value) -> Value {
    match parameters {
        Value::Object(map) if !map.is_empty() => parameters.clone(),
        _ => json!({ "type": "object", "properties": {} }),
    }
}

/// The header `name: <prefix><key>` (sensitive) when a key is configured.
pub(crate) fn key_header(config: &ProviderConfig, name: &'static str, prefix: &str) -> Vec<Header> {
    config
        .api_key
        .iter()
        .map(|key| Header {
            name,
            value: format!("{prefix}{}", key.expose()),
            sensitive: true,
        })
        .collect()
}
