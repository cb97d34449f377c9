//! HTTPS for `takehome serve`: the certificate chain and key read from PEM files and checked
//! against each other before the server starts (rustls with the ring provider; no OpenSSL).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::ring;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// `Strict-Transport-Security` on every answer over HTTPS: browsers that saw it once use
/// HTTPS for a year. Without `includeSubDomains`: the server may share its domain with
/// sites it does not speak for.
pub const HSTS: &str = "max-age=31536000";

/// A checked TLS configuration, ready to serve.
#[derive(Clone, Debug)]
pub struct Tls {
    pub(super) config: Arc<ServerConfig>,
}

/// Why the certificate or key cannot be used; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS {what} {}: {error}", path.display())]
    Unreadable {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("the TLS certificate {} is not PEM certificates: {error}", path.display())]
    BadCertificate { path: PathBuf, error: pem::Error },
    #[error("the TLS certificate {} holds no certificate (expected PEM `-----BEGIN CERTIFICATE-----`)", path.display())]
    NoCertificate { path: PathBuf },
    #[error("the TLS key {} holds no private key (expected PEM `-----BEGIN PRIVATE KEY-----`, RSA or EC): {error}", path.display())]
    BadKey { path: PathBuf, error: pem::Error },
    #[error("the TLS key {} cannot be used: {error}", path.display())]
    UnusableKey { path: PathBuf, error: rustls::Error },
    #[error("the TLS certificate {} does not parse or does not match the key {}: {error}", cert.display(), key.display())]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        error: rustls::Error,
    },
}

impl Tls {
    /// Reads `cert` (the chain, leaf first) and `key` (PKCS#8, PKCS#1 or SEC1) and checks
    /// that the key is the one the leaf certificate names.
    pub fn load(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let read = |what, path: &Path| {
            std::fs::read(path).map_err(|error| TlsError::Unreadable {
                what,
                path: path.to_path_buf(),
                error,
            })
        };
        let cert_pem = read("certificate", cert)?;
        let key_pem = read("key", key)?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| TlsError::BadCertificate {
                path: cert.to_path_buf(),
                error,
            })?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                path: cert.to_path_buf(),
            });
        }
        let private =
            PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| TlsError::BadKey {
                path: key.to_path_buf(),
                error,
            })?;
        // ring, not aws-lc-rs: it builds with a C compiler alone (no cmake, no Go). Its
        // provider lacks post-quantum key exchange, hence rustls' deprecation note.
        #[allow(deprecated)]
        let provider = Arc::new(ring::default_provider());
        let signing = provider
            .key_provider
            .load_private_key(private)
            .map_err(|error| TlsError::UnusableKey {
                path: key.to_path_buf(),
                error,
            })?;
        let certified = CertifiedKey::new(chain, signing);
        // Parses the leaf and compares its public key with the private key's.
        let mismatch = |error| TlsError::Mismatch {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            error,
        };
        certified.keys_match().map_err(mismatch)?;
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(mismatch)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls {
            config: Arc::new(config),
        })
    }
}
