//! `sources.postgres[]` and `--postgres.dsn`: databases whose replication slots and outbox
//! tables are watched.
//!
//! Two things are checked while the file is read, so errors carry the key path and line:
//! the DSN parses (its text never appears in an error: it may hold a password), and outbox
//! table and column names are PostgreSQL identifiers. They are always sent quoted, so a value
//! like `public.outbox; drop table x` can neither be executed nor even accepted.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, NamePattern, Secret};

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
    #[serde(default, deserialize_with = "super::readable_file")]
    pub password_file: Option<PathBuf>,
    /// TLS as libpq's `sslmode`: `disable`, `prefer` (the default: TLS when the server offers
    /// it, unverified), `require` (TLS; verified like verify-ca when a CA is given),
    /// `verify-ca` (the certificate chains to the CA), `verify-full` (and names the host).
    /// Overrides the DSN's `sslmode`.
    #[serde(default)]
    pub sslmode: Option<SslMode>,
    /// PEM file of the CA certificates the server's certificate must chain to; needed by
    /// verify-ca and verify-full. Overrides the DSN's `sslrootcert`. Read on every (re)connect.
    #[serde(default, deserialize_with = "super::ca_file")]
    pub ca_file: Option<PathBuf>,
    /// Overrides `poll.timeout` for this database; also its `statement_timeout`.
    #[serde(default, deserialize_with = "super::source_timeout")]
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

/// libpq's `sslmode` values, except `allow` (plain first, TLS only when refused), which
/// tokio-postgres cannot do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "disable" => Ok(SslMode::Disable),
            "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            other => Err(format!(
                "sslmode `{other}` is not supported: use disable, prefer, require, verify-ca or verify-full"
            )),
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        })
    }
}

impl SslMode {
    /// Whether the server's certificate must chain to a configured CA.
    pub fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// A parsed connection string. Debug and Display show it without the password.
#[derive(Clone)]
pub struct PostgresDsn {
    /// Everything but the TLS options below.
    pub config: tokio_postgres::Config,
    /// The DSN's `sslmode`, if it has one.
    pub sslmode: Option<SslMode>,
    /// The DSN's `sslrootcert`, if it has one.
    pub sslrootcert: Option<PathBuf>,
}

parsed_from_string!(PostgresDsn);

impl TryFrom<String> for PostgresDsn {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let text = Secret::try_from(text)?;
        // tokio-postgres knows neither verify-ca/verify-full nor sslrootcert: the exporter
        // applies them itself, so they are taken out before the rest is parsed.
        let (rest, tls_options) = take_tls_options(text.expose());
        let mut sslmode = None;
        let mut sslrootcert = None;
        for (key, value) in tls_options {
            match key {
                "sslmode" => sslmode = Some(value.parse::<SslMode>()?),
                _ => sslrootcert = Some(PathBuf::from(value)),
            }
        }
        // The parser's errors name the offending key, never its value.
        let config = tokio_postgres::Config::from_str(&rest)
            .map_err(|error| format!("invalid PostgreSQL DSN: {}", error_chain(&error)))?;
        if config.get_hosts().is_empty() {
            return Err("the DSN names no host (host=... or postgresql://HOST/...)".to_owned());
        }
        Ok(PostgresDsn { config, sslmode, sslrootcert })
    }
}

impl PostgresDsn {
    /// The database the DSN connects to; PostgreSQL's default is the user name.
    pub fn database(&self) -> &str {
        self.config.get_dbname().or(self.config.get_user()).unwrap_or("postgres")
    }
}

/// The DSN options the exporter handles itself rather than tokio-postgres.
const TLS_OPTIONS: [&str; 2] = ["sslmode", "sslrootcert"];

/// Splits `sslmode` and `sslrootcert` (decoded) from the rest of a URL or key/value DSN.
/// Anything it does not understand stays in the rest, for tokio-postgres to report.
fn take_tls_options(text: &str) -> (String, Vec<(&'static str, String)>) {
    let mut taken = Vec::new();
    let is_tls_option = |key: &str| TLS_OPTIONS.iter().find(|option| **option == key).copied();
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        let Some((base, query)) = text.split_once('?') else { return (text.to_owned(), taken) };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match is_tls_option(key) {
                Some(option) => {
                    // Percent-decoded as tokio-postgres decodes URLs: a `+` stays a `+`.
                    let value = value.replace('+', "%2B");
                    let decoded = url::form_urlencoded::parse(value.as_bytes()).map(|(decoded, _)| decoded).collect();
                    taken.push((option, decoded))
                }
                None => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
        return (rest, taken);
    }
    // key = value pairs; values are bare words or 'quoted', with backslash escapes.
    let mut rest = String::new();
    let mut chars = text.char_indices().peekable();
    let skip_spaces = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
    };
    loop {
        skip_spaces(&mut chars);
        let Some(&(start, _)) = chars.peek() else { break };
        let mut key = String::new();
        while let Some((_, c)) = chars.next_if(|(_, c)| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        skip_spaces(&mut chars);
        if chars.next_if(|(_, c)| *c == '=').is_none() {
            rest.push_str(&text[start..]);
            break;
        }
        skip_spaces(&mut chars);
        let mut value = String::new();
        let quoted = chars.next_if(|(_, c)| *c == '\'').is_some();
        while let Some(&(_, c)) = chars.peek() {
            if (quoted && c == '\'') || (!quoted && c.is_whitespace()) {
                break;
            }
            chars.next();
            if c == '\\' {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            } else {
                value.push(c);
            }
        }
        if quoted {
            chars.next();
        }
        let end = chars.peek().map_or(text.len(), |(index, _)| *index);
        match is_tls_option(&key) {
            Some(option) => taken.push((option, value)),
            None => {
                rest.push_str(&text[start..end]);
                rest.push(' ');
            }
        }
    }
    (rest.trim_end().to_owned(), taken)
}

impl fmt::Display for PostgresDsn {
    /// `postgresql://user@host:port/database`, never with the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(index, host)| {
                let host = match host {
                    tokio_postgres::config::Host::Tcp(name) => name.clone(),
                    tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                };
                let port =
                    self.config.get_ports().get(index).or(self.config.get_ports().first()).copied().unwrap_or(5432);
                format!("{host}:{port}")
            })
            .collect();
        let user = self.config.get_user().map(|user| format!("{user}@")).unwrap_or_default();
        write!(f, "postgresql://{user}{}/{}", hosts.join(","), self.database())
    }
}

impl fmt::Debug for PostgresDsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresDsn({self})")
    }
}

/// `error: cause: cause`, since tokio-postgres puts the useful part in the source chain.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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
    Identifier("created_at".to_owned())
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

/// A PostgreSQL identifier, already case-folded; rendered quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier(String);

parsed_from_string!(Identifier);

impl TryFrom<String> for Identifier {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        match parse_identifiers(&text)?.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(format!("`{text}` is not a single column name")),
        }
    }
}

impl Identifier {
    /// The name as PostgreSQL stores it.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// The identifier as SQL, always quoted: `"created_at"`.
    pub fn quoted(&self) -> String {
        quote_identifier(&self.0)
    }
}

/// A name as PostgreSQL stores it (from the config or the catalog), quoted for SQL.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.table` or `table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    pub schema: Option<Identifier>,
    pub name: Identifier,
}

parsed_from_string!(QualifiedName);

impl TryFrom<String> for QualifiedName {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let mut parts = parse_identifiers(&text)?;
        match parts.len() {
            1 => Ok(QualifiedName { schema: None, name: parts.remove(0) }),
            2 => {
                let name = parts.remove(1);
                Ok(QualifiedName { schema: Some(parts.remove(0)), name })
            }
            _ => Err(format!("`{text}` is not `schema.table` or `table`")),
        }
    }
}

impl QualifiedName {
    /// The name as SQL, every part quoted: `"public"."outbox"`.
    pub fn quoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", schema.quoted(), self.name.quoted()),
            None => self.name.quoted(),
        }
    }

    /// `schema.table` as Debezium's `table.include.list` names it; `public` when no schema is
    /// given, since that is where an unqualified name usually resolves.
    pub fn debezium_name(&self) -> String {
        let schema = self.schema.as_ref().map_or("public", Identifier::name);
        format!("{schema}.{}", self.name.name())
    }
}

impl fmt::Display for QualifiedName {
    /// The `table` label: `public.outbox`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{}.{}", schema.name(), self.name.name()),
            None => f.write_str(self.name.name()),
        }
    }
}

/// Splits `a.b` into identifiers by PostgreSQL's rules: unquoted parts are letters, digits,
/// `_` and `$` (not first) and fold to lower case; quoted parts keep everything, `""` being a
/// quote. Anything else (spaces, semicolons, comments) is refused.
fn parse_identifiers(text: &str) -> Result<Vec<Identifier>, String> {
    let refuse = |why: &str| format!("`{text}` is not a PostgreSQL identifier: {why}");
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some('\0') => return Err(refuse("NUL character")),
                    Some(c) => part.push(c),
                    None => return Err(refuse("unterminated quote")),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                let valid = c == '_' || c.is_alphabetic() || (!part.is_empty() && (c.is_ascii_digit() || c == '$'));
                if !valid {
                    break;
                }
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
        }
        if part.is_empty() {
            return Err(refuse("empty name or unexpected character"));
        }
        if part.len() > 63 {
            return Err(refuse("longer than 63 bytes"));
        }
        parts.push(Identifier(part));
        match chars.next() {
            None => return Ok(parts),
            Some('.') => continue,
            Some(c) => return Err(refuse(&format!("unexpected `{c}`; quote the name if it really contains one"))),
        }
    }
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
            super::check_ca_file(file)
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
    use crate::config::{Config, ServeFlags};

    #[test]
    fn identifiers_fold_case_and_quote() {
        let table = QualifiedName::try_from("Public.Outbox".to_owned()).unwrap();
        assert_eq!(table.quoted(), "\"public\".\"outbox\"");
        assert_eq!(table.to_string(), "public.outbox");
        let table = QualifiedName::try_from("\"My \"\"Odd\"\" Schema\".events_2$".to_owned()).unwrap();
        assert_eq!(table.quoted(), "\"My \"\"Odd\"\" Schema\".\"events_2$\"");
        let table = QualifiedName::try_from("outbox".to_owned()).unwrap();
        assert_eq!(table.quoted(), "\"outbox\"");
        for bad in ["", "a.b.c", "a..b", "1abc", "a b", "a;b", "\"open", "a.\"b\"c", "a--", "a/*x*/"] {
            assert!(QualifiedName::try_from(bad.to_owned()).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn injection_looking_table_names_are_refused_with_key_path_and_line() {
        let yaml = "sources:\n  postgres:\n    - dsn: host=127.0.0.1 dbname=inventory\n      outbox:\n        - table: \"public.outbox; drop table x\"\n";
        let error = Config::from_yaml(yaml).unwrap_err().to_string();
        assert!(error.starts_with("sources.postgres[0].outbox[0].table: `public.outbox; drop table x`"), "{error}");
        assert!(error.ends_with("(line 5, column 18)"), "{error}");
        let yaml = "sources:\n  postgres:\n    - dsn: host=h\n      outbox:\n        - table: outbox\n          timestamp_column: \"created_at)--\"\n";
        let error = Config::from_yaml(yaml).unwrap_err().to_string();
        assert!(error.starts_with("sources.postgres[0].outbox[0].timestamp_column: "), "{error}");
        assert!(error.contains("(line 6, column"), "{error}");
    }

    #[test]
    fn dsn_passwords_never_show() {
        for text in [
            "postgresql://debezium:hunter2@db.example:6432/inventory?sslmode=disable",
            "host=db.example port=6432 user=debezium password=hunter2 dbname=inventory",
        ] {
            let dsn = PostgresDsn::try_from(text.to_owned()).unwrap();
            assert_eq!(dsn.to_string(), "postgresql://debezium@db.example:6432/inventory");
            assert!(!format!("{dsn:?}").contains("hunter2"));
            assert_eq!(dsn.config.get_password(), Some(&b"hunter2"[..]));
        }
        let error = PostgresDsn::try_from("host=h password=hunter2 bogus=1".to_owned()).unwrap_err();
        assert!(error.contains("unknown option `bogus`") && !error.contains("hunter2"), "{error}");
        let yaml = "sources:\n  postgres:\n    - dsn: \"postgresql://u:hunter2@h/db?port=notaport\"\n";
        let error = Config::from_yaml(yaml).unwrap_err().to_string();
        assert!(error.starts_with("sources.postgres[0].dsn: invalid PostgreSQL DSN"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn flags_take_an_optional_name() {
        assert_eq!(split_name("postgresql://u@h/db"), (None, "postgresql://u@h/db"));
        assert_eq!(split_name("prod=postgresql://u@h/db"), (Some("prod"), "postgresql://u@h/db"));
        assert_eq!(split_name("host=a dbname=b"), (None, "host=a dbname=b"));
        assert_eq!(split_name("prod=host=a dbname=b"), (Some("prod"), "host=a dbname=b"));
        assert_eq!(split_name("host=a"), (None, "host=a"));
        assert_eq!(split_name("prod=${PROD_DSN}"), (Some("prod"), "${PROD_DSN}"));

        let flags = ServeFlags {
            postgres_dsn: vec!["host=127.0.0.1 user=u dbname=inventory".into(), "orders=postgresql://u@h/shop".into()],
            ..ServeFlags::default()
        };
        let config = Config::load(&flags).unwrap();
        let names: Vec<String> = config.sources.postgres.iter().map(PostgresConfig::db).collect();
        assert_eq!(names, ["inventory", "orders"]);

        let flags = ServeFlags { postgres_dsn: vec!["host=h dbname=a".into(); 2], ..ServeFlags::default() };
        let error = Config::load(&flags).unwrap_err().to_string();
        assert!(error.contains("db `a` is configured twice"), "{error}");
    }

    #[test]
    fn the_example_config_has_a_database() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
        let config = Config::from_file(&path).unwrap();
        let database = &config.sources.postgres[0];
        assert_eq!(database.db(), "inventory");
        assert_eq!(database.outbox[0].table.to_string(), "public.outbox");
        assert_eq!(database.outbox[0].count_cap, DEFAULT_COUNT_CAP);
    }

    #[test]
    fn the_dsn_tls_options_are_taken_out_and_the_rest_kept() {
        let dsn = PostgresDsn::try_from(
            "host=h password='a b\\'c' sslmode = verify-full sslrootcert='/etc/my ca.pem' dbname=d".to_owned(),
        )
        .unwrap();
        assert_eq!(dsn.sslmode, Some(SslMode::VerifyFull));
        assert_eq!(dsn.sslrootcert, Some(PathBuf::from("/etc/my ca.pem")));
        assert_eq!(dsn.config.get_password(), Some(&b"a b'c"[..]));
        assert_eq!(dsn.database(), "d");

        let dsn = PostgresDsn::try_from(
            "postgresql://u:pw@h:6432/d?sslmode=verify-ca&application_name=x&sslrootcert=%2Fetc%2Fca+1.pem".to_owned(),
        )
        .unwrap();
        assert_eq!(dsn.sslmode, Some(SslMode::VerifyCa));
        assert_eq!(dsn.sslrootcert, Some(PathBuf::from("/etc/ca+1.pem")));
        assert_eq!(dsn.config.get_application_name(), Some("x"));
        assert_eq!(dsn.to_string(), "postgresql://u@h:6432/d");

        let dsn = PostgresDsn::try_from("postgresql://u@h/d?sslmode=disable".to_owned()).unwrap();
        assert_eq!(dsn.sslmode, Some(SslMode::Disable));
        let dsn = PostgresDsn::try_from("host=h".to_owned()).unwrap();
        assert_eq!((dsn.sslmode, dsn.sslrootcert), (None, None));

        let error = PostgresDsn::try_from("host=h password=hunter2 sslmode=allow".to_owned()).unwrap_err();
        assert!(error.contains("sslmode `allow` is not supported") && !error.contains("hunter2"), "{error}");
    }

    #[test]
    fn the_section_overrides_the_dsn_and_verification_needs_a_ca() {
        let yaml = "sources:\n  postgres:\n    - dsn: host=h sslmode=require\n      sslmode: disable\n";
        let config = Config::from_yaml(yaml).unwrap();
        assert_eq!(config.sources.postgres[0].sslmode(), SslMode::Disable);
        let yaml = "sources:\n  postgres:\n    - dsn: host=h\n";
        assert_eq!(Config::from_yaml(yaml).unwrap().sources.postgres[0].sslmode(), SslMode::Prefer, "libpq's default");

        let load = |yaml: &str| {
            let key = |index: usize, field: &str| format!("sources.postgres[{index}]{field}");
            validate(&Config::from_yaml(yaml).unwrap().sources.postgres, &key).unwrap_err().to_string()
        };
        let error = load("sources:\n  postgres:\n    - dsn: host=h\n      sslmode: verify-full\n");
        assert!(error.starts_with("sources.postgres[0].ca_file: sslmode verify-full needs the CA"), "{error}");
        let error =
            load("sources:\n  postgres:\n    - dsn: host=h sslmode=verify-ca sslrootcert=/nonexistent/ca.pem\n");
        assert!(error.starts_with("sources.postgres[0].dsn: sslrootcert: cannot read /nonexistent/ca.pem"), "{error}");
        let yaml = "sources:\n  postgres:\n    - dsn: host=h\n      sslmode: verify_full\n";
        let error = Config::from_yaml(yaml).unwrap_err().to_string();
        assert!(error.starts_with("sources.postgres[0].sslmode: unknown variant `verify_full`"), "{error}");
    }

    #[test]
    fn outbox_defaults() {
        let yaml = "sources:\n  postgres:\n    - dsn: host=h dbname=d\n      outbox:\n        - table: public.outbox\n";
        let config = Config::from_yaml(yaml).unwrap();
        let outbox = &config.sources.postgres[0].outbox[0];
        assert_eq!(outbox.timestamp_column.quoted(), "\"created_at\"");
        assert_eq!(outbox.count_cap, DEFAULT_COUNT_CAP);
    }
}
