//! Trusted roots from PEM text: what a CA bundle file holds
//! (`ca-certificates.crt`, `certifi`'s `cacert.pem`, an internal CA).

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::client::ClientBuilder;
use crate::error::Error;

impl ClientBuilder {
    /// Trusts every certificate in `pem` (one or more `BEGIN CERTIFICATE`
    /// blocks; other blocks, such as keys, are skipped) in addition to the
    /// built-in roots; with [`tls_built_in_roots(false)`](Self::tls_built_in_roots),
    /// instead of them, as a CA bundle file replaces the defaults.
    ///
    /// # Errors
    /// An [`Error::is_builder`] error when a certificate block is not valid
    /// base64, or when `pem` holds no certificate at all.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let bundle = std::fs::read("/etc/ssl/certs/ca-certificates.crt")?;
    /// let client = baton::Client::builder()
    ///     .add_root_certificates_pem(&bundle)?
    ///     .tls_built_in_roots(false)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| Error::builder(format!("invalid PEM certificate: {e}")))?;
            self = self.add_root_certificate(cert.to_vec());
            found += 1;
        }
        if found == 0 {
            return Err(Error::builder("no certificate found in the PEM text"));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_pem_bundle_adds_each_certificate_and_garbage_is_refused() {
        let a = lab_certificate_pem();
        let builder = crate::Client::builder().add_root_certificates_pem(a.as_bytes()).unwrap();
        // The certificate is parsed by `build`: a valid one builds.
        builder.tls_built_in_roots(false).build().unwrap();
        let err = crate::Client::builder().add_root_certificates_pem(b"no pem here").unwrap_err();
        assert!(err.is_builder(), "{err}");
        let bad = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        let err = crate::Client::builder().add_root_certificates_pem(bad.as_bytes()).unwrap_err();
        assert!(err.is_builder(), "{err}");
    }

    /// A self-signed certificate made by the lab's generator, as PEM.
    fn lab_certificate_pem() -> String {
        baton_lab::tls::TestCertificate::generate().unwrap().cert_pem
    }
}
