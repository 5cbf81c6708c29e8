//! The JS shapes of tool hooks: the payload objects hooks receive and the decisions read from what
//! they return. JS hooks return arbitrary objects, so each decision accepts every form the original
//! accepted; anything unrecognised means "no change".

use serde_json::{Map, Value as Json, json};

use super::argument::{MAX_SAFE_INTEGER, number_text};
use crate::inference::hooks::{
    AfterDecision, AfterToolCallPayload, BeforeDecision, BeforeToolCallPayload, CallRewrite,
    HookCall, HookMeta, HookPhase, ToolErrorDecision, ToolErrorPayload,
};

/// Default error of an aborting `beforeToolCall`.
pub const ABORTED_BY_BEFORE: &str = "aborted by beforeToolCall";
/// Default error of an aborting `afterToolCall`.
pub const ABORTED_BY_AFTER: &str = "aborted by afterToolCall";

/// `{id, name, args}`.
fn call_json(call: &HookCall) -> Json {
    json!({"id": call.id, "name": call.name, "args": call.args})
}

/// Writes `timestampMs`, `sessionId`, `inferenceId` and `tags` (when known) into `object`.
fn write_meta(meta: &HookMeta, object: &mut Map<String, Json>) {
    object.insert("timestampMs".into(), meta.timestamp_ms.into());
    if let Some(session_id) = &meta.session_id {
        object.insert("sessionId".into(), session_id.clone().into());
    }
    if let Some(inference_id) = &meta.inference_id {
        object.insert("inferenceId".into(), inference_id.clone().into());
    }
    match &meta.tags {
        Some(Json::Object(tags)) if tags.is_empty() => {}
        Some(Json::Null) | None => {}
        Some(tags) => {
            object.insert("tags".into(), tags.clone());
        }
    }
}

/// `{phase:"beforeToolCall", call:{id,name,args}, timestampMs, sessionId?, inferenceId?, tags?}`.
pub fn before_payload(payload: &BeforeToolCallPayload) -> Json {
    let mut object = Map::new();
    object.insert("phase".into(), HookPhase::BeforeToolCall.as_str().into());
    object.insert("call".into(), call_json(&payload.call));
    write_meta(&payload.meta, &mut object);
    Json::Object(object)
}

/// `{phase:"afterToolCall", call, result:{value, error, durationMs}, timestampMs, ...}`.
pub fn after_payload(payload: &AfterToolCallPayload) -> Json {
    let mut object = Map::new();
    object.insert("phase".into(), HookPhase::AfterToolCall.as_str().into());
    object.insert("call".into(), call_json(&payload.call));
    object.insert(
        "result".into(),
        json!({"value": payload.value, "error": payload.error, "durationMs": payload.duration_ms}),
    );
    write_meta(&payload.meta, &mut object);
    Json::Object(object)
}

/// `{phase:"onToolError", attempt, call, error, defaultRetry, defaultBackoffMs, timestampMs, ...}`.
pub fn tool_error_payload(payload: &ToolErrorPayload) -> Json {
    let mut object = Map::new();
    object.insert("phase".into(), HookPhase::OnToolError.as_str().into());
    object.insert("attempt".into(), payload.attempt.into());
    object.insert("call".into(), call_json(&payload.call));
    object.insert("error".into(), payload.error.clone().into());
    object.insert("defaultRetry".into(), payload.default_retry.into());
    object.insert("defaultBackoffMs".into(), payload.default_backoff_ms.into());
    write_meta(&payload.meta, &mut object);
    Json::Object(object)
}

/// Whether `object` asks to abort: `action: "abort"` (case-insensitive) or `abort: true`.
fn asks_abort(object: &Map<String, Json>) -> bool {
    action(object).as_deref() == Some("abort") || object.get("abort") == Some(&Json::Bool(true))
}

/// The trimmed, lower-cased `action` of `object`.
fn action(object: &Map<String, Json>) -> Option<String> {
    object
        .get("action")
        .and_then(Json::as_str)
        .map(|action| action.trim().to_ascii_lowercase())
}

/// `object.error` when it is a non-empty string, else `default`.
fn abort_error(object: &Map<String, Json>, default: &str) -> String {
    object
        .get("error")
        .and_then(Json::as_str)
        .filter(|error| !error.is_empty())
        .unwrap_or(default)
        .to_string()
}

/// Adds the changes found in `object` to `rewrite` (`id`, `name` when non-blank strings; `args` or
/// `arguments` when not null, `arguments` winning).
fn merge_rewrite(rewrite: &mut CallRewrite, object: &Map<String, Json>) {
    let text = |key: &str| {
        object
            .get(key)
            .and_then(Json::as_str)
            .filter(|text| !text.trim().is_empty())
            .map(str::to_string)
    };
    if let Some(id) = text("id") {
        rewrite.id = Some(id);
    }
    if let Some(name) = text("name") {
        rewrite.name = Some(name);
    }
    for key in ["args", "arguments"] {
        if let Some(args) = object.get(key).filter(|args| !args.is_null()) {
            rewrite.args = Some(args.clone());
        }
    }
}

/// Reads a `beforeToolCall` answer: `{action:"abort"}` or `{abort:true}` (error: `error`, or
/// `aborted by beforeToolCall`); `{call:{id?,name?,args?}}` and the same keys at top level (top
/// level wins) rewrite the call; anything else continues.
pub fn before_decision(value: &Json) -> BeforeDecision {
    let Some(object) = value.as_object() else {
        return BeforeDecision::Continue;
    };
    if asks_abort(object) {
        return BeforeDecision::Abort {
            error: abort_error(object, ABORTED_BY_BEFORE),
        };
    }
    let mut rewrite = CallRewrite::default();
    if let Some(call) = object.get("call").and_then(Json::as_object) {
        merge_rewrite(&mut rewrite, call);
    }
    merge_rewrite(&mut rewrite, object);
    if rewrite == CallRewrite::default() {
        BeforeDecision::Continue
    } else {
        BeforeDecision::Rewrite(rewrite)
    }
}

/// Reads an `afterToolCall` answer: `{action:"abort"}`/`{abort:true}` set the error (its `error`,
/// or `aborted by afterToolCall`); `{result}` replaces the result; `{error: "..."}` sets the error
/// (`""` clears it); anything else changes nothing.
pub fn after_decision(value: &Json) -> AfterDecision {
    let Some(object) = value.as_object() else {
        return AfterDecision::default();
    };
    let aborted = asks_abort(object);
    let mut error = aborted.then(|| abort_error(object, ABORTED_BY_AFTER));
    if !aborted && let Some(text) = object.get("error").and_then(Json::as_str) {
        error = Some(text.to_string());
    }
    AfterDecision {
        result: object.get("result").cloned(),
        error,
        aborted,
    }
}

/// Reads an `onToolError` answer: `{action:"retry", backoffMs?}` or `{retry:true, backoffMs?}`
/// retry; `{action:"abort"|"continue"}`, `{abort:true}` or `{retry:false}` stop; anything else is
/// [`ToolErrorDecision::Default`]. A negative `backoffMs` means 0 and fractions are cut (as the
/// original's `toInt`); one above 2^53 - 1 is the hook's error
/// (`backoffMs must be a number from 0 to 9007199254740991, got X`).
pub(crate) fn tool_error_decision(value: &Json) -> Result<ToolErrorDecision, String> {
    let Some(object) = value.as_object() else {
        return Ok(ToolErrorDecision::Default);
    };
    let backoff_ms = match object.get("backoffMs").and_then(Json::as_f64) {
        None => None,
        Some(ms) if ms <= MAX_SAFE_INTEGER as f64 => Some(ms.max(0.0).trunc() as u64),
        Some(ms) => {
            return Err(format!(
                "backoffMs must be a number from 0 to {MAX_SAFE_INTEGER}, got {}",
                number_text(ms)
            ));
        }
    };
    match action(object).as_deref() {
        Some("abort" | "continue") => return Ok(ToolErrorDecision::Stop),
        Some("retry") => return Ok(ToolErrorDecision::Retry { backoff_ms }),
        _ => {}
    }
    if object.get("abort") == Some(&Json::Bool(true)) {
        return Ok(ToolErrorDecision::Stop);
    }
    Ok(match object.get("retry").and_then(Json::as_bool) {
        Some(true) => ToolErrorDecision::Retry { backoff_ms },
        Some(false) => ToolErrorDecision::Stop,
        None => ToolErrorDecision::Default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn before_decision_table() {
        let rewrite = |id: Option<&str>, name: Option<&str>, args: Option<Json>| {
            BeforeDecision::Rewrite(CallRewrite {
                id: id.map(str::to_string),
                name: name.map(str::to_string),
                args,
            })
        };
        let abort = |error: &str| BeforeDecision::Abort {
            error: error.to_string(),
        };
        let cases = [
            (Json::Null, BeforeDecision::Continue),
            (json!("abort"), BeforeDecision::Continue),
            (json!({}), BeforeDecision::Continue),
            (json!({"action": "continue"}), BeforeDecision::Continue),
            (json!({"action": "abort"}), abort(ABORTED_BY_BEFORE)),
            (json!({"action": " ABORT "}), abort(ABORTED_BY_BEFORE)),
            (json!({"abort": true, "error": "nope"}), abort("nope")),
            (json!({"abort": false}), BeforeDecision::Continue),
            (
                json!({"action": "abort", "error": ""}),
                abort(ABORTED_BY_BEFORE),
            ),
            (
                json!({"call": {"name": "go_concat", "args": {"a": "x", "b": "y"}}}),
                rewrite(None, Some("go_concat"), Some(json!({"a": "x", "b": "y"}))),
            ),
            (
                json!({"args": {"n": 3}}),
                rewrite(None, None, Some(json!({"n": 3}))),
            ),
            (
                json!({"call": {"id": "a", "name": "x"}, "name": "y", "arguments": [1]}),
                rewrite(Some("a"), Some("y"), Some(json!([1]))),
            ),
            (
                json!({"name": "  ", "args": null}),
                BeforeDecision::Continue,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(before_decision(&input), expected, "input {input}");
        }
    }

    #[test]
    fn after_decision_table() {
        let cases = [
            (Json::Null, AfterDecision::default()),
            (
                json!({"result": {"value": 1}}),
                AfterDecision {
                    result: Some(json!({"value": 1})),
                    ..AfterDecision::default()
                },
            ),
            (
                json!({"error": ""}),
                AfterDecision {
                    error: Some(String::new()),
                    ..AfterDecision::default()
                },
            ),
            (
                json!({"action": "abort"}),
                AfterDecision {
                    error: Some(ABORTED_BY_AFTER.into()),
                    aborted: true,
                    ..AfterDecision::default()
                },
            ),
            (
                json!({"abort": true, "error": "bad", "result": null}),
                AfterDecision {
                    result: Some(Json::Null),
                    error: Some("bad".into()),
                    aborted: true,
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(after_decision(&input), expected, "input {input}");
        }
    }

    #[test]
    fn tool_error_decision_table() {
        use ToolErrorDecision::*;
        let retry = |ms: Option<u64>| Ok(Retry { backoff_ms: ms });
        let cases = [
            (Json::Null, Ok(Default)),
            (json!({}), Ok(Default)),
            (json!({"action": "retry"}), retry(None)),
            (json!({"action": "Retry", "backoffMs": 5}), retry(Some(5))),
            (json!({"retry": true, "backoffMs": -3}), retry(Some(0))),
            (json!({"retry": true, "backoffMs": 2.7}), retry(Some(2))),
            (
                json!({"retry": true, "backoffMs": 1e300}),
                Err("backoffMs must be a number from 0 to 9007199254740991, got 1e+300"),
            ),
            (json!({"retry": false}), Ok(Stop)),
            (json!({"action": "abort"}), Ok(Stop)),
            (json!({"action": "continue"}), Ok(Stop)),
            (json!({"abort": true, "retry": true}), Ok(Stop)),
            (json!({"action": "other"}), Ok(Default)),
        ];
        for (input, expected) in cases {
            assert_eq!(
                tool_error_decision(&input),
                expected.map_err(str::to_string),
                "input {input}"
            );
        }
    }

    #[test]
    fn payload_shapes() {
        let meta = HookMeta {
            session_id: Some("s".into()),
            inference_id: None,
            tags: Some(json!({})),
            timestamp_ms: 7,
            cancel: CancellationToken::new(),
            deadline: None,
        };
        let call = HookCall {
            id: "c1".into(),
            name: "go_double".into(),
            args: json!({"n": 1}),
        };
        let before = BeforeToolCallPayload {
            call: call.clone(),
            meta: meta.clone(),
        };
        assert_eq!(
            before_payload(&before),
            json!({"phase": "beforeToolCall", "call": {"id": "c1", "name": "go_double", "args": {"n": 1}},
                   "timestampMs": 7, "sessionId": "s"})
        );
        let after = AfterToolCallPayload {
            call: call.clone(),
            value: json!({"value": 2}),
            error: String::new(),
            duration_ms: 3,
            meta: HookMeta {
                tags: Some(json!({"k": 1})),
                ..meta.clone()
            },
        };
        let after = after_payload(&after);
        assert_eq!(
            after["result"],
            json!({"value": {"value": 2}, "error": "", "durationMs": 3})
        );
        assert_eq!(after["tags"], json!({"k": 1}));
        let on_error = ToolErrorPayload {
            attempt: 1,
            call,
            error: "boom".into(),
            default_retry: true,
            default_backoff_ms: 2000,
            meta,
        };
        let on_error = tool_error_payload(&on_error);
        assert_eq!(on_error["phase"], "onToolError");
        assert_eq!(on_error["attempt"], 1);
        assert_eq!(on_error["defaultRetry"], true);
        assert_eq!(on_error["defaultBackoffMs"], 2000);
    }
}
