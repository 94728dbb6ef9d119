//! What a server did wrong: every rule of RFC 9113 (and limit of ours) whose
//! breach ends a stream or the connection, as one value per rule. Each maps
//! to the error code we send for it ([`Violation::reason`]), as rustls's
//! `PeerMisbehaved` maps to an alert; its `Display` form is the readable text
//! that also goes into our GOAWAY's debug data.

use std::fmt;

use super::frame::{FrameError, Reason, StreamId};
use super::hpack::DecodeError;

/// A rule the server broke, or a limit of ours it went past. The engine
/// answers with RST_STREAM (a stream error, RFC 9113 §5.4.2) or GOAWAY (a
/// connection error, §5.4.1) carrying [`Violation::reason`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// A frame broke a rule of §4 or §6 (its own code).
    Frame(FrameError),
    /// §4.3: the field block did not decode (COMPRESSION_ERROR).
    Compression(DecodeError),
    /// §3.4: bytes of an HTTP/1.x response where the server's preface should
    /// be: the server does not speak HTTP/2 with prior knowledge.
    AnsweredInHttp1,
    /// §3.4: the server's first frame is not SETTINGS.
    FirstFrameNotSettings,
    /// §6.5.3: our SETTINGS were not acknowledged in time (SETTINGS_TIMEOUT).
    SettingsNotAcknowledged,
    /// §6.5.2: SETTINGS_ENABLE_PUSH=1 from a server.
    EnablePush,
    /// §6.6, §8.4: PUSH_PROMISE although we disabled push.
    PushPromise,
    /// §6.10: another frame arrived inside a field block.
    InterleavedFieldBlock,
    /// §6.10: CONTINUATION with no field block open.
    OrphanContinuation,
    /// A field block larger than our header list limit allows, or in more
    /// CONTINUATION frames than `Config::max_continuation_frames`
    /// (ENHANCE_YOUR_CALM: the CONTINUATION flood).
    FieldBlockTooLarge,
    /// More than `Config::max_control_frames_in_a_row` frames without a
    /// response head or body (§10.5, ENHANCE_YOUR_CALM).
    ControlFrameFlood,
    /// The server sends PING or SETTINGS faster than it reads our answers
    /// (§10.5, ENHANCE_YOUR_CALM).
    AnswersNotRead,
    /// §5.1: DATA on a stream we never opened.
    DataOnIdleStream,
    /// §5.1: HEADERS on a stream we never opened.
    HeadersOnIdleStream,
    /// §6.4: RST_STREAM on a stream we never opened.
    ResetOnIdleStream,
    /// §6.9: WINDOW_UPDATE on a stream we never opened.
    WindowUpdateOnIdleStream,
    /// §6.9.1: DATA beyond the connection's receive window.
    ConnectionWindowExceeded,
    /// §6.9.1: DATA beyond the stream's receive window.
    StreamWindowExceeded,
    /// §6.9.1: a WINDOW_UPDATE took the connection's send window past
    /// 2^31-1.
    ConnectionWindowOverflow,
    /// §6.9.1: a WINDOW_UPDATE took a stream's send window past 2^31-1.
    StreamWindowOverflow,
    /// §6.9.2: SETTINGS_INITIAL_WINDOW_SIZE took a stream window past
    /// 2^31-1.
    InitialWindowOverflow,
    /// §5.1: DATA or HEADERS after the server ended the stream (the code the
    /// state machine names, STREAM_CLOSED).
    FrameAfterEndStream {
        /// `"DATA"` or `"HEADERS"`.
        frame: &'static str,
        /// The code §5.1 names for it.
        reason: Reason,
    },
    /// §8.1: DATA before the final response head, or after trailers.
    DataOutsideBody,
    /// §8.1.1: more DATA than the response's content-length.
    ContentLengthExceeded,
    /// §8.1.1: the stream ended with less DATA than its content-length.
    ContentLengthShort,
    /// §5.3.1: a HEADERS frame made its stream depend on itself.
    SelfDependentHeaders,
    /// The response's header list is larger than our
    /// SETTINGS_MAX_HEADER_LIST_SIZE (§10.5.1: refused with CANCEL; not a
    /// rule, our limit).
    ResponseHeadersTooLarge,
    /// §8.1.1, §8.3.2: a malformed response head or trailer section (the
    /// text says which rule).
    MalformedResponse(&'static str),
    /// §8.1: a 1xx head with END_STREAM.
    InformationalEndStream,
    /// §8.6: `101 (Switching Protocols)` is not allowed in HTTP/2.
    SwitchingProtocols,
    /// §8.1: trailers without END_STREAM.
    TrailersWithoutEndStream,
    /// §6.8: a later GOAWAY raised last_stream_id ("Endpoints MUST NOT
    /// increase the value they send").
    GoAwayRaisedLastStreamId {
        /// The earlier GOAWAY's value.
        previous: StreamId,
        /// The later one's.
        raised_to: StreamId,
    },
    /// The stream's body waited on a zero send window past
    /// `Config::send_stall_timeout` (DESIGN.md §6: a stall ends in an error,
    /// not a hang; the stream is reset with CANCEL).
    SendWindowStalled,
}

impl Violation {
    /// False for the two limits of ours a server can go past without
    /// breaking a rule of HTTP/2: a response header list over our
    /// SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113 §10.5.1 lets us refuse it)
    /// and a send window left shut past our stall timeout. True for
    /// everything else.
    pub fn breaks_rule(&self) -> bool {
        !matches!(self, Self::ResponseHeadersTooLarge | Self::SendWindowStalled)
    }

    /// The error code we send for it, in RST_STREAM or GOAWAY.
    pub fn reason(&self) -> Reason {
        match self {
            Self::Frame(e) => e.reason(),
            Self::Compression(_) => Reason::COMPRESSION_ERROR,
            Self::SettingsNotAcknowledged => Reason::SETTINGS_TIMEOUT,
            Self::FieldBlockTooLarge | Self::ControlFrameFlood | Self::AnswersNotRead => {
                Reason::ENHANCE_YOUR_CALM
            }
            Self::ConnectionWindowExceeded
            | Self::StreamWindowExceeded
            | Self::ConnectionWindowOverflow
            | Self::StreamWindowOverflow
            | Self::InitialWindowOverflow => Reason::FLOW_CONTROL_ERROR,
            Self::FrameAfterEndStream { reason, .. } => *reason,
            Self::ResponseHeadersTooLarge | Self::SendWindowStalled => Reason::CANCEL,
            Self::AnsweredInHttp1
            | Self::FirstFrameNotSettings
            | Self::EnablePush
            | Self::PushPromise
            | Self::InterleavedFieldBlock
            | Self::OrphanContinuation
            | Self::DataOnIdleStream
            | Self::HeadersOnIdleStream
            | Self::ResetOnIdleStream
            | Self::WindowUpdateOnIdleStream
            | Self::DataOutsideBody
            | Self::ContentLengthExceeded
            | Self::ContentLengthShort
            | Self::SelfDependentHeaders
            | Self::MalformedResponse(_)
            | Self::InformationalEndStream
            | Self::SwitchingProtocols
            | Self::TrailersWithoutEndStream
            | Self::GoAwayRaisedLastStreamId { .. } => Reason::PROTOCOL_ERROR,
        }
    }
}

impl From<&Violation> for Reason {
    fn from(v: &Violation) -> Self {
        v.reason()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(e) => write!(f, "{e}"),
            Self::Compression(e) => write!(f, "{e}"),
            Self::AnsweredInHttp1 => {
                f.write_str("the server answered in HTTP/1.x: it does not speak HTTP/2 with prior knowledge")
            }
            Self::FirstFrameNotSettings => f.write_str("first frame from the server is not SETTINGS"),
            Self::SettingsNotAcknowledged => f.write_str("SETTINGS not acknowledged in time"),
            Self::EnablePush => f.write_str("server sent SETTINGS_ENABLE_PUSH=1"),
            Self::PushPromise => f.write_str("PUSH_PROMISE with push disabled"),
            Self::InterleavedFieldBlock => f.write_str("frame interleaved in a field block"),
            Self::OrphanContinuation => f.write_str("CONTINUATION without a field block"),
            Self::FieldBlockTooLarge => {
                f.write_str("field block too large or in too many CONTINUATION frames")
            }
            Self::ControlFrameFlood => f.write_str("too many frames without progress"),
            Self::AnswersNotRead => {
                f.write_str("server does not read the answers to its PING or SETTINGS frames")
            }
            Self::DataOnIdleStream => f.write_str("DATA on an idle stream"),
            Self::HeadersOnIdleStream => f.write_str("HEADERS on a stream the client did not open"),
            Self::ResetOnIdleStream => f.write_str("RST_STREAM on an idle stream"),
            Self::WindowUpdateOnIdleStream => f.write_str("WINDOW_UPDATE on an idle stream"),
            Self::ConnectionWindowExceeded => f.write_str("DATA beyond the connection window"),
            Self::StreamWindowExceeded => f.write_str("DATA beyond the stream window"),
            Self::ConnectionWindowOverflow => f.write_str("connection window above 2^31-1"),
            Self::StreamWindowOverflow => f.write_str("stream window above 2^31-1"),
            Self::InitialWindowOverflow => {
                f.write_str("SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window")
            }
            Self::FrameAfterEndStream { frame, .. } => write!(f, "{frame} after the server ended the stream"),
            Self::DataOutsideBody => f.write_str("DATA outside a response body"),
            Self::ContentLengthExceeded => f.write_str("more DATA than content-length"),
            Self::ContentLengthShort => f.write_str("DATA shorter than content-length"),
            Self::SelfDependentHeaders => f.write_str("stream depends on itself"),
            Self::ResponseHeadersTooLarge => f.write_str("response header list exceeds the limit"),
            Self::MalformedResponse(why) => write!(f, "malformed response: {why}"),
            Self::InformationalEndStream => f.write_str("1xx response with END_STREAM"),
            Self::SwitchingProtocols => f.write_str("101 response in HTTP/2"),
            Self::TrailersWithoutEndStream => f.write_str("trailers without END_STREAM"),
            Self::GoAwayRaisedLastStreamId { previous, raised_to } => {
                write!(f, "GOAWAY raised last_stream_id from {previous} to {raised_to}")
            }
            Self::SendWindowStalled => f.write_str("send window stayed at zero past the stall timeout"),
        }
    }
}

impl std::error::Error for Violation {}
