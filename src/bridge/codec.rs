//! The codec: turns, blocks and free-form JSON values between JS and Rust, by direct conversion
//! (Rust value ↔ `rquickjs::Value`, no JSON text in between). Runs on the owner thread only.
//!
//! JS → Rust follows `JSON.stringify`'s rules, so a value means the same as it did when it crossed
//! as JSON text: it is copied (JS never holds a live reference to session state); own enumerable
//! string keys are read in property order (preserved: serde_json keeps insertion order); `toJSON`
//! methods are called (a `Date` becomes its ISO string); `undefined`, functions and symbols are
//! left out of objects and become `null` in arrays and at the top level; `NaN` and `±Infinity`
//! become `null` and `-0` becomes `0` (JSON has neither); whole numbers within ±2^53 become JSON
//! integers. Cyclic values fail with a catchable `TypeError` (`... circular structure ...`),
//! values nested deeper than [`MAX_DEPTH`] and arrays longer than [`MAX_ARRAY_LENGTH`] with a
//! `RangeError`, BigInts with a `TypeError`.
//! Strings with lone surrogates (not valid Unicode) get U+FFFD in their place.
//!
//! Rust → JS builds fresh objects and arrays; JSON numbers become JS numbers.

use std::sync::Arc;

use rquickjs::function::This;
use rquickjs::{Array, Ctx, Exception, Function, Object, Value};
use serde_json::{Map, Number, Value as Json};

use crate::inference::{Block, BlockKind, ToolContext, Turn};

/// How deeply a value may nest (objects and arrays) when it crosses from JS: deep enough for any
/// real payload, shallow enough that converting, serializing and dropping it never exhausts the
/// stack. The same limit serde_json applies when it parses JSON text.
pub const MAX_DEPTH: usize = 128;

/// The longest array that crosses from JS (2^24 items): converting a sparse `a.length = 4e9` item
/// by item would exhaust memory; real payloads are far shorter.
pub const MAX_ARRAY_LENGTH: usize = 1 << 24;

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A JS value as JSON (see the module documentation for the rules).
pub fn js_to_json<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Json> {
    let mut walk = Walk {
        ctx,
        ancestors: Vec::new(),
    };
    Ok(walk.value(value, None)?.unwrap_or(Json::Null))
}

/// The state of one JS → JSON conversion: the objects on the path from the root (to detect cycles
/// and bound the depth).
struct Walk<'a, 'js> {
    ctx: &'a Ctx<'js>,
    ancestors: Vec<Value<'js>>,
}

impl<'js> Walk<'_, 'js> {
    /// Converts `value` (found under `key` of its parent, for `toJSON`); `None` when
    /// `JSON.stringify` would leave it out (`undefined`, functions, symbols).
    fn value(&mut self, value: Value<'js>, key: Option<&str>) -> rquickjs::Result<Option<Json>> {
        let value = self.to_json_method(value, key)?;
        if value.is_undefined() || value.is_function() || value.is_symbol() {
            return Ok(None);
        }
        if value.is_null() {
            return Ok(Some(Json::Null));
        }
        if let Some(flag) = value.as_bool() {
            return Ok(Some(Json::Bool(flag)));
        }
        if let Some(int) = value.as_int() {
            return Ok(Some(Json::from(int)));
        }
        if let Some(float) = value.as_float() {
            return Ok(Some(number(float)));
        }
        if let Some(text) = value.as_string() {
            return Ok(Some(Json::String(string(self.ctx, text)?)));
        }
        if value.is_big_int() {
            return Err(Exception::throw_type(
                self.ctx,
                "cannot convert a BigInt to JSON",
            ));
        }
        let Some(object) = value.as_object().cloned() else {
            return Ok(Some(Json::Null));
        };
        if self.ancestors.contains(&value) {
            return Err(Exception::throw_type(
                self.ctx,
                "cannot convert a circular structure (an object that contains itself)",
            ));
        }
        if self.ancestors.len() >= MAX_DEPTH {
            return Err(Exception::throw_range(
                self.ctx,
                &format!("value nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        self.ancestors.push(value.clone());
        let converted = if value.is_array() {
            self.array(&object)
        } else {
            self.object(&object)
        };
        self.ancestors.pop();
        converted.map(Some)
    }

    /// `value.toJSON(key)` when `value` is an object with a `toJSON` method, else `value`.
    fn to_json_method(&self, value: Value<'js>, key: Option<&str>) -> rquickjs::Result<Value<'js>> {
        let Some(object) = value.as_object() else {
            return Ok(value);
        };
        let method: Value = object.get("toJSON")?;
        match method.into_function() {
            Some(method) => method.call((This(value.clone()), key.unwrap_or(""))),
            None => Ok(value),
        }
    }

    fn array(&mut self, array: &Object<'js>) -> rquickjs::Result<Json> {
        let length = length(self.ctx, array)?;
        if length > MAX_ARRAY_LENGTH {
            return Err(Exception::throw_range(
                self.ctx,
                &format!("array too long to convert ({length} items, at most {MAX_ARRAY_LENGTH})"),
            ));
        }
        let mut items = Vec::with_capacity(length.min(1024));
        for index in 0..length {
            let item: Value = array.get(index as u32)?;
            items.push(
                self.value(item, Some(&index.to_string()))?
                    .unwrap_or(Json::Null),
            );
        }
        Ok(Json::Array(items))
    }

    fn object(&mut self, object: &Object<'js>) -> rquickjs::Result<Json> {
        // Sized to the keys: a map grown key by key keeps room for up to twice as many entries
        // (112 bytes each), and a run holds its turns' maps for as long as it lives.
        let keys = object
            .keys::<String>()
            .collect::<rquickjs::Result<Vec<_>>>()?;
        let mut map = Map::with_capacity(keys.len());
        for key in keys {
            let item: Value = object.get(key.as_str())?;
            if let Some(item) = self.value(item, Some(&key))? {
                map.insert(key, item);
            }
        }
        Ok(Json::Object(map))
    }
}

/// An array's `length`, read as a property (it may be a Proxy), as a count of items.
fn length<'js>(ctx: &Ctx<'js>, array: &Object<'js>) -> rquickjs::Result<usize> {
    let length: Value = array.get("length")?;
    match length.as_number() {
        Some(length) if length >= 0.0 && length <= f64::from(u32::MAX) && length.fract() == 0.0 => {
            Ok(length as usize)
        }
        _ => Err(Exception::throw_type(
            ctx,
            "array length is not a valid length",
        )),
    }
}

/// A JS number as JSON: whole numbers within ±2^53 as integers, other finite numbers as floats,
/// `NaN`/`±Infinity` as `null` (as `JSON.stringify`).
fn number(value: f64) -> Json {
    if value.fract() == 0.0 && value.abs() <= MAX_SAFE_INTEGER {
        Json::from(value as i64)
    } else {
        Number::from_f64(value).map_or(Json::Null, Json::Number)
    }
}

/// A JS string as Rust text; lone surrogates (not Unicode) become U+FFFD.
pub fn string<'js>(ctx: &Ctx<'js>, text: &rquickjs::String<'js>) -> rquickjs::Result<String> {
    match text.to_string() {
        Err(rquickjs::Error::Utf8(_)) => {
            let prototype: Object = ctx.globals().get::<_, Object>("String")?.get("prototype")?;
            let well_formed: Function = prototype.get("toWellFormed")?;
            let text: rquickjs::String = well_formed.call((This(text.clone()),))?;
            text.to_string()
        }
        other => other,
    }
}

/// A JSON value as a fresh JS value.
pub fn json_to_js<'js>(ctx: &Ctx<'js>, value: &Json) -> rquickjs::Result<Value<'js>> {
    Ok(match value {
        Json::Null => Value::new_null(ctx.clone()),
        Json::Bool(flag) => Value::new_bool(ctx.clone(), *flag),
        Json::Number(number) => match number.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(int) => Value::new_int(ctx.clone(), int),
            None => Value::new_number(ctx.clone(), number.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(text) => rquickjs::String::from_str(ctx.clone(), text)?.into_value(),
        Json::Array(items) => {
            let array = Array::new(ctx.clone())?;
            for (index, item) in items.iter().enumerate() {
                array.set(index, json_to_js(ctx, item)?)?;
            }
            array.into_value()
        }
        Json::Object(map) => map_to_js(ctx, map)?.into_value(),
    })
}

/// A JSON object as a fresh JS object.
pub fn map_to_js<'js>(ctx: &Ctx<'js>, map: &Map<String, Json>) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    for (key, item) in map {
        object.set(key.as_str(), json_to_js(ctx, item)?)?;
    }
    Ok(object)
}

/// Decodes a turn (taking the parts it keeps), with the spec's rules and errors.
pub(crate) fn decode_turn(value: Json) -> Result<Turn, String> {
    let Json::Object(mut object) = value else {
        return Err("turn must be an object".into());
    };
    let blocks = match object.remove("blocks") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items
            .into_iter()
            .map(decode_block)
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("turn blocks must be an array".into()),
    };
    Ok(Turn {
        id: string_field(&object, "id"),
        blocks,
        metadata: map_field(&mut object, "metadata"),
        data: map_field(&mut object, "data"),
    })
}

/// Decodes a block: `kind` case-insensitive (unknown: `other`); without `payload`, top-level
/// `text`, `args`, `result`, `id`, `name`, `error` are taken as payload fields.
pub(crate) fn decode_block(value: Json) -> Result<Block, String> {
    let Json::Object(mut object) = value else {
        return Err("block must be an object".into());
    };
    let kind = match object.get("kind") {
        Some(Json::String(kind)) => BlockKind::parse(kind),
        _ => BlockKind::Other,
    };
    let payload = match object.remove("payload") {
        Some(Json::Object(payload)) => payload,
        Some(Json::Null) | None => shorthand_payload(&object, kind),
        Some(_) => return Err("block payload must be an object".into()),
    };
    Ok(Block {
        id: string_field(&object, "id"),
        kind,
        role: string_field(&object, "role"),
        payload,
        metadata: map_field(&mut object, "metadata"),
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

fn map_field(object: &mut Map<String, Json>, key: &str) -> Map<String, Json> {
    match object.remove(key) {
        Some(Json::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Decodes a JS turn (a copy).
pub fn turn_from_js<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Turn> {
    if !value.is_object() || value.is_array() || value.is_function() {
        return Err(Exception::throw_type(ctx, "turn must be an object"));
    }
    let json = js_to_json(ctx, value)?;
    decode_turn(json).map_err(|error| Exception::throw_type(ctx, &error))
}

/// Decodes a JS block (a copy).
pub fn block_from_js<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Block> {
    if !value.is_object() || value.is_array() || value.is_function() {
        return Err(Exception::throw_type(ctx, "block must be an object"));
    }
    let json = js_to_json(ctx, value)?;
    decode_block(json).map_err(|error| Exception::throw_type(ctx, &error))
}

/// Encodes a turn as a fresh JS object `{id, blocks, metadata?, data?}`; with `full_maps`, empty
/// `metadata`/`data` are kept (as `newTurn` returns them), else left out.
pub fn turn_to_js<'js>(
    ctx: &Ctx<'js>,
    turn: &Turn,
    full_maps: bool,
) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("id", turn.id.as_str())?;
    let blocks = Array::new(ctx.clone())?;
    for (index, block) in turn.blocks.iter().enumerate() {
        blocks.set(index, block_to_js(ctx, block)?)?;
    }
    object.set("blocks", blocks)?;
    if full_maps || !turn.metadata.is_empty() {
        object.set("metadata", map_to_js(ctx, &turn.metadata)?)?;
    }
    if full_maps || !turn.data.is_empty() {
        object.set("data", map_to_js(ctx, &turn.data)?)?;
    }
    Ok(object.into_value())
}

/// Encodes a block as a fresh JS object `{id, kind, role, payload, metadata?}`.
pub fn block_to_js<'js>(ctx: &Ctx<'js>, block: &Block) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("id", block.id.as_str())?;
    object.set("kind", block.kind.as_str())?;
    object.set("role", block.role.as_str())?;
    object.set("payload", map_to_js(ctx, &block.payload)?)?;
    if !block.metadata.is_empty() {
        object.set("metadata", map_to_js(ctx, &block.metadata)?)?;
    }
    Ok(object)
}

/// A value handed to a JS callback from tokio, converted on the owner.
#[derive(Debug, Clone)]
pub enum JsArg {
    /// A free-form JSON value.
    Json(Json),
    /// A turn (encoded without empty maps), shared with the caller rather than copied.
    Turn(Arc<Turn>),
    /// A tool handler's `ctx`, built as a JS object only when the handler runs (a JSON map of
    /// it would be held, several times larger, while the call waits for the owner).
    ToolContext(Box<ToolContext>),
}

impl JsArg {
    /// The value as a fresh JS value.
    pub fn to_js<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        match self {
            JsArg::Json(value) => json_to_js(ctx, value),
            JsArg::Turn(turn) => turn_to_js(ctx, turn, false),
            JsArg::ToolContext(context) => tool_context_to_js(ctx, context),
        }
    }
}

/// The tool handler `ctx`: `{toolName, timestampMs, sessionId?, inferenceId?, callId?, callName?,
/// tags?, deadlineMs?}` (absent fields left out).
fn tool_context_to_js<'js>(ctx: &Ctx<'js>, context: &ToolContext) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("toolName", context.tool_name.as_str())?;
    object.set("timestampMs", context.timestamp_ms as f64)?;
    let optional = [
        ("sessionId", &context.session_id),
        ("inferenceId", &context.inference_id),
        ("callId", &context.call_id),
        ("callName", &context.call_name),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            object.set(key, value.as_str())?;
        }
    }
    if let Some(tags) = &context.tags {
        object.set("tags", json_to_js(ctx, tags)?)?;
    }
    if let Some(deadline) = context.deadline_ms {
        object.set("deadlineMs", deadline as f64)?;
    }
    Ok(object.into_value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::test_support::with_value;
    use serde_json::json;

    /// Converts the value of JS `source` to JSON.
    fn to_json(source: &str) -> Result<Json, String> {
        with_value(source, js_to_json)
    }

    #[test]
    fn js_to_json_table() {
        let cases: [(&str, Result<Json, &str>); 16] = [
            ("undefined", Ok(Json::Null)),
            ("(function () {})", Ok(Json::Null)),
            ("Symbol('s')", Ok(Json::Null)),
            (
                "[1, -0, 1.5, NaN, Infinity, -Infinity, 2**53, 1e300]",
                Ok(json!([
                    1,
                    0,
                    1.5,
                    null,
                    null,
                    null,
                    9_007_199_254_740_992.0,
                    1e300
                ])),
            ),
            (
                "({b: 1, a: 2, 10: 3, 2: 4})",
                Ok(json!({"2": 4, "10": 3, "b": 1, "a": 2})),
            ),
            (
                "({u: undefined, f() {}, s: Symbol('x'), n: null})",
                Ok(json!({"n": null})),
            ),
            (
                "[undefined, () => 1, Symbol('x')]",
                Ok(json!([null, null, null])),
            ),
            (
                "({d: new Date(0)})",
                Ok(json!({"d": "1970-01-01T00:00:00.000Z"})),
            ),
            ("({toJSON(key) { return 'k=' + key; }})", Ok(json!("k="))),
            (
                "({x: {toJSON(key) { return key; }}})",
                Ok(json!({"x": "x"})),
            ),
            (
                "(() => { const o = Object.create({inherited: 1}); o.own = 2; Object.defineProperty(o, 'hidden', {value: 3}); return o; })()",
                Ok(json!({"own": 2})),
            ),
            ("'\\ud800x'", Ok(json!("\u{fffd}x"))),
            (
                "(() => { const a = {}; a.self = a; return a; })()",
                Err(
                    "TypeError: cannot convert a circular structure (an object that contains itself)",
                ),
            ),
            (
                "(() => { const a = [1]; a.push([a]); return a; })()",
                Err(
                    "TypeError: cannot convert a circular structure (an object that contains itself)",
                ),
            ),
            (
                "({big: 1n})",
                Err("TypeError: cannot convert a BigInt to JSON"),
            ),
            (
                "({get boom() { throw new RangeError('getter'); }})",
                Err("RangeError: getter"),
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(
                to_json(source),
                expected.map_err(str::to_string),
                "source {source}"
            );
        }
    }

    #[test]
    fn shared_objects_are_not_cycles_and_depth_is_bounded() {
        assert_eq!(
            to_json("(() => { const s = {v: 1}; return [s, s, {s}]; })()"),
            Ok(json!([{"v": 1}, {"v": 1}, {"s": {"v": 1}}]))
        );
        let deep = |levels: usize| format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
        assert!(to_json(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(
            to_json(&deep(MAX_DEPTH + 1)),
            Err(format!(
                "RangeError: value nested too deeply (more than {MAX_DEPTH} levels)"
            ))
        );
        assert_eq!(
            to_json("(() => { const a = []; a.length = 4e9; return a; })()"),
            Err(format!(
                "RangeError: array too long to convert (4000000000 items, at most {MAX_ARRAY_LENGTH})"
            ))
        );
        assert_eq!(
            to_json("new Proxy({a: 1}, {get() { throw new Error('trap'); }})"),
            Err("Error: trap".to_string())
        );
    }

    #[test]
    fn json_round_trips_through_js() {
        let value = json!({"z": 1, "a": [true, null, -7, 2.5, 1e300, "text"], "nested": {"k": {}}, "big": 9_007_199_254_740_991i64});
        let back = with_value("null", |ctx, _| {
            let js = json_to_js(ctx, &value)?;
            js_to_json(ctx, js)
        });
        assert_eq!(back, Ok(value));
    }

    fn check(input: Json, expected: Result<Json, &str>) {
        let decoded = decode_turn(input.clone()).and_then(|turn| {
            with_value("null", |ctx, _| {
                let js = turn_to_js(ctx, &turn, false)?;
                js_to_json(ctx, js)
            })
        });
        assert_eq!(decoded, expected.map_err(str::to_string), "input {input}");
    }

    #[test]
    fn decode_table() {
        check(json!(1), Err("turn must be an object"));
        check(json!({"blocks": [1]}), Err("block must be an object"));
        check(json!({"blocks": 3}), Err("turn blocks must be an array"));
        check(
            json!({"blocks": [{"kind": "user", "payload": 3}]}),
            Err("block payload must be an object"),
        );
        check(
            json!({"id": "t", "blocks": [{"kind": "USER", "text": "hi"}], "metadata": {"x": 1}, "extra": 2}),
            Ok(
                json!({"id": "t", "blocks": [{"id": "", "kind": "user", "role": "", "payload": {"text": "hi"}}], "metadata": {"x": 1}}),
            ),
        );
        check(
            json!({"id": 7, "blocks": [{"kind": "weird", "payload": {"a": 1}, "metadata": {"m": true}}]}),
            Ok(
                json!({"id": "7", "blocks": [{"id": "", "kind": "other", "role": "", "payload": {"a": 1}, "metadata": {"m": true}}]}),
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
        let encode = |full: bool| {
            with_value("null", |ctx, _| {
                let js = turn_to_js(ctx, &Turn::default(), full)?;
                js_to_json(ctx, js)
            })
        };
        assert_eq!(
            encode(true),
            Ok(json!({"id": "", "blocks": [], "metadata": {}, "data": {}}))
        );
        assert_eq!(encode(false), Ok(json!({"id": "", "blocks": []})));
    }
}
