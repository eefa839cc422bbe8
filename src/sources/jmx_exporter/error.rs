//! jmx_exporter's one error type: an answer that is not a text exposition.

use crate::catalog::ErrorReason;

#[derive(Debug, thiserror::Error)]
pub enum JmxExporterError {
    #[error("not UTF-8: {0}")]
    NotUtf8(#[from] std::str::Utf8Error),
    #[error("not a Prometheus text exposition: line {line}: {problem}: {text:?}")]
    Line { line: usize, problem: &'static str, text: String },
    #[error("no samples in the answer; is this a jmx_exporter /metrics endpoint?")]
    Empty,
}

impl JmxExporterError {
    /// The bounded `reason` label of a failed poll: every one is an answer we cannot read.
    pub fn reason(&self) -> ErrorReason {
        match self {
            JmxExporterError::NotUtf8(_) | JmxExporterError::Line { .. } | JmxExporterError::Empty => {
                ErrorReason::Decode
            }
        }
    }
}
