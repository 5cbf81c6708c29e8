//! `systemPrompt {prompt}`: makes sure the turn starts from the given system prompt.

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::inference::context::RunContext;
use crate::inference::error::InferenceError;
use crate::inference::middleware::{Middleware, Next};
use crate::inference::turn::{Block, BlockKind, Turn};

/// Sets the system prompt of every turn it sees.
///
/// An empty prompt is a no-op. When the turn has a system block, the first one's text becomes the
/// prompt (when different) and its metadata gets `middleware: "systemprompt"`; otherwise such a
/// block is inserted at index 0. Applying it again changes nothing, so it is idempotent across
/// tool-loop iterations (the original appended the prompt to an existing block, which was not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemPrompt {
    prompt: String,
}

/// The block metadata key and value marking a block this middleware wrote.
const MARKER: (&str, &str) = ("middleware", "systemprompt");

impl SystemPrompt {
    /// A middleware setting `prompt`.
    pub fn new(prompt: impl Into<String>) -> SystemPrompt {
        SystemPrompt {
            prompt: prompt.into(),
        }
    }

    /// Applies the prompt to `turn` (what [`Middleware::handle`] does before calling `next`).
    pub fn apply(&self, turn: &mut Turn) {
        if self.prompt.is_empty() {
            return;
        }
        let marker = Value::String(MARKER.1.to_string());
        match turn
            .blocks
            .iter_mut()
            .find(|block| block.kind == BlockKind::System)
        {
            Some(block) => {
                if block.text_payload() != Some(self.prompt.as_str()) {
                    block
                        .payload
                        .insert("text".into(), Value::String(self.prompt.clone()));
                }
                block.metadata.insert(MARKER.0.into(), marker);
            }
            None => {
                let mut block = Block::system(self.prompt.clone());
                block.metadata.insert(MARKER.0.into(), marker);
                turn.blocks.insert(0, block);
            }
        }
    }
}

impl Middleware for SystemPrompt {
    fn name(&self) -> &str {
        "systemPrompt"
    }

    fn handle(
        &self,
        ctx: RunContext,
        mut turn: Turn,
        next: Next,
    ) -> BoxFuture<'static, Result<Turn, InferenceError>> {
        self.apply(&mut turn);
        next.run(ctx, turn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(prompt: &str, blocks: Vec<Block>, expected: &[(BlockKind, &str, bool)]) {
        let mut turn = Turn {
            blocks,
            ..Turn::default()
        };
        let middleware = SystemPrompt::new(prompt);
        middleware.apply(&mut turn);
        let once = turn.clone();
        middleware.apply(&mut turn);
        assert_eq!(turn, once, "not idempotent");
        let got: Vec<(BlockKind, &str, bool)> = turn
            .blocks
            .iter()
            .map(|block| {
                (
                    block.kind,
                    block.text_payload().unwrap_or_default(),
                    block.metadata.get("middleware") == Some(&Value::from("systemprompt")),
                )
            })
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn system_prompt_table() {
        check(
            "",
            vec![Block::user("hi")],
            &[(BlockKind::User, "hi", false)],
        );
        check(
            "be brief",
            vec![Block::user("hi")],
            &[
                (BlockKind::System, "be brief", true),
                (BlockKind::User, "hi", false),
            ],
        );
        check(
            "be brief",
            vec![
                Block::user("hi"),
                Block::system("old"),
                Block::system("other"),
            ],
            &[
                (BlockKind::User, "hi", false),
                (BlockKind::System, "be brief", true),
                (BlockKind::System, "other", false),
            ],
        );
        check(
            "same",
            vec![Block::system("same")],
            &[(BlockKind::System, "same", true)],
        );
        check("p", vec![], &[(BlockKind::System, "p", true)]);
    }
}
