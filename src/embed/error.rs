//! The errors of the embedding API: what an embedder can match on.

use std::path::PathBuf;

use crate::inference::InferenceError;
use crate::owner::OwnerError;

/// Why an embedding call failed.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// Two modules were registered under one name.
    #[error("module {name:?} is registered twice")]
    DuplicateModule {
        /// The name registered twice.
        name: String,
    },
    /// A module failed to set up while an owner started.
    #[error("module {module:?} setup failed: {message}")]
    ModuleSetup {
        /// The module's name.
        module: String,
        /// Its error.
        message: String,
    },
    /// The builder's settings do not make a runtime.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// An owner thread could not start.
    #[error("cannot start owner {owner:?}: {message}")]
    Spawn {
        /// The owner's name.
        owner: String,
        /// Why.
        message: String,
    },
    /// A JS exception (or a rejected promise), with its message and JS stack.
    #[error("{message}")]
    Js {
        /// `Error.message`, or the thrown value as text.
        message: String,
        /// The JS stack, when the exception had one.
        stack: Option<String>,
    },
    /// The owner could not run the call (closed, cancelled, interrupted, out of memory, ...).
    #[error(transparent)]
    Owner(OwnerError),
    /// A script file could not be read.
    #[error("cannot read script {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Arguments or a result did not convert between Rust and JSON.
    #[error("cannot convert {what}: {source}")]
    Convert {
        /// What was converted (`arguments`, `result`).
        what: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A run failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

impl From<OwnerError> for EmbedError {
    fn from(error: OwnerError) -> EmbedError {
        match error {
            OwnerError::Js { message, stack, .. } => EmbedError::Js { message, stack },
            other => EmbedError::Owner(other),
        }
    }
}

impl From<crate::runtime::ScriptFailure> for EmbedError {
    fn from(failure: crate::runtime::ScriptFailure) -> EmbedError {
        EmbedError::Js {
            message: failure.message,
            stack: failure.stack,
        }
    }
}

/// Why a run failed. The `Display` texts are the ones scripts see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// The run was cancelled.
    #[error("inference canceled")]
    Canceled,
    /// The run's timeout passed.
    #[error("inference canceled: deadline exceeded")]
    DeadlineExceeded,
    /// A provider answered with an HTTP error status.
    #[error("{message}")]
    Provider {
        /// The HTTP status code.
        status: u16,
        /// The whole failure text (it contains `HTTP <status>`).
        message: String,
    },
    /// Anything else (an engine, tool or middleware failure), with its text.
    #[error("{0}")]
    Failed(String),
}

impl From<InferenceError> for RunError {
    fn from(error: InferenceError) -> RunError {
        match error {
            InferenceError::Canceled => RunError::Canceled,
            InferenceError::DeadlineExceeded => RunError::DeadlineExceeded,
            InferenceError::Failed(message) => match provider_status(&message) {
                Some(status) => RunError::Provider { status, message },
                None => RunError::Failed(message),
            },
        }
    }
}

/// The status of a provider failure text: providers report `HTTP <status>...` (see
/// `providers::transport`).
fn provider_status(message: &str) -> Option<u16> {
    let (_, after) = message.split_once("HTTP ")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    (digits.len() == 3).then(|| digits.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_errors_classify_inference_errors() {
        let cases = [
            (InferenceError::Canceled, RunError::Canceled),
            (InferenceError::DeadlineExceeded, RunError::DeadlineExceeded),
            (
                InferenceError::failed("openai: HTTP 401 Unauthorized: bad key"),
                RunError::Provider {
                    status: 401,
                    message: "openai: HTTP 401 Unauthorized: bad key".into(),
                },
            ),
            (
                InferenceError::failed("js tool t: boom"),
                RunError::Failed("js tool t: boom".into()),
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(RunError::from(error), expected);
        }
    }
}
