//! The configuration as written: the YAML file parsed into typed sections
//! (`deny_unknown_fields`), each value checked as it is read, with the flags applied on top.
//! Nothing that spans keys is checked yet: a [`RawConfig`] becomes a usable `Config` only
//! through `Config::try_from`. The small `poll` and `log` sections live here too.

use std::time::Duration;

use serde::Deserialize;

use super::error::{ConfigError, parse_yaml, without_bom};
use super::generate::Settings as GenerateSettings;
use super::sources::{FlagEntries, SourcesConfig};
use super::values::{DEFAULT_BODY_SIZE_LIMIT, body_size_limit, poll_interval, poll_timeout};
use super::web::WebConfig;

/// The file's sections, each value checked, before the checks that span keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
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
    /// Set by the flags: which source entries came from them.
    #[serde(skip)]
    pub(super) from_flags: Option<FlagEntries>,
}

impl RawConfig {
    /// Parses YAML; errors carry the key path, line and column. An empty file is the defaults.
    pub fn from_yaml(text: &str) -> Result<RawConfig, ConfigError> {
        if without_bom(text).trim().is_empty() {
            return Ok(RawConfig::default());
        }
        parse_yaml(text)
    }
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
