//! A PostgreSQL connection string (`sources.postgres[].dsn`, `--postgres.dsn`): parsed once,
//! never shown with its password, with the TLS options libpq knows and tokio-postgres does not
//! (`sslmode` verify-ca/verify-full, `sslrootcert`) taken out for the exporter to apply.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;

use crate::config::values::{Secret, parsed_from_string};
use crate::text::error_chain;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
