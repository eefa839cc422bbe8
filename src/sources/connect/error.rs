//! Why one poll of a Connect cluster failed, and its bounded `reason` label.

use crate::catalog::ErrorReason;
use crate::http::HttpError;
use crate::source::PollError;

/// A poll of one Connect cluster that saw nothing. A connector that cannot be read is not an
/// error: it is [`super::model::Skipped`].
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The request failed, or Connect answered something other than a body we may read.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The configured URL cannot be joined with a REST path.
    #[error("bad URL for {path}: {source}")]
    Url { path: String, source: url::ParseError },
    /// The answer is not a listing of connectors.
    #[error("unexpected JSON from Connect: {0}")]
    Json(#[from] serde_json::Error),
    /// Connect's own error body (`{"error_code": 500, "message": "..."}`) sent with a 2xx.
    #[error("unexpected JSON from Connect: Connect answered an error: {0}")]
    Refused(String),
}

impl ConnectError {
    pub fn reason(&self) -> ErrorReason {
        match self {
            ConnectError::Http(error) => error.reason(),
            ConnectError::Url { .. } => ErrorReason::Connect,
            ConnectError::Json(_) | ConnectError::Refused(_) => ErrorReason::Decode,
        }
    }
}

impl From<ConnectError> for PollError {
    fn from(error: ConnectError) -> PollError {
        PollError::new(error.reason(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_reasons_are_those_of_the_poll_errors_before() {
        let refused = ConnectError::Refused("boom".into());
        assert_eq!(refused.to_string(), "unexpected JSON from Connect: Connect answered an error: boom");
        assert_eq!(refused.reason(), ErrorReason::Decode);
        let json = ConnectError::from(serde_json::from_str::<u32>("x").unwrap_err());
        assert!(json.to_string().starts_with("unexpected JSON from Connect: expected value"), "{json}");
        assert_eq!(json.reason(), ErrorReason::Decode);
        let url = ConnectError::Url { path: "connectors".into(), source: url::ParseError::EmptyHost };
        assert_eq!(url.to_string(), "bad URL for connectors: empty host");
        let poll = PollError::from(url);
        assert_eq!((poll.reason, poll.message.as_str()), (ErrorReason::Connect, "bad URL for connectors: empty host"));
        let http = PollError::from(ConnectError::from(HttpError::NotFound));
        assert_eq!((http.reason, http.message.as_str()), (ErrorReason::HttpStatus, "HTTP 404 Not Found"));
    }
}
