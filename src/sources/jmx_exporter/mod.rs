//! Prometheus jmx_exporter: Debezium's and Kafka Connect's MBeans of one Connect worker, as
//! text exposition. One `GET` per worker per poll.
//!
//! jmx_exporter names metrics after its rules, so we recognise the dialects people run:
//! - debezium-examples / Confluent rules: `debezium_metrics_MilliSecondsBehindSource{plugin,name,context}`,
//!   also lower-cased (`debezium_metrics_millisecondsbehindsource`, what jmx_exporter 0.17 emits
//!   with `lowercaseOutputName`), and `debezium_metrics_RowsScanned{...,table}`;
//! - jmx_exporter's default naming without rules:
//!   `debezium_postgres_connector_metrics_MilliSecondsBehindSource{context,server}`;
//! - Connect, by the same rules or by default: `kafka_connect_task_error_metrics_total_record_failures{connector,task}`;
//!   by Strimzi's rules: `kafka_connect_task_error_total_record_failures{connector,task}`.
//!
//! Everything else (JVM, producer, consumer metrics) is ignored.
//!
//! `client.rs` holds the `GET` and the text format's line grammar, `parse.rs` reads the
//! dialects into the model both JMX bridges share (`sources::jmx`), which also renders it.

mod client;
mod error;
mod parse;

use std::sync::Arc;

use async_trait::async_trait;

pub use error::JmxExporterError;
pub use parse::parse;

use crate::catalog::SourceKind;
use crate::config::JmxBridgeConfig;
use crate::http::HttpClient;
use crate::snapshot::Observation;
use crate::source::{PollError, Source};
use crate::sources::jmx::BridgeObservation;

/// Scrapes one worker's jmx_exporter.
pub struct JmxExporterSource {
    target: String,
    url: String,
    client: HttpClient,
    connect_cluster: Option<String>,
}

impl JmxExporterSource {
    pub fn new(config: &JmxBridgeConfig, client: HttpClient) -> Self {
        JmxExporterSource {
            target: config.target(),
            url: config.url.0.to_string(),
            client,
            connect_cluster: config.connect_cluster.clone(),
        }
    }
}

#[async_trait]
impl Source for JmxExporterSource {
    fn kind(&self) -> SourceKind {
        SourceKind::JmxExporter
    }

    fn target(&self) -> &str {
        &self.target
    }

    async fn poll(&self) -> Result<Arc<dyn Observation>, PollError> {
        let body = client::scrape(&self.client, &self.url).await?;
        let reading = std::str::from_utf8(&body)
            .map_err(JmxExporterError::from)
            .and_then(parse)
            .map_err(|error| PollError::new(error.reason(), format!("{}: {error}", self.url)))?;
        Ok(Arc::new(BridgeObservation { reading, connect_cluster: self.connect_cluster.clone() }))
    }
}
