//! Kafka's one error type: why a poll (or setting up a cluster's handles) failed, with the
//! bounded `reason` label it counts under.

use rdkafka::error::{KafkaError as LibrdkafkaError, RDKafkaErrorCode};

use crate::catalog::ErrorReason;
use crate::source::PollError;

#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// librdkafka refused the client settings (handles connect lazily, so only settings fail).
    #[error("{0}")]
    Create(#[source] LibrdkafkaError),
    #[error("the previous poll is still waiting for Kafka")]
    Busy,
    #[error("Kafka poll task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("no time left for {0}")]
    NoTimeLeft(&'static str),
    #[error("{step}: {source}")]
    Call { step: &'static str, source: LibrdkafkaError },
    /// A call that timed out or could not connect, with the broker error librdkafka logged
    /// before it: a consumer's error events carry only a code, the reason is in the log.
    #[error("{step}: {source} (last broker error: {last})")]
    Broker { step: &'static str, source: LibrdkafkaError, last: String },
    #[error("offsets of group {group}: {problem}")]
    GroupOffsets { group: String, problem: String },
}

impl KafkaError {
    /// A failed librdkafka call of `step`; `last` is the last broker error librdkafka logged.
    pub(super) fn call(step: &'static str, source: LibrdkafkaError, last: Option<String>) -> Self {
        match (classify(&source), last) {
            (ErrorReason::Timeout | ErrorReason::Connect, Some(last)) => KafkaError::Broker { step, source, last },
            _ => KafkaError::Call { step, source },
        }
    }

    /// The bounded `reason` label of a failed poll.
    pub fn reason(&self) -> ErrorReason {
        match self {
            KafkaError::Busy | KafkaError::NoTimeLeft(_) => ErrorReason::Timeout,
            KafkaError::Call { source, .. } => classify(source),
            KafkaError::Broker { .. } => ErrorReason::Connect,
            KafkaError::Create(_) | KafkaError::Task(_) | KafkaError::GroupOffsets { .. } => ErrorReason::Query,
        }
    }
}

/// The reason a librdkafka error counts under, by its code.
fn classify(error: &LibrdkafkaError) -> ErrorReason {
    match error.rdkafka_error_code() {
        Some(
            RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::Resolve
            | RDKafkaErrorCode::Authentication
            | RDKafkaErrorCode::SaslAuthenticationFailed
            | RDKafkaErrorCode::SSL,
        ) => ErrorReason::Connect,
        Some(RDKafkaErrorCode::OperationTimedOut | RDKafkaErrorCode::RequestTimedOut) => ErrorReason::Timeout,
        _ => ErrorReason::Query,
    }
}

impl From<KafkaError> for PollError {
    fn from(error: KafkaError) -> Self {
        PollError::new(error.reason(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed_out() -> LibrdkafkaError {
        LibrdkafkaError::MetadataFetch(RDKafkaErrorCode::OperationTimedOut)
    }

    #[test]
    fn a_timeout_after_a_broker_error_is_a_connect_failure_that_names_it() {
        let error = KafkaError::call("metadata", timed_out(), Some("Connect to ipv4#127.0.0.1:1 failed".into()));
        assert_eq!(error.reason(), ErrorReason::Connect);
        assert!(error.to_string().ends_with("(last broker error: Connect to ipv4#127.0.0.1:1 failed)"), "{error}");
        let alone = KafkaError::call("metadata", timed_out(), None);
        assert_eq!(alone.reason(), ErrorReason::Timeout);
        assert!(alone.to_string().starts_with("metadata: "), "{alone}");
    }

    #[test]
    fn other_failures_do_not_blame_the_broker() {
        let refused = LibrdkafkaError::MetadataFetch(RDKafkaErrorCode::UnknownTopicOrPartition);
        let error = KafkaError::call("metadata", refused, Some("an old broker error".into()));
        assert_eq!(error.reason(), ErrorReason::Query);
        assert!(!error.to_string().contains("an old broker error"), "{error}");
        assert_eq!(KafkaError::Busy.reason(), ErrorReason::Timeout);
        assert_eq!(KafkaError::NoTimeLeft("group offsets").to_string(), "no time left for group offsets");
    }
}
