//! The JS option objects, read directly from JS values into the typed structs of `inference/` and
//! `providers/`: run options, tool loop settings, the hooks' error policy and engine options.
//! Every value is checked where it enters (see [`super::argument`]); unknown keys are ignored
//! (scripts written for the original module pass extra keys).

use std::time::Duration;

use rquickjs::{Ctx, Value};
use serde_json::Value as Json;

use super::argument::{
    FROM_CONFIG_NEEDS_MODEL, HOOKS_NOT_OBJECT, OPTIONS_NOT_OBJECT, Options, RUN_OPTIONS_NOT_OBJECT,
    Range, TIMEOUT_NEGATIVE, type_error,
};
use crate::inference::hooks::HookPolicy;
use crate::inference::session::RunOptions;
use crate::inference::tool_loop::ToolErrorHandling;
use crate::inference::{ToolChoice, ToolLoopSettings};
use crate::providers::{ApiKey, ApiType, EngineOptions};

/// Counts (`maxIterations`, `retryMaxRetries`, ...): whole numbers within ±(2^32 - 1); the
/// original gave 0 and negative counts a meaning, which is kept.
const COUNT: Range = Range::integer(-(u32::MAX as i64), u32::MAX as i64);

/// `session.run`/`start` options `{timeoutMs?, tags?}`: `run options must be an object`,
/// `timeoutMs must be >= 0`; `tags` must be an object (an empty one counts as none).
pub fn run_options<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<RunOptions> {
    let options = Options::new(ctx, value, RUN_OPTIONS_NOT_OBJECT)?;
    if let Some(timeout) = options.value("timeoutMs")?
        && timeout.as_number().is_some_and(|timeout| timeout < 0.0)
    {
        return Err(type_error(ctx, TIMEOUT_NEGATIVE));
    }
    let timeout_ms = options.milliseconds("timeoutMs")?;
    let tags = options
        .json_object("tags")?
        .filter(|tags| tags.as_object().is_some_and(|tags| !tags.is_empty()));
    Ok(RunOptions {
        timeout_ms,
        tags,
        ..RunOptions::default()
    })
}

/// Tool loop settings (`withTools(registry, settings)`, `withToolLoop`, the `toolLoop` option).
/// Absent keys keep the spec's defaults. As in the original, `maxIterations`, `retryBackoffMs` and
/// `retryBackoffFactor` ≤ 0 keep the default, `maxParallelTools` ≤ 0 means 1, `retryMaxRetries` < 0
/// means 0 and `executionTimeoutMs` ≤ 0 disables the limit. Invalid `toolChoice`/
/// `toolErrorHandling` values fail with the spec's texts. `hooks` is not read here.
pub fn tool_loop_settings<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
) -> rquickjs::Result<ToolLoopSettings> {
    let options = Options::new(ctx, value, OPTIONS_NOT_OBJECT)?;
    let mut settings = ToolLoopSettings::default();
    if let Some(enabled) = options.bool("enabled")? {
        settings.enabled = enabled;
    }
    if let Some(max) = options
        .integer("maxIterations", COUNT)?
        .filter(|max| *max > 0)
    {
        settings.max_iterations = max as u32;
    }
    if let Some(parallel) = options.integer("maxParallelTools", COUNT)? {
        settings.max_parallel_tools = parallel.max(1) as usize;
    }
    if let Some(timeout) = options.signed_milliseconds("executionTimeoutMs")? {
        settings.execution_timeout_ms = timeout.max(0) as u64;
    }
    if let Some(choice) = options.value("toolChoice")? {
        settings.tool_choice = one_of(ctx, "toolChoice", &choice, &TOOL_CHOICES)?;
    }
    if let Some(handling) = options.value("toolErrorHandling")? {
        settings.tool_error_handling =
            one_of(ctx, "toolErrorHandling", &handling, &TOOL_ERROR_HANDLINGS)?;
    }
    if let Some(retries) = options.integer("retryMaxRetries", COUNT)? {
        settings.retry_max_retries = retries.max(0) as u32;
    }
    if let Some(backoff) = options
        .signed_milliseconds("retryBackoffMs")?
        .filter(|ms| *ms > 0)
    {
        settings.retry_backoff_ms = backoff as u64;
    }
    if let Some(factor) = options
        .number("retryBackoffFactor", Range::FINITE)?
        .filter(|factor| *factor > 0.0)
    {
        settings.retry_backoff_factor = factor;
    }
    if let Some(allowed) = options.strings("allowedTools")? {
        let names: Vec<String> = allowed
            .into_iter()
            .filter(|name| !name.is_empty())
            .collect();
        settings.allowed_tools = (!names.is_empty()).then_some(names);
    }
    Ok(settings)
}

/// An enum option: one of `choices` (trimmed, case-sensitive, as in the original); anything else
/// throws the spec's `TypeError: invalid <key> "<String(value)>", expected one of: <names>`.
fn one_of<T: Copy>(
    ctx: &Ctx<'_>,
    key: &str,
    value: &Value<'_>,
    choices: &[(&str, T)],
) -> rquickjs::Result<T> {
    let text: rquickjs::convert::Coerced<String> = value.get()?;
    let text = text.0;
    let found = choices
        .iter()
        .find(|(name, _)| value.is_string() && *name == text.trim());
    match found {
        Some((_, choice)) => Ok(*choice),
        None => {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            Err(type_error(
                ctx,
                &format!(
                    "invalid {key} \"{}\", expected one of: {}",
                    text.trim(),
                    names.join(", ")
                ),
            ))
        }
    }
}

/// `toolChoice` values.
const TOOL_CHOICES: [(&str, ToolChoice); 3] = [
    ("auto", ToolChoice::Auto),
    ("none", ToolChoice::None),
    ("required", ToolChoice::Required),
];

/// `toolErrorHandling` values.
const TOOL_ERROR_HANDLINGS: [(&str, ToolErrorHandling); 3] = [
    ("continue", ToolErrorHandling::Continue),
    ("abort", ToolErrorHandling::Abort),
    ("retry", ToolErrorHandling::Retry),
];

/// The hooks' error policy: `hookErrorPolicy`, `onHookError` (`"fail-open"`/`"open"`,
/// case-insensitive; the later key wins), `failOpen` (a boolean that overrides both) and
/// `maxHookRetries` (≤ 0 keeps the default of 10).
pub fn hook_policy<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<HookPolicy> {
    let options = Options::new(ctx, value, HOOKS_NOT_OBJECT)?;
    let mut policy = HookPolicy::default();
    for key in ["hookErrorPolicy", "onHookError"] {
        if let Some(mode) = options.string(key)? {
            let mode = mode.trim().to_ascii_lowercase();
            if !mode.is_empty() {
                policy.fail_open = mode == "fail-open" || mode == "open";
            }
        }
    }
    if let Some(fail_open) = options.bool("failOpen")? {
        policy.fail_open = fail_open;
    }
    if let Some(limit) = options.integer("maxHookRetries", COUNT)?.filter(|n| *n > 0) {
        policy.max_hook_retries = limit as u32;
    }
    Ok(policy)
}

/// Largest `maxTokens`.
const MAX_TOKENS: Range = Range::integer(1, u32::MAX as i64);
/// Accepted `temperature` (the widest range of the supported providers).
const TEMPERATURE: Range = Range::number(0.0, 2.0);
/// Accepted `topP`.
const TOP_P: Range = Range::number(0.0, 1.0);
/// Accepted `timeoutSeconds`: the millisecond range, in seconds.
const TIMEOUT_SECONDS: Range = Range::number(0.0, Range::MILLISECONDS.max / 1000.0);

/// Engine options (`engines.fromConfig(opts)`, the `opts` of `engines.fromProfile`): `apiType` or
/// `provider`, `model`, `apiKey`, `baseURL` (or `baseUrl`), `temperature` (0–2), `topP` (0–1),
/// `maxTokens` (1–2^32-1), `timeoutMs` or `timeoutSeconds` (`timeoutMs` wins; 0 means none),
/// `profile`. Blank strings count as absent.
pub fn engine_options<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<EngineOptions> {
    let options = Options::new(ctx, value, OPTIONS_NOT_OBJECT)?;
    let text = |keys: &[&'static str]| -> rquickjs::Result<Option<String>> {
        match options.first(keys)? {
            None => Ok(None),
            Some((key, value)) => {
                let text = options.as_string(key, &value)?;
                let text = text.trim();
                Ok((!text.is_empty()).then(|| text.to_string()))
            }
        }
    };
    let api_type = match text(&["apiType", "provider"])? {
        Some(name) => {
            Some(ApiType::parse(&name).map_err(|message| type_error(ctx, &message.to_string()))?)
        }
        None => None,
    };
    let millis = options
        .milliseconds("timeoutMs")?
        .map(Duration::from_millis);
    let seconds = options
        .number("timeoutSeconds", TIMEOUT_SECONDS)?
        .map(|seconds| Duration::from_millis((seconds * 1000.0) as u64));
    let timeout = millis
        .filter(|timeout| !timeout.is_zero())
        .or(seconds.filter(|timeout| !timeout.is_zero()));
    Ok(EngineOptions {
        api_type,
        model: text(&["model"])?,
        api_key: text(&["apiKey"])?.map(ApiKey::new),
        base_url: text(&["baseURL", "baseUrl"])?,
        temperature: options.number("temperature", TEMPERATURE)?,
        top_p: options.number("topP", TOP_P)?,
        max_tokens: options
            .integer("maxTokens", MAX_TOKENS)?
            .map(|tokens| tokens as u64),
        timeout,
        profile: text(&["profile"])?,
    })
}

/// `engines.fromConfig(opts)` options: [`engine_options`], and a model is required.
pub fn config_options<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<EngineOptions> {
    let options = engine_options(ctx, value)?;
    if options.model.is_none() {
        return Err(type_error(ctx, FROM_CONFIG_NEEDS_MODEL));
    }
    Ok(options)
}

/// The free-form options of a host middleware (`middlewares.go(name, options)`), `None` when absent.
pub fn middleware_options<'js>(
    ctx: &Ctx<'js>,
    value: Value<'js>,
) -> rquickjs::Result<Option<Json>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    super::codec::js_to_json(ctx, value).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::test_support::with_value;
    use serde_json::json;

    fn check<T: PartialEq + std::fmt::Debug>(
        read: for<'js> fn(&Ctx<'js>, &Value<'js>) -> rquickjs::Result<T>,
        source: &str,
        expected: Result<T, &str>,
    ) {
        let got = with_value(source, |ctx, value| read(ctx, &value));
        assert_eq!(got, expected.map_err(str::to_string), "input {source}");
    }

    fn run<'js>(
        ctx: &Ctx<'js>,
        value: &Value<'js>,
    ) -> rquickjs::Result<(Option<u64>, Option<Json>)> {
        run_options(ctx, value).map(|options| (options.timeout_ms, options.tags))
    }

    #[test]
    fn run_options_table() {
        check(run, "null", Ok((None, None)));
        check(run, "({})", Ok((None, None)));
        check(
            run,
            "({timeoutMs: 5, tags: {k: 1}})",
            Ok((Some(5), Some(json!({"k": 1})))),
        );
        check(run, "({timeoutMs: 2.9})", Ok((Some(2), None)));
        check(run, "({tags: {}})", Ok((None, None)));
        check(
            run,
            "({timeoutMs: -1})",
            Err("TypeError: timeoutMs must be >= 0"),
        );
        check(
            run,
            "({timeoutMs: 1e300})",
            Err("RangeError: timeoutMs must be a number from 0 to 9007199254740991, got 1e+300"),
        );
        check(
            run,
            "({timeoutMs: NaN})",
            Err("RangeError: timeoutMs must be a number from 0 to 9007199254740991, got NaN"),
        );
        check(
            run,
            "({timeoutMs: '5'})",
            Err("TypeError: timeoutMs must be a number, got string"),
        );
        check(
            run,
            "({tags: 3})",
            Err("TypeError: tags must be an object, got number"),
        );
        check(run, "3", Err("TypeError: run options must be an object"));
        check(
            run,
            "({get timeoutMs() { throw new Error('getter') }})",
            Err("Error: getter"),
        );
    }

    #[test]
    fn tool_loop_settings_table() {
        let defaults = ToolLoopSettings::default;
        check(tool_loop_settings, "({})", Ok(defaults()));
        check(tool_loop_settings, "null", Ok(defaults()));
        check(
            tool_loop_settings,
            "({enabled: false, maxIterations: 2, maxParallelTools: 4, executionTimeoutMs: 50,
               toolChoice: ' required ', toolErrorHandling: 'retry', retryMaxRetries: 3,
               retryBackoffMs: 10, retryBackoffFactor: 1.5, allowedTools: ['go_double'], extra: 1})",
            Ok(ToolLoopSettings {
                enabled: false,
                max_iterations: 2,
                max_parallel_tools: 4,
                execution_timeout_ms: 50,
                tool_choice: ToolChoice::Required,
                tool_error_handling: ToolErrorHandling::Retry,
                retry_max_retries: 3,
                retry_backoff_ms: 10,
                retry_backoff_factor: 1.5,
                allowed_tools: Some(vec!["go_double".into()]),
            }),
        );
        check(
            tool_loop_settings,
            "({maxParallelTools: 0, maxIterations: 0, retryBackoffMs: 0, retryBackoffFactor: 0, allowedTools: []})",
            Ok(defaults()),
        );
        check(
            tool_loop_settings,
            "({maxParallelTools: -2, maxIterations: -1, retryBackoffMs: -5, retryBackoffFactor: -1,
               retryMaxRetries: -3, executionTimeoutMs: -1})",
            Ok(ToolLoopSettings {
                retry_max_retries: 0,
                execution_timeout_ms: 0,
                ..defaults()
            }),
        );
        check(
            tool_loop_settings,
            "({maxParallelTools: 2.9})",
            Err(
                "RangeError: maxParallelTools must be an integer from -4294967295 to 4294967295, got 2.9",
            ),
        );
        check(
            tool_loop_settings,
            "({maxIterations: 1e300})",
            Err(
                "RangeError: maxIterations must be an integer from -4294967295 to 4294967295, got 1e+300",
            ),
        );
        check(
            tool_loop_settings,
            "({maxIterations: -1e10})",
            Err(
                "RangeError: maxIterations must be an integer from -4294967295 to 4294967295, got -10000000000",
            ),
        );
        check(
            tool_loop_settings,
            "({executionTimeoutMs: Infinity})",
            Err(
                "RangeError: executionTimeoutMs must be a number from -9007199254740991 to 9007199254740991, got Infinity",
            ),
        );
        check(
            tool_loop_settings,
            "({retryBackoffFactor: NaN})",
            Err("RangeError: retryBackoffFactor must be a finite number, got NaN"),
        );
        check(
            tool_loop_settings,
            "({enabled: 'yes'})",
            Err("TypeError: enabled must be a boolean, got string"),
        );
        check(
            tool_loop_settings,
            "({allowedTools: ['a', 1]})",
            Err("TypeError: allowedTools must be an array of strings, got array"),
        );
        check(
            tool_loop_settings,
            "({toolChoice: 'sometimes'})",
            Err(
                "TypeError: invalid toolChoice \"sometimes\", expected one of: auto, none, required",
            ),
        );
        check(
            tool_loop_settings,
            "({toolChoice: 5})",
            Err("TypeError: invalid toolChoice \"5\", expected one of: auto, none, required"),
        );
        check(
            tool_loop_settings,
            "({toolErrorHandling: 'Abort'})",
            Err(
                "TypeError: invalid toolErrorHandling \"Abort\", expected one of: continue, abort, retry",
            ),
        );
        check(
            tool_loop_settings,
            "[]",
            Err("TypeError: options must be an object"),
        );
    }

    #[test]
    fn hook_policy_table() {
        let policy = |fail_open, max_hook_retries| {
            Ok(HookPolicy {
                fail_open,
                max_hook_retries,
            })
        };
        check(hook_policy, "({})", policy(false, 10));
        check(
            hook_policy,
            "({hookErrorPolicy: 'fail-open'})",
            policy(true, 10),
        );
        check(
            hook_policy,
            "({hookErrorPolicy: ' OPEN '})",
            policy(true, 10),
        );
        check(
            hook_policy,
            "({onHookError: 'fail-closed'})",
            policy(false, 10),
        );
        check(
            hook_policy,
            "({hookErrorPolicy: 'open', onHookError: 'closed'})",
            policy(false, 10),
        );
        check(
            hook_policy,
            "({hookErrorPolicy: 'open', failOpen: false})",
            policy(false, 10),
        );
        check(
            hook_policy,
            "({failOpen: true, maxHookRetries: 3})",
            policy(true, 3),
        );
        check(hook_policy, "({maxHookRetries: 0})", policy(false, 10));
        check(
            hook_policy,
            "({maxHookRetries: '5'})",
            Err("TypeError: maxHookRetries must be a number, got string"),
        );
        check(
            hook_policy,
            "({maxHookRetries: 1e300})",
            Err(
                "RangeError: maxHookRetries must be an integer from -4294967295 to 4294967295, got 1e+300",
            ),
        );
        check(
            hook_policy,
            "7",
            Err("TypeError: tool hooks must be an object"),
        );
    }

    #[test]
    fn engine_options_table() {
        check(
            engine_options,
            "({apiType: 'Claude', model: ' claude-sonnet-4-5 ', apiKey: 'sk-ant-x',
               baseURL: 'https://proxy.example.com/v1/', temperature: 0.7, topP: 0.95,
               maxTokens: 300, timeoutSeconds: 10, unknown: 1})",
            Ok(EngineOptions {
                api_type: Some(ApiType::Claude),
                model: Some("claude-sonnet-4-5".into()),
                api_key: Some(ApiKey::new("sk-ant-x")),
                base_url: Some("https://proxy.example.com/v1/".into()),
                temperature: Some(0.7),
                top_p: Some(0.95),
                max_tokens: Some(300),
                timeout: Some(Duration::from_secs(10)),
                profile: None,
            }),
        );
        check(
            engine_options,
            "({model: 'm', timeoutMs: 1500, timeoutSeconds: 9, provider: 'anthropic', baseUrl: 'http://x', apiKey: ' '})",
            Ok(EngineOptions {
                api_type: Some(ApiType::Claude),
                model: Some("m".into()),
                base_url: Some("http://x".into()),
                timeout: Some(Duration::from_millis(1500)),
                ..EngineOptions::default()
            }),
        );
        check(
            engine_options,
            "({model: 'm', timeoutMs: 0, timeoutSeconds: 0.5})",
            Ok(EngineOptions {
                model: Some("m".into()),
                timeout: Some(Duration::from_millis(500)),
                ..EngineOptions::default()
            }),
        );
        let cases = [
            (
                "({apiType: 'mistral'})",
                "TypeError: unknown provider \"mistral\", expected one of: openai, openai-responses, claude, anthropic, gemini",
            ),
            (
                "({temperature: 'hot'})",
                "TypeError: temperature must be a number, got string",
            ),
            (
                "({temperature: 3})",
                "RangeError: temperature must be a number from 0 to 2, got 3",
            ),
            (
                "({topP: -0.1})",
                "RangeError: topP must be a number from 0 to 1, got -0.1",
            ),
            (
                "({maxTokens: 1.5})",
                "RangeError: maxTokens must be an integer from 1 to 4294967295, got 1.5",
            ),
            (
                "({maxTokens: 1e300})",
                "RangeError: maxTokens must be an integer from 1 to 4294967295, got 1e+300",
            ),
            (
                "({timeoutMs: 1e300})",
                "RangeError: timeoutMs must be a number from 0 to 9007199254740991, got 1e+300",
            ),
            (
                "({timeoutSeconds: Infinity})",
                "RangeError: timeoutSeconds must be a number from 0 to 9007199254740.99, got Infinity",
            ),
            (
                "({model: 5})",
                "TypeError: model must be a string, got number",
            ),
            ("'gpt'", "TypeError: options must be an object"),
        ];
        for (source, expected) in cases {
            check(engine_options, source, Err(expected));
        }
        check(
            config_options,
            "({apiType: 'openai'})",
            Err("TypeError: fromConfig requires model"),
        );
    }
}
