//! The built-in host (native Rust) middlewares, and the registry that builds them by name.
//!
//! Scripts reach them with `middlewares.go(name, options?)`; the names are the original project's.

mod reorder_tool_results;
mod system_prompt;
mod turn_logging;

use std::sync::Arc;

use serde_json::Value;

pub use reorder_tool_results::ReorderToolResults;
pub use system_prompt::SystemPrompt;
pub use turn_logging::TurnLogging;

use super::middleware::Middleware;

/// The names [`host_middleware`] knows, in documentation order.
pub const HOST_MIDDLEWARE_NAMES: [&str; 3] = ["systemPrompt", "reorderToolResults", "turnLogging"];

/// Builds the host middleware `name` with its `options` (a JSON object, or none).
///
/// Unknown names fail with `unknown go middleware: <name>`.
pub fn host_middleware(
    name: &str,
    options: Option<&Value>,
) -> Result<Arc<dyn Middleware>, UnknownMiddleware> {
    match name {
        "systemPrompt" => {
            let prompt = options
                .and_then(|options| options.get("prompt"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            Ok(Arc::new(SystemPrompt::new(prompt)))
        }
        "reorderToolResults" => Ok(Arc::new(ReorderToolResults)),
        "turnLogging" => Ok(Arc::new(TurnLogging)),
        _ => Err(UnknownMiddleware {
            name: name.to_string(),
        }),
    }
}

/// A name that is not one of [`HOST_MIDDLEWARE_NAMES`] (`unknown go middleware: <name>`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown go middleware: {name}")]
pub struct UnknownMiddleware {
    /// The name asked for.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn registry_table() {
        let options = json!({"prompt": "be brief"});
        let cases: [(&str, Option<&Value>, Result<&str, &str>); 5] = [
            ("systemPrompt", Some(&options), Ok("systemPrompt")),
            ("systemPrompt", None, Ok("systemPrompt")),
            ("reorderToolResults", None, Ok("reorderToolResults")),
            ("turnLogging", None, Ok("turnLogging")),
            ("nope", None, Err("unknown go middleware: nope")),
        ];
        for (name, options, expected) in cases {
            let got = host_middleware(name, options);
            match expected {
                Ok(expected_name) => assert_eq!(got.unwrap().name(), expected_name),
                Err(message) => assert_eq!(got.err().unwrap().to_string(), message),
            }
        }
    }
}
