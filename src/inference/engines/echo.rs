//! `engines.echo({reply})`: an engine that answers with a fixed text.

use futures_util::future::BoxFuture;

use crate::inference::context::RunContext;
use crate::inference::engine::Engine;
use crate::inference::error::InferenceError;
use crate::inference::event::EventKind;
use crate::inference::turn::{Block, Turn};

/// The reply used when none (or only white space) is given.
pub const DEFAULT_REPLY: &str = "READY";

/// Appends `{kind:"llm_text", role:"assistant", payload:{text: reply}}` to every turn.
///
/// Emits `start` before and `final {text}` after each step (`interrupt` instead when cancelled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoEngine {
    reply: String,
}

impl EchoEngine {
    /// An echo engine answering `reply`, trimmed; an empty reply becomes [`DEFAULT_REPLY`].
    pub fn new(reply: &str) -> EchoEngine {
        let reply = reply.trim();
        EchoEngine {
            reply: if reply.is_empty() {
                DEFAULT_REPLY.to_string()
            } else {
                reply.to_string()
            },
        }
    }

    /// The text this engine answers.
    pub fn reply(&self) -> &str {
        &self.reply
    }
}

impl Default for EchoEngine {
    fn default() -> EchoEngine {
        EchoEngine::new(DEFAULT_REPLY)
    }
}

impl Engine for EchoEngine {
    fn name(&self) -> &str {
        "echo"
    }

    fn answers_in_process(&self) -> bool {
        true
    }

    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        Box::pin(async move {
            ctx.emit(EventKind::Start);
            if ctx.cancel.is_cancelled() {
                ctx.emit(EventKind::Interrupt {
                    text: String::new(),
                });
                return Err(ctx.cancellation_error());
            }
            ctx.emit(EventKind::Final {
                text: self.reply.clone(),
            });
            Ok(turn.with_block(Block::assistant(self.reply.clone())))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::event::CollectingSink;
    use std::sync::Arc;

    #[test]
    fn reply_table() {
        let cases = [
            ("", "READY"),
            ("   ", "READY"),
            (" hi \n", "hi"),
            ("ok", "ok"),
        ];
        for (reply, expected) in cases {
            assert_eq!(EchoEngine::new(reply).reply(), expected, "reply {reply:?}");
        }
    }

    #[tokio::test]
    async fn appends_reply_and_emits_start_then_final() {
        let sink = CollectingSink::new();
        let mut ctx = RunContext::detached();
        ctx.sink = Arc::new(sink.clone());
        let out = EchoEngine::new("pong")
            .run_inference(&ctx, Turn::new().with_block(Block::user("ping")))
            .await
            .unwrap();
        assert_eq!(out.blocks.len(), 2);
        assert_eq!(out.blocks[1], Block::assistant("pong"));
        let kinds: Vec<EventKind> = sink.events().into_iter().map(|event| event.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Start,
                EventKind::Final {
                    text: "pong".into()
                }
            ]
        );
    }

    #[tokio::test]
    async fn canceled_context_interrupts() {
        let ctx = RunContext::detached();
        ctx.cancel.cancel();
        let result = EchoEngine::default().run_inference(&ctx, Turn::new()).await;
        assert_eq!(result, Err(InferenceError::Canceled));
    }
}
