//! The value types a configuration is made of, each checked while its scalar is read so that
//! an error points at the value's own line and column: durations and sizes with their bounds,
//! http(s) URLs, secrets, name patterns, basic auth and TLS towards an upstream.
//!
//! A value that is wrong on its own is refused here; what spans keys is checked when the
//! whole configuration is validated (`Config::try_from`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::files::{read_small_file, read_small_text};

/// Implements `Deserialize` through `TryFrom<String>`, failing while the scalar itself is
/// read, so that the error points at the value's own line and column.
macro_rules! parsed_from_string {
    ($type:ty) => {
        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Parse;
                impl serde::de::Visitor<'_> for Parse {
                    type Value = $type;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
pub(super) use parsed_from_string;

/// Deserializes a string through `check`, failing while the scalar itself is read, so that
/// the error points at the value's own line and column (as `parsed_from_string!` does) for
/// fields that keep a plain type. An error raised after the scalar was read would carry the
/// location of the enclosing section instead.
pub(super) fn checked_str<'de, D, T, F>(deserializer: D, check: F) -> Result<T, D::Error>
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
pub(super) fn readable_file<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
    checked_path(deserializer, |path| read_small_file(path).map(drop))
}

/// A CA bundle; checked now, so that a mistake stops the start rather than every poll.
pub(super) fn ca_file<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
    checked_path(deserializer, check_ca_file)
}

/// A CA bundle both TLS stacks accept: PEM certificates, at least one, each one a CA could be.
pub(super) fn check_ca_file(path: &Path) -> Result<(), String> {
    let certificates = read_certificates(path)?;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|error| format!("{}: a certificate in it is unusable: {error}", path.display()))?;
    }
    Ok(())
}

type Certificates = Vec<rustls::pki_types::CertificateDer<'static>>;

/// The PEM certificates in `path`, at least one.
pub(super) fn read_certificates(path: &Path) -> Result<Certificates, String> {
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

pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|error| format!("{error} (expected something like 10s or 1m)"))
}

/// The shortest `poll.interval`. Each poll of Connect is one request listing every connector
/// with its config; `1ns` sent Connect 1,194 requests a second. Half a second still lets a
/// demo or a test see a change at once; Prometheus scrapes far less often anyway.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The shortest poll timeout: below it every poll of a remote upstream fails.
pub const MIN_POLL_TIMEOUT: Duration = Duration::from_millis(100);

pub(super) fn check_poll_interval(interval: Duration) -> Result<(), String> {
    if interval < MIN_POLL_INTERVAL {
        return Err(format!(
            "{} is too short: at least {} (every poll is a request to each upstream)",
            humantime::format_duration(interval),
            humantime::format_duration(MIN_POLL_INTERVAL)
        ));
    }
    Ok(())
}

pub(super) fn check_poll_timeout(timeout: Duration) -> Result<(), String> {
    if timeout < MIN_POLL_TIMEOUT {
        return Err(format!(
            "{} is too short: at least {} (every poll would time out)",
            humantime::format_duration(timeout),
            humantime::format_duration(MIN_POLL_TIMEOUT)
        ));
    }
    Ok(())
}

pub(super) fn poll_interval<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    checked_str(deserializer, |text| {
        let interval = parse_duration(text)?;
        check_poll_interval(interval).map(|()| interval)
    })
}

pub(super) fn poll_timeout<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    checked_str(deserializer, |text| {
        let timeout = parse_duration(text)?;
        check_poll_timeout(timeout).map(|()| timeout)
    })
}

/// A source's own `timeout`, checked as `poll.timeout` is.
pub(super) fn source_timeout<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    checked_option(deserializer, |text| {
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
pub(super) fn parse_body_size_limit(text: &str) -> Result<usize, String> {
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

pub(super) fn body_size_limit<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    checked_str(deserializer, parse_body_size_limit)
}

/// A topic or group name, or a regex. An entry made only of the characters Kafka allows in
/// topic names (`[a-zA-Z0-9._-]`) is a name and matches itself only, dots included; anything
/// else is a regex that must match the whole name (`outbox\.event\..*`). A regex without an
/// operator, every special character escaped (`say "hi" \(v2\)`), can match one name only
/// and is that name: a consumer group is then asked for by name, as the broker's group
/// listing may lack it or spell it otherwise (Tansu lists `say "hi"` as `say %22hi%22`).
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
        let regex = regex::Regex::new(&format!("^(?:{text})$")).map_err(|error| error.to_string())?;
        Ok(match literal(&text) {
            Some(name) => NamePattern::Name(name),
            None => NamePattern::Regex(regex),
        })
    }
}

/// The one name a regex matches when it has no operator: each character literal, or ASCII
/// punctuation escaped with `\` (as `regex::escape` writes it). `None` for anything else.
fn literal(regex: &str) -> Option<String> {
    let mut name = String::new();
    let mut chars = regex.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => name.push(chars.next().filter(char::is_ascii_punctuation)?),
            '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => return None,
            c => name.push(c),
        }
    }
    Some(name)
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

impl HttpUrl {
    /// `host:port`, the default `cluster` or `target` label of an HTTP upstream.
    pub(super) fn host_port(&self) -> String {
        match (self.0.host_str(), self.0.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => self.0.to_string(),
        }
    }
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

    /// The one password of a `section` that takes `password` or `password_file`.
    pub(super) fn one_of(section: &str, password: Option<Secret>, file: Option<Secret>) -> Result<Secret, String> {
        match (password, file) {
            (Some(password), None) | (None, Some(password)) => Ok(password),
            (None, None) => Err(format!("{section} needs `password` or `password_file`")),
            (Some(_), Some(_)) => Err(format!("{section} takes `password` or `password_file`, not both")),
        }
    }
}

/// `password_file`, read while its scalar is read so that an error points at it.
pub(super) fn password_file<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Secret>, D::Error> {
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
        let password = Secret::one_of("basic_auth", raw.password, raw.password_file)?;
        Ok(BasicAuth { username: raw.username, password })
    }
}

/// TLS towards an HTTP upstream.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM file with the CA that signed the upstream's certificate.
    #[serde(deserialize_with = "ca_file")]
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate. For tests only.
    pub insecure_skip_verify: bool,
}

#[cfg(test)]
mod tests {
    use super::NamePattern;

    #[test]
    fn a_regex_without_operators_is_the_one_name_it_matches() {
        let name = |text: &str| match NamePattern::try_from(text.to_owned()).unwrap() {
            NamePattern::Name(name) => Some(name),
            NamePattern::Regex(_) => None,
        };
        for odd in ["say \"hi\" (v2)", "x'; touch /tmp/PWNED; echo '", "what?q=1&x=2*", "ünï\u{202e}", "a\nb", "."] {
            assert_eq!(name(&regex::escape(odd)).as_deref(), Some(odd), "{odd:?}");
        }
        assert_eq!(name("100% #1 /a b").as_deref(), Some("100% #1 /a b"));
        for regex in ["outbox\\.event\\..*", "a|b", "a+", "(?i)x", "\\d", "^a", "[ab]"] {
            assert_eq!(name(regex), None, "{regex}");
        }
    }
}
