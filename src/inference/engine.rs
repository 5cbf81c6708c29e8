//! The `Engine` trait: one inference step from a turn to a turn.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::context::RunContext;
use super::error::InferenceError;
use super::turn::Turn;

/// How the model may use tools (`toolChoice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolChoice {
    /// The model decides.
    #[default]
    Auto,
    /// The model must not call tools.
    None,
    /// The model must call a tool.
    Required,
}

impl ToolChoice {
    /// The wire name (`auto`, `none`, `required`).
    pub fn as_str(self) -> &'static str {
        match self {
            ToolChoice::Auto => "auto",
            ToolChoice::None => "none",
            ToolChoice::Required => "required",
        }
    }
}

/// A tool as offered to the model: name, description and JSON schema of its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    /// Tool name.
    pub name: String,
    /// What the tool does.
    pub description: String,
    /// JSON schema of the arguments object.
    pub parameters: Value,
}

/// The tools an engine may offer in a request, and how the model may use them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EngineTools {
    /// Offered tools, in registry order.
    pub definitions: Vec<ToolDefinition>,
    /// The tool choice.
    pub choice: ToolChoice,
}

/// An inference engine: takes the conversation so far and returns it with the model's answer appended.
///
/// Engines emit `start` before and `final` (or `error`/`interrupt`) after each step through
/// [`RunContext::emit`], and stop promptly when [`RunContext::cancel`] fires.
pub trait Engine: Send + Sync {
    /// The engine's name as scripts see it (`echo`, `jsFunction`, `config`, `profile:<p>`).
    fn name(&self) -> &str;

    /// Whether a step answers without I/O or heavy work of its own: from memory, or by calling
    /// back into the script (the echo and JS engines). A run of such an engine may be driven on
    /// the script's own thread, where those calls cost no thread switch.
    fn answers_in_process(&self) -> bool {
        false
    }

    /// Runs one inference step.
    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>>;
}
