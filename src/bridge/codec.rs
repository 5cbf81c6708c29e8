//! The codec: turns, blocks and JSON values between JS and Rust. Runs on the owner thread only.
//!
//! JS values cross as JSON (`JSON.stringify`/`JSON.parse` inside QuickJS), which copies them (JS
//! never holds a live reference to session state) and rejects cyclic objects with a clear error.

use rquickjs::{Ctx, Value};
use serde_json::{Map, Value as Json};

use crate::inference::{Block, BlockKind, Turn};

/// A JS value as JSON (`undefined` and functions become `null`).
pub fn js_to_json<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Json> {
    if value.is_undefined() || value.is_function() {
        return Ok(Json::Null);
    }
    let Some(text) = ctx.json_stringify(value)? else {
        return Ok(Json::Null);
    };
    let text = text.to_string()?;
    serde_json::from_str(&text).map_err(|error| {
        rquickjs::Exception::throw_type(ctx, &format!("invalid JSON value: {error}"))
    })
}

/// A JSON value as a fresh JS value.
pub fn json_to_js<'js>(ctx: &Ctx<'js>, value: &Json) -> rquickjs::Result<Value<'js>> {
    match value {
        Json::Null => Ok(Value::new_null(ctx.clone())),
        Json::Bool(b) => Ok(Value::new_bool(ctx.clone(), *b)),
        Json::String(text) => rquickjs::String::from_str(ctx.clone(), text).map(|s| s.into_value()),
        _ => {
            let text = serde_json::to_string(value).map_err(|error| {
                rquickjs::Exception::throw_type(ctx, &format!("cannot encode value: {error}"))
            })?;
            ctx.json_parse(text)
        }
    }
}

/// Decodes a turn (a copy), with the spec's rules and errors.
pub fn decode_turn(value: &Json) -> Result<Turn, String> {
    let Json::Object(object) = value else {
        return Err("turn must be an object".into());
    };
    let blocks = match object.get("blocks") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items.iter().map(decode_block).collect::<Result<_, _>>()?,
        Some(_) => return Err("turn blocks must be an array".into()),
    };
    Ok(Turn {
        id: string_field(object, "id"),
        blocks,
        metadata: map_field(object, "metadata"),
        data: map_field(object, "data"),
    })
}

/// Decodes a block: `kind` case-insensitive (unknown: `other`); without `payload`, top-level
/// `text`, `args`, `result`, `id`, `name`, `error` are taken as payload fields.
pub fn decode_block(value: &Json) -> Result<Block, String> {
    let Json::Object(object) = value else {
        return Err("block must be an object".into());
    };
    let kind = match object.get("kind") {
        Some(Json::String(kind)) => BlockKind::parse(kind),
        _ => BlockKind::Other,
    };
    let payload = match object.get("payload") {
        Some(Json::Object(payload)) => payload.clone(),
        Some(Json::Null) | None => shorthand_payload(object, kind),
        Some(_) => return Err("block payload must be an object".into()),
    };
    Ok(Block {
        id: string_field(object, "id"),
        kind,
        role: string_field(object, "role"),
        payload,
        metadata: map_field(object, "metadata"),
    })
}

fn shorthand_payload(object: &Map<String, Json>, kind: BlockKind) -> Map<String, Json> {
    let mut payload = Map::new();
    for key in ["text", "args", "result", "name", "error"] {
        if let Some(value) = object.get(key) {
            payload.insert(key.into(), value.clone());
        }
    }
    if matches!(kind, BlockKind::ToolCall | BlockKind::ToolUse)
        && let Some(id) = object.get("id")
    {
        payload.insert("id".into(), id.clone());
    }
    payload
}

fn string_field(object: &Map<String, Json>, key: &str) -> String {
    match object.get(key) {
        Some(Json::String(text)) => text.clone(),
        Some(Json::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

fn map_field(object: &Map<String, Json>, key: &str) -> Map<String, Json> {
    match object.get(key) {
        Some(Json::Object(map)) => map.clone(),
        _ => Map::new(),
    }
}

/// A turn as JSON; with `full_maps`, empty `metadata`/`data` are kept (as `newTurn` returns them).
pub fn encode_turn(turn: &Turn, full_maps: bool) -> Json {
    let mut value = serde_json::to_value(turn).unwrap_or(Json::Null);
    if full_maps && let Json::Object(object) = &mut value {
        object
            .entry("metadata")
            .or_insert_with(|| Json::Object(Map::new()));
        object
            .entry("data")
            .or_insert_with(|| Json::Object(Map::new()));
    }
    value
}

/// Decodes a JS turn.
pub fn turn_from_js<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Turn> {
    if !value.is_object() || value.is_array() || value.is_function() {
        return Err(rquickjs::Exception::throw_type(
            ctx,
            "turn must be an object",
        ));
    }
    let json = js_to_json(ctx, value)?;
    decode_turn(&json).map_err(|error| rquickjs::Exception::throw_type(ctx, &error))
}

/// Encodes a turn as a fresh JS object.
pub fn turn_to_js<'js>(ctx: &Ctx<'js>, turn: &Turn) -> rquickjs::Result<Value<'js>> {
    json_to_js(ctx, &encode_turn(turn, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(input: Json, expected: Result<Json, &str>) {
        let decoded = decode_turn(&input).map(|turn| encode_turn(&turn, false));
        assert_eq!(decoded, expected.map_err(str::to_string), "input {input}");
    }

    #[test]
    fn decode_table() {
        check(json!(1), Err("turn must be an object"));
        check(json!({"blocks": [1]}), Err("block must be an object"));
        check(json!({"blocks": 3}), Err("turn blocks must be an array"));
        check(
            json!({"id": "t", "blocks": [{"kind": "USER", "text": "hi"}], "metadata": {"x": 1}, "extra": 2}),
            Ok(
                json!({"id": "t", "blocks": [{"id": "", "kind": "user", "role": "", "payload": {"text": "hi"}}], "metadata": {"x": 1}}),
            ),
        );
        check(
            json!({"blocks": [{"kind": "weird", "payload": {"a": 1}}]}),
            Ok(
                json!({"id": "", "blocks": [{"id": "", "kind": "other", "role": "", "payload": {"a": 1}}]}),
            ),
        );
        check(
            json!({"blocks": [{"kind": "tool_call", "id": "c1", "name": "f", "args": {"n": 1}}]}),
            Ok(
                json!({"id": "", "blocks": [{"id": "c1", "kind": "tool_call", "role": "", "payload": {"id": "c1", "name": "f", "args": {"n": 1}}}]}),
            ),
        );
    }

    #[test]
    fn full_maps_keep_empty_metadata_and_data() {
        let turn = Turn::new();
        let encoded = encode_turn(&turn, true);
        assert_eq!(encoded["metadata"], json!({}));
        assert_eq!(encoded["data"], json!({}));
        assert!(encode_turn(&turn, false).get("metadata").is_none());
    }
}
