//! Jolokia: Debezium's and Kafka Connect's MBeans of one Connect worker, as JSON over HTTP.
//!
//! Each JVM exposes only its own MBeans, so there is one target per worker. A poll is **one**
//! bulk `POST` carrying a read of every MBean pattern we need ([`PATTERNS`]), whatever the number
//! of connectors. Jolokia answers each read separately: a pattern that matches nothing yet
//! (no Debezium task on this worker, or all of them FAILED and unregistered) comes back as a
//! per-read 404, which is an answer, not a failure. A server error on one of Connect's own
//! patterns skips that pattern for the poll; any other refused read fails the poll.
//!
//! `client.rs` holds the request and the JSON it answers with, `parse.rs` reads that into the
//! model both JMX bridges share (`sources::jmx`), which also renders it.

mod client;
mod error;
mod parse;

use std::sync::Arc;

use async_trait::async_trait;

pub use client::{PATTERNS, request_body};
pub use error::JolokiaError;
pub use parse::parse;

use crate::catalog::SourceKind;
use crate::config::JmxBridgeConfig;
use crate::http::HttpClient;
use crate::snapshot::Observation;
use crate::source::{PollError, Source};
use crate::sources::jmx::BridgeObservation;

/// Polls one worker's Jolokia agent.
pub struct JolokiaSource {
    target: String,
    url: String,
    client: HttpClient,
    connect_cluster: Option<String>,
    body: String,
}

impl JolokiaSource {
    pub fn new(config: &JmxBridgeConfig, client: HttpClient) -> Self {
        JolokiaSource {
            target: config.target(),
            url: config.url.0.to_string(),
            client,
            connect_cluster: config.connect_cluster.clone(),
            body: request_body(),
        }
    }
}

#[async_trait]
impl Source for JolokiaSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Jolokia
    }

    fn target(&self) -> &str {
        &self.target
    }

    async fn poll(&self) -> Result<Arc<dyn Observation>, PollError> {
        let body = client::bulk_read(&self.client, &self.url, &self.body).await?;
        let reading = parse(&body)?;
        Ok(Arc::new(BridgeObservation { reading, connect_cluster: self.connect_cluster.clone() }))
    }
}
