//! Which certificate authorities an HTTPS destination may chain to: the bundled web PKI roots,
//! plus the PEM certificates of `delivery.extra_ca_file` (a private CA of the operator's own
//! receivers). Read once at start: a file that is missing or holds no certificate stops the
//! service rather than failing every HTTPS delivery later.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("extra CA file {path}: {reason}")]
    ExtraCa { path: PathBuf, reason: String },
    #[error("TLS client configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The roots deliveries trust: web PKI, and the certificates of `extra_ca_file` if given.
pub fn roots(extra_ca_file: Option<&Path>) -> Result<RootCertStore, TrustError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let Some(path) = extra_ca_file else {
        return Ok(roots);
    };
    let bad = |reason: String| TrustError::ExtraCa {
        path: path.to_owned(),
        reason,
    };
    let mut added = 0;
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))? {
        let cert = cert.map_err(|e| bad(e.to_string()))?;
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
        added += 1;
    }
    if added == 0 {
        return Err(bad("no PEM certificate in it".into()));
    }
    Ok(roots)
}

/// The TLS client configuration of the delivery client (ring, the workspace's one provider).
pub fn client_config(extra_ca_file: Option<&Path>) -> Result<ClientConfig, TrustError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots(extra_ca_file)?)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, contents: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("hookd-trust-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn without_a_file_the_web_roots_are_trusted() {
        assert_eq!(
            roots(None).unwrap().len(),
            webpki_roots::TLS_SERVER_ROOTS.len()
        );
    }

    #[test]
    fn a_missing_or_empty_file_is_refused_naming_it() {
        let missing = Path::new("/nonexistent/hookd-ca.pem");
        let err = roots(Some(missing)).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/hookd-ca.pem"), "{err}");
        let empty = temp_file("empty.pem", "not a certificate\n");
        let err = roots(Some(&empty)).unwrap_err().to_string();
        assert!(err.contains("no PEM certificate"), "{err}");
        let _ = std::fs::remove_file(empty);
    }
}
