//! Configuration: the YAML file and the command-line flags, merged into one validated `Config`.
//!
//! The file is parsed into typed structs (`deny_unknown_fields`); every value that can be
//! wrong on its own is checked while it is deserialized (files it names are read then), so an
//! error names the file, the key path and the line and column (`sources.connect[1].url:
//! relative URL without a base (line 7, column 12)`). Flags are applied on top of the file
//! and checked as they are; what spans keys is checked last, by `Config::try_from`, and its
//! error is located in the file by key path (`error::locate`). Every command (`serve`,
//! `check`, `generate`) gets a `Config`, so every command has had every check.
//!
//! | file | job |
//! |---|---|
//! | `raw.rs` | the file as written ([`RawConfig`]), and the small `poll` and `log` sections |
//! | `flags.rs` | the `serve` flags ([`ServeFlags`]) and how they apply on top of the file |
//! | `values.rs` | value types checked as they are read: durations, sizes, URLs, secrets, auth, TLS |
//! | `sources.rs` | the `sources` section and the checks across its entries |
//! | `postgres/` | `sources.postgres[]`: the section, its DSN and its SQL identifiers |
//! | `web.rs` | the `web` section and the exporter-toolkit web configuration file |
//! | `generate.rs` | the generator's settings (the `generate` section) |
//! | `error.rs`, `files.rs` | errors that say where; reading the small files a config names |
//!
//! Only this file knows the validated [`Config`]; the others know their section, so no file
//! here imports this one.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

mod error;
mod files;
mod flags;
pub mod generate;
mod postgres;
mod raw;
mod sources;
mod values;
mod web;

#[cfg(test)]
mod tests;

pub use error::ConfigError;
pub use files::{MAX_FILE_BYTES, read_small_file, read_small_text};
pub use flags::ServeFlags;
pub use generate::Settings as GenerateSettings;
pub use postgres::{
    DEFAULT_COUNT_CAP, Identifier, OutboxConfig, PostgresConfig, PostgresDsn, QualifiedName, SslMode, quote_identifier,
};
pub use raw::{LogConfig, LogFormat, LogLevel, PollConfig, RawConfig};
pub use sources::{
    Bootstrap, ConnectConfig, JmxBridgeConfig, KafkaConfig, KafkaSecurity, KafkaTls, SaslConfig, SaslMechanism,
    SourcesConfig,
};
pub use values::{
    BasicAuth, DEFAULT_BODY_SIZE_LIMIT, HttpUrl, MIN_POLL_INTERVAL, MIN_POLL_TIMEOUT, NamePattern, Secret, TlsConfig,
};
pub use web::{DEFAULT_LISTEN_ADDRESS, TlsServerConfig, WebConfig, WebConfigFile};

use sources::FlagEntries;

/// The whole configuration, validated: made only by [`Config::try_from`] a [`RawConfig`]
/// (which [`Config::load`], [`Config::from_file`] and [`Config::from_yaml`] call); it has
/// no `Deserialize` or `Default`, and outside this crate no literal can make one.
#[derive(Debug)]
#[non_exhaustive]
pub struct Config {
    pub web: WebConfig,
    pub poll: PollConfig,
    pub log: LogConfig,
    pub sources: SourcesConfig,
    /// Thresholds and names for `debezium-exporter generate`.
    pub generate: GenerateSettings,
    /// What `web.config_file` holds, read and checked.
    pub web_file: WebConfigFile,
}

impl TryFrom<RawConfig> for Config {
    type Error = ConfigError;

    /// Checks what spans more than one key; what one value gets wrong was refused as it was
    /// parsed. Errors name the key (or the flag an entry came from), not yet its place in a
    /// file; then reads the web config file, whose errors name that file.
    fn try_from(raw: RawConfig) -> Result<Config, ConfigError> {
        raw.web.validate()?;
        raw.sources.validate(raw.from_flags.unwrap_or(FlagEntries::ALL_FROM_FILE))?;
        let web_file = match &raw.web.config_file {
            Some(path) => WebConfigFile::from_file(path)?,
            None => WebConfigFile::default(),
        };
        let RawConfig { web, poll, log, sources, generate, from_flags: _ } = raw;
        Ok(Config { web, poll, log, sources, generate, web_file })
    }
}

impl Config {
    /// Reads the file named by the flags, if any, applies the flags on top and validates the
    /// whole, whichever command asks: the web config file named too.
    pub fn load(flags: &ServeFlags) -> Result<Config, ConfigError> {
        let (mut raw, file) = match &flags.config_file {
            Some(path) => {
                let text = read_small_text(path).map_err(ConfigError::new)?;
                (RawConfig::from_yaml(&text).map_err(|error| error.in_file(path, &text))?, Some((path, text)))
            }
            None => (RawConfig::default(), None),
        };
        raw.apply(flags)?;
        Config::try_from(raw).map_err(|error| match &file {
            Some((path, text)) => error.in_file(path, text),
            None => error,
        })
    }

    /// Reads and validates the file alone, without flags.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = read_small_text(path).map_err(ConfigError::new)?;
        Config::from_yaml(&text).map_err(|error| error.in_file(path, &text))
    }

    /// Parses and validates YAML; errors carry the key path, line and column.
    pub fn from_yaml(text: &str) -> Result<Config, ConfigError> {
        Config::try_from(RawConfig::from_yaml(text)?).map_err(|error| error.in_text(text))
    }

    /// The listen address; `:9543` means every interface, as in other exporters.
    pub fn listen_address(&self) -> Result<SocketAddr, ConfigError> {
        web::parse_listen_address(&self.web.listen_address)
            .map_err(|error| ConfigError::at("web.listen_address", error))
    }

    /// The poll timeout for one source, given its own override.
    pub fn timeout_for(&self, own: Option<Duration>) -> Duration {
        own.unwrap_or(self.poll.timeout)
    }
}
