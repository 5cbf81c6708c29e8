//! The built-in host tools the CLI harness registers: `go_double` and `go_concat`.
//!
//! Each tool is a name, a description and a typed function; the JSON schema of its input is derived
//! from the input type with `schemars`. The `go_` prefix is the original project's name for host
//! tools and is kept so scripts written for it run unchanged.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Name of the doubling tool.
pub const GO_DOUBLE_NAME: &str = "go_double";
/// Description of the doubling tool, as scripts and models see it.
pub const GO_DOUBLE_DESCRIPTION: &str = "Double a number and return {value}";
/// Name of the concatenation tool.
pub const GO_CONCAT_NAME: &str = "go_concat";
/// Description of the concatenation tool, as scripts and models see it.
pub const GO_CONCAT_DESCRIPTION: &str = "Concatenate two strings and return {value}";

/// Input of `go_double`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct DoubleInput {
    /// The number to double.
    pub n: i64,
}

/// Input of `go_concat`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ConcatInput {
    /// The first string.
    pub a: String,
    /// The string appended to `a`.
    pub b: String,
}

/// The output of both host tools: `{value}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ValueOutput<T> {
    /// The computed value.
    pub value: T,
}

/// Errors of the host tools; the `Display` text is the tool error scripts see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostToolError {
    /// `2n` does not fit in a 64-bit integer.
    #[error("go_double: {0} doubled overflows a 64-bit integer")]
    Overflow(i64),
}

/// `go_double`: `{n}` → `{value: 2n}`.
pub fn go_double(input: DoubleInput) -> Result<ValueOutput<i64>, HostToolError> {
    input
        .n
        .checked_mul(2)
        .map(|value| ValueOutput { value })
        .ok_or(HostToolError::Overflow(input.n))
}

/// `go_concat`: `{a, b}` → `{value: a + b}`.
pub fn go_concat(input: ConcatInput) -> ValueOutput<String> {
    ValueOutput {
        value: input.a + &input.b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_table() {
        let cases = [
            (0, Ok(0)),
            (21, Ok(42)),
            (-4, Ok(-8)),
            (i64::MAX, Err(HostToolError::Overflow(i64::MAX))),
        ];
        for (n, expected) in cases {
            let got = go_double(DoubleInput { n }).map(|out| out.value);
            assert_eq!(got, expected, "n = {n}");
        }
    }

    #[test]
    fn concat_table() {
        let cases = [("", "", ""), ("foo", "bar", "foobar"), ("é", "ü", "éü")];
        for (a, b, expected) in cases {
            let out = go_concat(ConcatInput {
                a: a.into(),
                b: b.into(),
            });
            assert_eq!(out.value, expected);
        }
    }

    #[test]
    fn double_input_schema_requires_integer_n() {
        let schema = serde_json::to_value(schemars::schema_for!(DoubleInput)).unwrap();
        assert_eq!(schema["properties"]["n"]["type"], "integer");
        assert_eq!(schema["required"], serde_json::json!(["n"]));
    }
}
