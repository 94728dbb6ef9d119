//! A throwaway CA and a server certificate for `127.0.0.1` and `localhost`
//! signed by it, made fresh for each run with rcgen. The client trusts the
//! CA alone ([`Proto::client`](crate::Proto::client)); servers get the leaf
//! and its key as PEM files.

use std::io;
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair};

/// The CA and the server certificate.
#[derive(Debug, Clone)]
pub struct Certs {
    /// The CA certificate, DER (for `add_root_certificate`).
    pub ca_der: Vec<u8>,
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The server certificate, DER.
    pub cert_der: Vec<u8>,
    /// The server certificate, PEM.
    pub cert_pem: String,
    /// The server key, PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// The server key, PKCS#8 PEM.
    pub key_pem: String,
}

/// Where [`Certs::write`] put the server's files.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// The server certificate (PEM).
    pub cert: PathBuf,
    /// The server key (PEM).
    pub key: PathBuf,
    /// The CA certificate (PEM).
    pub ca: PathBuf,
}

impl Certs {
    /// Generates a CA and a server certificate it signed.
    ///
    /// # Errors
    /// When key generation or signing fails.
    pub fn generate() -> Result<Self, rcgen::Error> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let mut ca_name = DistinguishedName::new();
        ca_name.push(DnType::CommonName, "baton interop test CA");
        ca_params.distinguished_name = ca_name;
        let ca_key = KeyPair::generate()?;
        let ca = ca_params.self_signed(&ca_key)?;

        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "127.0.0.1");
        params.distinguished_name = name;
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &ca, &ca_key)?;
        Ok(Self {
            ca_der: ca.der().to_vec(),
            ca_pem: ca.pem(),
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Writes `cert.pem`, `key.pem` and `ca.pem` into `dir`.
    ///
    /// # Errors
    /// When a file cannot be written.
    pub fn write(&self, dir: &Path) -> io::Result<CertFiles> {
        let files =
            CertFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem"), ca: dir.join("ca.pem") };
        std::fs::write(&files.cert, &self.cert_pem)?;
        std::fs::write(&files.key, &self.key_pem)?;
        std::fs::write(&files.ca, &self.ca_pem)?;
        Ok(files)
    }
}
