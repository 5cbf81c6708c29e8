//! The turn payload in Go's serde layout, as YAML: `id`, `blocks` of `{id, kind, role, payload,
//! metadata}`, `metadata`, `data`; well-known metadata and data keys are written as
//! `geppetto.<key>@v1` and read back to their short names. Written as Go's yaml.v3 writes it (map
//! keys sorted, its layout: [`super::yaml_v3`]); any YAML of this shape is read.

use serde_json::{Map, Value};

use crate::generated::consts::{NAMESPACE, turn_data_keys, turn_metadata_keys};
use crate::inference::turn::{Block, BlockKind, JsonMap, Turn};

/// `turn` as a YAML document.
pub(crate) fn encode(turn: &Turn) -> Result<String, String> {
    let mut document = Map::new();
    document.insert("id".into(), Value::String(turn.id.clone()));
    let blocks = turn
        .blocks
        .iter()
        .map(|block| {
            let mut object = Map::new();
            object.insert("id".into(), Value::String(block.id.clone()));
            object.insert("kind".into(), Value::String(block.kind.as_str().into()));
            object.insert("role".into(), Value::String(block.role.clone()));
            object.insert(
                "payload".into(),
                sorted(&Value::Object(block.payload.clone())),
            );
            if !block.metadata.is_empty() {
                object.insert(
                    "metadata".into(),
                    sorted(&Value::Object(block.metadata.clone())),
                );
            }
            Value::Object(object)
        })
        .collect();
    document.insert("blocks".into(), Value::Array(blocks));
    for (key, map, known) in [
        ("metadata", &turn.metadata, turn_metadata_keys::ALL),
        ("data", &turn.data, turn_data_keys::ALL),
    ] {
        if !map.is_empty() {
            let qualified: Map<String, Value> = map
                .iter()
                .map(|(name, value)| (qualify(name, known), value.clone()))
                .collect();
            document.insert(key.into(), sorted(&Value::Object(qualified)));
        }
    }
    Ok(super::yaml_v3::to_string(&document))
}

/// A turn from a YAML document of the shape [`encode`] writes.
pub(crate) fn decode(text: &str) -> Result<Turn, String> {
    let document: Value = serde_norway::from_str(text).map_err(|error| error.to_string())?;
    let Value::Object(document) = document else {
        return Err("turn payload is not a mapping".into());
    };
    let blocks = match document.get("blocks") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(decode_block).collect::<Result<_, _>>()?,
        Some(_) => return Err("turn blocks is not a sequence".into()),
    };
    Ok(Turn {
        id: string(&document, "id"),
        blocks,
        metadata: unqualified(&document, "metadata", turn_metadata_keys::ALL)?,
        data: unqualified(&document, "data", turn_data_keys::ALL)?,
    })
}

fn decode_block(value: &Value) -> Result<Block, String> {
    let Value::Object(object) = value else {
        return Err("block is not a mapping".into());
    };
    Ok(Block {
        id: string(object, "id"),
        kind: BlockKind::parse(&string(object, "kind")),
        role: string(object, "role"),
        payload: map(object, "payload")?,
        metadata: map(object, "metadata")?,
    })
}

fn string(object: &Map<String, Value>, key: &str) -> String {
    match object.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

fn map(object: &Map<String, Value>, key: &str) -> Result<JsonMap, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(JsonMap::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(format!("{key} is not a mapping")),
    }
}

fn unqualified(object: &Map<String, Value>, key: &str, known: &[&str]) -> Result<JsonMap, String> {
    Ok(map(object, key)?
        .into_iter()
        .map(|(name, value)| (short_name(&name, known), value))
        .collect())
}

/// `geppetto.<key>@v1` for a well-known key, else the key as it is.
fn qualify(name: &str, known: &[&str]) -> String {
    if known.contains(&name) {
        format!("{NAMESPACE}.{name}@v1")
    } else {
        name.to_string()
    }
}

/// The short name of a qualified well-known key, else the key as it is.
fn short_name(name: &str, known: &[&str]) -> String {
    name.strip_prefix(NAMESPACE)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_suffix("@v1"))
        .filter(|short| known.contains(short))
        .map_or_else(|| name.to_string(), str::to_string)
}

/// A copy of `value` with every map's keys sorted.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|key| (key.clone(), sorted(&object[key])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The payload of js-api-agent.md, as Go's yaml.v3 writes it (4-space indentation).
    const GO_PAYLOAD: &str = "id: 0b6c2f6e-1\nblocks:\n    - id: 41f2\n      kind: user\n      role: user\n      payload:\n        text: hello\n    - id: 9d0e\n      kind: llm_text\n      role: assistant\n      payload:\n        text: READY\nmetadata:\n    geppetto.inference_id@v1: 7a1c\n    geppetto.runtime@v1:\n        agentName: demo\n        sessionName: \"\"\n    geppetto.session_id@v1: s1\n";

    #[test]
    fn reads_go_payloads() {
        let turn = decode(GO_PAYLOAD).unwrap();
        assert_eq!(turn.id, "0b6c2f6e-1");
        assert_eq!(turn.blocks.len(), 2);
        assert_eq!(turn.blocks[1].kind, BlockKind::LlmText);
        assert_eq!(turn.blocks[1].text_payload(), Some("READY"));
        assert_eq!(
            Value::Object(turn.metadata.clone()),
            json!({"inference_id": "7a1c", "runtime": {"agentName": "demo", "sessionName": ""}, "session_id": "s1"})
        );
    }

    #[test]
    fn round_trips_and_qualifies_well_known_keys() {
        let mut turn = decode(GO_PAYLOAD).unwrap();
        turn.metadata
            .insert("geppetto.topic@v1".into(), json!("cats"));
        turn.data
            .insert("tool_config".into(), json!({"b": 1, "a": 2}));
        turn.blocks[0]
            .metadata
            .insert("middleware".into(), json!("x"));
        let text = encode(&turn).unwrap();
        assert!(text.contains("geppetto.session_id@v1: s1"), "{text}");
        assert!(text.contains("geppetto.tool_config@v1:"), "{text}");
        assert!(text.contains("geppetto.topic@v1: cats"), "{text}");
        assert_eq!(decode(&text).unwrap(), turn);
    }

    #[test]
    fn writes_go_payloads_byte_for_byte() {
        assert_eq!(encode(&decode(GO_PAYLOAD).unwrap()).unwrap(), GO_PAYLOAD);
    }

    #[test]
    fn rejects_other_shapes() {
        assert_eq!(decode("- 1").unwrap_err(), "turn payload is not a mapping");
        assert_eq!(
            decode("blocks: 3").unwrap_err(),
            "turn blocks is not a sequence"
        );
        assert_eq!(
            decode("blocks: [{payload: 1}]").unwrap_err(),
            "payload is not a mapping"
        );
        assert!(decode("id: [").is_err());
    }
}
