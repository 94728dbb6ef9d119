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

    /// The one of ours a negotiated rustls version is.
    pub(crate) fn of(version: rustls::ProtocolVersion) -> Option<Self> {
        match version {
            rustls::ProtocolVersion::TLSv1_2 => Some(Self::TLS_1_2),
            rustls::ProtocolVersion::TLSv1_3 => Some(Self::TLS_1_3),
            _ => None,
        }
    }

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

/// As its `Display` form, `"TLS 1.3"`, in the journal's serde documents.
#[cfg(feature = "serde")]
impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        match &*text {
            "TLS 1.2" => Ok(Self::TLS_1_2),
            "TLS 1.3" => Ok(Self::TLS_1_3),
            other => Err(serde::de::Error::custom(format!("unknown TLS version {other:?}"))),
        }
    }
}

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::Version;

    #[test]
    fn serde_writes_and_reads_the_display_form() {
        for v in [Version::TLS_1_2, Version::TLS_1_3] {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{v}\""));
            assert_eq!(serde_json::from_str::<Version>(&json).unwrap(), v);
        }
        assert!(serde_json::from_str::<Version>("\"TLS 1.1\"").is_err());
    }
}
