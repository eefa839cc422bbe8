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

use std::sync::Arc;

use async_trait::async_trait;
use prometheus_parse::{Scrape, Value};

use super::jmx::{BridgeObservation, Context, JMX_EXPORTER, Reading, attribute_key};
use crate::config::JmxBridgeConfig;
use crate::http::HttpClient;
use crate::snapshot::Observation;
use crate::source::{ErrorReason, PollError, Source};

/// Connect task MBean types as metric name prefixes, longest first (`_metrics` is dropped by Strimzi).
const TASK_PREFIXES: [&str; 6] = [
    "connector_task_metrics_",
    "task_error_metrics_",
    "source_task_metrics_",
    "connector_task_",
    "task_error_",
    "source_task_",
];

/// The Connect worker MBean as a metric name prefix: default naming, Debezium-style rules, Strimzi.
const WORKER_PREFIXES: [&str; 3] = ["connect_worker_metrics_", "worker_metrics_", "worker_"];

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a Prometheus exposition: {0}")]
    Text(#[from] std::io::Error),
    #[error("no samples in the answer; is this a jmx_exporter /metrics endpoint?")]
    Empty,
}

/// Parses a jmx_exporter exposition into the bridges' common model.
pub fn parse(text: &str) -> Result<Reading, ParseError> {
    let scrape = Scrape::parse(text.lines().map(|line| Ok(line.to_owned())))?;
    if scrape.samples.is_empty() {
        return Err(ParseError::Empty);
    }
    let mut reading = Reading::default();
    for sample in &scrape.samples {
        let value = match sample.value {
            Value::Untyped(value) | Value::Gauge(value) | Value::Counter(value) => value,
            Value::Histogram(_) | Value::Summary(_) => continue,
        };
        add_sample(&mut reading, &sample.metric, |label| sample.labels.get(label), value);
    }
    Ok(reading)
}

fn add_sample<'a>(reading: &mut Reading, name: &str, label: impl Fn(&str) -> Option<&'a str>, value: f64) {
    if let Some(attribute) = debezium_attribute(name) {
        // `name` in the debezium-examples rules, `server` in the default naming.
        let server = label("name").or_else(|| label("server"));
        let context = label("context").and_then(Context::parse);
        let (Some(server), Some(context)) = (server, context) else { return };
        match label("table") {
            Some(table) if attribute_key(attribute) == "rowsscanned" => reading.rows_scanned(server, table, value),
            _ => reading.debezium_attribute(server, context, attribute, value),
        }
    } else if let Some(rest) = name.strip_prefix("kafka_connect_") {
        match (label("connector"), label("task")) {
            (Some(connector), Some(task)) => {
                if let Some(attribute) = TASK_PREFIXES.iter().find_map(|prefix| rest.strip_prefix(prefix)) {
                    reading.task_attribute(connector, task, attribute, value);
                }
            }
            (None, None) => {
                if let Some(attribute) = WORKER_PREFIXES.iter().find_map(|prefix| rest.strip_prefix(prefix)) {
                    reading.worker_attribute(attribute, value);
                }
            }
            _ => {}
        }
    }
}

/// The attribute part of a Debezium connector-metrics sample name, in either naming.
fn debezium_attribute(name: &str) -> Option<&str> {
    if let Some(attribute) = name.strip_prefix("debezium_metrics_") {
        return Some(attribute);
    }
    let rest = name.strip_prefix("debezium_")?;
    rest.split_once("_connector_metrics_").map(|(_, attribute)| attribute)
}

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
    fn kind(&self) -> &'static str {
        JMX_EXPORTER
    }

    fn target(&self) -> &str {
        &self.target
    }

    async fn poll(&self) -> Result<Arc<dyn Observation>, PollError> {
        // Ask for the classic text format: jmx_exporter 1.x may otherwise answer OpenMetrics.
        let request = self.client.get(&self.url).header(reqwest::header::ACCEPT, "text/plain; version=0.0.4");
        let body = self.client.fetch(request).await?;
        let text = std::str::from_utf8(&body)
            .map_err(|error| PollError::new(ErrorReason::Decode, format!("{}: not UTF-8: {error}", self.url)))?;
        let reading =
            parse(text).map_err(|error| PollError::new(ErrorReason::Decode, format!("{}: {error}", self.url)))?;
        Ok(Arc::new(BridgeObservation { reading, connect_cluster: self.connect_cluster.clone() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::snapshot::{DebeziumConnector, Facts, Samples};

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/jmx_exporter/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    /// Renders with a Connect cluster `dc1` whose connector `outbox-connector` has topic.prefix `shop`.
    fn rendered(text: &str) -> Samples {
        let facts = Facts {
            debezium_connectors: vec![DebeziumConnector {
                cluster: "dc1".into(),
                connector: "outbox-connector".into(),
                running: true,
                database: "inventory".into(),
                slot: "dbz".into(),
                topic_prefix: "shop".into(),
            }],
            ..Facts::default()
        };
        let mut out = Samples::default();
        BridgeObservation { reading: parse(text).unwrap(), connect_cluster: None }.render("w1", &facts, &mut out);
        out
    }

    fn value(out: &Samples, metric: &'static catalog::Metric, labels: &[&str]) -> Option<f64> {
        out.get(metric).iter().find(|(values, _)| values == labels).map(|(_, value)| *value)
    }

    const SHOP: [&str; 3] = ["dc1", "outbox-connector", "shop"];
    const TASK: [&str; 3] = ["dc1", "outbox-connector", "0"];

    /// Real jmx_exporter 0.17.2 output, lower-cased Debezium-style rules.
    #[test]
    fn the_real_jmx_exporter_output() {
        let out = rendered(&fixture("jmx_exporter-0.17.2.debezium.prom"));
        assert_eq!(value(&out, &catalog::MILLI_SECONDS_BEHIND_SOURCE, &SHOP), Some(284.0));
        assert_eq!(value(&out, &catalog::MILLI_SECONDS_SINCE_LAST_EVENT, &SHOP), Some(5791.0));
        assert_eq!(value(&out, &catalog::CONNECTED, &SHOP), Some(1.0));
        assert_eq!(value(&out, &catalog::NUMBER_OF_EVENTS_SEEN_TOTAL, &SHOP), Some(1.0));
        assert_eq!(value(&out, &catalog::QUEUE_REMAINING_CAPACITY, &SHOP), Some(8192.0));
        assert_eq!(value(&out, &catalog::SNAPSHOT_RUNNING, &SHOP), Some(0.0));
        assert_eq!(value(&out, &catalog::NUMBER_OF_FAILED_RECORDS, &TASK), Some(0.0));
        assert_eq!(value(&out, &catalog::SOURCE_RECORD_WRITE_TOTAL, &TASK), Some(1.0));
        assert_eq!(value(&out, &catalog::OFFSET_COMMIT_FAILURE_RATIO, &TASK), Some(0.0));
        assert_eq!(value(&out, &catalog::WORKER_CONNECTOR_STARTUP_FAILURE_TOTAL, &["dc1", "w1"]), Some(0.0));
        assert_eq!(out.get(&catalog::MILLI_SECONDS_SINCE_LAST_EVENT).len(), 1, "the snapshot context's -1 is no lag");
    }

    /// The same numbers from each dialect give the same samples.
    #[test]
    fn every_dialect_maps_to_the_same_names() {
        let real = rendered(&fixture("jmx_exporter-0.17.2.debezium.prom"));
        for name in ["debezium-examples.prom", "default-naming.prom", "strimzi.prom"] {
            let out = rendered(&fixture(name));
            for metric in [
                &catalog::MILLI_SECONDS_BEHIND_SOURCE,
                &catalog::CONNECTED,
                &catalog::NUMBER_OF_EVENTS_SEEN_TOTAL,
                &catalog::NUMBER_OF_FAILED_RECORDS,
                &catalog::SOURCE_RECORD_POLL_TOTAL,
                &catalog::OFFSET_COMMIT_FAILURE_RATIO,
            ] {
                assert!(!out.get(metric).is_empty(), "{name}: no {}", metric.name);
            }
            if name != "strimzi.prom" {
                assert_eq!(
                    out.get(&catalog::MILLI_SECONDS_BEHIND_SOURCE),
                    real.get(&catalog::MILLI_SECONDS_BEHIND_SOURCE)
                );
            }
        }
        let examples = rendered(&fixture("debezium-examples.prom"));
        assert_eq!(
            value(&examples, &catalog::ROWS_SCANNED, &["dc1", "outbox-connector", "shop", "public.orders"]),
            Some(1200.0)
        );
        let strimzi = rendered(&fixture("strimzi.prom"));
        assert_eq!(value(&strimzi, &catalog::NUMBER_OF_FAILED_RECORDS, &TASK), Some(3.0));
        assert_eq!(value(&strimzi, &catalog::TASK_RECORDS_SKIPPED_TOTAL, &TASK), Some(3.0));
    }

    #[test]
    fn html_is_not_an_exposition() {
        assert!(matches!(parse("<html><body>502 Bad Gateway</body></html>"), Err(ParseError::Empty)));
    }
}
