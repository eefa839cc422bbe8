//! Where and how `/metrics` is served: the `web` section, and the exporter-toolkit web
//! configuration file it names (`web.config_file`, `--web.config.file`) for TLS and basic auth.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::error::{ConfigError, parse_yaml};
use super::files::{read_small_file, read_small_text};
use super::values::{checked_str, parsed_from_string, read_certificates};

/// Where `/metrics` listens unless told otherwise: a port of our own in the 9xxx exporter
/// range, clear of node (9100), postgres (9187), kafka (9308) and jmx (9404) exporters.
pub const DEFAULT_LISTEN_ADDRESS: &str = "0.0.0.0:9543";

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

impl WebConfig {
    /// Checks what the parser let through: the limits that must not be zero.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_connections == 0 {
            return Err(ConfigError::at("web.max_connections", "must be at least 1"));
        }
        if self.read_header_timeout.is_zero() {
            return Err(ConfigError::at("web.read_header_timeout", "must be above zero"));
        }
        if self.idle_timeout.is_zero() {
            return Err(ConfigError::at("web.idle_timeout", "must be above zero"));
        }
        Ok(())
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
pub(super) fn check_telemetry_path(path: &str) -> Result<(), String> {
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

/// The listen address; `:9543` means every interface, as in other exporters.
pub(super) fn parse_listen_address(text: &str) -> Result<SocketAddr, String> {
    let full = if text.starts_with(':') { format!("0.0.0.0{text}") } else { text.to_owned() };
    full.parse().map_err(|error| format!("`{text}`: {error}"))
}

pub(super) fn check_listen_address(text: &str) -> Result<(), String> {
    parse_listen_address(text).map(drop)
}

fn listen_address<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    checked_str(deserializer, |text| check_listen_address(text).map(|()| text.to_owned()))
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
    pub basic_auth_users: HashMap<String, String>,
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

fn bcrypt_hashes<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<HashMap<String, String>, D::Error> {
    let users = <HashMap<String, BcryptHash>>::deserialize(deserializer)?;
    Ok(users.into_iter().map(|(user, BcryptHash(hash))| (user, hash)).collect())
}

impl WebConfigFile {
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = read_small_text(path).map_err(ConfigError::unreadable)?;
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

    /// `web.yml` with `text`; the error of reading it, without the file name.
    fn web_error(text: &str) -> String {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        let error = WebConfigFile::from_file(file.path()).unwrap_err().to_string();
        let prefix = format!("{}: ", file.path().display());
        error.strip_prefix(&prefix).unwrap_or_else(|| panic!("{error:?} does not name the file")).to_owned()
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
}
