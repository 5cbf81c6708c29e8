//! Tool loop settings (`withTools(registry, settings)`, `withToolLoop`, the `toolLoop` option).

use serde_json::{Value, json};

use crate::inference::engine::ToolChoice;

/// What a tool error does to the run (`toolErrorHandling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolErrorHandling {
    /// The error becomes the tool-use block's `error` and the loop goes on.
    #[default]
    Continue,
    /// The first tool error fails the run.
    Abort,
    /// Failed attempts are retried with exponential backoff, then handled as `continue`.
    Retry,
}

impl ToolErrorHandling {
    /// The wire name (`continue`, `abort`, `retry`).
    pub fn as_str(self) -> &'static str {
        match self {
            ToolErrorHandling::Continue => "continue",
            ToolErrorHandling::Abort => "abort",
            ToolErrorHandling::Retry => "retry",
        }
    }

    /// Parses a wire name (surrounding white space ignored, case-sensitive as in the original).
    ///
    /// Fails with `invalid toolErrorHandling "X", expected one of: continue, abort, retry`.
    pub fn parse(text: &str) -> Result<ToolErrorHandling, String> {
        match text.trim() {
            "continue" => Ok(ToolErrorHandling::Continue),
            "abort" => Ok(ToolErrorHandling::Abort),
            "retry" => Ok(ToolErrorHandling::Retry),
            other => Err(format!(
                "invalid toolErrorHandling \"{other}\", expected one of: continue, abort, retry"
            )),
        }
    }
}

/// Parses a `toolChoice` wire name (surrounding white space ignored, case-sensitive).
///
/// Fails with `invalid toolChoice "X", expected one of: auto, none, required`.
pub fn parse_tool_choice(text: &str) -> Result<ToolChoice, String> {
    match text.trim() {
        "auto" => Ok(ToolChoice::Auto),
        "none" => Ok(ToolChoice::None),
        "required" => Ok(ToolChoice::Required),
        other => Err(format!(
            "invalid toolChoice \"{other}\", expected one of: auto, none, required"
        )),
    }
}

/// Every setting of the tool loop, with the spec's defaults ([`ToolLoopSettings::default`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolLoopSettings {
    /// `enabled` (true); false detaches the tools: the session runs the engine once.
    pub enabled: bool,
    /// `maxIterations` (5): engine steps before the run fails with `max iterations (N) reached`.
    pub max_iterations: u32,
    /// `maxParallelTools` (1, at least 1): tool calls of one step executed at the same time.
    pub max_parallel_tools: usize,
    /// `executionTimeoutMs` (30000): limit of each attempt of a tool call; 0 disables it.
    pub execution_timeout_ms: u64,
    /// `toolChoice` (`auto`), passed to the engine.
    pub tool_choice: ToolChoice,
    /// `toolErrorHandling` (`continue`).
    pub tool_error_handling: ToolErrorHandling,
    /// `retryMaxRetries` (2): retries of a failed call with `toolErrorHandling: "retry"`.
    pub retry_max_retries: u32,
    /// `retryBackoffMs` (1000): wait before the first retry.
    pub retry_backoff_ms: u64,
    /// `retryBackoffFactor` (2.0): each further retry waits this many times longer.
    pub retry_backoff_factor: f64,
    /// `allowedTools`: when set, calls to other tools fail with `tool not allowed: X`, and only
    /// these tools are offered to the model.
    pub allowed_tools: Option<Vec<String>>,
}

/// Default of [`ToolLoopSettings::max_iterations`].
pub const DEFAULT_MAX_ITERATIONS: u32 = 5;
/// Default of [`ToolLoopSettings::execution_timeout_ms`]: 30 s, the original's value.
pub const DEFAULT_EXECUTION_TIMEOUT_MS: u64 = 30_000;

impl Default for ToolLoopSettings {
    fn default() -> ToolLoopSettings {
        ToolLoopSettings {
            enabled: true,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            max_parallel_tools: 1,
            execution_timeout_ms: DEFAULT_EXECUTION_TIMEOUT_MS,
            tool_choice: ToolChoice::Auto,
            tool_error_handling: ToolErrorHandling::Continue,
            retry_max_retries: 2,
            retry_backoff_ms: 1000,
            retry_backoff_factor: 2.0,
            allowed_tools: None,
        }
    }
}

/// Nanoseconds per millisecond: `data.tool_config` stores durations as the original did (Go
/// `time.Duration`, in nanoseconds).
const NANOS_PER_MS: u64 = 1_000_000;

impl ToolLoopSettings {
    /// Reads the settings from a JS settings object; missing or ill-typed keys keep their defaults
    /// (as in the original), out-of-range numbers are clamped, and invalid `toolChoice` /
    /// `toolErrorHandling` strings fail with the spec's errors. The `hooks` key is not read here.
    pub fn from_json(settings: &Value) -> Result<ToolLoopSettings, String> {
        let mut parsed = ToolLoopSettings::default();
        let int = |key: &str| {
            settings
                .get(key)
                .and_then(|value| value.as_i64().or_else(|| value.as_f64().map(|n| n as i64)))
        };
        if let Some(enabled) = settings.get("enabled").and_then(Value::as_bool) {
            parsed.enabled = enabled;
        }
        if let Some(max) = int("maxIterations")
            && max > 0
        {
            parsed.max_iterations = u32::try_from(max).unwrap_or(u32::MAX);
        }
        if let Some(parallel) = int("maxParallelTools") {
            parsed.max_parallel_tools = usize::try_from(parallel.max(1)).unwrap_or(usize::MAX);
        }
        if let Some(timeout) = int("executionTimeoutMs") {
            parsed.execution_timeout_ms = u64::try_from(timeout).unwrap_or(0);
        }
        if let Some(choice) = settings.get("toolChoice").and_then(Value::as_str) {
            parsed.tool_choice = parse_tool_choice(choice)?;
        }
        if let Some(handling) = settings.get("toolErrorHandling").and_then(Value::as_str) {
            parsed.tool_error_handling = ToolErrorHandling::parse(handling)?;
        }
        if let Some(retries) = int("retryMaxRetries") {
            parsed.retry_max_retries = u32::try_from(retries.max(0)).unwrap_or(u32::MAX);
        }
        if let Some(backoff) = int("retryBackoffMs")
            && backoff > 0
        {
            parsed.retry_backoff_ms = backoff as u64;
        }
        if let Some(factor) = settings.get("retryBackoffFactor").and_then(Value::as_f64)
            && factor > 0.0
        {
            parsed.retry_backoff_factor = factor;
        }
        if let Some(allowed) = settings.get("allowedTools").and_then(Value::as_array) {
            let names: Vec<String> = allowed
                .iter()
                .filter_map(Value::as_str)
                .filter(|name| !name.is_empty())
                .map(str::to_string)
                .collect();
            parsed.allowed_tools = (!names.is_empty()).then_some(names);
        }
        Ok(parsed)
    }

    /// Whether `allowedTools` lets tool `name` run.
    pub fn is_allowed(&self, name: &str) -> bool {
        self.allowed_tools
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|allowed| allowed == name))
    }

    /// What the loop does after failed attempt `attempt` (from 0) without a hook: retry only with
    /// `toolErrorHandling: "retry"` while `attempt < retryMaxRetries`, after
    /// `retryBackoffMs × retryBackoffFactor^attempt` ms. Returns `(retry, backoff_ms)`.
    pub fn default_retry(&self, attempt: u32) -> (bool, u64) {
        if self.tool_error_handling != ToolErrorHandling::Retry || attempt >= self.retry_max_retries
        {
            return (false, 0);
        }
        let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
        let backoff = self.retry_backoff_ms as f64 * self.retry_backoff_factor.powi(exponent);
        (true, backoff.clamp(0.0, u64::MAX as f64) as u64)
    }

    /// The `data.tool_config` object the loop writes on the turn, in the original's shape
    /// (snake_case keys, durations in nanoseconds).
    pub fn tool_config_json(&self) -> Value {
        json!({
            "enabled": self.enabled,
            "tool_choice": self.tool_choice.as_str(),
            "max_iterations": self.max_iterations,
            "execution_timeout": self.execution_timeout_ms.saturating_mul(NANOS_PER_MS),
            "max_parallel_tools": self.max_parallel_tools,
            "allowed_tools": self.allowed_tools,
            "tool_error_handling": self.tool_error_handling.as_str(),
            "retry_config": {
                "max_retries": self.retry_max_retries,
                "backoff_base": self.retry_backoff_ms.saturating_mul(NANOS_PER_MS),
                "backoff_factor": self.retry_backoff_factor,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: Value, expected: Result<ToolLoopSettings, &str>) {
        let got = ToolLoopSettings::from_json(&input);
        assert_eq!(got, expected.map_err(str::to_string), "input {input}");
    }

    #[test]
    fn from_json_table() {
        let defaults = ToolLoopSettings::default;
        check(json!({}), Ok(defaults()));
        check(json!(null), Ok(defaults()));
        check(
            json!({"enabled": false, "maxIterations": 2, "maxParallelTools": 4,
                   "executionTimeoutMs": 50, "toolChoice": " required ", "toolErrorHandling": "retry",
                   "retryMaxRetries": 3, "retryBackoffMs": 10, "retryBackoffFactor": 1.5,
                   "allowedTools": ["go_double"]}),
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
            json!({"maxParallelTools": 0, "maxIterations": 0, "retryBackoffMs": 0, "retryBackoffFactor": -1, "allowedTools": []}),
            Ok(defaults()),
        );
        check(
            json!({"maxParallelTools": 2.9}),
            Ok(ToolLoopSettings {
                max_parallel_tools: 2,
                ..defaults()
            }),
        );
        check(
            json!({"toolChoice": "sometimes"}),
            Err("invalid toolChoice \"sometimes\", expected one of: auto, none, required"),
        );
        check(
            json!({"toolErrorHandling": "Abort"}),
            Err("invalid toolErrorHandling \"Abort\", expected one of: continue, abort, retry"),
        );
    }

    #[test]
    fn default_retry_table() {
        let retry = ToolLoopSettings {
            tool_error_handling: ToolErrorHandling::Retry,
            ..ToolLoopSettings::default()
        };
        let cases = [
            (ToolLoopSettings::default(), 0, (false, 0)),
            (retry.clone(), 0, (true, 1000)),
            (retry.clone(), 1, (true, 2000)),
            (retry.clone(), 2, (false, 0)),
        ];
        for (settings, attempt, expected) in cases {
            assert_eq!(
                settings.default_retry(attempt),
                expected,
                "attempt {attempt}"
            );
        }
    }

    #[test]
    fn allowed_and_tool_config() {
        let settings = ToolLoopSettings {
            allowed_tools: Some(vec!["a".into()]),
            ..ToolLoopSettings::default()
        };
        assert!(settings.is_allowed("a"));
        assert!(!settings.is_allowed("b"));
        assert!(ToolLoopSettings::default().is_allowed("b"));
        let config = ToolLoopSettings::default().tool_config_json();
        assert_eq!(config["max_iterations"], 5);
        assert_eq!(config["execution_timeout"], 30_000_000_000u64);
        assert_eq!(config["tool_choice"], "auto");
        assert_eq!(config["retry_config"]["backoff_factor"], 2.0);
        assert_eq!(config["allowed_tools"], Value::Null);
    }
}
