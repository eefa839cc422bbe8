//! `sources.postgres[]` and `--postgres.dsn`: databases whose replication slots and outbox
//! tables are watched.
//!
//! Two things are checked while the file is read, so errors carry the key path and line:
//! the DSN parses (its text never appears in an error: it may hold a password), and outbox
//! table and column names are PostgreSQL identifiers. They are always sent quoted, so a value
//! like `public.outbox; drop table x` can neither be executed nor even accepted.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::config::error::ConfigError;
use crate::config::values::{NamePattern, ca_file, check_ca_file, readable_file, source_timeout};

mod dsn;
mod identifier;

pub use dsn::{PostgresDsn, SslMode};
pub use identifier::{Identifier, QualifiedName, quote_identifier};

/// One PostgreSQL database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// The `db` label; defaults to the DSN's database name.
    #[serde(default)]
    pub name: Option<String>,
    /// libpq-style connection string or URL; may be `${ENV_VAR}`. A password in it is never
    /// logged or shown, but `password_file` keeps it out of the file altogether.
    pub dsn: PostgresDsn,
    /// File holding the password; read on every (re)connect, so a rotated password is picked up.
    #[serde(default, deserialize_with = "readable_file")]
    pub password_file: Option<PathBuf>,
    /// TLS as libpq's `sslmode`: `disable`, `prefer` (the default: TLS when the server offers
    /// it, unverified), `require` (TLS; verified like verify-ca when a CA is given),
    /// `verify-ca` (the certificate chains to the CA), `verify-full` (and names the host).
    /// Overrides the DSN's `sslmode`.
    #[serde(default)]
    pub sslmode: Option<SslMode>,
    /// PEM file of the CA certificates the server's certificate must chain to; needed by
    /// verify-ca and verify-full. Overrides the DSN's `sslrootcert`. Read on every (re)connect.
    #[serde(default, deserialize_with = "ca_file")]
    pub ca_file: Option<PathBuf>,
    /// Overrides `poll.timeout` for this database; also its `statement_timeout`.
    #[serde(default, deserialize_with = "source_timeout")]
    pub timeout: Option<Duration>,
    /// Outbox tables whose backlog to report.
    #[serde(default)]
    pub outbox: Vec<OutboxConfig>,
}

impl PostgresConfig {
    /// The `db` label and target name.
    pub fn db(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.dsn.database().to_owned())
    }

    /// The TLS mode in effect: this section's `sslmode`, else the DSN's, else `prefer`.
    pub fn sslmode(&self) -> SslMode {
        self.sslmode.or(self.dsn.sslmode).unwrap_or_default()
    }

    /// The CA file in effect: `ca_file`, else the DSN's `sslrootcert`.
    pub fn ca_file(&self) -> Option<&PathBuf> {
        self.ca_file.as_ref().or(self.dsn.sslrootcert.as_ref())
    }
}

/// One outbox table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxConfig {
    /// `schema.table`, or `table` to follow the search_path. Unquoted parts fold to lower
    /// case as in SQL; write `"MyTable"` (YAML: `'"MyTable"'`) to keep case.
    pub table: QualifiedName,
    /// Column holding each event's creation time (timestamptz or timestamp); index it.
    #[serde(default = "default_timestamp_column")]
    pub timestamp_column: Identifier,
    /// `outbox_table_rows` stops counting here, so a huge table never costs a full scan.
    #[serde(default = "default_count_cap", deserialize_with = "above_zero")]
    pub count_cap: u64,
    /// Kafka topics this table's events are published to (names or regexes, as in
    /// `sources.kafka[].topics`, which must watch them too). With them, the rows newer than
    /// the newest record on those topics are exported as `outbox_unpublished_events`. When
    /// empty, they are derived from the EventRouter settings of the Debezium connectors (of
    /// `sources.connect`) that capture this table, and the Kafka sources watch them.
    #[serde(default)]
    pub published_topics: Vec<NamePattern>,
}

fn default_timestamp_column() -> Identifier {
    Identifier::try_from("created_at".to_owned()).expect("created_at is an identifier")
}

/// The default for `count_cap`.
pub const DEFAULT_COUNT_CAP: u64 = 100_000;

fn default_count_cap() -> u64 {
    DEFAULT_COUNT_CAP
}

/// A count that must be above zero, refused while the number is read (so the error has its line).
fn above_zero<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct AboveZero;
    impl serde::de::Visitor<'_> for AboveZero {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number above zero")
        }
        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<u64, E> {
            if value == 0 {
                return Err(E::custom("must be above zero"));
            }
            Ok(value)
        }
        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<u64, E> {
            match u64::try_from(value) {
                Ok(value) => self.visit_u64(value),
                Err(_) => Err(E::custom("must be above zero")),
            }
        }
    }
    deserializer.deserialize_u64(AboveZero)
}

/// Adds `--postgres.dsn [NAME=]DSN` values.
pub(super) fn apply_flags(postgres: &mut Vec<PostgresConfig>, specs: &[String]) -> Result<(), ConfigError> {
    for (index, spec) in specs.iter().enumerate() {
        let (name, dsn) = split_name(spec);
        let dsn = PostgresDsn::try_from(dsn.to_owned())
            .map_err(|error| ConfigError::at(format!("--postgres.dsn[{index}]"), error))?;
        postgres.push(PostgresConfig {
            name: name.map(str::to_owned),
            dsn,
            password_file: None,
            sslmode: None,
            ca_file: None,
            timeout: None,
            outbox: Vec::new(),
        });
    }
    Ok(())
}

/// `NAME=DSN` or a bare DSN. A key/value DSN contains `=` too: `host=a dbname=b` is bare
/// (its first word has one `=`), `prod=host=a dbname=b` is named `prod`, and so is
/// `prod=${PROD_DSN}` (the DSN from the environment).
fn split_name(spec: &str) -> (Option<&str>, &str) {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        return (None, spec);
    }
    match spec.split_once('=') {
        Some((name, rest))
            if !name.is_empty()
                && !name.contains(char::is_whitespace)
                && (rest.starts_with("postgres://")
                    || rest.starts_with("postgresql://")
                    || rest.starts_with("${")
                    || rest.split_whitespace().next().is_some_and(|word| word.contains('='))) =>
        {
            (Some(name), rest)
        }
        _ => (None, spec),
    }
}

/// Checks what spans keys: distinct `db` labels and outbox tables, a CA where the TLS mode
/// verifies. `key(index, ".field")` names an entry's key (or the flag it came from).
pub(super) fn validate(postgres: &[PostgresConfig], key: &dyn Fn(usize, &str) -> String) -> Result<(), ConfigError> {
    let mut names = std::collections::HashSet::new();
    for (index, database) in postgres.iter().enumerate() {
        if !names.insert(database.db()) {
            return Err(ConfigError::at(
                key(index, ".name"),
                format!("db `{}` is configured twice; give each a distinct name", database.db()),
            ));
        }
        // The password file and `ca_file` were read as they were parsed; the DSN's CA is
        // read here, when no `ca_file` overrides it (parsing a DSN reads no file).
        if let (None, Some(file)) = (&database.ca_file, &database.dsn.sslrootcert) {
            check_ca_file(file)
                .map_err(|error| ConfigError::at(key(index, ".dsn"), format!("sslrootcert: {error}")))?;
        }
        if database.ca_file().is_none() && database.sslmode().verifies() {
            return Err(ConfigError::at(
                key(index, ".ca_file"),
                format!(
                    "sslmode {} needs the CA that signs the server's certificate (ca_file, or sslrootcert in the DSN)",
                    database.sslmode()
                ),
            ));
        }
        let mut tables = std::collections::HashSet::new();
        for (table_index, outbox) in database.outbox.iter().enumerate() {
            if !tables.insert(outbox.table.to_string()) {
                return Err(ConfigError::at(
                    key(index, &format!(".outbox[{table_index}].table")),
                    format!("`{}` is listed twice", outbox.table),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_take_an_optional_name() {
        assert_eq!(split_name("postgresql://u@h/db"), (None, "postgresql://u@h/db"));
        assert_eq!(split_name("prod=postgresql://u@h/db"), (Some("prod"), "postgresql://u@h/db"));
        assert_eq!(split_name("host=a dbname=b"), (None, "host=a dbname=b"));
        assert_eq!(split_name("prod=host=a dbname=b"), (Some("prod"), "host=a dbname=b"));
        assert_eq!(split_name("host=a"), (None, "host=a"));
        assert_eq!(split_name("prod=${PROD_DSN}"), (Some("prod"), "${PROD_DSN}"));
    }
}
