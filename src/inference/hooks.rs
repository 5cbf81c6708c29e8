//! Tool hooks: code that runs around each tool call of the tool loop.
//!
//! [`ToolHooks`] gets plain-data payloads and answers plain-data decisions. JS hooks return
//! arbitrary objects, so each decision parses every form the original accepted from a JSON value
//! ([`BeforeDecision::from_json`], [`AfterDecision::from_json`], [`ToolErrorDecision::from_json`]);
//! anything unrecognised means "no change". The tool loop calls the hooks: `beforeToolCall`, then
//! the tool (with retries, asking `onToolError` after each failed attempt), then `afterToolCall`.

use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};

use tokio_util::sync::CancellationToken;

use super::context::RunContext;
use super::event::now_ms;

/// The three hook points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookPhase {
    /// Before a tool runs; may rewrite or abort the call.
    BeforeToolCall,
    /// After a tool ran; may replace its result or error.
    AfterToolCall,
    /// After each failed attempt; decides whether to retry.
    OnToolError,
}

impl HookPhase {
    /// The hook's name (`beforeToolCall`, `afterToolCall`, `onToolError`), also the payload's
    /// `phase` and the prefix of its fail-closed errors.
    pub fn as_str(self) -> &'static str {
        match self {
            HookPhase::BeforeToolCall => "beforeToolCall",
            HookPhase::AfterToolCall => "afterToolCall",
            HookPhase::OnToolError => "onToolError",
        }
    }
}

/// What to do when a hook itself fails, and how often `onToolError` may be asked per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookPolicy {
    /// Fail-open: a failing hook is logged (`js tool hook error ignored (fail-open)`) and ignored.
    /// Fail-closed (the default): the call fails with `<hookName> hook: <message>`.
    pub fail_open: bool,
    /// `onToolError` is asked only while `attempt < max_hook_retries`; afterwards the call stops
    /// retrying.
    pub max_hook_retries: u32,
}

/// Default of [`HookPolicy::max_hook_retries`] (`maxHookRetries`), as in the original.
pub const DEFAULT_MAX_HOOK_RETRIES: u32 = 10;

impl Default for HookPolicy {
    fn default() -> HookPolicy {
        HookPolicy {
            fail_open: false,
            max_hook_retries: DEFAULT_MAX_HOOK_RETRIES,
        }
    }
}

impl HookPolicy {
    /// Reads `hookErrorPolicy`, `onHookError` (`"fail-open"`/`"open"`, case-insensitive; the later
    /// key wins), `failOpen` (a boolean that overrides both) and `maxHookRetries` (> 0) from a
    /// hooks object. Missing or ill-typed keys keep the defaults.
    pub fn from_json(hooks: &Value) -> HookPolicy {
        let mut policy = HookPolicy::default();
        for key in ["hookErrorPolicy", "onHookError"] {
            if let Some(mode) = hooks.get(key).and_then(Value::as_str) {
                let mode = mode.trim().to_ascii_lowercase();
                if !mode.is_empty() {
                    policy.fail_open = mode == "fail-open" || mode == "open";
                }
            }
        }
        if let Some(fail_open) = hooks.get("failOpen").and_then(Value::as_bool) {
            policy.fail_open = fail_open;
        }
        if let Some(limit) = hooks.get("maxHookRetries").and_then(json_int)
            && limit > 0
        {
            policy.max_hook_retries = u32::try_from(limit).unwrap_or(u32::MAX);
        }
        policy
    }

    /// What a failing hook means for the call: `None` when fail-open (the failure is logged and
    /// ignored), else the call's error `<hookName> hook: <message>`.
    pub fn hook_failure(&self, phase: HookPhase, message: &str) -> Option<String> {
        if self.fail_open {
            tracing::warn!(
                hook = phase.as_str(),
                error = message,
                "js tool hook error ignored (fail-open)"
            );
            None
        } else {
            Some(format!("{} hook: {message}", phase.as_str()))
        }
    }
}

/// Hooks around tool calls. Every method has a no-op default; [`ToolHooks::handles`] says which
/// hooks exist, because a missing `onToolError` and one that answers "default" differ (only an
/// existing one is bounded by [`HookPolicy::max_hook_retries`]).
pub trait ToolHooks: Send + Sync {
    /// Whether the hook for `phase` exists.
    fn handles(&self, phase: HookPhase) -> bool;

    /// The hooks' error policy.
    fn policy(&self) -> HookPolicy {
        HookPolicy::default()
    }

    /// `beforeToolCall`; an `Err` is the hook's failure message.
    fn before_tool_call(
        &self,
        payload: BeforeToolCallPayload,
    ) -> BoxFuture<'static, Result<BeforeDecision, String>> {
        let _ = payload;
        Box::pin(async { Ok(BeforeDecision::Continue) })
    }

    /// `afterToolCall`; an `Err` is the hook's failure message.
    fn after_tool_call(
        &self,
        payload: AfterToolCallPayload,
    ) -> BoxFuture<'static, Result<AfterDecision, String>> {
        let _ = payload;
        Box::pin(async { Ok(AfterDecision::default()) })
    }

    /// `onToolError`; an `Err` is the hook's failure message.
    fn on_tool_error(
        &self,
        payload: ToolErrorPayload,
    ) -> BoxFuture<'static, Result<ToolErrorDecision, String>> {
        let _ = payload;
        Box::pin(async { Ok(ToolErrorDecision::Default) })
    }
}

/// The tool call a hook sees (`{id, name, args}`).
#[derive(Debug, Clone, PartialEq)]
pub struct HookCall {
    /// Call id.
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments (an object unless the model sent something else).
    pub args: Value,
}

impl HookCall {
    /// `{id, name, args}`.
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "args": self.args})
    }
}

/// The run a hook is called from: `sessionId`, `inferenceId`, `tags` (when known) and `timestampMs`.
#[derive(Debug, Clone)]
pub struct HookMeta {
    /// Session id, when known.
    pub session_id: Option<String>,
    /// Inference id, when known.
    pub inference_id: Option<String>,
    /// The run's tags, when it has some.
    pub tags: Option<Value>,
    /// Wall-clock time of the hook call, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The run's cancellation: a JS hook still running when it fires is interrupted.
    pub cancel: CancellationToken,
}

impl HookMeta {
    /// The ids and tags of `ctx`, stamped now.
    pub fn from_context(ctx: &RunContext) -> HookMeta {
        let non_empty = |text: &str| (!text.is_empty()).then(|| text.to_string());
        HookMeta {
            session_id: non_empty(&ctx.session_id),
            inference_id: non_empty(&ctx.inference_id),
            tags: ctx.tags.clone(),
            timestamp_ms: now_ms(),
            cancel: ctx.cancel.clone(),
        }
    }

    fn write_into(&self, object: &mut Map<String, Value>) {
        object.insert("timestampMs".into(), self.timestamp_ms.into());
        if let Some(session_id) = &self.session_id {
            object.insert("sessionId".into(), session_id.clone().into());
        }
        if let Some(inference_id) = &self.inference_id {
            object.insert("inferenceId".into(), inference_id.clone().into());
        }
        match &self.tags {
            Some(Value::Object(tags)) if tags.is_empty() => {}
            Some(Value::Null) | None => {}
            Some(tags) => {
                object.insert("tags".into(), tags.clone());
            }
        }
    }
}

/// The payload of `beforeToolCall`.
#[derive(Debug, Clone)]
pub struct BeforeToolCallPayload {
    /// The call about to run.
    pub call: HookCall,
    /// Ids, tags and time.
    pub meta: HookMeta,
}

impl BeforeToolCallPayload {
    /// `{phase:"beforeToolCall", call:{id,name,args}, timestampMs, sessionId?, inferenceId?, tags?}`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("phase".into(), HookPhase::BeforeToolCall.as_str().into());
        object.insert("call".into(), self.call.to_json());
        self.meta.write_into(&mut object);
        Value::Object(object)
    }
}

/// The payload of `afterToolCall`.
#[derive(Debug, Clone)]
pub struct AfterToolCallPayload {
    /// The call that ran.
    pub call: HookCall,
    /// Its result value (`null` on error).
    pub value: Value,
    /// Its error, `""` on success.
    pub error: String,
    /// How long the call took, retries included.
    pub duration_ms: u64,
    /// Ids, tags and time.
    pub meta: HookMeta,
}

impl AfterToolCallPayload {
    /// `{phase:"afterToolCall", call, result:{value, error, durationMs}, timestampMs, ...}`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("phase".into(), HookPhase::AfterToolCall.as_str().into());
        object.insert("call".into(), self.call.to_json());
        object.insert(
            "result".into(),
            json!({"value": self.value, "error": self.error, "durationMs": self.duration_ms}),
        );
        self.meta.write_into(&mut object);
        Value::Object(object)
    }
}

/// The payload of `onToolError`.
#[derive(Debug, Clone)]
pub struct ToolErrorPayload {
    /// The failed attempt, from 0.
    pub attempt: u32,
    /// The call that failed.
    pub call: HookCall,
    /// The attempt's error.
    pub error: String,
    /// Whether the loop would retry without the hook.
    pub default_retry: bool,
    /// The backoff the loop would wait before that retry.
    pub default_backoff_ms: u64,
    /// Ids, tags and time.
    pub meta: HookMeta,
}

impl ToolErrorPayload {
    /// `{phase:"onToolError", attempt, call, error, defaultRetry, defaultBackoffMs, timestampMs, ...}`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("phase".into(), HookPhase::OnToolError.as_str().into());
        object.insert("attempt".into(), self.attempt.into());
        object.insert("call".into(), self.call.to_json());
        object.insert("error".into(), self.error.clone().into());
        object.insert("defaultRetry".into(), self.default_retry.into());
        object.insert("defaultBackoffMs".into(), self.default_backoff_ms.into());
        self.meta.write_into(&mut object);
        Value::Object(object)
    }
}

/// What `beforeToolCall` decided.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum BeforeDecision {
    /// Run the call as it is.
    #[default]
    Continue,
    /// Do not run the call; record `error` as its error. Never fails the run.
    Abort {
        /// The call's error.
        error: String,
    },
    /// Run the call with these changes.
    Rewrite(CallRewrite),
}

/// Changes `beforeToolCall` makes to a call; `None` keeps the field.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallRewrite {
    /// New call id.
    pub id: Option<String>,
    /// New tool name.
    pub name: Option<String>,
    /// New arguments.
    pub args: Option<Value>,
}

impl CallRewrite {
    /// Applies the changes to `call`.
    pub fn apply(&self, call: &mut HookCall) {
        if let Some(id) = &self.id {
            call.id = id.clone();
        }
        if let Some(name) = &self.name {
            call.name = name.clone();
        }
        if let Some(args) = &self.args {
            call.args = args.clone();
        }
    }

    /// Adds the changes found in `object` (`id`, `name` when non-blank strings; `args` or
    /// `arguments` when not null, `arguments` winning).
    fn merge(&mut self, object: &Map<String, Value>) {
        let text = |key: &str| {
            object
                .get(key)
                .and_then(Value::as_str)
                .filter(|text| !text.trim().is_empty())
                .map(str::to_string)
        };
        if let Some(id) = text("id") {
            self.id = Some(id);
        }
        if let Some(name) = text("name") {
            self.name = Some(name);
        }
        for key in ["args", "arguments"] {
            if let Some(args) = object.get(key).filter(|args| !args.is_null()) {
                self.args = Some(args.clone());
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.id.is_none() && self.name.is_none() && self.args.is_none()
    }
}

/// Default error of an aborting `beforeToolCall`.
pub const ABORTED_BY_BEFORE: &str = "aborted by beforeToolCall";
/// Default error of an aborting `afterToolCall`.
pub const ABORTED_BY_AFTER: &str = "aborted by afterToolCall";

/// Whether `object` asks to abort: `action: "abort"` (case-insensitive) or `abort: true`.
fn asks_abort(object: &Map<String, Value>) -> bool {
    action(object).as_deref() == Some("abort") || object.get("abort") == Some(&Value::Bool(true))
}

/// The trimmed, lower-cased `action` of `object`.
fn action(object: &Map<String, Value>) -> Option<String> {
    object
        .get("action")
        .and_then(Value::as_str)
        .map(|action| action.trim().to_ascii_lowercase())
}

/// `object.error` when it is a non-empty string, else `default`.
fn abort_error(object: &Map<String, Value>, default: &str) -> String {
    object
        .get("error")
        .and_then(Value::as_str)
        .filter(|error| !error.is_empty())
        .unwrap_or(default)
        .to_string()
}

/// An integer from a JSON number (fractions truncated, as the original's `toInt`).
fn json_int(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_f64().map(|number| number as i64))
}

impl BeforeDecision {
    /// Parses a `beforeToolCall` answer: `{action:"abort"}` or `{abort:true}` (error: `error`, or
    /// `aborted by beforeToolCall`); `{call:{id?,name?,args?}}` and the same keys at top level
    /// (top level wins) rewrite the call; anything else continues.
    pub fn from_json(value: &Value) -> BeforeDecision {
        let Some(object) = value.as_object() else {
            return BeforeDecision::Continue;
        };
        if asks_abort(object) {
            return BeforeDecision::Abort {
                error: abort_error(object, ABORTED_BY_BEFORE),
            };
        }
        let mut rewrite = CallRewrite::default();
        if let Some(call) = object.get("call").and_then(Value::as_object) {
            rewrite.merge(call);
        }
        rewrite.merge(object);
        if rewrite.is_empty() {
            BeforeDecision::Continue
        } else {
            BeforeDecision::Rewrite(rewrite)
        }
    }
}

/// What `afterToolCall` decided.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AfterDecision {
    /// Replacement result value.
    pub result: Option<Value>,
    /// Replacement error (`""` clears it).
    pub error: Option<String>,
    /// The hook aborted the call: its error is recorded but never fails the run.
    pub aborted: bool,
}

impl AfterDecision {
    /// Parses an `afterToolCall` answer: `{action:"abort"}`/`{abort:true}` set the error (its
    /// `error`, or `aborted by afterToolCall`); `{result}` replaces the result; `{error: "..."}` sets
    /// the error (`""` clears it); anything else changes nothing.
    pub fn from_json(value: &Value) -> AfterDecision {
        let Some(object) = value.as_object() else {
            return AfterDecision::default();
        };
        let aborted = asks_abort(object);
        let mut error = aborted.then(|| abort_error(object, ABORTED_BY_AFTER));
        if !aborted && let Some(text) = object.get("error").and_then(Value::as_str) {
            error = Some(text.to_string());
        }
        AfterDecision {
            result: object.get("result").cloned(),
            error,
            aborted,
        }
    }

    /// Applies the decision to a call's result `value` and `error`.
    pub fn apply(&self, value: &mut Value, error: &mut String) {
        if let Some(result) = &self.result {
            *value = result.clone();
        }
        if let Some(new_error) = &self.error {
            *error = new_error.clone();
        }
    }
}

/// What `onToolError` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolErrorDecision {
    /// Retry after `backoff_ms` (the default backoff when `None`).
    Retry {
        /// The wait before the retry.
        backoff_ms: Option<u64>,
    },
    /// Stop retrying; the attempt's error stands.
    Stop,
    /// Do what the loop would do without the hook: retry only with `toolErrorHandling: "retry"`
    /// while `attempt < retryMaxRetries`.
    #[default]
    Default,
}

impl ToolErrorDecision {
    /// Parses an `onToolError` answer: `{action:"retry", backoffMs?}` or `{retry:true, backoffMs?}`
    /// retry; `{action:"abort"|"continue"}`, `{abort:true}` or `{retry:false}` stop; anything else
    /// is [`ToolErrorDecision::Default`]. A negative `backoffMs` means 0.
    pub fn from_json(value: &Value) -> ToolErrorDecision {
        let Some(object) = value.as_object() else {
            return ToolErrorDecision::Default;
        };
        let backoff_ms = object
            .get("backoffMs")
            .and_then(json_int)
            .map(|backoff| u64::try_from(backoff).unwrap_or(0));
        match action(object).as_deref() {
            Some("abort" | "continue") => return ToolErrorDecision::Stop,
            Some("retry") => return ToolErrorDecision::Retry { backoff_ms },
            _ => {}
        }
        if object.get("abort") == Some(&Value::Bool(true)) {
            return ToolErrorDecision::Stop;
        }
        match object.get("retry").and_then(Value::as_bool) {
            Some(true) => ToolErrorDecision::Retry { backoff_ms },
            Some(false) => ToolErrorDecision::Stop,
            None => ToolErrorDecision::Default,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_decision_table() {
        let rewrite = |id: Option<&str>, name: Option<&str>, args: Option<Value>| {
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
            (Value::Null, BeforeDecision::Continue),
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
            assert_eq!(BeforeDecision::from_json(&input), expected, "input {input}");
        }
    }

    #[test]
    fn after_decision_table() {
        let cases = [
            (Value::Null, AfterDecision::default()),
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
                    result: Some(Value::Null),
                    error: Some("bad".into()),
                    aborted: true,
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(AfterDecision::from_json(&input), expected, "input {input}");
        }
    }

    #[test]
    fn after_decision_apply() {
        let mut value = json!(1);
        let mut error = "boom".to_string();
        AfterDecision::from_json(&json!({"result": 2, "error": ""})).apply(&mut value, &mut error);
        assert_eq!((value, error.as_str()), (json!(2), ""));
    }

    #[test]
    fn tool_error_decision_table() {
        use ToolErrorDecision::*;
        let cases = [
            (Value::Null, Default),
            (json!({}), Default),
            (json!({"action": "retry"}), Retry { backoff_ms: None }),
            (
                json!({"action": "Retry", "backoffMs": 5}),
                Retry {
                    backoff_ms: Some(5),
                },
            ),
            (
                json!({"retry": true, "backoffMs": -3}),
                Retry {
                    backoff_ms: Some(0),
                },
            ),
            (
                json!({"retry": true, "backoffMs": 2.7}),
                Retry {
                    backoff_ms: Some(2),
                },
            ),
            (json!({"retry": false}), Stop),
            (json!({"action": "abort"}), Stop),
            (json!({"action": "continue"}), Stop),
            (json!({"abort": true, "retry": true}), Stop),
            (json!({"action": "other"}), Default),
        ];
        for (input, expected) in cases {
            assert_eq!(
                ToolErrorDecision::from_json(&input),
                expected,
                "input {input}"
            );
        }
    }

    #[test]
    fn policy_table() {
        let cases = [
            (json!({}), false, 10),
            (json!({"hookErrorPolicy": "fail-open"}), true, 10),
            (json!({"hookErrorPolicy": " OPEN "}), true, 10),
            (json!({"onHookError": "fail-closed"}), false, 10),
            (
                json!({"hookErrorPolicy": "open", "onHookError": "closed"}),
                false,
                10,
            ),
            (
                json!({"hookErrorPolicy": "open", "failOpen": false}),
                false,
                10,
            ),
            (json!({"failOpen": true, "maxHookRetries": 3}), true, 3),
            (json!({"maxHookRetries": 0}), false, 10),
            (json!({"maxHookRetries": "5"}), false, 10),
        ];
        for (input, fail_open, max_hook_retries) in cases {
            assert_eq!(
                HookPolicy::from_json(&input),
                HookPolicy {
                    fail_open,
                    max_hook_retries
                },
                "input {input}"
            );
        }
    }

    #[test]
    fn hook_failure_texts() {
        let closed = HookPolicy::default();
        assert_eq!(
            closed.hook_failure(HookPhase::BeforeToolCall, "boom"),
            Some("beforeToolCall hook: boom".to_string())
        );
        let open = HookPolicy {
            fail_open: true,
            ..HookPolicy::default()
        };
        assert_eq!(open.hook_failure(HookPhase::AfterToolCall, "boom"), None);
    }

    #[test]
    fn payload_json_shapes() {
        let meta = HookMeta {
            session_id: Some("s".into()),
            inference_id: None,
            tags: Some(json!({})),
            timestamp_ms: 7,
            cancel: CancellationToken::new(),
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
            before.to_json(),
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
        assert_eq!(
            after.to_json()["result"],
            json!({"value": {"value": 2}, "error": "", "durationMs": 3})
        );
        assert_eq!(after.to_json()["tags"], json!({"k": 1}));
        let on_error = ToolErrorPayload {
            attempt: 1,
            call,
            error: "boom".into(),
            default_retry: true,
            default_backoff_ms: 2000,
            meta,
        };
        let on_error = on_error.to_json();
        assert_eq!(on_error["phase"], "onToolError");
        assert_eq!(on_error["attempt"], 1);
        assert_eq!(on_error["defaultRetry"], true);
        assert_eq!(on_error["defaultBackoffMs"], 2000);
    }
}
