//! The `serve` (and `check`) flags, and how they are applied on top of the file: every source
//! can be given as a flag, so a quick start needs no file. A flag's value is checked as it is
//! applied, and an error names the flag (`--connect.url[0]`), never a key of the file.

use std::path::PathBuf;
use std::time::Duration;

use super::error::ConfigError;
use super::postgres;
use super::raw::{LogFormat, LogLevel, RawConfig};
use super::sources::{Bootstrap, ConnectConfig, FlagEntries, JmxBridgeConfig, KafkaConfig};
use super::values::{HttpUrl, check_poll_interval, check_poll_timeout, parse_body_size_limit, parse_duration};
use super::web::{check_listen_address, check_telemetry_path};

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

impl RawConfig {
    /// Adds the flags' sources to the file's and lets the other flags override its values.
    pub(super) fn apply(&mut self, flags: &ServeFlags) -> Result<(), ConfigError> {
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
            self.sources.connect.push(ConnectConfig::from_flag(name, url));
        }
        postgres::apply_flags(&mut self.sources.postgres, &flags.postgres_dsn)?;
        for (index, spec) in flags.kafka_brokers.iter().enumerate() {
            let (name, servers) = match spec.split_once('=') {
                Some((name, servers)) => (Some(name.to_owned()), servers),
                None => (None, spec.as_str()),
            };
            let bootstrap = Bootstrap::try_from(servers.to_owned())
                .map_err(|error| ConfigError::at(format!("--kafka.brokers[{index}]"), error))?;
            self.sources.kafka.push(KafkaConfig::from_flag(name, bootstrap));
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
}

/// Splits a `[NAME=]URL` flag value; a `=` inside the URL (a query) is not a name.
fn split_named(spec: &str) -> (Option<String>, &str) {
    match spec.split_once('=') {
        Some((name, url)) if !name.contains(':') && !name.contains('/') => (Some(name.to_owned()), url),
        _ => (None, spec),
    }
}
