//! `turnLogging`: logs the start and the outcome of each inference step.

use futures_util::future::BoxFuture;

use crate::inference::context::RunContext;
use crate::inference::error::InferenceError;
use crate::inference::middleware::{Middleware, Next};
use crate::inference::turn::{BlockKind, Turn};

/// Logs (tracing, level info) `turn: starting inference`, then `turn: inference completed` with the
/// output's block counts per kind, or `turn: inference failed` with the error. Never changes the
/// turn.
#[derive(Debug, Clone, Copy, Default)]
pub struct TurnLogging;

/// `kind=count` pairs for the kinds present in `turn`, in [`BlockKind::ALL`] order.
pub(crate) fn block_counts(turn: &Turn) -> String {
    BlockKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let count = turn
                .blocks
                .iter()
                .filter(|block| block.kind == kind)
                .count();
            (count > 0).then(|| format!("{}={count}", kind.as_str()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Middleware for TurnLogging {
    fn name(&self) -> &str {
        "turnLogging"
    }

    fn handle(
        &self,
        ctx: RunContext,
        turn: Turn,
        next: Next,
    ) -> BoxFuture<'static, Result<Turn, InferenceError>> {
        Box::pin(async move {
            let session_id = ctx.session_id.clone();
            let inference_id = ctx.inference_id.clone();
            let turn_id = turn.id.clone();
            tracing::info!(
                %session_id,
                %inference_id,
                %turn_id,
                blocks = turn.blocks.len(),
                "turn: starting inference"
            );
            let result = next.run(ctx, turn).await;
            match &result {
                Ok(out) => tracing::info!(
                    %session_id,
                    %inference_id,
                    %turn_id,
                    blocks = out.blocks.len(),
                    counts = %block_counts(out),
                    "turn: inference completed"
                ),
                Err(error) => tracing::info!(
                    %session_id,
                    %inference_id,
                    %turn_id,
                    %error,
                    "turn: inference failed"
                ),
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::turn::Block;
    use serde_json::json;

    #[test]
    fn block_counts_table() {
        let cases = [
            (vec![], ""),
            (vec![Block::user("a"), Block::user("b")], "user=2"),
            (
                vec![
                    Block::system("s"),
                    Block::user("a"),
                    Block::tool_call("1", "t", json!({})),
                    Block::assistant("x"),
                ],
                "user=1 llm_text=1 tool_call=1 system=1",
            ),
        ];
        for (blocks, expected) in cases {
            let turn = Turn {
                blocks,
                ..Turn::default()
            };
            assert_eq!(block_counts(&turn), expected);
        }
    }
}
