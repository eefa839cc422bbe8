//! The HTTP client every HTTP upstream shares: timeouts, auth, TLS and a cap on body size.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::{Certificate, Client, RequestBuilder};

use crate::catalog::ErrorReason;
use crate::config::{BasicAuth, TlsConfig};
use crate::source::PollError;

/// Why a client could not be built from its configuration; reported once, at start-up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("ca_file: {0}")]
    CaFile(String),
    /// A CA bundle reqwest cannot use, or a TLS backend that cannot start.
    #[error(transparent)]
    Tls(#[from] reqwest::Error),
}

/// Why one request gave no body to read. The messages name the URL, never credentials.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No answer within the timeout.
    #[error("{0}")]
    Timeout(String),
    /// No connection, or the request could not be sent.
    #[error("{0}")]
    Unreachable(String),
    /// The answer broke off or could not be read as HTTP.
    #[error("{0}")]
    Body(String),
    /// `fetch` of something that is gone.
    #[error("HTTP 404 Not Found")]
    NotFound,
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: reqwest::StatusCode },
    /// A declared length over the limit, refused before a byte of the body is read.
    #[error("{url} announced a body of {declared} bytes, over {limit}")]
    Announced { url: String, declared: u64, limit: usize },
    #[error("{url} sent a body over {limit} bytes")]
    Overflowed { url: String, limit: usize },
}

impl HttpError {
    pub fn reason(&self) -> ErrorReason {
        match self {
            HttpError::Timeout(_) => ErrorReason::Timeout,
            HttpError::Unreachable(_) => ErrorReason::Connect,
            HttpError::Body(_) => ErrorReason::Decode,
            HttpError::NotFound | HttpError::Status { .. } => ErrorReason::HttpStatus,
            HttpError::Announced { .. } | HttpError::Overflowed { .. } => ErrorReason::TooLarge,
        }
    }
}

/// The upstreams that have no error type of their own return this.
impl From<HttpError> for PollError {
    fn from(error: HttpError) -> PollError {
        PollError::new(error.reason(), error.to_string())
    }
}

/// A client for one upstream target, built once and reused across polls.
#[derive(Clone)]
pub struct HttpClient {
    client: Client,
    basic_auth: Option<BasicAuth>,
    body_limit: usize,
}

impl HttpClient {
    /// Bodies above `body_limit` bytes are refused: an upstream answering garbage must not
    /// exhaust our memory.
    pub fn new(
        timeout: Duration,
        body_limit: usize,
        basic_auth: Option<BasicAuth>,
        tls: &TlsConfig,
    ) -> Result<Self, ClientError> {
        let mut builder = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A request the timeout cancels takes its connection with it; keepalives also
            // close pooled connections whose peer vanished between polls.
            .tcp_keepalive(Duration::from_secs(30))
            .user_agent(concat!("debezium-exporter/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(tls.insecure_skip_verify);
        if let Some(path) = &tls.ca_file {
            let pem = crate::config::read_small_file(path).map_err(ClientError::CaFile)?;
            for certificate in Certificate::from_pem_bundle(&pem)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        Ok(HttpClient { client: builder.build()?, basic_auth, body_limit })
    }

    pub fn get(&self, url: &str) -> RequestBuilder {
        self.authorize(self.client.get(url))
    }

    pub fn post(&self, url: &str) -> RequestBuilder {
        self.authorize(self.client.post(url))
    }

    fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.basic_auth {
            Some(auth) => request.basic_auth(&auth.username, Some(auth.password.expose())),
            None => request,
        }
    }

    /// Sends the request and returns the body of a 2xx answer, at most `body_limit` bytes.
    pub async fn fetch(&self, request: RequestBuilder) -> Result<Bytes, HttpError> {
        self.fetch_unless_missing(request).await?.ok_or(HttpError::NotFound)
    }

    /// Like `fetch`, but a 404 is `None`: the thing asked for is gone, which is an answer.
    pub async fn fetch_unless_missing(&self, request: RequestBuilder) -> Result<Option<Bytes>, HttpError> {
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(HttpError::Status { url: response.url().to_string(), status });
        }
        // A declared length over the limit is refused before a byte of the body is read.
        if let Some(declared) = response.content_length().filter(|length| *length > self.body_limit as u64) {
            return Err(HttpError::Announced { url: response.url().to_string(), declared, limit: self.body_limit });
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > self.body_limit {
                return Err(HttpError::Overflowed { url: response.url().to_string(), limit: self.body_limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(body.freeze()))
    }
}

/// Maps a transport failure to its reason; reqwest's message names the URL, never credentials.
fn transport_error(error: reqwest::Error) -> HttpError {
    let kind = if error.is_timeout() {
        HttpError::Timeout
    } else if error.is_connect() || error.is_request() {
        HttpError::Unreachable
    } else {
        HttpError::Body
    };
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    kind(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reasons and messages the poll errors carried before `HttpError` existed
    /// (tests/fault_matrix.rs checks them against real faults).
    #[test]
    fn each_error_keeps_its_reason_and_message() {
        let url = "http://connect:8083/connectors".to_owned();
        let cases = [
            (HttpError::Timeout("operation timed out".into()), ErrorReason::Timeout, "operation timed out"),
            (HttpError::Unreachable("connection refused".into()), ErrorReason::Connect, "connection refused"),
            (
                HttpError::Body("error decoding response body".into()),
                ErrorReason::Decode,
                "error decoding response body",
            ),
            (HttpError::NotFound, ErrorReason::HttpStatus, "HTTP 404 Not Found"),
            (
                HttpError::Status { url: url.clone(), status: reqwest::StatusCode::BAD_GATEWAY },
                ErrorReason::HttpStatus,
                "http://connect:8083/connectors answered HTTP 502 Bad Gateway",
            ),
            (
                HttpError::Announced { url: url.clone(), declared: 10, limit: 4 },
                ErrorReason::TooLarge,
                "http://connect:8083/connectors announced a body of 10 bytes, over 4",
            ),
            (
                HttpError::Overflowed { url, limit: 4 },
                ErrorReason::TooLarge,
                "http://connect:8083/connectors sent a body over 4 bytes",
            ),
        ];
        for (error, reason, message) in cases {
            let poll = PollError::from(error);
            assert_eq!((poll.reason, poll.message.as_str()), (reason, message));
        }
    }

    #[test]
    fn an_unreadable_ca_file_is_named() {
        let tls = TlsConfig { ca_file: Some("/nonexistent/ca.pem".into()), ..TlsConfig::default() };
        let error = HttpClient::new(Duration::from_secs(1), 1024, None, &tls).err().unwrap();
        assert!(error.to_string().starts_with("ca_file: cannot read /nonexistent/ca.pem"), "{error}");
    }
}
