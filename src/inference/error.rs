//! The error type of the inference core.

/// Why an inference (or one of its steps) failed. The `Display` text is what scripts see.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InferenceError {
    /// The run was cancelled (`cancel()`, `cancelActive()`).
    #[error("inference canceled")]
    Canceled,
    /// The run's deadline (`timeoutMs`) passed; the run was cancelled.
    #[error("inference canceled: deadline exceeded")]
    DeadlineExceeded,
    /// Anything else, with the text the spec prescribes (for example `js engine callback: boom`).
    #[error("{0}")]
    Failed(String),
}

impl InferenceError {
    /// A [`InferenceError::Failed`] with the given text.
    pub fn failed(message: impl Into<String>) -> InferenceError {
        InferenceError::Failed(message.into())
    }

    /// Whether this error means the run was cancelled (by a call or by its deadline).
    pub fn is_cancellation(&self) -> bool {
        matches!(
            self,
            InferenceError::Canceled | InferenceError::DeadlineExceeded
        )
    }
}
