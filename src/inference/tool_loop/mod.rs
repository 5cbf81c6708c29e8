//! The tool loop: run the middleware-wrapped engine, execute the tool calls it asked for, append
//! their results, and go again until no call is pending.
//!
//! Per step, pending calls (tool_call blocks no tool_use block answers) run at most
//! [`ToolLoopSettings::max_parallel_tools`] at a time; their tool_use blocks are appended in call order, whatever order
//! they finish in. Each call goes through the hooks ([`crate::inference::hooks`]).

mod call;
mod pending;
mod settings;

use std::sync::Arc;

use futures_util::StreamExt;

pub use pending::{PendingCall, pending_calls};
pub use settings::{
    DEFAULT_EXECUTION_TIMEOUT_MS, DEFAULT_MAX_ITERATIONS, ToolErrorHandling, ToolLoopSettings,
};

use call::CallEnv;

use super::context::RunContext;
use super::engine::{EngineTools, ToolChoice};
use super::error::InferenceError;
use super::hooks::ToolHooks;
use super::middleware::Next;
use super::tools::ToolRegistry;
use super::turn::Turn;
use crate::telemetry::spans;

/// How a step ended.
enum Step {
    /// No call is pending: the run's output.
    Done(Turn),
    /// Tool results were appended: the next step's input.
    Continue(Turn),
}

/// The `data` key the loop writes its settings under.
pub const TOOL_CONFIG_KEY: &str = "tool_config";

/// A configured tool loop: tools, settings and hooks. Cheap to clone.
#[derive(Clone)]
pub struct ToolLoop {
    /// The tools calls are looked up in (at call time, so late registrations count).
    pub registry: ToolRegistry,
    /// The loop's settings.
    pub settings: ToolLoopSettings,
    /// Hooks around each call.
    pub hooks: Option<Arc<dyn ToolHooks>>,
}

impl std::fmt::Debug for ToolLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolLoop")
            .field("registry", &self.registry)
            .field("settings", &self.settings)
            .field("hooks", &self.hooks.is_some())
            .finish()
    }
}

impl ToolLoop {
    /// A loop over `registry` with default settings and no hooks.
    pub fn new(registry: ToolRegistry) -> ToolLoop {
        ToolLoop {
            registry,
            settings: ToolLoopSettings::default(),
            hooks: None,
        }
    }

    /// Runs the loop on `turn`, each engine step through `next`.
    ///
    /// Writes `data.tool_config`; gives the engine the (allowed) tool definitions and the tool
    /// choice in [`RunContext::tools`]; fails with `max iterations (N) reached` when calls are still
    /// pending after `max_iterations` steps, and with [`ToolErrorHandling::Abort`] on the first tool
    /// error (`tool execution aborted due to error in <name>: <error>`).
    pub async fn run(
        &self,
        ctx: &RunContext,
        next: &Next,
        mut turn: Turn,
    ) -> Result<Turn, InferenceError> {
        turn.data
            .insert(TOOL_CONFIG_KEY.into(), self.settings.tool_config_json());
        let max_iterations = self.settings.max_iterations.max(1);
        for iteration in 0..max_iterations as usize {
            let mut step_ctx = ctx.clone();
            step_ctx.tools = Some(self.engine_tools(iteration));
            let span =
                spans::inference_step(&ctx.span, iteration, &ctx.session_id, &ctx.inference_id);
            spans::enter_child(&mut step_ctx.span, &span);
            // Boxed: allocated while it runs instead of sized into every run's task.
            let step = Box::pin(self.step(&step_ctx, next, turn));
            match spans::instrument(span, step).await? {
                Step::Done(output) => return Ok(output),
                Step::Continue(updated) => turn = updated,
            }
        }
        Err(InferenceError::failed(format!(
            "max iterations ({max_iterations}) reached"
        )))
    }

    /// One step: the engine (through `next`), then the tool calls it asked for, their results
    /// appended. `ctx` is the step's context (its tools and span).
    async fn step(
        &self,
        ctx: &RunContext,
        next: &Next,
        turn: Turn,
    ) -> Result<Step, InferenceError> {
        let mut updated = next.run(ctx.clone(), turn).await?;
        let calls = pending_calls(&updated);
        if calls.is_empty() {
            return Ok(Step::Done(updated));
        }
        let env = CallEnv {
            ctx,
            registry: &self.registry,
            settings: &self.settings,
            hooks: self.hooks.as_ref(),
        };
        let abort_on_error = self.settings.tool_error_handling == ToolErrorHandling::Abort;
        let mut outcomes = futures_util::stream::iter(calls)
            // Boxed: `buffered` keeps a stub task sized for its future besides the running ones.
            .map(|call| Box::pin(env.execute(call)))
            .buffered(self.settings.max_parallel_tools.max(1));
        while let Some(outcome) = outcomes.next().await {
            let outcome = outcome?;
            if abort_on_error && outcome.is_tool_error {
                return Err(InferenceError::failed(format!(
                    "tool execution aborted due to error in {}: {}",
                    outcome.name, outcome.error
                )));
            }
            updated.blocks.push(outcome.into_block());
        }
        ctx.check_canceled()?;
        Ok(Step::Continue(updated))
    }

    /// The tools offered to the engine at step `iteration`: the registry's definitions allowed by
    /// `allowed_tools`, and the tool choice. `required` applies to the first step only: the model
    /// must call a tool once; forcing it on every step would only end at `max_iterations`.
    fn engine_tools(&self, iteration: usize) -> Arc<EngineTools> {
        let choice = match self.settings.tool_choice {
            ToolChoice::Required if iteration > 0 => ToolChoice::Auto,
            choice => choice,
        };
        self.registry
            .offered(self.settings.allowed_tools.as_deref(), choice)
    }
}

#[cfg(test)]
mod tests;
