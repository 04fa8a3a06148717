//! TLS to PostgreSQL, chosen by the URL as with libpq:
//! - no `sslmode`, `disable`, `allow`, `prefer`: plaintext (as before; `prefer` would not stop an
//!   active attacker anyway, so it is not a reason to start a handshake that checks nothing).
//! - `sslmode=require`: encrypted; the server's certificate is not checked (libpq's meaning).
//! - `sslmode=verify-full`: encrypted; the certificate must chain to `sslrootcert=<PEM file>`
//!   (or, without it, to the bundled web PKI roots) and name the host of the URL.
//!
//! tokio-postgres knows neither `verify-full` nor `sslrootcert`, so both are taken off the URL
//! here. rustls uses ring, the one crypto provider of the workspace.

use crate::DbError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How to connect: the tokio-postgres configuration and, when TLS is asked for, its connector.
pub(crate) struct Target {
    pub config: tokio_postgres::Config,
    pub tls: Option<MakeRustlsConnect>,
}

fn bad(reason: impl std::fmt::Display) -> DbError {
    DbError::Unavailable(format!("database url: {reason}"))
}

/// Reads `sslmode` and `sslrootcert` off `url` and builds what connects to it.
pub(crate) fn target(url: &str) -> Result<Target, DbError> {
    let (url, mode, root_cert) = split_tls_params(url)?;
    let mut config: tokio_postgres::Config = url.parse().map_err(bad)?;
    let tls = match mode.as_deref() {
        None | Some("disable" | "allow" | "prefer") => {
            config.ssl_mode(SslMode::Disable);
            None
        }
        Some("require") => Some(client_config(Arc::new(AnyCertificate(provider())))),
        Some("verify-full") => {
            let mut roots = RootCertStore::empty();
            match &root_cert {
                Some(path) => {
                    for cert in CertificateDer::pem_file_iter(path)
                        .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?
                    {
                        roots
                            .add(cert.map_err(|e| bad(format!("sslrootcert {path}: {e}")))?)
                            .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider(),
            )
            .build()
            .map_err(bad)?;
            Some(client_config(verifier))
        }
        Some(other) => {
            return Err(bad(format!(
                "sslmode={other} is not supported: use disable, require or verify-full"
            )))
        }
    };
    if tls.is_some() {
        config.ssl_mode(SslMode::Require);
    }
    Ok(Target {
        config,
        tls: tls.map(MakeRustlsConnect::new),
    })
}

/// `url` without `sslmode` and `sslrootcert`, and their values. Key-value connection strings
/// are passed through to tokio-postgres unchanged.
fn split_tls_params(url: &str) -> Result<(String, Option<String>, Option<String>), DbError> {
    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return Ok((url.to_owned(), None, None));
    }
    let mut parsed = url::Url::parse(url).map_err(bad)?;
    let (mut mode, mut root_cert, mut rest) = (None, None, Vec::new());
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "sslmode" => mode = Some(value.into_owned()),
            "sslrootcert" => root_cert = Some(value.into_owned()),
            _ => rest.push((key.into_owned(), value.into_owned())),
        }
    }
    if rest.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(rest);
    }
    Ok((parsed.to_string(), mode, root_cert))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

fn client_config(verifier: Arc<dyn ServerCertVerifier>) -> ClientConfig {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

/// `sslmode=require`: any certificate is taken (what libpq does without a root certificate),
/// but the handshake signatures are still checked, so the session key is the server's.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
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
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_come_off_the_url() {
        let (url, mode, root) = split_tls_params(
            "postgres://u@db:5432/hookd?sslmode=verify-full&sslrootcert=%2Fca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(url, "postgres://u@db:5432/hookd?application_name=x");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/ca.pem"));
        let (url, mode, _) = split_tls_params("postgres://u@db/hookd").unwrap();
        assert_eq!((url.as_str(), mode), ("postgres://u@db/hookd", None));
    }

    #[test]
    fn modes() {
        assert!(target("postgres://u@db/h").unwrap().tls.is_none());
        assert!(target("postgres://u@db/h?sslmode=disable")
            .unwrap()
            .tls
            .is_none());
        let t = target("postgres://u@db/h?sslmode=require").unwrap();
        assert!(t.tls.is_some());
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        assert!(target("postgres://u@db/h?sslmode=verify-full")
            .unwrap()
            .tls
            .is_some());
        let err = target("postgres://u@db/h?sslmode=verify-ca")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("verify-full"), "{err}");
        let err = target("postgres://u@db/h?sslmode=verify-full&sslrootcert=/nonexistent.pem")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("/nonexistent.pem"), "{err}");
    }
}
