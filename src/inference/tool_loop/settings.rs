//! Tool loop settings (read from the script's settings object in `bridge/`).

use serde_json::{Value, json};

use crate::inference::engine::ToolChoice;

/// What a tool error does to the run.
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
}

/// Every setting of the tool loop, with the spec's defaults ([`ToolLoopSettings::default`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolLoopSettings {
    /// Whether tools are attached (true); false detaches them: the session runs the engine once.
    pub enabled: bool,
    /// Engine steps (5) before the run fails with `max iterations (N) reached`.
    pub max_iterations: u32,
    /// Tool calls of one step executed at the same time (1, at least 1).
    pub max_parallel_tools: usize,
    /// Limit of each attempt of a tool call in milliseconds (30000); 0 disables it.
    pub execution_timeout_ms: u64,
    /// The tool choice (`auto`), passed to the engine.
    pub tool_choice: ToolChoice,
    /// What a tool error does (`continue`).
    pub tool_error_handling: ToolErrorHandling,
    /// Retries (2) of a failed call with [`ToolErrorHandling::Retry`].
    pub retry_max_retries: u32,
    /// Wait before the first retry in milliseconds (1000).
    pub retry_backoff_ms: u64,
    /// Each further retry waits this many times longer (2.0).
    pub retry_backoff_factor: f64,
    /// When set, calls to other tools fail with `tool not allowed: X`, and only
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
    /// Whether [`ToolLoopSettings::allowed_tools`] lets tool `name` run.
    pub fn is_allowed(&self, name: &str) -> bool {
        self.allowed_tools
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|allowed| allowed == name))
    }

    /// What the loop does after failed attempt `attempt` (from 0) without a hook: retry only with
    /// [`ToolErrorHandling::Retry`] while `attempt < retry_max_retries`, after
    /// `retry_backoff_ms × retry_backoff_factor^attempt` ms. Returns `(retry, backoff_ms)`.
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
