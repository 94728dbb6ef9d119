//! The per-request journal of DESIGN.md §2: how far each attempt got, and the
//! one verdict derived from it that every failure carries.

use std::fmt;

/// How far one request attempt got on its connection.
///
/// Phases only move forward. `HeadersWritten` is set when the transport
/// (socket or TLS layer) has accepted every byte of the request's header block,
/// CONTINUATION frames included; the engine learns this from the caller's
/// `handle_written` confirmations, never from having merely queued the bytes.
///
/// Phases may be added between these (a match needs a wildcard arm); their
/// order stays the order of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Accepted by the engine, waiting for a stream slot or the connection.
    Queued,
    /// The header block is in the write buffer, not yet confirmed written.
    HeadersQueued,
    /// The whole header block was written to the transport.
    HeadersWritten,
    /// This many body bytes were written (and the body has more).
    BodyPartlyWritten(u64),
    /// The whole request, END_STREAM included, was written.
    BodyWritten,
    /// A final (non-1xx) response head arrived.
    ResponseHead,
    /// This many response body bytes arrived.
    ResponseBody(u64),
    /// The response ended normally.
    Complete,
}

impl Phase {
    /// True once a response head has arrived.
    pub fn response_started(self) -> bool {
        self >= Self::ResponseHead
    }

    /// True once the whole request head has left this process.
    pub fn head_sent(self) -> bool {
        self >= Self::HeadersWritten
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Queued => f.write_str("queued"),
            Self::HeadersQueued => f.write_str("headers queued"),
            Self::HeadersWritten => f.write_str("headers written"),
            Self::BodyPartlyWritten(n) => write!(f, "{n} body bytes written"),
            Self::BodyWritten => f.write_str("request fully written"),
            Self::ResponseHead => f.write_str("response head received"),
            Self::ResponseBody(n) => write!(f, "{n} response body bytes received"),
            Self::Complete => f.write_str("complete"),
        }
    }
}

/// What the server may have done with a request that failed (DESIGN.md §2).
///
/// | verdict | proven by |
/// |---|---|
/// | `NotSent` | no complete request head left this process |
/// | `NotProcessed` | stream id above a GOAWAY's last_stream_id (RFC 9113 §6.8), or RST_STREAM REFUSED_STREAM (§8.7) |
/// | `MaybeProcessed` | head sent, no response head, nothing proves otherwise |
/// | `ResponseStarted` | a response head arrived, then the exchange broke |
///
/// Closed on purpose: these four verdicts are the contract of DESIGN.md §2,
/// and callers match on them exhaustively to decide whether to send a
/// request again. A fifth would change what every caller must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Processing {
    /// The request never fully left this process.
    NotSent,
    /// The server guarantees it did not act on the request.
    NotProcessed,
    /// The request may have been acted on.
    MaybeProcessed,
    /// A response had started; the exchange broke after that.
    ResponseStarted,
}

impl Processing {
    /// The verdict for a stream that failed at `phase`. `peer_refused` is true
    /// when the peer proved it did not process the stream (GOAWAY with a lower
    /// last_stream_id, or REFUSED_STREAM).
    ///
    /// A response head outranks a refusal: a peer that answered and then
    /// claimed not to have processed is not believed, since the data it sent
    /// says otherwise. A head that never left outranks a refusal too, since
    /// "not sent" is the stronger statement.
    pub fn classify(phase: Phase, peer_refused: bool) -> Self {
        if phase.response_started() {
            Self::ResponseStarted
        } else if !phase.head_sent() {
            Self::NotSent
        } else if peer_refused {
            Self::NotProcessed
        } else {
            Self::MaybeProcessed
        }
    }

    /// True for the two verdicts that let any method be retried (DESIGN.md
    /// §3 rule 1; RFC 9113 §8.7).
    pub fn is_safe_to_retry(self) -> bool {
        matches!(self, Self::NotSent | Self::NotProcessed)
    }
}

impl fmt::Display for Processing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotSent => "not sent",
            Self::NotProcessed => "not processed",
            Self::MaybeProcessed => "maybe processed",
            Self::ResponseStarted => "response started",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_follows_design_table() {
        use Phase::*;
        assert_eq!(Processing::classify(Queued, false), Processing::NotSent);
        assert_eq!(Processing::classify(HeadersQueued, true), Processing::NotSent);
        assert_eq!(Processing::classify(HeadersWritten, true), Processing::NotProcessed);
        assert_eq!(Processing::classify(BodyPartlyWritten(10), true), Processing::NotProcessed);
        assert_eq!(Processing::classify(BodyWritten, false), Processing::MaybeProcessed);
        assert_eq!(Processing::classify(ResponseHead, true), Processing::ResponseStarted);
        assert_eq!(Processing::classify(ResponseBody(5), false), Processing::ResponseStarted);
    }

    #[test]
    fn phases_are_ordered() {
        assert!(Phase::BodyPartlyWritten(1_000_000) < Phase::BodyWritten);
        assert!(Phase::HeadersWritten < Phase::BodyPartlyWritten(0));
        assert!(Phase::ResponseBody(0) > Phase::ResponseHead);
    }
}
