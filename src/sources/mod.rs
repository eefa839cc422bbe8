//! One module per upstream. Each has a pure `parse` tested on recorded payloads and a
//! `Source` that does the I/O.

pub mod connect;
pub mod jmx;
pub mod jmx_exporter;
pub mod jolokia;
pub mod kafka;
pub mod postgres;

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::http::HttpClient;
use crate::join::PublishedTopics;
use crate::source::Source;

/// A source with the timeout its poll loop should use.
pub struct Configured {
    pub source: Arc<dyn Source>,
    pub timeout: Duration,
}

/// A source the configuration names that cannot be set up (a CA file that is not PEM, a
/// librdkafka setting it refuses): the config key and why.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SetupError {
    pub key: String,
    pub message: String,
}

impl SetupError {
    fn at(key: String, error: impl std::fmt::Display) -> Self {
        SetupError { key, message: error.to_string() }
    }
}

/// Every source the configuration enables, in one explicit list.
pub fn from_config(config: &Config) -> Result<Vec<Configured>, SetupError> {
    let mut sources = Vec::new();
    // Kafka sources write what they saw here and PostgreSQL sources read it, for
    // outbox_unpublished_events; three missed polls make an entry stale. Connect sources add
    // the outbox routes for tables configured without published_topics.
    let derived = config.sources.postgres.iter().flat_map(|postgres| {
        let database = postgres.dsn.database().to_owned();
        let derived = postgres.outbox.iter().filter(|outbox| outbox.published_topics.is_empty());
        derived.map(move |outbox| (database.clone(), outbox.table.debezium_name()))
    });
    let published = Arc::new(PublishedTopics::new(config.poll.interval * 3).deriving_for(derived));
    for (index, connect) in config.sources.connect.iter().enumerate() {
        let timeout = config.timeout_for(connect.timeout);
        let client = HttpClient::new(timeout, config.poll.body_size_limit, connect.basic_auth.clone(), &connect.tls)
            .map_err(|error| SetupError::at(format!("sources.connect[{index}]"), error))?;
        sources.push(Configured {
            source: Arc::new(connect::ConnectSource::new(connect, client, published.clone())),
            timeout,
        });
    }
    for postgres in &config.sources.postgres {
        let timeout = config.timeout_for(postgres.timeout);
        sources.push(Configured {
            source: Arc::new(
                postgres::PostgresSource::new(postgres, timeout, published.clone())
                    .retrying_within(config.poll.interval),
            ),
            timeout,
        });
    }
    for (index, kafka) in config.sources.kafka.iter().enumerate() {
        let timeout = config.timeout_for(kafka.timeout);
        let source = kafka::KafkaSource::new(kafka, timeout, published.clone())
            .map_err(|error| SetupError::at(format!("sources.kafka[{index}]"), error))?;
        sources.push(Configured { source: Arc::new(source), timeout });
    }
    for (index, bridge) in config.sources.jolokia.iter().enumerate() {
        let timeout = config.timeout_for(bridge.timeout);
        let client = HttpClient::new(timeout, config.poll.body_size_limit, bridge.basic_auth.clone(), &bridge.tls)
            .map_err(|error| SetupError::at(format!("sources.jolokia[{index}]"), error))?;
        sources.push(Configured { source: Arc::new(jolokia::JolokiaSource::new(bridge, client)), timeout });
    }
    for (index, bridge) in config.sources.jmx_exporter.iter().enumerate() {
        let timeout = config.timeout_for(bridge.timeout);
        let client = HttpClient::new(timeout, config.poll.body_size_limit, bridge.basic_auth.clone(), &bridge.tls)
            .map_err(|error| SetupError::at(format!("sources.jmx_exporter[{index}]"), error))?;
        sources.push(Configured { source: Arc::new(jmx_exporter::JmxExporterSource::new(bridge, client)), timeout });
    }
    Ok(sources)
}
