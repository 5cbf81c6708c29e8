//! Typed host tools: a Rust function over serde types becomes a [`Tool`].

use std::fmt::Display;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use geppetto_ops::host_tools;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Tool, ToolContext, ToolRegistry};
use crate::inference::engine::ToolDefinition;

type Handler = dyn Fn(Value) -> Result<Value, String> + Send + Sync;

/// A tool backed by a synchronous Rust function with typed input and output.
///
/// The arguments' JSON schema is derived from the input type with `schemars`. Arguments that do
/// not decode fail the call with `invalid arguments for <name>: <reason>`.
#[derive(Clone)]
pub struct HostTool {
    definition: ToolDefinition,
    handler: Arc<Handler>,
}

impl std::fmt::Debug for HostTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostTool")
            .field("definition", &self.definition)
            .finish_non_exhaustive()
    }
}

impl HostTool {
    /// A tool `name` that decodes its arguments as `Input`, runs `function` and encodes its output.
    pub fn new<Input, Output, Error, Function>(
        name: &str,
        description: &str,
        function: Function,
    ) -> HostTool
    where
        Input: DeserializeOwned + JsonSchema,
        Output: Serialize,
        Error: Display,
        Function: Fn(Input) -> Result<Output, Error> + Send + Sync + 'static,
    {
        let tool_name = name.to_string();
        let handler = move |args: Value| {
            let input: Input = serde_json::from_value(args)
                .map_err(|error| format!("invalid arguments for {tool_name}: {error}"))?;
            let output = function(input).map_err(|error| error.to_string())?;
            serde_json::to_value(output).map_err(|error| error.to_string())
        };
        HostTool {
            definition: ToolDefinition {
                name: name.to_string(),
                description: description.to_string(),
                parameters: parameters_schema::<Input>(),
            },
            handler: Arc::new(handler),
        }
    }
}

/// The JSON schema of `Input`, without the `$schema` and `title` keys providers do not need.
fn parameters_schema<Input: JsonSchema>() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Input)).unwrap_or_default();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        object.remove("title");
    }
    schema
}

impl Tool for HostTool {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    fn call(&self, args: Value, _ctx: ToolContext) -> BoxFuture<'static, Result<Value, String>> {
        let result = (self.handler)(args);
        Box::pin(async move { result })
    }
}

/// The host tools of the CLI harness: `go_double` and `go_concat`, in that order.
pub fn default_host_tools() -> ToolRegistry {
    let registry = ToolRegistry::new();
    registry.register(Arc::new(HostTool::new(
        host_tools::GO_DOUBLE_NAME,
        host_tools::GO_DOUBLE_DESCRIPTION,
        host_tools::go_double,
    )));
    registry.register(Arc::new(HostTool::new(
        host_tools::GO_CONCAT_NAME,
        host_tools::GO_CONCAT_DESCRIPTION,
        |input| Ok::<_, std::convert::Infallible>(host_tools::go_concat(input)),
    )));
    registry
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn host_tool_call_table() {
        let registry = default_host_tools();
        let double = registry.get("go_double").unwrap();
        let cases = [
            (json!({"n": 2}), Ok(json!({"value": 4}))),
            (
                json!({"n": "x"}),
                Err(
                    "invalid arguments for go_double: invalid type: string \"x\", expected i64"
                        .to_string(),
                ),
            ),
            (
                json!({"n": i64::MAX}),
                Err(format!(
                    "go_double: {} doubled overflows a 64-bit integer",
                    i64::MAX
                )),
            ),
        ];
        for (args, expected) in cases {
            let got = double
                .call(args.clone(), ToolContext::detached("go_double"))
                .await;
            assert_eq!(got, expected, "args {args}");
        }
    }

    #[test]
    fn schema_is_a_plain_object_schema() {
        let registry = default_host_tools();
        let concat = registry.get("go_concat").unwrap();
        let schema = &concat.definition().parameters;
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["a", "b"]));
        assert!(schema.get("$schema").is_none());
    }
}
