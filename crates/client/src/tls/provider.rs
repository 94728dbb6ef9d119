//! Which cryptography rustls runs on.

/// The cryptography library under rustls, for
/// [`ClientBuilder::tls_crypto_provider`](crate::ClientBuilder::tls_crypto_provider).
/// ring is the default and always there; aws-lc-rs (AWS's libcrypto, with
/// a FIPS-validated build of its own) needs the `aws-lc-rs` cargo feature,
/// and a C compiler to build.
///
/// ```
/// let client = baton::Client::builder().tls_crypto_provider(baton::tls::CryptoProvider::Ring).build()?;
/// # drop(client);
/// # Ok::<(), baton::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CryptoProvider {
    /// ring (the default).
    #[default]
    Ring,
    /// aws-lc-rs (the `aws-lc-rs` cargo feature).
    #[cfg(feature = "aws-lc-rs")]
    AwsLcRs,
}

impl CryptoProvider {
    /// rustls's provider with its default cipher suites and groups.
    pub(crate) fn rustls(self) -> rustls::crypto::CryptoProvider {
        match self {
            Self::Ring => rustls::crypto::ring::default_provider(),
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLcRs => rustls::crypto::aws_lc_rs::default_provider(),
        }
    }
}
