//! The journal of one request: every attempt, how far it got, and why it was
//! retried (DESIGN.md §2).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use baton_proto::h2::{GoAway, StreamId};
/// # In baton
/// Every [`Attempt`] records its [`Phase`]; a failed one also gets the
/// [`Processing`] verdict derived from it, which
/// [`Error::processing`](crate::Error::processing) returns.
///
/// ```
/// use baton::{Phase, Processing};
///
/// // The head was written, the server then said GOAWAY below our stream.
/// let verdict = Processing::classify(Phase::HeadersWritten, true);
/// assert_eq!(verdict, Processing::NotProcessed);
/// assert!(verdict.is_safe_to_retry());
/// // The whole request was written and no answer came: nobody knows.
/// assert!(!Processing::classify(Phase::BodyWritten, false).is_safe_to_retry());
/// ```
///
/// # From `baton-proto`
pub use baton_proto::{Phase, Processing};
use http::{StatusCode, Uri, Version};

/// Why an attempt was followed by another ([`Attempt::retried`]).
///
/// Its text (the `Display` form) is also the key of [`Stats::retries`](crate::Stats::retries).
/// A [`Redirect`](Self::Redirect) is no retry: it spends no retry budget
/// and is counted in [`Stats::redirects`](crate::Stats::redirects) instead.
///
/// ```
/// use baton::RetryReason;
///
/// let stats = baton::Client::new().stats();
/// let rotations = stats.retries.get(&RetryReason::GoAway.to_string()).copied().unwrap_or(0);
/// assert_eq!(rotations, 0);
/// assert_eq!(RetryReason::Refused.to_string(), "REFUSED_STREAM");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum RetryReason {
    /// The request never left this process (DESIGN.md §3 rule 1).
    NotSent,
    /// The stream was above a GOAWAY's last_stream_id (RFC 9113 §6.8).
    GoAway,
    /// The server answered RST_STREAM(REFUSED_STREAM) (RFC 9113 §8.7).
    Refused,
    /// The outcome was unknown and the request is idempotent (rule 2).
    Idempotent,
    /// The server asked for HTTP/1.1 (HTTP_1_1_REQUIRED, rule 5).
    Http11Required,
    /// A 417 (Expectation Failed) answered `Expect: 100-continue`: the
    /// request is repeated without the expectation (RFC 9110 §10.1.1). The
    /// body had not been sent.
    ExpectationFailed,
    /// The response was a redirect (RFC 9110 §15.4) that the
    /// [redirect policy](crate::redirect::Policy) followed: the next attempt
    /// is the first of the next hop, to [`Attempt::redirected_to`].
    Redirect,
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotSent => "not sent",
            Self::GoAway => "above GOAWAY last_stream_id",
            Self::Refused => "REFUSED_STREAM",
            Self::Idempotent => "idempotent, outcome unknown",
            Self::Http11Required => "HTTP_1_1_REQUIRED",
            Self::ExpectationFailed => "417 Expectation Failed",
            Self::Redirect => "redirect",
        })
    }
}

/// One try of a request on one connection: an entry of the journal that
/// [`Response::attempts`](crate::Response::attempts) and
/// [`Error::attempts`](crate::Error::attempts) return.
///
/// Its `Display` form is one line, for logs.
///
/// ```no_run
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// if let Err(e) = client.post("https://example.com/orders").body("{}").send().await {
///     for a in e.attempts() {
///         let stream = a.stream_id.map_or("-".to_owned(), |id| id.to_string());
///         println!("connection {} stream {stream}: {}, {:?}", a.connection_id, a.phase, a.processing);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Attempt {
    /// Which connection (unique within the client).
    pub connection_id: u64,
    /// Whether the connection had carried requests before this one.
    pub reused: bool,
    /// HTTP version spoken.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_http::version"))]
    pub version: Version,
    /// The TLS version the connection negotiated; `None` over cleartext.
    pub tls_version: Option<crate::tls::Version>,
    /// The HTTP/2 stream id, when a stream was opened.
    pub stream_id: Option<StreamId>,
    /// How far the attempt got.
    pub phase: Phase,
    /// Request body bytes confirmed written.
    pub body_sent: u64,
    /// The last GOAWAY seen on the connection during the attempt, kept even
    /// when the attempt succeeded on a draining connection.
    pub go_away: Option<GoAway>,
    /// What went wrong, for a failed attempt.
    pub error: Option<String>,
    /// The verdict, for a failed attempt; for a redirect that was followed,
    /// `ResponseStarted` (the server answered it, so whatever happens to
    /// the next hop, the request was processed: see
    /// [`Error::processing`](crate::Error::processing)).
    pub processing: Option<Processing>,
    /// Why the next attempt was made, if one was.
    pub retried: Option<RetryReason>,
    /// Back-off waited before the next attempt.
    pub backoff: Duration,
    /// The response's status, for an attempt answered with a response head:
    /// the request's last attempt when it succeeded, a redirect, a `417`.
    #[cfg_attr(feature = "serde", serde(default, with = "crate::serde_http::status"))]
    pub status: Option<StatusCode>,
    /// For a redirect that was followed ([`RetryReason::Redirect`]): where it
    /// led, the response's `Location` resolved against the request's URL
    /// (RFC 9110 §10.2.2).
    #[cfg_attr(feature = "serde", serde(default, with = "crate::serde_http::uri"))]
    pub redirected_to: Option<Uri>,
}

impl Attempt {
    pub(crate) fn new(connection_id: u64, reused: bool, version: Version) -> Self {
        Self {
            connection_id,
            reused,
            version,
            tls_version: None,
            stream_id: None,
            phase: Phase::Queued,
            body_sent: 0,
            go_away: None,
            error: None,
            processing: None,
            retried: None,
            backoff: Duration::ZERO,
            status: None,
            redirected_to: None,
        }
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection {} ({:?}", self.connection_id, self.version)?;
        if let Some(tls) = self.tls_version {
            write!(f, ", {tls}")?;
        }
        if self.reused {
            f.write_str(", reused")?;
        }
        f.write_str(")")?;
        if let Some(id) = self.stream_id {
            write!(f, " stream {id}")?;
        }
        write!(f, ": {}", self.phase)?;
        if let Some(status) = self.status {
            write!(f, ", {status}")?;
        }
        if let (Some(p), None) = (self.processing, &self.redirected_to) {
            write!(f, ", {p}")?;
        }
        if let Some(g) = &self.go_away {
            write!(f, ", GOAWAY last_stream_id={} {}", g.last_stream_id, g.error_code)?;
        }
        if let Some(e) = &self.error {
            write!(f, ", {e}")?;
        }
        match (self.retried, &self.redirected_to) {
            (_, Some(to)) => write!(f, "; redirected to {to}")?,
            (Some(r), None) => write!(f, "; retried ({r})")?,
            (None, None) => {}
        }
        Ok(())
    }
}

/// The journal of a request that got a response: every [`Attempt`] it
/// took, across retries and redirects, the one answered last. Cheap to
/// clone (shared).
///
/// [`Response::attempts`](crate::Response::attempts) and
/// [`Incoming::attempts`](crate::Incoming::attempts) return it as a slice;
/// an `http::Response` made from a [`Response`](crate::Response) (what the
/// `tower::Service` returns) carries it as an extension, so it survives
/// middleware that replaces the body.
///
/// ```no_run
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// let resp: http::Response<baton::Incoming> = client.get("https://example.com/").send().await?.into();
/// if let Some(journal) = resp.extensions().get::<baton::Journal>() {
///     for attempt in journal.attempts() {
///         println!("{attempt}");
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journal(Arc<[Attempt]>);

impl Journal {
    /// The attempts `done`, then `last`, in one allocation.
    pub(crate) fn new(done: &[Attempt], last: Attempt) -> Self {
        Self(done.iter().cloned().chain(std::iter::once(last)).collect())
    }

    /// Every attempt, in order, the one answered last.
    ///
    /// ```
    /// let journal = baton::Journal::default();
    /// assert!(journal.attempts().is_empty());
    /// ```
    pub fn attempts(&self) -> &[Attempt] {
        &self.0
    }
}

/// One request's attempts so far, shared by its retry loop and its deadline,
/// so that a request cut off by a timeout still gives its full account.
#[derive(Debug, Default)]
pub(crate) struct Log {
    done: Vec<Attempt>,
    /// Handed to a connection, outcome not yet known: what a fresh
    /// [`Attempt`] of it holds, kept instead of a copy of it (made in every
    /// request, used only when one is cut off).
    in_flight: Option<InFlight>,
}

/// The fields of an attempt known when it is handed to a connection.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    connection_id: u64,
    reused: bool,
    version: Version,
    tls_version: Option<crate::tls::Version>,
}

impl Log {
    /// An attempt that ended (failed, retried or answered).
    pub(crate) fn push(&mut self, attempt: Attempt) {
        self.in_flight = None;
        self.done.push(attempt);
    }

    /// An attempt was handed to a connection.
    pub(crate) fn start(&mut self, attempt: &Attempt) {
        self.in_flight = Some(InFlight {
            connection_id: attempt.connection_id,
            reused: attempt.reused,
            version: attempt.version,
            tls_version: attempt.tls_version,
        });
    }

    /// The attempts that ended.
    pub(crate) fn attempts(&self) -> Vec<Attempt> {
        self.done.clone()
    }

    /// The attempts that ended, then `last`, the one answered.
    pub(crate) fn answered_by(&mut self, last: Attempt) -> Journal {
        self.in_flight = None;
        Journal::new(&self.done, last)
    }

    /// The account of a request cut off by a timeout (`why`): the attempts
    /// that ended, then the one in flight, whose outcome is unknown
    /// (`MaybeProcessed`: the server may have it, and nothing says it did
    /// not); and the request's verdict, the strongest of theirs. With nothing
    /// ever handed to a connection, it is `NotSent`.
    pub(crate) fn cut_off(&self, why: &str) -> (Vec<Attempt>, Processing) {
        let mut attempts = self.done.clone();
        if let Some(f) = self.in_flight {
            let mut a = Attempt::new(f.connection_id, f.reused, f.version);
            a.tls_version = f.tls_version;
            a.error = Some(why.to_owned());
            a.processing = Some(Processing::MaybeProcessed);
            attempts.push(a);
        }
        let verdict = strongest(&attempts).unwrap_or(Processing::NotSent);
        (attempts, verdict)
    }
}

/// The strongest verdict of some attempts: a request is as far along as its
/// furthest attempt got (an earlier attempt that may have been processed
/// is not undone by a later one the server refused).
pub(crate) fn strongest(attempts: &[Attempt]) -> Option<Processing> {
    let rank = |p: &Processing| match p {
        Processing::NotSent => 0,
        Processing::NotProcessed => 1,
        Processing::MaybeProcessed => 2,
        Processing::ResponseStarted => 3,
    };
    attempts.iter().filter_map(|a| a.processing).max_by_key(rank)
}

#[cfg(test)]
mod log_tests {
    use super::*;

    fn attempt(processing: Option<Processing>) -> Attempt {
        Attempt { processing, ..Attempt::new(1, false, Version::HTTP_2) }
    }

    #[test]
    fn a_request_cut_off_in_flight_may_have_been_processed() {
        let mut log = Log::default();
        log.push(attempt(Some(Processing::NotProcessed)));
        log.start(&attempt(None));
        let (attempts, verdict) = log.cut_off("timed out");
        assert_eq!(attempts.len(), 2);
        assert_eq!(attempts[1].error.as_deref(), Some("timed out"));
        assert_eq!(verdict, Processing::MaybeProcessed);
    }

    #[test]
    fn a_request_cut_off_between_attempts_keeps_the_strongest_verdict() {
        let mut log = Log::default();
        assert_eq!(log.cut_off("t").1, Processing::NotSent, "nothing was ever sent");
        log.start(&attempt(None));
        log.push(attempt(Some(Processing::NotProcessed)));
        assert_eq!(log.cut_off("t"), (log.attempts(), Processing::NotProcessed));
        log.push(attempt(Some(Processing::MaybeProcessed)));
        log.push(attempt(Some(Processing::NotSent)));
        assert_eq!(log.cut_off("t").1, Processing::MaybeProcessed);
    }
}
