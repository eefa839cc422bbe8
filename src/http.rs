//! The HTTP client every HTTP upstream shares: timeouts, auth, TLS and a cap on body size.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::{Certificate, Client, RequestBuilder};

use crate::catalog::ErrorReason;
use crate::config::{BasicAuth, TlsConfig};
use crate::source::PollError;

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
    ) -> anyhow::Result<Self> {
        let mut builder = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A request the timeout cancels takes its connection with it; keepalives also
            // close pooled connections whose peer vanished between polls.
            .tcp_keepalive(Duration::from_secs(30))
            .user_agent(concat!("debezium-exporter/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(tls.insecure_skip_verify);
        if let Some(path) = &tls.ca_file {
            let pem = crate::config::read_small_file(path).map_err(|error| anyhow::anyhow!("ca_file: {error}"))?;
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
    pub async fn fetch(&self, request: RequestBuilder) -> Result<Bytes, PollError> {
        self.fetch_unless_missing(request)
            .await?
            .ok_or_else(|| PollError::new(ErrorReason::HttpStatus, "HTTP 404 Not Found"))
    }

    /// Like `fetch`, but a 404 is `None`: the thing asked for is gone, which is an answer.
    pub async fn fetch_unless_missing(&self, request: RequestBuilder) -> Result<Option<Bytes>, PollError> {
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(PollError::new(ErrorReason::HttpStatus, format!("{} answered HTTP {status}", response.url())));
        }
        // A declared length over the limit is refused before a byte of the body is read.
        if let Some(declared) = response.content_length().filter(|length| *length > self.body_limit as u64) {
            return Err(PollError::new(
                ErrorReason::TooLarge,
                format!("{} announced a body of {declared} bytes, over {}", response.url(), self.body_limit),
            ));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > self.body_limit {
                return Err(PollError::new(
                    ErrorReason::TooLarge,
                    format!("{} sent a body over {} bytes", response.url(), self.body_limit),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(body.freeze()))
    }
}

/// Maps a transport failure to its reason; reqwest's message names the URL, never credentials.
fn transport_error(error: reqwest::Error) -> PollError {
    let reason = if error.is_timeout() {
        ErrorReason::Timeout
    } else if error.is_connect() || error.is_request() {
        ErrorReason::Connect
    } else {
        ErrorReason::Decode
    };
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    PollError::new(reason, message)
}
