//! TLS to PostgreSQL with rustls (ring), following libpq's `sslmode`.
//!
//! `prefer` and `require` encrypt without checking who answers (libpq does the same), except
//! that `require` with a CA file checks the chain, as libpq does with a root certificate.
//! `verify-ca` checks the chain only; `verify-full` checks the chain and that the certificate
//! names the host the DSN connects to (a DNS name or an IP address).

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::Host;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::PostgresError;
use crate::config::SslMode;

/// The tokio-postgres mode that makes the handshake happen; verification is rustls's part.
/// Over Unix sockets only, it is `disable` whatever `sslmode` says: the server never speaks
/// TLS there, and libpq ignores `sslmode` for them too.
pub fn wire_mode(mode: SslMode, hosts: &[Host]) -> tokio_postgres::config::SslMode {
    if !hosts.is_empty() && hosts.iter().all(|host| matches!(host, Host::Unix(_))) {
        return tokio_postgres::config::SslMode::Disable;
    }
    match mode {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => tokio_postgres::config::SslMode::Require,
    }
}

/// The CA certificates of a PEM file; at least one.
pub fn read_ca_file(path: &Path) -> Result<RootCertStore, PostgresError> {
    let cannot = |why: String| PostgresError::CaFileInvalid { path: path.to_owned(), why };
    // Read again on every reconnect: only a small regular file (see `read_small_file`).
    let pem =
        crate::config::read_small_file(path).map_err(|error| PostgresError::CaFileUnreadable(error.to_string()))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| cannot(error.to_string()))?;
    if certificates.is_empty() {
        return Err(cannot("no PEM certificate in it".to_owned()));
    }
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots.add(certificate).map_err(|error| cannot(error.to_string()))?;
    }
    Ok(roots)
}

/// The connector for one (re)connect; the CA file is read again each time, so a renewed CA is
/// picked up. Under `disable` tokio-postgres never calls it.
pub fn connector(mode: SslMode, ca_file: Option<&Path>) -> Result<MakeRustlsConnect, PostgresError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // Under `disable` the CA is never used: a CA file gone missing must not stop the session.
    let ca_file = ca_file.filter(|_| !matches!(mode, SslMode::Disable));
    let roots = ca_file.map(read_ca_file).transpose()?.map(Arc::new);
    let chain_verifier = |roots: Arc<RootCertStore>| {
        WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(PostgresError::CaFileRefused)
    };
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, roots) {
        (SslMode::VerifyFull, Some(roots)) => chain_verifier(roots)?,
        (SslMode::VerifyCa | SslMode::Require, Some(roots)) => Arc::new(ChainOnly(chain_verifier(roots)?)),
        (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
            return Err(PostgresError::CaFileMissing(mode));
        }
        (SslMode::Disable | SslMode::Prefer | SslMode::Require, _) => {
            Arc::new(Unverified(provider.signature_verification_algorithms))
        }
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(PostgresError::Tls)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// verify-ca: the chain must lead to the CA; the names in the certificate do not matter.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the name only once the chain is good, so this error means just that.
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// prefer and require without a CA: encrypted, but anyone may answer. The handshake's
/// signatures are still checked, so the session is bound to the certificate presented.
#[derive(Debug)]
struct Unverified(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_map_to_the_handshake_and_verification_needs_a_ca() {
        let tcp = [Host::Tcp("db.example".to_owned())];
        assert_eq!(wire_mode(SslMode::Disable, &tcp), tokio_postgres::config::SslMode::Disable);
        assert_eq!(wire_mode(SslMode::Prefer, &tcp), tokio_postgres::config::SslMode::Prefer);
        for mode in [SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
            assert_eq!(wire_mode(mode, &tcp), tokio_postgres::config::SslMode::Require);
            let socket = [Host::Unix("/run/postgresql".into())];
            assert_eq!(wire_mode(mode, &socket), tokio_postgres::config::SslMode::Disable);
            assert_eq!(wire_mode(mode, &[socket[0].clone(), tcp[0].clone()]), tokio_postgres::config::SslMode::Require);
        }
        for mode in [SslMode::Disable, SslMode::Prefer, SslMode::Require] {
            assert!(connector(mode, None).is_ok());
        }
        assert!(connector(SslMode::Disable, Some(Path::new("/nonexistent/ca.pem"))).is_ok());
        assert!(connector(SslMode::Require, Some(Path::new("/nonexistent/ca.pem"))).is_err());
        let error = connector(SslMode::VerifyCa, None).err().unwrap().to_string();
        assert!(error.contains("sslmode verify-ca needs a CA file"), "{error}");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "not a certificate\n").unwrap();
        let error = read_ca_file(file.path()).unwrap_err().to_string();
        assert!(error.ends_with("no PEM certificate in it"), "{error}");
    }
}
