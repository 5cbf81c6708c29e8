//! `reorderToolResults`: puts each tool result right after the tool calls it answers.

use futures_util::future::BoxFuture;

use crate::inference::context::RunContext;
use crate::inference::error::InferenceError;
use crate::inference::middleware::{Middleware, Next};
use crate::inference::turn::{Block, BlockKind, Turn};

/// Moves each `tool_use` block directly after the run of `tool_call` blocks that holds its matching
/// call id, in call order. Providers such as OpenAI require tool results to follow their calls.
///
/// Only `tool_use` blocks placed after their run move; everything else keeps its relative order,
/// and the block count never changes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReorderToolResults;

impl ReorderToolResults {
    /// Reorders `blocks` (what [`Middleware::handle`] does before calling `next`).
    pub fn reorder(blocks: Vec<Block>) -> Vec<Block> {
        let count = blocks.len();
        let mut moved = vec![false; count];
        let mut order = Vec::with_capacity(count);
        let mut index = 0;
        while index < count {
            if moved[index] {
                index += 1;
                continue;
            }
            if blocks[index].kind != BlockKind::ToolCall {
                order.push(index);
                index += 1;
                continue;
            }
            let mut call_ids = Vec::new();
            while index < count && blocks[index].kind == BlockKind::ToolCall {
                order.push(index);
                if let Some(id) = call_id(&blocks[index]) {
                    call_ids.push(id);
                }
                index += 1;
            }
            for id in call_ids {
                for later in index..count {
                    if !moved[later]
                        && blocks[later].kind == BlockKind::ToolUse
                        && call_id(&blocks[later]) == Some(id)
                    {
                        moved[later] = true;
                        order.push(later);
                    }
                }
            }
        }
        let mut slots: Vec<Option<Block>> = blocks.into_iter().map(Some).collect();
        order
            .into_iter()
            .filter_map(|index| slots[index].take())
            .collect()
    }
}

/// The non-empty `payload.id` of a tool call or tool use block.
fn call_id(block: &Block) -> Option<&str> {
    block.payload_str("id").filter(|id| !id.is_empty())
}

impl Middleware for ReorderToolResults {
    fn name(&self) -> &str {
        "reorderToolResults"
    }

    fn handle(
        &self,
        ctx: RunContext,
        mut turn: Turn,
        next: Next,
    ) -> BoxFuture<'static, Result<Turn, InferenceError>> {
        turn.blocks = ReorderToolResults::reorder(std::mem::take(&mut turn.blocks));
        next.run(ctx, turn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// Blocks from a compact notation: `c:x` tool call x, `u:x` tool use x, anything else user text.
    fn blocks(spec: &[&str]) -> Vec<Block> {
        spec.iter()
            .map(|item| match item.split_once(':') {
                Some(("c", id)) => Block::tool_call(id, "tool", json!({})),
                Some(("u", id)) => Block::tool_use(id, Value::Null, ""),
                _ => Block::user(*item),
            })
            .collect()
    }

    fn notation(blocks: &[Block]) -> Vec<String> {
        blocks
            .iter()
            .map(|block| match block.kind {
                BlockKind::ToolCall => format!("c:{}", call_id(block).unwrap_or_default()),
                BlockKind::ToolUse => format!("u:{}", call_id(block).unwrap_or_default()),
                _ => block.text_payload().unwrap_or_default().to_string(),
            })
            .collect()
    }

    #[test]
    fn reorder_table() {
        let cases: [(&[&str], &[&str]); 6] = [
            (&[], &[]),
            (&["hi", "c:1", "u:1"], &["hi", "c:1", "u:1"]),
            (
                &["c:1", "c:2", "text", "u:2", "u:1"],
                &["c:1", "c:2", "u:1", "u:2", "text"],
            ),
            (
                &["c:1", "x", "c:2", "u:2", "u:1"],
                &["c:1", "u:1", "x", "c:2", "u:2"],
            ),
            (&["u:9", "c:1", "u:7"], &["u:9", "c:1", "u:7"]),
            (
                &["c:1", "c:1", "a", "u:1", "u:1"],
                &["c:1", "c:1", "u:1", "u:1", "a"],
            ),
        ];
        for (input, expected) in cases {
            let out = ReorderToolResults::reorder(blocks(input));
            assert_eq!(out.len(), input.len(), "block count changed for {input:?}");
            assert_eq!(notation(&out), expected, "input {input:?}");
        }
    }
}
