//! The `sources` section: one list per kind of upstream (Kafka Connect, PostgreSQL, Kafka,
//! Jolokia, jmx_exporter), and the checks that span its entries (distinct labels, a bridge's
//! Connect cluster that exists).

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::error::ConfigError;
use super::postgres::{self, PostgresConfig};
use super::values::{BasicAuth, HttpUrl, NamePattern, Secret, TlsConfig, ca_file, parsed_from_string};
use super::values::{password_file, source_timeout};

/// One list per kind of upstream.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    pub connect: Vec<ConnectConfig>,
    pub postgres: Vec<PostgresConfig>,
    pub kafka: Vec<KafkaConfig>,
    /// Jolokia agents, one per Connect worker.
    pub jolokia: Vec<JmxBridgeConfig>,
    /// jmx_exporter endpoints, one per Connect worker.
    pub jmx_exporter: Vec<JmxBridgeConfig>,
}

impl SourcesConfig {
    pub fn is_empty(&self) -> bool {
        self.connect.is_empty()
            && self.postgres.is_empty()
            && self.kafka.is_empty()
            && self.jolokia.is_empty()
            && self.jmx_exporter.is_empty()
    }

    /// Checks what spans entries; `entries` says which came from flags, so that an error
    /// names the key of the file or the flag.
    pub(super) fn validate(&self, entries: FlagEntries) -> Result<(), ConfigError> {
        let mut clusters = HashSet::new();
        for (index, connect) in self.connect.iter().enumerate() {
            if !clusters.insert(connect.cluster()) {
                return Err(ConfigError::at(
                    FlagEntries::key("connect", "--connect.url", entries.connect, index, ".name"),
                    format!("cluster `{}` is configured twice; give each a distinct name", connect.cluster()),
                ));
            }
        }
        postgres::validate(&self.postgres, &|index, field| {
            FlagEntries::key("postgres", "--postgres.dsn", entries.postgres, index, field)
        })?;
        let mut clusters = HashSet::new();
        for (index, kafka) in self.kafka.iter().enumerate() {
            if !clusters.insert(kafka.cluster()) {
                return Err(ConfigError::at(
                    FlagEntries::key("kafka", "--kafka.brokers", entries.kafka, index, ".name"),
                    format!("cluster `{}` is configured twice; give each a distinct name", kafka.cluster()),
                ));
            }
        }
        for (key, flag, from_file, bridges) in [
            ("jolokia", "--jolokia.url", entries.jolokia, &self.jolokia),
            ("jmx_exporter", "--jmx-exporter.url", entries.jmx_exporter, &self.jmx_exporter),
        ] {
            let mut targets = HashSet::new();
            for (index, bridge) in bridges.iter().enumerate() {
                if !targets.insert(bridge.target()) {
                    return Err(ConfigError::at(
                        FlagEntries::key(key, flag, from_file, index, ".name"),
                        format!("target `{}` is configured twice; give each a distinct name", bridge.target()),
                    ));
                }
                if let Some(cluster) = &bridge.connect_cluster
                    && !self.connect.iter().any(|connect| &connect.cluster() == cluster)
                {
                    return Err(ConfigError::at(
                        FlagEntries::key(key, flag, from_file, index, ".connect_cluster"),
                        format!("no sources.connect entry is named `{cluster}`"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// How many entries of each source list came from the file; the rest came from flags, and an
/// error about one of those names the flag (`--connect.url[0]`), not a key the file lacks.
#[derive(Debug, Clone, Copy)]
pub(super) struct FlagEntries {
    pub(super) connect: usize,
    pub(super) postgres: usize,
    pub(super) kafka: usize,
    pub(super) jolokia: usize,
    pub(super) jmx_exporter: usize,
}

impl FlagEntries {
    pub(super) const ALL_FROM_FILE: FlagEntries = FlagEntries {
        connect: usize::MAX,
        postgres: usize::MAX,
        kafka: usize::MAX,
        jolokia: usize::MAX,
        jmx_exporter: usize::MAX,
    };

    /// `sources.LIST[i]FIELD` for an entry of the file, `FLAG[j]` for one of a flag.
    fn key(list: &str, flag: &str, from_file: usize, index: usize, field: &str) -> String {
        match index.checked_sub(from_file) {
            None => format!("sources.{list}[{index}]{field}"),
            Some(flag_index) => format!("{flag}[{flag_index}]"),
        }
    }
}

/// One Kafka Connect cluster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectConfig {
    /// The `cluster` label; defaults to the URL's host:port.
    #[serde(default)]
    pub name: Option<String>,
    /// The REST endpoint, e.g. http://connect:8083.
    pub url: HttpUrl,
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    #[serde(default)]
    pub tls: TlsConfig,
    /// Overrides `poll.timeout` for this cluster.
    #[serde(default, deserialize_with = "source_timeout")]
    pub timeout: Option<Duration>,
}

impl ConnectConfig {
    pub fn cluster(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.url.host_port())
    }

    /// A `--connect.url` entry.
    pub(super) fn from_flag(name: Option<String>, url: HttpUrl) -> Self {
        ConnectConfig { name, url, basic_auth: None, tls: TlsConfig::default(), timeout: None }
    }
}

/// One Kafka cluster: Connect's internal topics, watched topics and consumer groups.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// The `cluster` label; defaults to the bootstrap list.
    #[serde(default)]
    pub name: Option<String>,
    /// Comma-separated HOST:PORT list, as in `bootstrap.servers`.
    pub bootstrap: Bootstrap,
    #[serde(default)]
    pub security: KafkaSecurity,
    /// Overrides `poll.timeout` for this cluster.
    #[serde(default, deserialize_with = "source_timeout")]
    pub timeout: Option<Duration>,
    /// Kafka Connect's config, offset and status topics (worker `*.storage.topic`).
    #[serde(default = "default_internal_topics")]
    pub internal_topics: Vec<String>,
    /// Topics to watch (outbox and CDC topics): names, or regexes matching whole names. Topics
    /// derived for outbox tables without `published_topics` are watched as well.
    #[serde(default)]
    pub topics: Vec<NamePattern>,
    /// Consumer groups to watch (the downstream consumers): names, or regexes matching whole names.
    #[serde(default)]
    pub consumer_groups: Vec<NamePattern>,
}

pub(super) fn default_internal_topics() -> Vec<String> {
    ["connect-configs", "connect-offsets", "connect-status"].map(str::to_owned).to_vec()
}

impl KafkaConfig {
    pub fn cluster(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.bootstrap.0.clone())
    }

    /// A `--kafka.brokers` entry.
    pub(super) fn from_flag(name: Option<String>, bootstrap: Bootstrap) -> Self {
        KafkaConfig {
            name,
            bootstrap,
            security: KafkaSecurity::default(),
            timeout: None,
            internal_topics: default_internal_topics(),
            topics: Vec::new(),
            consumer_groups: Vec::new(),
        }
    }
}

/// A non-empty `HOST:PORT,HOST:PORT` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootstrap(pub String);

parsed_from_string!(Bootstrap);

impl TryFrom<String> for Bootstrap {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let servers: Vec<&str> = text.split(',').map(str::trim).collect();
        for server in &servers {
            let port = server.rsplit_once(':').filter(|(host, _)| !host.is_empty()).map(|(_, port)| port);
            if port.and_then(|port| port.parse::<u16>().ok()).is_none() {
                return Err(format!("`{server}` is not HOST:PORT"));
            }
        }
        Ok(Bootstrap(servers.join(",")))
    }
}

/// How to reach a secured cluster. Nothing set means PLAINTEXT.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaSecurity {
    pub sasl: Option<SaslConfig>,
    /// TLS towards the brokers; `tls: {}` uses the system's CAs.
    pub tls: Option<KafkaTls>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaTls {
    /// PEM file with the CA that signed the brokers' certificates.
    #[serde(deserialize_with = "ca_file")]
    pub ca_file: Option<PathBuf>,
}

/// SASL credentials. Exactly one of `password` and `password_file`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawSasl")]
pub struct SaslConfig {
    pub mechanism: SaslMechanism,
    pub username: String,
    pub password: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SaslMechanism {
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512,
}

impl SaslMechanism {
    /// The `sasl.mechanism` value librdkafka expects.
    pub fn as_str(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSasl {
    mechanism: SaslMechanism,
    username: String,
    password: Option<Secret>,
    #[serde(default, deserialize_with = "password_file")]
    password_file: Option<Secret>,
}

impl TryFrom<RawSasl> for SaslConfig {
    type Error = String;

    fn try_from(raw: RawSasl) -> Result<Self, String> {
        let password = Secret::one_of("sasl", raw.password, raw.password_file)?;
        Ok(SaslConfig { mechanism: raw.mechanism, username: raw.username, password })
    }
}

/// One JMX-over-HTTP bridge (Jolokia or jmx_exporter) on one Connect worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JmxBridgeConfig {
    /// The `target` label; defaults to the URL's host:port.
    #[serde(default)]
    pub name: Option<String>,
    /// The bridge's endpoint: Jolokia's base URL (…/jolokia) or jmx_exporter's …/metrics.
    pub url: HttpUrl,
    /// The `sources.connect[].name` of the worker's Connect cluster. Gives the `cluster` label
    /// and restricts the join of Debezium's `server` to that cluster's connectors; without it
    /// the join looks in every configured cluster.
    #[serde(default)]
    pub connect_cluster: Option<String>,
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    #[serde(default)]
    pub tls: TlsConfig,
    /// Overrides `poll.timeout` for this bridge.
    #[serde(default, deserialize_with = "source_timeout")]
    pub timeout: Option<Duration>,
}

impl JmxBridgeConfig {
    pub fn target(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.url.host_port())
    }

    /// A `--jolokia.url` or `--jmx-exporter.url` entry.
    pub(super) fn from_flag(name: Option<String>, url: HttpUrl) -> Self {
        JmxBridgeConfig { name, url, connect_cluster: None, basic_auth: None, tls: TlsConfig::default(), timeout: None }
    }
}
