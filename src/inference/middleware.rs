//! Middlewares and the chain that wraps an engine with them.
//!
//! A [`Middleware`] sees the turn on its way to the engine and the engine's answer on its way back;
//! it calls [`Next::run`] (zero, one or many times) to run the rest of the chain. [`chain`] builds
//! the chain: the first middleware of the list is the outermost, so it runs first.
//!
//! **Invariant:** a [`Next`] and every future it returns are `Send + 'static`. The JS bridge moves a
//! `Next` into a closure that runs on another thread and calls it from there, so a `Next` owns what
//! it needs (an `Arc` of the chain) and borrows nothing.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tracing::Instrument;

use super::context::RunContext;
use super::engine::Engine;
use super::error::InferenceError;
use super::turn::Turn;
use crate::telemetry::spans;

/// One step of the middleware chain.
pub trait Middleware: Send + Sync {
    /// The middleware's name (logs, the JS `ctx.middlewareName`, error prefixes).
    fn name(&self) -> &str;

    /// Handles one inference step: may change `turn`, call `next.run` to run the rest of the chain,
    /// and change its answer.
    fn handle(
        &self,
        ctx: RunContext,
        turn: Turn,
        next: Next,
    ) -> BoxFuture<'static, Result<Turn, InferenceError>>;
}

/// The rest of a middleware chain, ending in the engine.
///
/// A clone is an `Arc` clone plus an index; it can be called any number of times, from any thread.
#[derive(Clone)]
pub struct Next {
    chain: Arc<Chain>,
    index: usize,
}

struct Chain {
    middlewares: Vec<Arc<dyn Middleware>>,
    engine: Arc<dyn Engine>,
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let remaining: Vec<&str> = self.chain.middlewares[self.index..]
            .iter()
            .map(|middleware| middleware.name())
            .collect();
        f.debug_struct("Next")
            .field("middlewares", &remaining)
            .field("engine", &self.chain.engine.name())
            .finish()
    }
}

impl Next {
    /// Runs the rest of the chain on `turn`. `ctx.turn_id` is set to the turn's id when it has one.
    /// The step runs in a `middleware` (or `engine`) span, child of `ctx.span`.
    ///
    /// Fails with the run's cancellation error, without calling the engine, when the run was
    /// cancelled before the engine step starts.
    pub fn run(
        &self,
        mut ctx: RunContext,
        turn: Turn,
    ) -> BoxFuture<'static, Result<Turn, InferenceError>> {
        if !turn.id.is_empty() {
            ctx.turn_id = Some(turn.id.clone());
        }
        match self.chain.middlewares.get(self.index) {
            Some(middleware) => {
                let next = Next {
                    chain: Arc::clone(&self.chain),
                    index: self.index + 1,
                };
                let span = spans::middleware(&ctx.span, middleware.name());
                if span.is_disabled() {
                    return middleware.handle(ctx, turn, next);
                }
                spans::enter_child(&mut ctx.span, &span);
                Box::pin(middleware.handle(ctx, turn, next).instrument(span))
            }
            None => {
                let engine = Arc::clone(&self.chain.engine);
                let span = spans::engine(&ctx.span, engine.name());
                spans::enter_child(&mut ctx.span, &span);
                Box::pin(spans::instrument(span, async move {
                    ctx.check_canceled()?;
                    engine.run_inference(&ctx, turn).await
                }))
            }
        }
    }

    /// The engine at the end of the chain.
    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.chain.engine
    }
}

/// Wraps `engine` with `middlewares`; the first middleware is the outermost (runs first).
pub fn chain(middlewares: &[Arc<dyn Middleware>], engine: Arc<dyn Engine>) -> Next {
    Next {
        chain: Arc::new(Chain {
            middlewares: middlewares.to_vec(),
            engine,
        }),
        index: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::turn::Block;

    /// Appends a marker block on the way in and on the way out.
    struct Marker(&'static str);

    impl Middleware for Marker {
        fn name(&self) -> &str {
            self.0
        }

        fn handle(
            &self,
            ctx: RunContext,
            turn: Turn,
            next: Next,
        ) -> BoxFuture<'static, Result<Turn, InferenceError>> {
            let name = self.0;
            Box::pin(async move {
                let turn = turn.with_block(Block::user(format!("{name}:in")));
                let out = next.run(ctx, turn).await?;
                Ok(out.with_block(Block::user(format!("{name}:out"))))
            })
        }
    }

    /// Calls the rest of the chain twice.
    struct Twice;

    impl Middleware for Twice {
        fn name(&self) -> &str {
            "twice"
        }

        fn handle(
            &self,
            ctx: RunContext,
            turn: Turn,
            next: Next,
        ) -> BoxFuture<'static, Result<Turn, InferenceError>> {
            Box::pin(async move {
                let once = next.run(ctx.clone(), turn).await?;
                next.run(ctx, once).await
            })
        }
    }

    struct Engine1;

    impl Engine for Engine1 {
        fn name(&self) -> &str {
            "test"
        }

        fn run_inference<'a>(
            &'a self,
            _ctx: &'a RunContext,
            turn: Turn,
        ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
            Box::pin(async move { Ok(turn.with_block(Block::assistant("engine"))) })
        }
    }

    fn texts(turn: &Turn) -> Vec<&str> {
        turn.blocks.iter().filter_map(Block::text_payload).collect()
    }

    fn assert_send_static<T: Send + Sync + 'static>(_: &T) {}

    #[tokio::test]
    async fn first_middleware_is_outermost() {
        let middlewares: Vec<Arc<dyn Middleware>> =
            vec![Arc::new(Marker("a")), Arc::new(Marker("b"))];
        let next = chain(&middlewares, Arc::new(Engine1));
        assert_send_static(&next);
        let out = next.run(RunContext::detached(), Turn::new()).await.unwrap();
        assert_eq!(texts(&out), ["a:in", "b:in", "engine", "b:out", "a:out"]);
    }

    #[tokio::test]
    async fn next_can_be_called_twice_and_from_another_task() {
        let middlewares: Vec<Arc<dyn Middleware>> = vec![Arc::new(Twice)];
        let next = chain(&middlewares, Arc::new(Engine1));
        let moved = next.clone();
        let out = tokio::spawn(async move { moved.run(RunContext::detached(), Turn::new()).await })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(texts(&out), ["engine", "engine"]);
    }

    #[tokio::test]
    async fn canceled_run_never_reaches_the_engine() {
        let next = chain(&[], Arc::new(Engine1));
        let ctx = RunContext::detached();
        ctx.cancel.cancel();
        assert_eq!(
            next.run(ctx, Turn::new()).await,
            Err(InferenceError::Canceled)
        );
    }
}
