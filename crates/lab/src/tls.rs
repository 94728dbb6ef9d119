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

    /// The certificate followed by its key, PEM: what a client presents
    /// for mutual TLS (`baton::Identity::from_pem`, curl's `--cert` with
    /// the key in the same file).
    pub fn identity_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.key_pem)
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

    /// A server config with this certificate that requires a client
    /// certificate signed by `ca` (mutual TLS, RFC 8446 §4.3.2) and speaks
    /// only `version`, offering `alpn`. A client without such a
    /// certificate gets an alert: during the handshake with TLS 1.2, after
    /// the client's last handshake message with TLS 1.3.
    ///
    /// # Errors
    /// When rustls rejects the key or the CA certificate.
    pub fn server_config_requiring_client_certs(
        &self,
        ca: &TestCa,
        version: &'static rustls::SupportedProtocolVersion,
        alpn: &[&[u8]],
    ) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.cert.der().clone())?;
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[version])?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![self.cert.clone()], PrivateKeyDer::Pkcs8(self.key.clone_key()))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

/// A certificate authority for mutual TLS tests: its certificate goes into
/// a server's trusted client CAs (nginx's `ssl_client_certificate`, through
/// [`NginxOptions::client_ca_pem`](crate::nginx::NginxOptions::client_ca_pem)),
/// and it signs client certificates.
///
/// ```
/// let ca = baton_lab::tls::TestCa::generate().unwrap();
/// let client = ca.client_certificate("alice").unwrap();
/// assert!(ca.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(client.identity_pem().contains("PRIVATE KEY"));
/// ```
pub struct TestCa {
    /// The CA's certificate, PEM.
    pub cert_pem: String,
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").field("cert_pem", &self.cert_pem).finish_non_exhaustive()
    }
}

impl TestCa {
    /// Generates a new self-signed CA.
    ///
    /// # Errors
    /// When key generation or signing fails.
    pub fn generate() -> Result<Self, rcgen::Error> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "baton lab test CA");
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let key = rcgen::KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(Self { cert_pem: cert.pem(), cert, key })
    }

    /// A client certificate for `name` (its common name), signed by this
    /// CA, for TLS client authentication only (extended key usage
    /// `clientAuth`).
    ///
    /// # Errors
    /// When key generation or signing fails.
    pub fn client_certificate(&self, name: &str) -> Result<TestCertificate, rcgen::Error> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let key = rcgen::KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.cert, &self.key)?;
        Ok(TestCertificate {
            cert: cert.der().clone(),
            cert_pem: cert.pem(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
            key_pem: key.serialize_pem(),
        })
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
