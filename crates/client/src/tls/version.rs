//! TLS protocol versions, for the builder's lower and upper bounds.

use std::fmt;

/// A TLS protocol version, for
/// [`ClientBuilder::min_tls_version`](crate::ClientBuilder::min_tls_version)
/// and [`max_tls_version`](crate::ClientBuilder::max_tls_version). rustls
/// speaks TLS 1.2 (RFC 5246) and 1.3 (RFC 8446) only, so these are the two
/// there are; both are enabled by default.
///
/// ```
/// use baton::tls::Version;
///
/// assert!(Version::TLS_1_2 < Version::TLS_1_3);
/// assert_eq!(Version::TLS_1_3.to_string(), "TLS 1.3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub(crate) u8);

impl Version {
    /// TLS 1.2 (RFC 5246).
    pub const TLS_1_2: Self = Self(2);
    /// TLS 1.3 (RFC 8446).
    pub const TLS_1_3: Self = Self(3);

    /// The rustls version this is.
    pub(crate) fn rustls(self) -> &'static rustls::SupportedProtocolVersion {
        if self == Self::TLS_1_3 { &rustls::version::TLS13 } else { &rustls::version::TLS12 }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLS 1.{}", self.0)
    }
}
