//! Per-request timeouts in the four parts httpx and httpcore give them
//! (`connect`, `read`, `write`, `pool`), and which limit a timeout error
//! ran into.

use std::fmt;
use std::time::Duration;

/// Limits for one request, each on its own, as httpx's `Timeout` has them;
/// given to [`RequestBuilder::timeouts`](crate::RequestBuilder::timeouts).
/// `None` leaves the client's setting (or no limit) in place.
///
/// - `connect`: each step of opening a connection this request waits for
///   (TCP, TLS, the server's first HTTP/2 SETTINGS); the client's
///   [`connect_timeout`](crate::ClientBuilder::connect_timeout) still applies
///   too.
/// - `read`: the wait for the response head once the request is on a
///   connection, then each wait for more of the body (it replaces the
///   client's [`response_timeout`](crate::ClientBuilder::response_timeout)
///   and [`read_timeout`](crate::ClientBuilder::read_timeout)).
/// - `write`: each wait of the connection for the next piece of a streaming
///   ([`Body::wrap`](crate::Body::wrap)) request body to be taken: when the
///   server stops reading (flow control, a full socket), the request fails
///   after this long without progress. In-memory bodies are handed over
///   whole, so a stalled in-memory upload runs into `read` instead.
/// - `pool`: the wait for room on a connection (a free HTTP/2 stream, an
///   HTTP/1.1 connection under the per-origin limit), not counting the
///   connect this request may then do itself.
///
/// ```no_run
/// use std::time::Duration;
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// let limits = baton::Timeouts {
///     connect: Some(Duration::from_secs(2)),
///     read: Some(Duration::from_secs(5)),
///     write: Some(Duration::from_secs(5)),
///     pool: Some(Duration::from_secs(1)),
/// };
/// match client.get("https://example.com/").timeouts(limits).send().await {
///     Err(e) if e.timeout_kind() == Some(baton::TimeoutKind::Pool) => println!("pool exhausted: {e}"),
///     other => println!("{}", other?.status()),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Each step of opening a connection.
    pub connect: Option<Duration>,
    /// The response head, then each wait for body data.
    pub read: Option<Duration>,
    /// Each wait for a streaming request body to be taken further.
    pub write: Option<Duration>,
    /// The wait for room on a connection.
    pub pool: Option<Duration>,
}

/// Which limit a timeout ran into: [`Error::timeout_kind`](crate::Error::timeout_kind).
///
/// ```
/// use baton::TimeoutKind;
///
/// assert_eq!(TimeoutKind::Read.to_string(), "read");
/// assert_ne!(TimeoutKind::Connect, TimeoutKind::Pool);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Opening a connection (TCP, TLS, the first HTTP/2 SETTINGS).
    Connect,
    /// The response head, or the next piece of the response body.
    Read,
    /// A streaming request body that the connection stopped taking.
    Write,
    /// Room on a connection.
    Pool,
    /// The request's total deadline ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout),
    /// [`RequestBuilder::timeout`](crate::RequestBuilder::timeout)).
    Total,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Read => "read",
            Self::Write => "write",
            Self::Pool => "pool",
            Self::Total => "total",
        })
    }
}

/// Resolves once a streaming body has gone a whole `limit` without the
/// connection asking for more of it (and without a reader waiting on the
/// body's own source), so between one and two `limit`s after its last
/// progress; never, once the body was read to its end.
pub(crate) async fn stalled(progress: &crate::body::Progress, limit: Duration) {
    loop {
        let before = progress.pulls();
        tokio::time::sleep(limit).await;
        if progress.ended() {
            return std::future::pending().await;
        }
        if progress.pulls() == before && !progress.waiting_on_source() {
            return;
        }
    }
}
