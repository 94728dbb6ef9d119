//! A client certificate and its key, for servers that ask for one (mutual
//! TLS, RFC 8446 §4.4.2).

use std::fmt;

use rustls::pki_types::pem::{PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Error;

/// A client certificate chain with its private key, presented to servers
/// that ask for one (mutual TLS): give it to
/// [`ClientBuilder::identity`](crate::ClientBuilder::identity).
///
/// As in reqwest, it is read from PEM: the certificate first, then any
/// intermediates, and the key (PKCS #8, PKCS #1 RSA or SEC1 EC), in one
/// text or two. The key must belong to the first certificate;
/// [`ClientBuilder::build`](crate::ClientBuilder::build) checks that.
///
/// ```no_run
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let pem = std::fs::read("client.pem")?; // certificate and key
/// let client = baton::Client::builder().identity(baton::Identity::from_pem(&pem)?).build()?;
/// # Ok(()) }
/// ```
pub struct Identity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
}

impl Identity {
    /// Reads the certificates and the key from one PEM text (blocks of
    /// other kinds are skipped).
    ///
    /// # Errors
    /// An [`Error::is_builder`] error when a block is not valid PEM, or the
    /// text has no certificate, no key, or more than one key.
    ///
    /// ```
    /// let err = baton::Identity::from_pem(b"not PEM").unwrap_err();
    /// assert!(err.is_builder());
    /// assert!(err.to_string().contains("no certificate"));
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        Self::from_pem_parts(pem, pem)
    }

    /// Reads the certificate chain from `cert_pem` and the key from
    /// `key_pem`: curl's `--cert` and `--key` files.
    ///
    /// # Errors
    /// As [`from_pem`](Self::from_pem).
    ///
    /// ```no_run
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let identity = baton::Identity::from_pem_parts(&std::fs::read("client.crt")?, &std::fs::read("client.key")?)?;
    /// # Ok(()) }
    /// ```
    pub fn from_pem_parts(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::builder(format!("invalid PEM in the client certificate: {e}")))?;
        if chain.is_empty() {
            return Err(Error::builder("no certificate found in the client identity's PEM"));
        }
        let mut keys = Vec::new();
        for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(key_pem) {
            let (kind, der) =
                section.map_err(|e| Error::builder(format!("invalid PEM in the client key: {e}")))?;
            let key = match kind {
                SectionKind::PrivateKey => PrivateKeyDer::Pkcs8(der.into()),
                SectionKind::RsaPrivateKey => PrivateKeyDer::Pkcs1(der.into()),
                SectionKind::EcPrivateKey => PrivateKeyDer::Sec1(der.into()),
                _ => continue,
            };
            keys.push(key);
        }
        let key = match keys.len() {
            0 => return Err(Error::builder("no private key found in the client identity's PEM")),
            1 => keys.remove(0),
            n => {
                return Err(Error::builder(format!(
                    "{n} private keys in the client identity's PEM; expected one"
                )));
            }
        };
        Ok(Self { chain, key })
    }
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Self { chain: self.chain.clone(), key: self.key.clone_key() }
    }
}

impl fmt::Debug for Identity {
    /// The number of certificates; never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity").field("certificates", &self.chain.len()).finish_non_exhaustive()
    }
}
