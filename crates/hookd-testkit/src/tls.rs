//! Certificates for HTTPS receivers, made with the `openssl` command for each test: a CA of
//! the test's own with a server certificate for 127.0.0.1 it signed, or a self-signed one.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// A server certificate and key for 127.0.0.1 (PEM), and the CA that signed it, written to a
/// directory removed on drop (a service under test reads `ca_file`).
pub struct TestPki {
    dir: PathBuf,
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
}

impl TestPki {
    /// A fresh CA and a server certificate for 127.0.0.1 signed by it.
    pub fn ca_signed() -> Self {
        let dir = temp_dir();
        const EC: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        // A name of its own: a verifier looks a certificate's issuer up by name.
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("hookd-pki");
        openssl(
            &dir,
            &format!("req -x509 {EC} -days 1 -subj /CN={name} -keyout ca.key -out ca.pem"),
        );
        openssl(
            &dir,
            &format!("req {EC} -subj /CN=127.0.0.1 -keyout server.key -out server.csr"),
        );
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write ext.cnf");
        openssl(
            &dir,
            "x509 -req -in server.csr -days 1 -CA ca.pem -CAkey ca.key -CAcreateserial \
             -extfile ext.cnf -out server.pem",
        );
        Self::read(dir)
    }

    /// A certificate for 127.0.0.1 that signs itself: no CA file trusts it.
    pub fn self_signed() -> Self {
        let dir = temp_dir();
        openssl(
            &dir,
            "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
             -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
             -keyout server.key -out server.pem",
        );
        Self::read(dir)
    }

    fn read(dir: PathBuf) -> Self {
        let cert = std::fs::read(dir.join("server.pem")).expect("read certificate");
        let key = std::fs::read(dir.join("server.key")).expect("read key");
        Self { dir, cert, key }
    }

    /// The CA certificate (PEM); only `ca_signed` writes one.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A rustls server configuration presenting the certificate.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&self.cert)
            .collect::<Result<_, _>>()
            .expect("certificate PEM");
        let key = PrivateKeyDer::from_pem_slice(&self.key).expect("key PEM");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server certificate");
        Arc::new(config)
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn temp_dir() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("hookd-pki-{}-{nanos}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir for certificates");
    dir
}

/// Runs `openssl` in `dir` with these space-separated arguments; panics with its stderr.
fn openssl(dir: &Path, args: &str) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args.split_whitespace())
        .output()
        .expect("run openssl (the HTTPS tests need it)");
    assert!(
        out.status.success(),
        "openssl {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
