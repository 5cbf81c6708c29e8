//! Finding the tool calls of a turn that no tool result answers yet.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::inference::turn::{BlockKind, Turn};

/// A tool call waiting for its result.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingCall {
    /// `payload.id` of the tool_call block.
    pub id: String,
    /// `payload.name`.
    pub name: String,
    /// `payload.args`: an object as is, a JSON string decoded; missing or undecodable: `{}`.
    pub args: Value,
}

/// The tool_call blocks of `turn` whose `payload.id` no tool_use block answers, in turn order.
/// Calls without an id (they could never be answered) and repeated ids are skipped.
pub fn pending_calls(turn: &Turn) -> Vec<PendingCall> {
    let mut seen: HashSet<&str> = turn
        .blocks
        .iter()
        .filter(|block| block.kind == BlockKind::ToolUse)
        .filter_map(|block| block.payload_str("id"))
        .collect();
    let mut pending = Vec::new();
    for block in turn
        .blocks
        .iter()
        .filter(|block| block.kind == BlockKind::ToolCall)
    {
        let Some(id) = block.payload_str("id").filter(|id| !id.is_empty()) else {
            continue;
        };
        if !seen.insert(id) {
            continue;
        }
        pending.push(PendingCall {
            id: id.to_string(),
            name: block.payload_str("name").unwrap_or_default().to_string(),
            args: decode_args(block.payload.get("args")),
        });
    }
    // The step holds this buffer until its last call ends: no room for calls that do not exist.
    pending.shrink_to_fit();
    pending
}

fn decode_args(args: Option<&Value>) -> Value {
    match args {
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Null) | Err(_) => Value::Object(Map::new()),
            Ok(decoded) => decoded,
        },
        Some(Value::Null) | None => Value::Object(Map::new()),
        Some(args) => args.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::turn::Block;
    use serde_json::json;

    fn check(blocks: Vec<Block>, expected: &[(&str, &str, Value)]) {
        let turn = Turn {
            blocks,
            ..Turn::default()
        };
        let got: Vec<(String, String, Value)> = pending_calls(&turn)
            .into_iter()
            .map(|call| (call.id, call.name, call.args))
            .collect();
        let expected: Vec<(String, String, Value)> = expected
            .iter()
            .map(|(id, name, args)| (id.to_string(), name.to_string(), args.clone()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn pending_table() {
        check(vec![Block::user("hi")], &[]);
        check(
            vec![Block::tool_call("1", "go_double", json!({"n": 2}))],
            &[("1", "go_double", json!({"n": 2}))],
        );
        check(
            vec![Block::tool_call("1", "t", json!("{\"n\":2}"))],
            &[("1", "t", json!({"n": 2}))],
        );
        check(
            vec![
                Block::tool_call("1", "t", json!("not json")),
                Block::tool_call("2", "t", Value::Null),
            ],
            &[("1", "t", json!({})), ("2", "t", json!({}))],
        );
        check(
            vec![
                Block::tool_call("1", "a", json!({})),
                Block::tool_call("2", "b", json!({})),
                Block::tool_use("1", json!("\"x\""), ""),
            ],
            &[("2", "b", json!({}))],
        );
        check(
            vec![
                Block::tool_call("", "a", json!({})),
                Block::tool_call("3", "a", json!({})),
                Block::tool_call("3", "a", json!({})),
            ],
            &[("3", "a", json!({}))],
        );
    }
}
