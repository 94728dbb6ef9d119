//! When a new HTTP/2 connection may carry its first requests: at once,
//! with the client's preface, or once the server's SETTINGS (its preface,
//! RFC 9113 §3.4) arrived, a round trip later.
//!
//! RFC 9113 §3.4 lets a client send "additional frames to the server
//! immediately after sending the client connection preface, without
//! waiting to receive the server connection preface". The wait buys one
//! thing: a connection the server never took up (accepted by the kernel
//! into the backlog of an nginx worker that is exiting on reload, then
//! reset) fails before anything was sent on it, so every request retries
//! with no doubt about it. A request sent on such a connection can only
//! fail `MaybeProcessed`: a GET is sent again (rule 2), a POST fails.

use std::time::Duration;

/// When a new HTTP/2 connection takes its first requests; given to
/// [`ClientBuilder::http2_settings_wait`](crate::ClientBuilder::http2_settings_wait).
///
/// ```
/// use baton::SettingsWait;
///
/// let client = baton::Client::builder().http2_settings_wait(SettingsWait::Always).build()?;
/// # drop(client);
/// # Ok::<(), baton::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SettingsWait {
    /// No request before the server's SETTINGS: one more round trip on
    /// every new connection, and a connection the server never took up
    /// fails with nothing sent, so every request on it is retried.
    Always,
    /// Requests that are safe to send again (idempotent, with an in-memory
    /// body) go at once, with the client's preface; the others wait for the
    /// server's SETTINGS. Only where the server is known to speak HTTP/2
    /// (ALPN chose `h2`, or an earlier connection got its SETTINGS: the
    /// first h2c connection to an origin waits, so prior knowledge to a
    /// server that is not HTTP/2 fails with nothing sent), and not for
    /// [`SettingsWait::WAIT_AFTER_LOSS`] after a connection to the origin
    /// closed before the server's SETTINGS came. The default: a new
    /// connection costs GETs no round trip, and no POST is ever sent on a
    /// connection the server has not shown it took up.
    #[default]
    SafeRequestsFirst,
    /// Every request goes at once, with the client's preface (RFC 9113
    /// §3.4 allows it). A POST on a connection the server never took up
    /// fails `MaybeProcessed`.
    Never,
}

impl SettingsWait {
    /// How long every request waits for a new connection's SETTINGS after
    /// one of the origin's connections closed before its SETTINGS came
    /// (under [`SettingsWait::SafeRequestsFirst`]): a server that resets
    /// fresh connections (a reload, an overloaded accept queue) tends to do
    /// it again, and each GET sent into it spends its one retry of an
    /// unknown outcome.
    pub const WAIT_AFTER_LOSS: Duration = Duration::from_secs(60);

    /// Whether a new connection is offered to requests before the server's
    /// SETTINGS, given whether the server is known to speak HTTP/2 (ALPN
    /// said so, or an earlier connection got its SETTINGS) and whether one
    /// of the origin's connections recently closed before them.
    pub(crate) fn early_connection(self, h2_known: bool, lost_recently: bool) -> bool {
        match self {
            Self::Always => false,
            Self::SafeRequestsFirst => h2_known && !lost_recently,
            Self::Never => true,
        }
    }

    /// Whether a request (`safe`: idempotent, with an in-memory body) may
    /// take a stream on a connection whose SETTINGS have not arrived.
    pub(crate) fn early_request(self, safe: bool) -> bool {
        match self {
            Self::Always => false,
            Self::SafeRequestsFirst => safe,
            Self::Never => true,
        }
    }
}
