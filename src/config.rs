//! Configuration: the YAML file and the command-line flags, merged into one validated `Config`.
//!
//! The file is parsed into typed structs (`deny_unknown_fields`); every value that can be
//! wrong on its own is checked while it is deserialized (files it names are read then), so an
//! error names the file, the key path and the line and column (`sources.connect[1].url:
//! relative URL without a base (line 7, column 12)`). Flags are applied on top of the file
//! and checked as they are; what spans keys is checked last, and its error is located in the
//! file by key path (`error::locate`).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

/// Where `/metrics` listens unless told otherwise: a port of our own in the 9xxx exporter
/// range, clear of node (9100), postgres (9187), kafka (9308) and jmx (9404) exporters.
pub const DEFAULT_LISTEN_ADDRESS: &str = "0.0.0.0:9543";

/// Implements `Deserialize` through `TryFrom<String>`, failing while the scalar itself is
/// read, so that the error points at the value's own line and column.
macro_rules! parsed_from_string {
    ($type:ty) => {
        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Parse;
                impl serde::de::Visitor<'_> for Parse {
                    type Value = $type;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$type, E> {
                        <$type>::try_from(text.to_owned()).map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(Parse)
            }
        }
    };
}

/// Deserializes a string through `check`, failing while the scalar itself is read, so that
/// the error points at the value's own line and column (as `parsed_from_string!` does) for
/// fields that keep a plain type. An error raised after the scalar was read would carry the
/// location of the enclosing section instead.
fn checked_str<'de, D, T, F>(deserializer: D, check: F) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    F: FnOnce(&str) -> Result<T, String>,
{
    struct Check<F>(F);
    impl<T, F: FnOnce(&str) -> Result<T, String>> serde::de::Visitor<'_> for Check<F> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
            (self.0)(text).map_err(E::custom)
        }
        // A bare number (`timeout: 5`, `body_size_limit: 1048576`) is checked as its text,
        // so the error says what is missing rather than "expected a string".
        fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<T, E> {
            self.visit_str(&number.to_string())
        }
    }
    deserializer.deserialize_str(Check(check))
}

/// An optional string, `check`ed while its scalar is read (see [`checked_str`]).
fn checked_option<'de, D, T, F>(deserializer: D, check: F) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    F: FnOnce(&str) -> Result<T, String>,
{
    struct Optional<F>(F);
    impl<'de, T, F: FnOnce(&str) -> Result<T, String>> serde::de::Visitor<'de> for Optional<F> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            checked_str(deserializer, self.0).map(Some)
        }
    }
    deserializer.deserialize_option(Optional(check))
}

/// An optional path, `check`ed while its scalar is read.
fn checked_path<'de, D, F>(deserializer: D, check: F) -> Result<Option<PathBuf>, D::Error>
where
    D: serde::Deserializer<'de>,
    F: FnOnce(&Path) -> Result<(), String>,
{
    checked_option(deserializer, |text| {
        let path = PathBuf::from(text);
        check(&path).map(|()| path)
    })
}

/// A file that must be readable now (it is read again later, so that a rotated one is used).
fn readable_file<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
    checked_path(deserializer, |path| read_small_file(path).map(drop))
}

/// A CA bundle; checked now, so that a mistake stops the start rather than every poll.
fn ca_file<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
    checked_path(deserializer, check_ca_file)
}

/// A CA bundle both TLS stacks accept: PEM certificates, at least one, each one a CA could be.
fn check_ca_file(path: &Path) -> Result<(), String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let pem = read_small_file(path)?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("{} is not PEM: {error}", path.display()))?;
    if certificates.is_empty() {
        return Err(format!("{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path.display()));
    }
    let mut roots = rustls::RootCertStore::empty();
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|error| format!("{}: a certificate in it is unusable: {error}", path.display()))?;
    }
    Ok(())
}

mod error;
mod files;
pub mod generate;
mod postgres;

pub use error::ConfigError;
use error::parse_yaml;
pub use files::{MAX_FILE_BYTES, read_small_file, read_small_text};
pub use generate::Settings as GenerateSettings;

pub use postgres::{
    Identifier, OutboxConfig, PostgresConfig, PostgresDsn, QualifiedName, SslMode, error_chain, quote_identifier,
};

/// The `serve` flags. Every source can be given here, so a quick start needs no file.
#[derive(Debug, Default, clap::Args)]
pub struct ServeFlags {
    /// YAML configuration file (see config.example.yaml).
    #[arg(long = "config.file", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// A Kafka Connect REST endpoint to poll, as URL or NAME=URL (repeatable).
    /// The cluster label is NAME, or the URL's host:port.
    #[arg(long = "connect.url", value_name = "[NAME=]URL")]
    pub connect_url: Vec<String>,
    /// A PostgreSQL database to watch, as DSN or NAME=DSN (repeatable). The db label is NAME,
    /// or the DSN's database name. Prefer a config file with password_file for the password.
    #[arg(long = "postgres.dsn", value_name = "[NAME=]DSN")]
    pub postgres_dsn: Vec<String>,
    /// A Kafka cluster to watch, as HOST:PORT,... or NAME=HOST:PORT,... (repeatable).
    /// The cluster label is NAME, or the bootstrap list. Topics and groups need the file.
    #[arg(long = "kafka.brokers", value_name = "[NAME=]HOST:PORT,...")]
    pub kafka_brokers: Vec<String>,
    /// A Jolokia agent on a Connect worker, as URL or NAME=URL (repeatable; one per worker),
    /// e.g. http://connect-1:8778/jolokia. The target label is NAME, or the URL's host:port.
    #[arg(long = "jolokia.url", value_name = "[NAME=]URL")]
    pub jolokia_url: Vec<String>,
    /// A jmx_exporter endpoint on a Connect worker, as URL or NAME=URL (repeatable; one per
    /// worker), e.g. http://connect-1:9404/metrics.
    #[arg(long = "jmx-exporter.url", value_name = "[NAME=]URL")]
    pub jmx_exporter_url: Vec<String>,
    /// Address to serve /metrics on.
    #[arg(long = "web.listen-address", value_name = "ADDR")]
    pub listen_address: Option<String>,
    /// Path under which to expose metrics: letters, digits, `-`, `.`, `_`, `~` and `/`; not
    /// `/`, `/healthz` or `/readyz`, which the exporter serves itself.
    #[arg(long = "web.telemetry-path", value_name = "PATH")]
    pub telemetry_path: Option<String>,
    /// Web configuration file for basic auth, in the Prometheus exporter-toolkit format.
    #[arg(long = "web.config.file", value_name = "FILE")]
    pub web_config_file: Option<PathBuf>,
    /// Most connections open at once; at the cap a new one replaces the longest idle.
    #[arg(long = "web.max-connections", value_name = "N")]
    pub max_connections: Option<usize>,
    /// How long a client may take to send its request head (and finish a TLS handshake).
    #[arg(long = "web.read-header-timeout", value_name = "DURATION", value_parser = parse_duration)]
    pub read_header_timeout: Option<Duration>,
    /// How long a connection may stay open without a request.
    #[arg(long = "web.idle-timeout", value_name = "DURATION", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,
    /// How often every source is polled (e.g. 10s, 1m); at least 500ms.
    #[arg(long = "poll.interval", value_name = "DURATION", value_parser = parse_duration)]
    pub poll_interval: Option<Duration>,
    /// How long one poll of one source may take before it counts as failed; at least 100ms.
    #[arg(long = "poll.timeout", value_name = "DURATION", value_parser = parse_duration)]
    pub poll_timeout: Option<Duration>,
    /// The largest HTTP answer a source reads (e.g. 64MiB); a larger one fails the poll.
    #[arg(long = "poll.body-size-limit", value_name = "SIZE", value_parser = parse_body_size_limit)]
    pub poll_body_size_limit: Option<usize>,
    /// Log level: error, warn, info, debug or trace.
    #[arg(long = "log.level", value_name = "LEVEL")]
    pub log_level: Option<LogLevel>,
    /// Log format.
    #[arg(long = "log.format", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|error| format!("{error} (expected something like 10s or 1m)"))
}

/// The whole configuration, validated.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub web: WebConfig,
    #[serde(default)]
    pub poll: PollConfig,
    #[serde(default)]
    pub log: LogConfig,
    #[serde(default)]
    pub sources: SourcesConfig,
    /// Thresholds and names for `debezium-exporter generate`.
    #[serde(default)]
    pub generate: GenerateSettings,
    /// What `web.config_file` holds, read and checked by [`Config::load`].
    #[serde(skip)]
    pub web_file: WebConfigFile,
    /// Set by the flags: which source entries came from them.
    #[serde(skip)]
    from_flags: Option<FlagEntries>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Address to serve /metrics on.
    #[serde(deserialize_with = "listen_address")]
    pub listen_address: String,
    /// Path under which to expose metrics: letters, digits, `-`, `.`, `_`, `~` and `/`; not
    /// `/`, `/healthz` or `/readyz`, which the exporter serves itself.
    #[serde(deserialize_with = "telemetry_path")]
    pub telemetry_path: String,
    /// Exporter-toolkit web configuration file (basic auth); none by default.
    pub config_file: Option<PathBuf>,
    /// Most connections open at once; at the cap a new one replaces the longest idle, so
    /// idle or trickling clients cannot lock scrapes out.
    pub max_connections: usize,
    /// How long a client may take to send its request head (and finish a TLS handshake).
    #[serde(with = "humantime_serde")]
    pub read_header_timeout: Duration,
    /// How long a connection may stay open without a request.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen_address: DEFAULT_LISTEN_ADDRESS.to_owned(),
            telemetry_path: "/metrics".to_owned(),
            config_file: None,
            max_connections: 512,
            read_header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

fn telemetry_path<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    checked_str(deserializer, |path| check_telemetry_path(path).map(|()| path.to_owned()))
}

/// The paths the server routes itself; the metrics must not shadow them (axum panics).
const RESERVED_PATHS: [&str; 3] = ["/", "/healthz", "/readyz"];

/// A path the router can serve as written: the router reads `{x}`, `{*x}` (parameters, which
/// would match any path) and segments starting with `:` or `*` (refused with a panic), and
/// clients resolve `.`, `..` and empty segments away; so only unreserved characters are
/// allowed, in non-empty segments.
fn check_telemetry_path(path: &str) -> Result<(), String> {
    if RESERVED_PATHS.contains(&path) {
        return Err(format!("`{path}` is served by the exporter itself; choose another path, such as /metrics"));
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("`{path}` must start with /"));
    };
    if let Some(bad) = path.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '/'))) {
        return Err(format!(
            "`{path}` holds `{bad}`: use only letters, digits, `-`, `.`, `_`, `~` and `/` \
             (the router reads `{{`, `}}`, `*` and `:` as parameters)"
        ));
    }
    let segments: Vec<&str> = rest.strip_suffix('/').unwrap_or(rest).split('/').collect();
    if segments.iter().any(|segment| segment.is_empty() || *segment == "." || *segment == "..") {
        return Err(format!("`{path}` has an empty, `.` or `..` segment, which clients resolve away"));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollConfig {
    /// How often every source is polled; at least 500ms.
    #[serde(deserialize_with = "poll_interval")]
    pub interval: Duration,
    /// How long one poll may take, at least 100ms; a source's own `timeout` overrides it.
    #[serde(deserialize_with = "poll_timeout")]
    pub timeout: Duration,
    /// The largest HTTP answer (Connect, Jolokia, jmx_exporter) a poll reads, in bytes.
    #[serde(deserialize_with = "body_size_limit")]
    pub body_size_limit: usize,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
            body_size_limit: DEFAULT_BODY_SIZE_LIMIT,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub level: LogLevel,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

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
        self.name.clone().unwrap_or_else(|| host_port(&self.url.0))
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

fn default_internal_topics() -> Vec<String> {
    ["connect-configs", "connect-offsets", "connect-status"].map(str::to_owned).to_vec()
}

impl KafkaConfig {
    pub fn cluster(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.bootstrap.0.clone())
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

/// A topic or group name, or a regex. An entry made only of the characters Kafka allows in
/// topic names (`[a-zA-Z0-9._-]`) is a name and matches itself only, dots included; anything
/// else is a regex that must match the whole name (`outbox\.event\..*`).
#[derive(Debug, Clone)]
pub enum NamePattern {
    Name(String),
    Regex(regex::Regex),
}

parsed_from_string!(NamePattern);

impl TryFrom<String> for NamePattern {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        if text.is_empty() {
            return Err("an empty name matches nothing".to_owned());
        }
        if text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Ok(NamePattern::Name(text));
        }
        regex::Regex::new(&format!("^(?:{text})$")).map(NamePattern::Regex).map_err(|error| error.to_string())
    }
}

impl fmt::Display for NamePattern {
    /// The name, or the anchored regex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NamePattern::Name(name) => f.write_str(name),
            NamePattern::Regex(regex) => f.write_str(regex.as_str()),
        }
    }
}

impl NamePattern {
    pub fn matches(&self, name: &str) -> bool {
        match self {
            NamePattern::Name(own) => own == name,
            NamePattern::Regex(regex) => regex.is_match(name),
        }
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
        let password = match (raw.password, raw.password_file) {
            (Some(password), None) => password,
            (None, Some(password)) => password,
            (None, None) => return Err("sasl needs `password` or `password_file`".to_owned()),
            (Some(_), Some(_)) => return Err("sasl takes `password` or `password_file`, not both".to_owned()),
        };
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
        self.name.clone().unwrap_or_else(|| host_port(&self.url.0))
    }

    fn from_flag(name: Option<String>, url: HttpUrl) -> Self {
        JmxBridgeConfig { name, url, connect_cluster: None, basic_auth: None, tls: TlsConfig::default(), timeout: None }
    }
}

/// Splits a `[NAME=]URL` flag value; a `=` inside the URL (a query) is not a name.
fn split_named(spec: &str) -> (Option<String>, &str) {
    match spec.split_once('=') {
        Some((name, url)) if !name.contains(':') && !name.contains('/') => (Some(name.to_owned()), url),
        _ => (None, spec),
    }
}

/// An http or https URL without credentials in it (they would end up in logs and labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(pub Url);

parsed_from_string!(HttpUrl);

impl TryFrom<String> for HttpUrl {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let url = Url::parse(&text).map_err(|error| error.to_string())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("scheme `{}` is not http or https", url.scheme()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("credentials in the URL would leak into logs; use basic_auth".to_owned());
        }
        Ok(HttpUrl(url))
    }
}

fn host_port(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => url.to_string(),
    }
}

/// HTTP basic auth towards an upstream. Exactly one of `password` and `password_file`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawBasicAuth")]
pub struct BasicAuth {
    pub username: String,
    pub password: Secret,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBasicAuth {
    username: String,
    password: Option<Secret>,
    #[serde(default, deserialize_with = "password_file")]
    password_file: Option<Secret>,
}

impl TryFrom<RawBasicAuth> for BasicAuth {
    type Error = String;

    fn try_from(raw: RawBasicAuth) -> Result<Self, String> {
        let password = match (raw.password, raw.password_file) {
            (Some(password), None) => password,
            (None, Some(password)) => password,
            (None, None) => return Err("basic_auth needs `password` or `password_file`".to_owned()),
            (Some(_), Some(_)) => return Err("basic_auth takes `password` or `password_file`, not both".to_owned()),
        };
        Ok(BasicAuth { username: raw.username, password })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM file with the CA that signed the upstream's certificate.
    #[serde(deserialize_with = "ca_file")]
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate. For tests only.
    pub insecure_skip_verify: bool,
}

/// A secret value: `${VAR}` is taken from the environment; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

parsed_from_string!(Secret);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn from_file(path: &Path) -> Result<Self, String> {
        read_small_text(path).map(|text| Secret(text.trim_end_matches(['\r', '\n']).to_owned()))
    }
}

/// `password_file`, read while its scalar is read so that an error points at it.
fn password_file<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Secret>, D::Error> {
    checked_str(deserializer, |text| Secret::from_file(Path::new(text)).map(Some))
}

impl TryFrom<String> for Secret {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        match text.strip_prefix("${").and_then(|rest| rest.strip_suffix('}')) {
            Some(var) => std::env::var(var).map(Secret).map_err(|_| format!("environment variable {var} is not set")),
            None => Ok(Secret(text)),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How many entries of each source list came from the file; the rest came from flags, and an
/// error about one of those names the flag (`--connect.url[0]`), not a key the file lacks.
#[derive(Debug, Clone, Copy)]
struct FlagEntries {
    connect: usize,
    postgres: usize,
    kafka: usize,
    jolokia: usize,
    jmx_exporter: usize,
}

impl FlagEntries {
    const ALL_FROM_FILE: FlagEntries = FlagEntries {
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

fn parse_listen_address(text: &str) -> Result<SocketAddr, String> {
    let full = if text.starts_with(':') { format!("0.0.0.0{text}") } else { text.to_owned() };
    full.parse().map_err(|error| format!("`{text}`: {error}"))
}

fn check_listen_address(text: &str) -> Result<(), String> {
    parse_listen_address(text).map(drop)
}

fn listen_address<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    checked_str(deserializer, |text| check_listen_address(text).map(|()| text.to_owned()))
}

/// The shortest `poll.interval`. Each poll of Connect is one request listing every connector
/// with its config; `1ns` sent Connect 1,194 requests a second. Half a second still lets a
/// demo or a test see a change at once; Prometheus scrapes far less often anyway.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The shortest poll timeout: below it every poll of a remote upstream fails.
pub const MIN_POLL_TIMEOUT: Duration = Duration::from_millis(100);

fn check_poll_interval(interval: Duration) -> Result<(), String> {
    if interval < MIN_POLL_INTERVAL {
        return Err(format!(
            "{} is too short: at least {} (every poll is a request to each upstream)",
            humantime::format_duration(interval),
            humantime::format_duration(MIN_POLL_INTERVAL)
        ));
    }
    Ok(())
}

fn check_poll_timeout(timeout: Duration) -> Result<(), String> {
    if timeout < MIN_POLL_TIMEOUT {
        return Err(format!(
            "{} is too short: at least {} (every poll would time out)",
            humantime::format_duration(timeout),
            humantime::format_duration(MIN_POLL_TIMEOUT)
        ));
    }
    Ok(())
}

fn poll_interval<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    checked_str(deserializer, |text| {
        let interval = parse_duration(text)?;
        check_poll_interval(interval).map(|()| interval)
    })
}

fn poll_timeout<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    checked_str(deserializer, |text| {
        let timeout = parse_duration(text)?;
        check_poll_timeout(timeout).map(|()| timeout)
    })
}

/// Room for Connect's expanded list of about 8,000 connectors with their configs.
pub const DEFAULT_BODY_SIZE_LIMIT: usize = 64 * 1024 * 1024;

/// Below this even an error answer would not fit.
const MIN_BODY_SIZE_LIMIT: usize = 1024;

/// A size in bytes: a whole number with an optional unit B, KiB, MiB or GiB (KB, MB and GB
/// mean the same, as in Prometheus' `body_size_limit`), at least 1KiB.
fn parse_body_size_limit(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "KB" => 1 << 10,
        "MiB" | "MB" => 1 << 20,
        "GiB" | "GB" => 1 << 30,
        other => return Err(format!("unknown unit {other:?} in {text:?}: use B, KiB, MiB or GiB, e.g. 64MiB")),
    };
    let bytes = digits
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(scale))
        .and_then(|bytes| usize::try_from(bytes).ok())
        .ok_or_else(|| format!("{text:?} is not a size: use a whole number and a unit, e.g. 64MiB"))?;
    if bytes < MIN_BODY_SIZE_LIMIT {
        return Err(format!("{text} is too small: at least 1KiB"));
    }
    Ok(bytes)
}

fn body_size_limit<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    checked_str(deserializer, parse_body_size_limit)
}

/// A source's own `timeout`, checked as `poll.timeout` is.
fn source_timeout<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    checked_option(deserializer, |text| {
        let timeout = parse_duration(text)?;
        check_poll_timeout(timeout).map(|()| timeout)
    })
}

impl Config {
    /// Reads the file named by the flags, if any, and applies the flags on top.
    /// Every section is checked, whichever command asks: the web config file named too.
    pub fn load(flags: &ServeFlags) -> Result<Config, ConfigError> {
        let (mut config, file) = match &flags.config_file {
            Some(path) => {
                let text = read_small_text(path).map_err(ConfigError::new)?;
                (Config::from_yaml(&text).map_err(|error| error.in_file(path, &text))?, Some((path, text)))
            }
            None => (Config::default(), None),
        };
        config.apply(flags)?;
        config.validate().map_err(|error| match &file {
            Some((path, text)) => error.in_file(path, text),
            None => error,
        })?;
        if let Some(path) = &config.web.config_file {
            config.web_file = WebConfigFile::from_file(path)?;
        }
        Ok(config)
    }

    /// Parses the file, without the cross-key checks of [`Config::load`].
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = read_small_text(path).map_err(ConfigError::new)?;
        Config::from_yaml(&text).map_err(|error| error.in_file(path, &text))
    }

    /// Parses YAML; errors carry the key path, line and column.
    pub fn from_yaml(text: &str) -> Result<Config, ConfigError> {
        if error::without_bom(text).trim().is_empty() {
            return Ok(Config::default());
        }
        parse_yaml(text)
    }

    fn apply(&mut self, flags: &ServeFlags) -> Result<(), ConfigError> {
        self.from_flags = Some(FlagEntries {
            connect: self.sources.connect.len(),
            postgres: self.sources.postgres.len(),
            kafka: self.sources.kafka.len(),
            jolokia: self.sources.jolokia.len(),
            jmx_exporter: self.sources.jmx_exporter.len(),
        });
        for (index, spec) in flags.connect_url.iter().enumerate() {
            let (name, url) = split_named(spec);
            let url = HttpUrl::try_from(url.to_owned())
                .map_err(|error| ConfigError::at(format!("--connect.url[{index}]"), error))?;
            self.sources.connect.push(ConnectConfig {
                name,
                url,
                basic_auth: None,
                tls: TlsConfig::default(),
                timeout: None,
            });
        }
        postgres::apply_flags(&mut self.sources.postgres, &flags.postgres_dsn)?;
        for (index, spec) in flags.kafka_brokers.iter().enumerate() {
            let (name, servers) = match spec.split_once('=') {
                Some((name, servers)) => (Some(name.to_owned()), servers),
                None => (None, spec.as_str()),
            };
            let bootstrap = Bootstrap::try_from(servers.to_owned())
                .map_err(|error| ConfigError::at(format!("--kafka.brokers[{index}]"), error))?;
            self.sources.kafka.push(KafkaConfig {
                name,
                bootstrap,
                security: KafkaSecurity::default(),
                timeout: None,
                internal_topics: default_internal_topics(),
                topics: Vec::new(),
                consumer_groups: Vec::new(),
            });
        }
        for (flag, specs, bridges) in [
            ("--jolokia.url", &flags.jolokia_url, &mut self.sources.jolokia),
            ("--jmx-exporter.url", &flags.jmx_exporter_url, &mut self.sources.jmx_exporter),
        ] {
            for (index, spec) in specs.iter().enumerate() {
                let (name, url) = split_named(spec);
                let url = HttpUrl::try_from(url.to_owned())
                    .map_err(|error| ConfigError::at(format!("{flag}[{index}]"), error))?;
                bridges.push(JmxBridgeConfig::from_flag(name, url));
            }
        }
        if let Some(address) = &flags.listen_address {
            check_listen_address(address).map_err(|error| ConfigError::at("--web.listen-address", error))?;
            self.web.listen_address = address.clone();
        }
        if let Some(path) = &flags.telemetry_path {
            check_telemetry_path(path).map_err(|error| ConfigError::at("--web.telemetry-path", error))?;
            self.web.telemetry_path = path.clone();
        }
        if let Some(file) = &flags.web_config_file {
            self.web.config_file = Some(file.clone());
        }
        if let Some(max) = flags.max_connections {
            self.web.max_connections = max;
        }
        if let Some(timeout) = flags.read_header_timeout {
            self.web.read_header_timeout = timeout;
        }
        if let Some(timeout) = flags.idle_timeout {
            self.web.idle_timeout = timeout;
        }
        if let Some(interval) = flags.poll_interval {
            check_poll_interval(interval).map_err(|error| ConfigError::at("--poll.interval", error))?;
            self.poll.interval = interval;
        }
        if let Some(timeout) = flags.poll_timeout {
            check_poll_timeout(timeout).map_err(|error| ConfigError::at("--poll.timeout", error))?;
            self.poll.timeout = timeout;
        }
        if let Some(limit) = flags.poll_body_size_limit {
            self.poll.body_size_limit = limit;
        }
        if let Some(level) = flags.log_level {
            self.log.level = level;
        }
        if let Some(format) = flags.log_format {
            self.log.format = format;
        }
        Ok(())
    }

    /// Checks what spans more than one key; what one value gets wrong was refused as it was
    /// parsed. Errors name the key, which [`Config::load`] locates in the file.
    fn validate(&self) -> Result<(), ConfigError> {
        let entries = self.from_flags.unwrap_or(FlagEntries::ALL_FROM_FILE);
        if self.web.max_connections == 0 {
            return Err(ConfigError::at("web.max_connections", "must be at least 1"));
        }
        if self.web.read_header_timeout.is_zero() {
            return Err(ConfigError::at("web.read_header_timeout", "must be above zero"));
        }
        if self.web.idle_timeout.is_zero() {
            return Err(ConfigError::at("web.idle_timeout", "must be above zero"));
        }
        let mut clusters = std::collections::HashSet::new();
        for (index, connect) in self.sources.connect.iter().enumerate() {
            if !clusters.insert(connect.cluster()) {
                return Err(ConfigError::at(
                    FlagEntries::key("connect", "--connect.url", entries.connect, index, ".name"),
                    format!("cluster `{}` is configured twice; give each a distinct name", connect.cluster()),
                ));
            }
        }
        postgres::validate(&self.sources.postgres, &|index, field| {
            FlagEntries::key("postgres", "--postgres.dsn", entries.postgres, index, field)
        })?;
        let mut clusters = std::collections::HashSet::new();
        for (index, kafka) in self.sources.kafka.iter().enumerate() {
            if !clusters.insert(kafka.cluster()) {
                return Err(ConfigError::at(
                    FlagEntries::key("kafka", "--kafka.brokers", entries.kafka, index, ".name"),
                    format!("cluster `{}` is configured twice; give each a distinct name", kafka.cluster()),
                ));
            }
        }
        for (key, flag, from_file, bridges) in [
            ("jolokia", "--jolokia.url", entries.jolokia, &self.sources.jolokia),
            ("jmx_exporter", "--jmx-exporter.url", entries.jmx_exporter, &self.sources.jmx_exporter),
        ] {
            let mut targets = std::collections::HashSet::new();
            for (index, bridge) in bridges.iter().enumerate() {
                if !targets.insert(bridge.target()) {
                    return Err(ConfigError::at(
                        FlagEntries::key(key, flag, from_file, index, ".name"),
                        format!("target `{}` is configured twice; give each a distinct name", bridge.target()),
                    ));
                }
                if let Some(cluster) = &bridge.connect_cluster
                    && !self.sources.connect.iter().any(|connect| &connect.cluster() == cluster)
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

    /// The listen address; `:9543` means every interface, as in other exporters.
    pub fn listen_address(&self) -> Result<SocketAddr, ConfigError> {
        parse_listen_address(&self.web.listen_address).map_err(|error| ConfigError::at("web.listen_address", error))
    }

    /// The poll timeout for one source, given its own override.
    pub fn timeout_for(&self, own: Option<Duration>) -> Duration {
        own.unwrap_or(self.poll.timeout)
    }
}

/// The exporter-toolkit web configuration file (`--web.config.file`), as Prometheus
/// exporters read it: TLS with a certificate and key, and basic auth with bcrypt hashes. Keys
/// of the toolkit we do not implement (client certificates, cipher choices, HTTP/2 settings)
/// are refused by name rather than silently ignored. Everything is checked here, so that a
/// certificate, key or hash the server could not use stops the start with exit code 2.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfigFile {
    #[serde(default)]
    pub tls_server_config: Option<TlsServerConfig>,
    /// Username → bcrypt hash.
    #[serde(default, deserialize_with = "bcrypt_hashes")]
    pub basic_auth_users: std::collections::HashMap<String, String>,
    #[serde(default)]
    http_server_config: Option<serde_norway::Value>,
}

/// `tls_server_config` of the exporter-toolkit web config: serve HTTPS with this pair.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsServerConfig {
    /// PEM certificate chain.
    #[serde(deserialize_with = "certificate_file")]
    pub cert_file: PathBuf,
    /// PEM private key.
    #[serde(deserialize_with = "key_file")]
    pub key_file: PathBuf,
}

type Certificates = Vec<rustls::pki_types::CertificateDer<'static>>;

fn read_certificates(path: &Path) -> Result<Certificates, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let pem = read_small_file(path)?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("{} is not PEM: {error}", path.display()))?;
    if certificates.is_empty() {
        return Err(format!("{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path.display()));
    }
    Ok(certificates)
}

fn read_private_key(path: &Path) -> Result<rustls::pki_types::PrivateKeyDer<'static>, String> {
    use rustls::pki_types::{PrivateKeyDer, pem::PemObject};
    let pem = read_small_file(path)?;
    PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|error| format!("{} holds no PEM private key (PKCS#8, PKCS#1 or SEC1): {error}", path.display()))
}

fn certificate_file<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
    checked_str(deserializer, |text| read_certificates(Path::new(text)).map(|_| PathBuf::from(text)))
}

fn key_file<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
    checked_str(deserializer, |text| read_private_key(Path::new(text)).map(|_| PathBuf::from(text)))
}

/// A bcrypt hash the server can verify against: `$2a$`, `$2b$`, `$2x$` or `$2y$`, a cost of
/// 04 to 31 and 53 characters of bcrypt's base64 (22 of salt, 31 of hash). Anything less
/// (`$2y$10$abc`) would make every login fail with 401 and nothing in the log.
fn check_bcrypt_hash(hash: &str) -> Result<(), String> {
    use base64::Engine;
    let refuse =
        |why: &str| Err(format!("not a bcrypt hash the server can use: {why} (make one with `htpasswd -nBC 10 USER`)"));
    let parts: Vec<&str> = hash.split('$').collect();
    let ["", version, cost, salt_and_hash] = parts[..] else {
        return refuse("expected $2y$COST$SALTHASH");
    };
    if !matches!(version, "2a" | "2b" | "2x" | "2y") {
        return refuse("the version must be 2a, 2b, 2x or 2y");
    }
    match cost.parse::<u32>() {
        Ok(4..=31) if cost.len() == 2 => {}
        _ => return refuse("the cost must be two digits from 04 to 31"),
    }
    if salt_and_hash.len() != 53 || !salt_and_hash.is_ascii() {
        return refuse("salt and hash must be 53 characters");
    }
    let (salt, digest) = salt_and_hash.split_at(22);
    let salt_ok = bcrypt::BASE_64.decode(salt).is_ok_and(|salt| salt.len() == 16);
    let digest_ok = bcrypt::BASE_64.decode(digest).is_ok_and(|digest| digest.len() == 23);
    if !(salt_ok && digest_ok) {
        return refuse("salt and hash are not bcrypt's base64");
    }
    Ok(())
}

/// A bcrypt hash, checked while its scalar is read.
struct BcryptHash(String);

parsed_from_string!(BcryptHash);

impl TryFrom<String> for BcryptHash {
    type Error = String;

    fn try_from(hash: String) -> Result<Self, String> {
        check_bcrypt_hash(&hash).map(|()| BcryptHash(hash))
    }
}

fn bcrypt_hashes<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<std::collections::HashMap<String, String>, D::Error> {
    let users = <std::collections::HashMap<String, BcryptHash>>::deserialize(deserializer)?;
    Ok(users.into_iter().map(|(user, BcryptHash(hash))| (user, hash)).collect())
}

impl WebConfigFile {
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = read_small_text(path).map_err(ConfigError::new)?;
        Self::from_yaml(&text).map_err(|error| error.in_file(path, &text))
    }

    /// The file's text, checked as `from_file` checks it (fuzzed: fuzz/fuzz_targets).
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        let file: WebConfigFile = parse_yaml(text)?;
        if file.http_server_config.is_some() {
            return Err(ConfigError::at("http_server_config", "not supported"));
        }
        if let Some(tls) = &file.tls_server_config {
            tls.check_pair().map_err(|error| ConfigError::at("tls_server_config", error))?;
        }
        Ok(file)
    }
}

impl TlsServerConfig {
    /// The certificate and key make a server config, as the server will build it: the key is
    /// of a supported kind and belongs to the certificate.
    fn check_pair(&self) -> Result<(), String> {
        let certificates = read_certificates(&self.cert_file)?;
        let key = read_private_key(&self.key_file)?;
        rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|error| error.to_string())?
            .with_no_client_auth()
            .with_single_cert(certificates, key)
            .map(drop)
            .map_err(|error| {
                format!(
                    "{} and {} do not make a usable pair: {error}",
                    self.cert_file.display(),
                    self.key_file.display()
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses_and_matches_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
        let config = Config::from_file(&path).expect("config.example.yaml parses");
        assert_eq!(config.web.listen_address, DEFAULT_LISTEN_ADDRESS);
        assert_eq!(config.web.telemetry_path, "/metrics");
        assert_eq!(config.poll.interval, PollConfig::default().interval);
        assert_eq!(config.poll.timeout, PollConfig::default().timeout);
        assert_eq!(config.poll.body_size_limit, PollConfig::default().body_size_limit);
        assert_eq!(config.sources.connect.len(), 1);
        assert_eq!(config.sources.connect[0].cluster(), "connect-1");
        assert_eq!(config.generate, GenerateSettings::default());
        assert_eq!(config.sources.jolokia.len(), 1);
        assert_eq!(config.sources.jolokia[0].connect_cluster.as_deref(), Some("connect-1"));
        assert_eq!(config.sources.jmx_exporter[0].target(), "connect-2-jmx");
        let kafka = &config.sources.kafka[0];
        assert_eq!(kafka.cluster(), "kafka-1");
        assert_eq!(kafka.internal_topics, default_internal_topics());
        assert!(kafka.topics[0].matches("outbox.event.order") && !kafka.topics[0].matches("outbox.eventXorder"));
    }

    #[test]
    fn kafka_names_match_exactly_and_regexes_match_whole_names() {
        let yaml =
            "sources:\n  kafka:\n    - bootstrap: 'a:9092, b:9093'\n      topics: [outbox.event.order, 'cdc\\..*']\n";
        let config = Config::from_yaml(yaml).unwrap();
        let kafka = &config.sources.kafka[0];
        assert_eq!(kafka.cluster(), "a:9092,b:9093");
        assert_eq!(kafka.internal_topics, ["connect-configs", "connect-offsets", "connect-status"]);
        let [name, regex] = &kafka.topics[..] else { panic!("{:?}", kafka.topics) };
        assert!(name.matches("outbox.event.order"));
        assert!(!name.matches("outbox-event-order") && !name.matches("outbox.event.orders"));
        assert!(regex.matches("cdc.inventory.public.orders") && !regex.matches("xcdc.a"));

        let error = Config::from_yaml("sources:\n  kafka:\n    - bootstrap: a:9092\n      consumer_groups: ['(']\n")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("sources.kafka[0].consumer_groups[0]: regex parse error"), "{error}");
        let error = Config::from_yaml("sources:\n  kafka:\n    - bootstrap: a\n").unwrap_err().to_string();
        assert!(error.starts_with("sources.kafka[0].bootstrap: `a` is not HOST:PORT"), "{error}");
    }

    #[test]
    fn kafka_sasl_password_never_prints() {
        // SAFETY: tests in this module do not read this variable concurrently.
        unsafe { std::env::set_var("DBZ_EXPORTER_TEST_KAFKA_PASSWORD", "s3cret") };
        let yaml = "sources:\n  kafka:\n    - bootstrap: a:9093\n      security:\n        sasl: {mechanism: SCRAM-SHA-512, username: u, password: \"${DBZ_EXPORTER_TEST_KAFKA_PASSWORD}\"}\n        tls: {}\n";
        let config = Config::from_yaml(yaml).unwrap();
        let sasl = config.sources.kafka[0].security.sasl.as_ref().unwrap();
        assert_eq!((sasl.mechanism, sasl.password.expose()), (SaslMechanism::ScramSha512, "s3cret"));
        assert!(!format!("{config:?}").contains("s3cret"));
        let error = Config::from_yaml("sources:\n  kafka:\n    - bootstrap: a:9093\n      security: {sasl: {mechanism: GSSAPI, username: u, password: p}}\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown variant `GSSAPI`"), "{error}");
    }

    #[test]
    fn kafka_brokers_flag_names_the_cluster() {
        let flags = ServeFlags {
            kafka_brokers: vec!["127.0.0.1:9092".into(), "prod=k1:9092,k2:9092".into()],
            ..ServeFlags::default()
        };
        let config = Config::load(&flags).unwrap();
        let clusters: Vec<String> = config.sources.kafka.iter().map(KafkaConfig::cluster).collect();
        assert_eq!(clusters, ["127.0.0.1:9092", "prod"]);
        let flags = ServeFlags { kafka_brokers: vec!["k1".into()], ..ServeFlags::default() };
        assert!(Config::load(&flags).unwrap_err().to_string().starts_with("--kafka.brokers[0]: `k1` is not HOST:PORT"));
    }

    #[test]
    fn errors_name_the_key_path_line_and_column() {
        let yaml = "poll:\n  interval: 5s\nsources:\n  connect:\n    - url: http://a:8083\n    - name: b\n      url: not a url\n";
        let error = Config::from_yaml(yaml).unwrap_err().to_string();
        assert_eq!(error, "sources.connect[1].url: relative URL without a base (line 7, column 12)");
    }

    #[test]
    fn unknown_keys_are_refused_with_their_location() {
        let error = Config::from_yaml("pol:\n  interval: 5s\n").unwrap_err().to_string();
        assert!(error.starts_with("pol: unknown field `pol`, expected one of `web`, `poll`"), "{error}");
        assert!(error.ends_with("(line 1, column 1)"), "{error}");
        let error = Config::from_yaml("poll:\n  intervall: 5s\n").unwrap_err().to_string();
        assert!(error.starts_with("poll.intervall: unknown field `intervall`"), "{error}");
    }

    #[test]
    fn durations_and_enums_are_checked() {
        let error = Config::from_yaml("poll:\n  timeout: soon\n").unwrap_err().to_string();
        assert!(error.starts_with("poll.timeout: "), "{error}");
        assert!(error.ends_with("(line 2, column 12)"), "{error}");
        let error = Config::from_yaml("log:\n  format: xml\n").unwrap_err().to_string();
        assert!(error.starts_with("log.format: unknown variant `xml`"), "{error}");
    }

    #[test]
    fn secrets_come_from_env_or_file_and_never_print() {
        // SAFETY: tests in this module do not read this variable concurrently.
        unsafe { std::env::set_var("DBZ_EXPORTER_TEST_PASSWORD", "hunter2") };
        let yaml = "sources:\n  connect:\n    - url: https://c:8083\n      basic_auth: {username: u, password: \"${DBZ_EXPORTER_TEST_PASSWORD}\"}\n";
        let config = Config::from_yaml(yaml).unwrap();
        let auth = config.sources.connect[0].basic_auth.as_ref().unwrap();
        assert_eq!(auth.password.expose(), "hunter2");
        assert!(!format!("{config:?}").contains("hunter2"));

        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "from-file\n").unwrap();
        let yaml = format!(
            "sources:\n  connect:\n    - url: https://c:8083\n      basic_auth: {{username: u, password_file: {}}}\n",
            file.path().display()
        );
        let config = Config::from_yaml(&yaml).unwrap();
        assert_eq!(config.sources.connect[0].basic_auth.as_ref().unwrap().password.expose(), "from-file");

        let yaml = "sources:\n  connect:\n    - url: https://c:8083\n      basic_auth: {username: u, password: \"${DBZ_EXPORTER_TEST_UNSET}\"}\n";
        let error = Config::from_yaml(yaml).unwrap_err().to_string();
        assert!(error.contains("environment variable DBZ_EXPORTER_TEST_UNSET is not set"), "{error}");
        assert!(error.starts_with("sources.connect[0].basic_auth"), "{error}");
    }

    #[test]
    fn web_config_refuses_what_it_does_not_implement() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: k.pem\n").unwrap();
        let error = WebConfigFile::from_file(file.path()).unwrap_err().to_string();
        assert!(error.contains("tls_server_config.cert_file: cannot read /nonexistent.pem: No such file"), "{error}");
        std::fs::write(
            file.path(),
            "tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n  cert_file: a\n  key_file: b\n",
        )
        .unwrap();
        let error = WebConfigFile::from_file(file.path()).unwrap_err().to_string();
        assert!(error.contains("tls_server_config.client_auth_type: unknown field"), "{error}");
        std::fs::write(file.path(), "basic_auth_users:\n  alice: plaintext\n").unwrap();
        let error = WebConfigFile::from_file(file.path()).unwrap_err().to_string();
        assert!(error.contains("basic_auth_users.alice: not a bcrypt hash"), "{error}");
    }

    #[test]
    fn credentials_in_urls_are_refused() {
        let error =
            Config::from_yaml("sources:\n  connect:\n    - url: http://admin:pw@c:8083\n").unwrap_err().to_string();
        assert!(error.contains("use basic_auth"), "{error}");
        assert!(!error.contains("pw@"), "{error}");
    }

    #[test]
    fn flags_add_sources_and_override_the_file() {
        let flags = ServeFlags {
            connect_url: vec!["http://127.0.0.1:8083".into(), "prod=https://connect.example:443/".into()],
            listen_address: Some(":9999".into()),
            poll_interval: Some(Duration::from_secs(2)),
            ..ServeFlags::default()
        };
        let config = Config::load(&flags).unwrap();
        let clusters: Vec<String> = config.sources.connect.iter().map(ConnectConfig::cluster).collect();
        assert_eq!(clusters, ["127.0.0.1:8083", "prod"]);
        assert_eq!(config.listen_address().unwrap().port(), 9999);
        assert_eq!(config.poll.interval, Duration::from_secs(2));
    }

    #[test]
    fn jmx_bridges_from_flags_and_file() {
        let flags = ServeFlags {
            jolokia_url: vec!["w1=http://connect-1:8778/jolokia".into(), "http://connect-2:8778/jolokia".into()],
            jmx_exporter_url: vec!["http://connect-3:9404/metrics".into()],
            ..ServeFlags::default()
        };
        let config = Config::load(&flags).unwrap();
        let targets: Vec<String> = config.sources.jolokia.iter().map(JmxBridgeConfig::target).collect();
        assert_eq!(targets, ["w1", "connect-2:8778"]);
        assert_eq!(config.sources.jmx_exporter[0].target(), "connect-3:9404");

        let yaml = "sources:\n  jolokia:\n    - url: http://w:8778/jolokia\n      connect_cluster: prod\n";
        let error = Config::from_yaml(yaml).and_then(|config| config.validate()).unwrap_err().to_string();
        assert_eq!(error, "sources.jolokia[0].connect_cluster: no sources.connect entry is named `prod`");
        let yaml = "sources:\n  jmx_exporter:\n    - url: http://w:9404/metrics\n      cluster: prod\n";
        let error = Config::from_yaml(yaml).unwrap_err().to_string();
        assert!(error.starts_with("sources.jmx_exporter[0].cluster: unknown field `cluster`"), "{error}");
    }

    #[test]
    fn duplicate_clusters_are_refused() {
        let flags =
            ServeFlags { connect_url: vec!["http://a:8083".into(), "http://a:8083/".into()], ..ServeFlags::default() };
        let error = Config::load(&flags).unwrap_err().to_string();
        assert!(error.contains("cluster `a:8083` is configured twice"), "{error}");
    }

    /// `Config::load` of `yaml` as a file: the error without the file name it starts with.
    fn load_error(yaml: &str) -> String {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), yaml).unwrap();
        let flags = ServeFlags { config_file: Some(file.path().to_owned()), ..ServeFlags::default() };
        let error = Config::load(&flags).unwrap_err().to_string();
        let prefix = format!("{}: ", file.path().display());
        error.strip_prefix(&prefix).unwrap_or_else(|| panic!("{error:?} does not name the file")).to_owned()
    }

    /// A PEM CA certificate made for the test.
    fn ca_pem() -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        let ca = rcgen::generate_simple_self_signed(vec!["ca.test".to_owned()]).unwrap();
        std::fs::write(file.path(), ca.cert.pem()).unwrap();
        file
    }

    #[test]
    fn a_duplicate_connect_cluster_is_located_in_the_file() {
        let yaml =
            "sources:\n  connect:\n    - {name: a, url: 'http://a:8083'}\n    - name: a\n      url: http://b:8083\n";
        let error = load_error(yaml);
        assert_eq!(
            error,
            "sources.connect[1].name: cluster `a` is configured twice; give each a distinct name (line 4, column 13)"
        );
    }

    #[test]
    fn a_duplicate_default_name_points_at_the_entry() {
        let error = load_error("sources:\n  connect:\n    - url: http://a:8083\n    - url: http://a:8083/\n");
        assert!(error.starts_with("sources.connect[1].name: cluster `a:8083` is configured twice"), "{error}");
        assert!(error.ends_with("(line 4, column 7)"), "{error}");
    }

    #[test]
    fn a_duplicate_from_a_flag_names_the_flag() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "sources:\n  connect:\n    - url: http://a:8083\n").unwrap();
        let flags = ServeFlags {
            config_file: Some(file.path().to_owned()),
            connect_url: vec!["http://a:8083".into()],
            ..ServeFlags::default()
        };
        let error = Config::load(&flags).unwrap_err().to_string();
        assert_eq!(error, "--connect.url[0]: cluster `a:8083` is configured twice; give each a distinct name");
    }

    #[test]
    fn a_duplicate_kafka_cluster_is_located_in_the_file() {
        let error = load_error(
            "sources:\n  kafka:\n    - {name: k, bootstrap: 'a:9092'}\n    - {name: k, bootstrap: 'b:9092'}\n",
        );
        assert!(error.starts_with("sources.kafka[1].name: cluster `k` is configured twice"), "{error}");
        assert!(error.ends_with("(line 4, column 14)"), "{error}");
    }

    #[test]
    fn a_duplicate_bridge_target_is_located_in_the_file() {
        let error = load_error(
            "sources:\n  jmx_exporter:\n    - url: http://w:9404/metrics\n    - url: http://w:9404/metrics\n",
        );
        assert!(error.starts_with("sources.jmx_exporter[1].name: target `w:9404` is configured twice"), "{error}");
        assert!(error.ends_with("(line 4, column 7)"), "{error}");
    }

    #[test]
    fn an_unknown_connect_cluster_is_located_in_the_file() {
        let error = load_error("sources:\n  jolokia:\n    - url: http://w:8778/jolokia\n      connect_cluster: prod\n");
        assert_eq!(
            error,
            "sources.jolokia[0].connect_cluster: no sources.connect entry is named `prod` (line 4, column 24)"
        );
    }

    #[test]
    fn a_duplicate_database_is_located_in_the_file() {
        let error = load_error("sources:\n  postgres:\n    - dsn: host=h dbname=a\n    - dsn: host=i dbname=a\n");
        assert!(error.starts_with("sources.postgres[1].name: db `a` is configured twice"), "{error}");
        assert!(error.ends_with("(line 4, column 7)"), "{error}");
    }

    #[test]
    fn verification_without_a_ca_is_located_in_the_file() {
        let error = load_error("sources:\n  postgres:\n    - dsn: host=h\n      sslmode: verify-full\n");
        assert!(error.starts_with("sources.postgres[0].ca_file: sslmode verify-full needs the CA"), "{error}");
        assert!(error.ends_with("(line 3, column 7)"), "{error}");
    }

    #[test]
    fn an_unreadable_dsn_ca_is_located_at_the_dsn() {
        let error = load_error("sources:\n  postgres:\n    - dsn: host=h sslrootcert=/nonexistent/ca.pem\n");
        assert!(error.starts_with("sources.postgres[0].dsn: sslrootcert: cannot read /nonexistent/ca.pem"), "{error}");
        assert!(error.ends_with("(line 3, column 12)"), "{error}");
    }

    #[test]
    fn a_duplicate_outbox_table_is_located_in_the_file() {
        let yaml = "sources:\n  postgres:\n    - dsn: host=h\n      outbox:\n        - table: outbox\n        - table: public.outbox\n        - table: OUTBOX\n";
        let error = load_error(yaml);
        assert_eq!(error, "sources.postgres[0].outbox[2].table: `outbox` is listed twice (line 7, column 18)");
    }

    #[test]
    fn a_zero_count_cap_is_refused_where_it_is_written() {
        let yaml = "sources:\n  postgres:\n    - dsn: host=h\n      outbox:\n        - {table: outbox, count_cap: 0}\n";
        let error = load_error(yaml);
        assert_eq!(error, "sources.postgres[0].outbox[0].count_cap: must be above zero (line 5, column 38)");
    }

    #[test]
    fn body_size_limits_take_a_unit_and_refuse_what_no_answer_fits_in() {
        let limit = |yaml: &str| Config::from_yaml(yaml).map(|config| config.poll.body_size_limit);
        assert_eq!(Config::from_yaml("").unwrap().poll.body_size_limit, 64 << 20);
        assert_eq!(limit("poll:\n  body_size_limit: 4MiB\n").unwrap(), 4 << 20);
        assert_eq!(limit("poll:\n  body_size_limit: 2GB\n").unwrap(), 2 << 30);
        assert_eq!(limit("poll:\n  body_size_limit: 4096\n").unwrap(), 4096);
        let error = load_error("poll:\n  body_size_limit: 100\n");
        assert_eq!(error, "poll.body_size_limit: 100 is too small: at least 1KiB (line 2, column 20)");
        let error = load_error("poll:\n  body_size_limit: 5 potatoes\n");
        assert!(error.starts_with("poll.body_size_limit: unknown unit \"potatoes\""), "{error}");
        let error = load_error("poll:\n  body_size_limit: 99999999999GiB\n");
        assert!(error.contains("is not a size"), "{error}");
    }

    #[test]
    fn a_bad_listen_address_is_refused_where_it_is_written() {
        let error = load_error("web:\n  listen_address: localhost\n");
        assert!(error.starts_with("web.listen_address: `localhost`: invalid socket address"), "{error}");
        assert!(error.ends_with("(line 2, column 19)"), "{error}");
    }

    #[test]
    fn a_poll_interval_below_half_a_second_is_refused() {
        let error = load_error("poll:\n  interval: 1ns\n");
        assert_eq!(
            error,
            "poll.interval: 1ns is too short: at least 500ms (every poll is a request to each upstream) (line 2, column 13)"
        );
        let flags = ServeFlags { poll_interval: Some(Duration::from_millis(100)), ..ServeFlags::default() };
        let error = Config::load(&flags).unwrap_err().to_string();
        assert!(error.starts_with("--poll.interval: 100ms is too short"), "{error}");
        assert!(Config::from_yaml("poll:\n  interval: 500ms\n").is_ok());
    }

    #[test]
    fn a_poll_timeout_below_100ms_is_refused_for_every_source_too() {
        let error = load_error("poll:\n  timeout: 0s\n");
        assert!(error.starts_with("poll.timeout: 0s is too short: at least 100ms"), "{error}");
        let error = load_error("sources:\n  connect:\n    - url: http://c:8083\n      timeout: 1ns\n");
        assert!(error.starts_with("sources.connect[0].timeout: 1ns is too short"), "{error}");
        assert!(error.ends_with("(line 4, column 16)"), "{error}");
        let error = load_error("sources:\n  postgres:\n    - dsn: host=h\n      timeout: 10ms\n");
        assert!(error.starts_with("sources.postgres[0].timeout: 10ms is too short"), "{error}");
    }

    #[test]
    fn a_ca_file_that_is_not_pem_is_refused_where_it_is_written() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "not a certificate\n").unwrap();
        let path = file.path().display();
        for (yaml, key, column) in [
            (
                format!("sources:\n  connect:\n    - url: https://c:8083\n      tls: {{ca_file: {path}}}\n"),
                "sources.connect[0].tls.ca_file",
                22,
            ),
            (
                format!("sources:\n  kafka:\n    - bootstrap: k:9093\n      security: {{tls: {{ca_file: {path}}}}}\n"),
                "sources.kafka[0].security.tls.ca_file",
                33,
            ),
            (
                format!("sources:\n  postgres:\n    - dsn: host=h\n      ca_file: {path}\n"),
                "sources.postgres[0].ca_file",
                16,
            ),
        ] {
            let error = load_error(&yaml);
            assert_eq!(
                error,
                format!(
                    "{key}: {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----) (line 4, column {column})"
                )
            );
        }
        let good = ca_pem();
        let yaml = format!(
            "sources:\n  connect:\n    - url: https://c:8083\n      tls: {{ca_file: {}}}\n",
            good.path().display()
        );
        assert!(Config::from_yaml(&yaml).is_ok());
    }

    #[test]
    fn a_missing_ca_file_is_refused_where_it_is_written() {
        let error = load_error(
            "sources:\n  jolokia:\n    - url: https://w:8778/jolokia\n      tls:\n        ca_file: /nonexistent/ca.pem\n",
        );
        assert!(
            error.starts_with("sources.jolokia[0].tls.ca_file: cannot read /nonexistent/ca.pem: No such file"),
            "{error}"
        );
        assert!(error.ends_with("(line 5, column 18)"), "{error}");
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        for yaml in ["\u{feff}poll:\n  interval: 5s\n", "\u{feff}---\npoll:\n  interval: 5s\n"] {
            let config = Config::from_yaml(yaml).unwrap_or_else(|error| panic!("{yaml:?}: {error}"));
            assert_eq!(config.poll.interval, Duration::from_secs(5));
        }
        assert!(Config::from_yaml("\u{feff}").is_ok());
        let error = load_error("\u{feff}poll:\n  interval: 1ns\n");
        assert!(error.ends_with("(line 2, column 13)"), "{error}");
    }

    #[test]
    fn a_queue_remaining_ratio_outside_0_1_is_refused() {
        for ratio in ["5", "1", "0", "-0.5", "1.5"] {
            let error = load_error(&format!("generate:\n  queue_remaining_ratio: {ratio}\n"));
            assert!(error.starts_with("generate.queue_remaining_ratio: "), "{error}");
            assert!(error.contains("is not between 0 and 1"), "{error}");
            assert!(error.ends_with("(line 2, column 26)"), "{error}");
        }
        let config = Config::from_yaml("generate:\n  queue_remaining_ratio: 0.2\n").unwrap();
        assert_eq!(config.generate.queue_remaining_ratio, 0.2);
    }

    /// `web.yml` with `text`; the error of reading it, without the file name.
    fn web_error(text: &str) -> String {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        let error = WebConfigFile::from_file(file.path()).unwrap_err().to_string();
        let prefix = format!("{}: ", file.path().display());
        error.strip_prefix(&prefix).unwrap_or_else(|| panic!("{error:?} does not name the file")).to_owned()
    }

    #[test]
    fn bcrypt_hashes_the_server_cannot_verify_are_refused() {
        let good = bcrypt::hash("pw", 4).unwrap();
        let mut bad_salt = good.clone();
        bad_salt.replace_range(7..8, "!");
        for hash in [
            "$2y$10$abc",
            "plaintext",
            "$2y$3$",
            "$2y$03$",
            "$2q$10$",
            &bad_salt,
            &format!("{good}x"),
            &format!("x{good}"),
        ] {
            let error = web_error(&format!("basic_auth_users:\n  alice: '{hash}'\n"));
            assert!(
                error.starts_with("basic_auth_users.alice: not a bcrypt hash the server can use: "),
                "{hash}: {error}"
            );
            assert!(error.ends_with("(line 2, column 10)"), "{hash}: {error}");
            assert!(!error.contains(hash), "the hash must not be echoed: {error}");
        }
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let hash = good.replacen("$2b$", prefix, 1);
            let file = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(file.path(), format!("basic_auth_users:\n  alice: '{hash}'\n")).unwrap();
            let users = WebConfigFile::from_file(file.path()).unwrap().basic_auth_users;
            assert!(bcrypt::verify("pw", &users["alice"]).unwrap(), "{hash}");
        }
    }

    /// A certificate and key, PEM, as files.
    fn certified(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let (cert, key) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
        (cert, key)
    }

    #[test]
    fn web_certificates_and_keys_the_server_cannot_use_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = certified(dir.path(), "a");
        let (_, other_key) = certified(dir.path(), "b");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "garbage\n").unwrap();
        let web = |cert: &Path, key: &Path| {
            format!("tls_server_config:\n  cert_file: {}\n  key_file: {}\n", cert.display(), key.display())
        };

        let error = web_error(&web(&garbage, &key));
        assert!(error.starts_with("tls_server_config.cert_file: "), "{error}");
        assert!(error.contains("holds no PEM certificate") && error.ends_with("(line 2, column 14)"), "{error}");
        let error = web_error(&web(&cert, &garbage));
        assert!(error.starts_with("tls_server_config.key_file: "), "{error}");
        assert!(error.contains("holds no PEM private key") && error.ends_with("(line 3, column 13)"), "{error}");
        let error = web_error(&web(&key, &cert));
        assert!(error.starts_with("tls_server_config.cert_file: "), "a key as certificate: {error}");
        let error = web_error(&web(&cert, &other_key));
        assert!(error.starts_with("tls_server_config: "), "{error}");
        assert!(error.contains("do not make a usable pair") && error.ends_with("(line 2, column 3)"), "{error}");

        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), web(&cert, &key)).unwrap();
        assert!(WebConfigFile::from_file(file.path()).unwrap().tls_server_config.is_some());
    }

    #[test]
    fn unsupported_web_settings_are_located() {
        let error = web_error("basic_auth_users: {}\nhttp_server_config:\n  http2: false\n");
        assert_eq!(error, "http_server_config: not supported (line 3, column 3)");
    }

    #[test]
    fn load_checks_the_web_config_file_too() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "basic_auth_users:\n  alice: '$2y$10$abc'\n").unwrap();
        let flags = ServeFlags { web_config_file: Some(file.path().to_owned()), ..ServeFlags::default() };
        let error = Config::load(&flags).unwrap_err().to_string();
        assert!(error.contains("basic_auth_users.alice: not a bcrypt hash the server can use"), "{error}");
    }
}
