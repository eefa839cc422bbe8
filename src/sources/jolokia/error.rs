//! Jolokia's one error type: an answer that is not what a bulk read returns.

use crate::catalog::ErrorReason;
use crate::source::PollError;

#[derive(Debug, thiserror::Error)]
pub enum JolokiaError {
    #[error("unexpected JSON from Jolokia: {0}")]
    Json(#[from] serde_json::Error),
    #[error("Jolokia refused the read of {mbean}: status {status}: {error}")]
    Refused { mbean: String, status: u16, error: String },
    #[error("Jolokia answered the bulk read with no response at all")]
    Empty,
}

impl JolokiaError {
    /// The bounded `reason` label of a failed poll.
    pub fn reason(&self) -> ErrorReason {
        match self {
            JolokiaError::Json(_) | JolokiaError::Empty => ErrorReason::Decode,
            JolokiaError::Refused { .. } => ErrorReason::HttpStatus,
        }
    }
}

impl From<JolokiaError> for PollError {
    fn from(error: JolokiaError) -> Self {
        PollError::new(error.reason(), error.to_string())
    }
}
