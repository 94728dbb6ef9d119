//! Self-signed certificates and rustls server configs for the lab (tests and
//! benchmarks only: the certificate is made fresh at start-up).

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate for `localhost` and `127.0.0.1`, with its key.
#[derive(Debug)]
pub struct TestCertificate {
    /// The certificate, DER.
    pub cert: CertificateDer<'static>,
    /// The certificate, PEM (for curl's `--cacert` and friends).
    pub cert_pem: String,
    key: PrivatePkcs8KeyDer<'static>,
    key_pem: String,
}

impl TestCertificate {
    /// Generates a new self-signed certificate.
    ///
    /// # Errors
    /// When key generation or signing fails.
    pub fn generate() -> Result<Self, rcgen::Error> {
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        Ok(Self {
            cert: certified.cert.der().clone(),
            cert_pem: certified.cert.pem(),
            key: PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()),
            key_pem: certified.key_pair.serialize_pem(),
        })
    }

    /// The private key, PEM (PKCS #8), for servers configured from files
    /// (nginx's `ssl_certificate_key`, through
    /// [`TlsIdentity`](crate::nginx::TlsIdentity)).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// A server config offering `alpn` (in preference order) with this
    /// certificate.
    ///
    /// # Errors
    /// When rustls rejects the key.
    pub fn server_config(&self, alpn: &[&[u8]]) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], PrivateKeyDer::Pkcs8(self.key.clone_key()))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_a_usable_config() {
        let cert = TestCertificate::generate().unwrap();
        assert!(cert.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let config = cert.server_config(&[b"h2", b"http/1.1"]).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    }
}
