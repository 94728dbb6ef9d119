//! The builder's TLS options beyond the trusted roots: a client identity,
//! version bounds, SNI, and fixed addresses for host names.

use super::{CryptoProvider, Identity, Version};
use crate::client::ClientBuilder;

impl ClientBuilder {
    /// Presents `identity` (a client certificate and its key) to servers
    /// that ask for one: mutual TLS. Without it, such a server's request
    /// for a certificate is answered with none. The key is checked against
    /// the certificate by [`build`](Self::build).
    ///
    /// A server that rejects the certificate (or its absence) does so with
    /// a TLS alert, during the handshake with TLS 1.2, on the first read
    /// after it with TLS 1.3: either way the request fails with
    /// [`Error::is_tls`](crate::Error::is_tls) and a message naming the
    /// alert, and it is not retried (the next connection would meet the
    /// same verdict). Some servers (nginx) instead finish the handshake and
    /// answer `400 Bad Request`.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pem = std::fs::read("client.pem")?;
    /// let client = baton::Client::builder().identity(baton::Identity::from_pem(&pem)?).build()?;
    /// # Ok(()) }
    /// ```
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// The lowest TLS version to accept (default: TLS 1.2, the lowest
    /// rustls speaks). A server that offers only lower versions fails the
    /// handshake ([`Error::is_tls`](crate::Error::is_tls)).
    ///
    /// ```
    /// let client = baton::Client::builder().min_tls_version(baton::tls::Version::TLS_1_3).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn min_tls_version(mut self, version: Version) -> Self {
        self.min_tls_version = Some(version);
        self
    }

    /// The highest TLS version to offer (default: TLS 1.3). Bounds that
    /// leave no version make [`build`](Self::build) fail.
    ///
    /// ```
    /// use baton::tls::Version;
    ///
    /// let client = baton::Client::builder().max_tls_version(Version::TLS_1_2).build()?;
    /// # drop(client);
    /// let err = baton::Client::builder()
    ///     .min_tls_version(Version::TLS_1_3)
    ///     .max_tls_version(Version::TLS_1_2)
    ///     .build()
    ///     .err()
    ///     .unwrap();
    /// assert!(err.is_builder());
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn max_tls_version(mut self, version: Version) -> Self {
        self.max_tls_version = Some(version);
        self
    }

    /// The cryptography rustls runs on (default [`CryptoProvider::Ring`];
    /// `CryptoProvider::AwsLcRs` with the `aws-lc-rs` cargo feature).
    ///
    /// ```
    /// use baton::tls::CryptoProvider;
    ///
    /// let client = baton::Client::builder().tls_crypto_provider(CryptoProvider::Ring).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn tls_crypto_provider(mut self, provider: CryptoProvider) -> Self {
        self.tls_provider = provider;
        self
    }

    /// Verifies server certificates as the operating system does
    /// (rustls-platform-verifier; default `false`): on macOS, Windows,
    /// Android and iOS with their own verifiers (revocation included), on
    /// Linux against the system's certificate store. Certificates added
    /// with [`add_root_certificate`](Self::add_root_certificate) are
    /// trusted too. It replaces the bundled roots and
    /// [`tls_native_roots`](Self::tls_native_roots); with
    /// [`tls_built_in_roots(false)`](Self::tls_built_in_roots) or
    /// [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs),
    /// those win. Needs the `platform-verifier` cargo feature.
    ///
    /// ```
    /// let client = baton::Client::builder().tls_platform_verifier(true).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[cfg(feature = "platform-verifier")]
    pub fn tls_platform_verifier(mut self, enabled: bool) -> Self {
        self.platform_verifier = enabled;
        self
    }

    /// Whether the TLS handshake names the server (SNI, RFC 6066 §3;
    /// default `true`). The certificate is checked against the URL's host
    /// either way.
    ///
    /// ```
    /// let client = baton::Client::builder().tls_sni(false).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn tls_sni(mut self, enabled: bool) -> Self {
        self.tls_sni = enabled;
        self
    }
}
