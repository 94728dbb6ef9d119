//! What a script expects the client to send: a frame type, stream, flags,
//! error code and any predicate, checked against decoded frames.

use std::fmt;
use std::sync::Arc;

use baton_proto::h2::frame::{Frame, FrameType, Reason, StreamId};

use super::frames::flags;

/// A test on one received frame. Every condition set must hold; a new
/// `Matcher` (from [`Matcher::any`] or a frame-type constructor) accepts all
/// frames of its type.
///
/// ```
/// use baton_lab::script::{Matcher, frames};
/// use baton_proto::h2::frame::{Frame, Reason};
///
/// let goaway = Matcher::go_away().reason(Reason::FRAME_SIZE_ERROR);
/// assert!(goaway.matches(&frames::go_away(0, Reason::FRAME_SIZE_ERROR)));
/// assert!(!goaway.matches(&frames::go_away(0, Reason::NO_ERROR)));
///
/// let last_data = Matcher::data().stream(1).end_stream();
/// assert!(last_data.matches(&frames::data(1, b"x", true)));
///
/// let big = Matcher::data().when("more than 2 bytes", |f| matches!(f, Frame::Data(d) if d.data.len() > 2));
/// assert!(!big.matches(&frames::data(1, b"xy", false)));
/// ```
#[derive(Clone, Default)]
pub struct Matcher {
    kind: Option<FrameType>,
    stream: Option<StreamId>,
    /// Flag bits that must be set.
    set: u8,
    /// Flag bits that must be clear.
    clear: u8,
    reason: Option<Reason>,
    checks: Vec<Check>,
}

/// A named predicate.
#[derive(Clone)]
struct Check {
    what: String,
    predicate: Arc<dyn Fn(&Frame) -> bool + Send + Sync>,
}

impl Matcher {
    /// Any frame at all.
    pub fn any() -> Self {
        Self::default()
    }

    /// Frames of type `kind` (known or not).
    pub fn kind(kind: FrameType) -> Self {
        Self { kind: Some(kind), ..Self::default() }
    }

    /// DATA frames (RFC 9113 §6.1).
    pub fn data() -> Self {
        Self::kind(FrameType::DATA)
    }

    /// HEADERS frames (RFC 9113 §6.2).
    pub fn headers() -> Self {
        Self::kind(FrameType::HEADERS)
    }

    /// RST_STREAM frames (RFC 9113 §6.4).
    pub fn rst_stream() -> Self {
        Self::kind(FrameType::RST_STREAM)
    }

    /// SETTINGS frames (RFC 9113 §6.5), acknowledgements included; see
    /// [`Self::ack`] and [`Self::no_flags`].
    pub fn settings() -> Self {
        Self::kind(FrameType::SETTINGS)
    }

    /// PING frames (RFC 9113 §6.7).
    pub fn ping() -> Self {
        Self::kind(FrameType::PING)
    }

    /// GOAWAY frames (RFC 9113 §6.8).
    pub fn go_away() -> Self {
        Self::kind(FrameType::GOAWAY)
    }

    /// WINDOW_UPDATE frames (RFC 9113 §6.9).
    pub fn window_update() -> Self {
        Self::kind(FrameType::WINDOW_UPDATE)
    }

    /// CONTINUATION frames (RFC 9113 §6.10).
    pub fn continuation() -> Self {
        Self::kind(FrameType::CONTINUATION)
    }

    /// Only frames on `stream` (0 for connection frames).
    pub fn stream(mut self, stream: u32) -> Self {
        self.stream = Some(StreamId::new(stream));
        self
    }

    /// Only frames with every bit of `mask` set in their flags byte, as it
    /// was on the wire (see [`frames::flags`](super::frames::flags)).
    pub fn flags(mut self, mask: u8) -> Self {
        self.set |= mask;
        self
    }

    /// Only frames with every bit of `mask` clear in their flags byte.
    pub fn no_flags(mut self, mask: u8) -> Self {
        self.clear |= mask;
        self
    }

    /// Only frames with END_STREAM set (DATA, HEADERS).
    pub fn end_stream(self) -> Self {
        self.flags(flags::END_STREAM)
    }

    /// Only frames with ACK set (SETTINGS, PING).
    pub fn ack(self) -> Self {
        self.flags(flags::ACK)
    }

    /// Only GOAWAY or RST_STREAM frames carrying this error code (RFC 9113 §7).
    pub fn reason(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Only frames for which `predicate` holds; `what` describes it in
    /// failure messages.
    pub fn when(
        mut self,
        what: impl Into<String>,
        predicate: impl Fn(&Frame) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.checks.push(Check { what: what.into(), predicate: Arc::new(predicate) });
        self
    }

    /// True when `frame` passes every condition.
    pub fn matches(&self, frame: &Frame) -> bool {
        let flags = frame.flags();
        self.kind.is_none_or(|k| k == frame.kind())
            && self.stream.is_none_or(|s| s == frame.stream_id())
            && flags & self.set == self.set
            && flags & self.clear == 0
            && self.reason.is_none_or(|r| Some(r) == reason_of(frame))
            && self.checks.iter().all(|c| (c.predicate)(frame))
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Some(kind) => write!(f, "{kind}")?,
            None => f.write_str("any frame")?,
        }
        if let Some(stream) = self.stream {
            write!(f, " stream={stream}")?;
        }
        if self.set != 0 {
            write!(f, " flags⊇{:#04x}", self.set)?;
        }
        if self.clear != 0 {
            write!(f, " flags∌{:#04x}", self.clear)?;
        }
        if let Some(reason) = self.reason {
            write!(f, " {reason}")?;
        }
        for check in &self.checks {
            write!(f, " where {}", check.what)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matcher({self})")
    }
}

fn reason_of(frame: &Frame) -> Option<Reason> {
    match frame {
        Frame::GoAway(g) => Some(g.error_code),
        Frame::RstStream(r) => Some(r.reason),
        _ => None,
    }
}

/// A one-line description of a frame for failure messages, e.g.
/// `HEADERS stream=1 END_STREAM|END_HEADERS` or `GOAWAY last=1 NO_ERROR`.
pub(crate) fn describe(frame: &Frame) -> String {
    let kind = frame.kind();
    let mut out = match frame {
        Frame::GoAway(g) => format!("{kind} last={} {}", g.last_stream_id, g.error_code),
        Frame::RstStream(r) => format!("{kind} stream={} {}", r.stream_id, r.reason),
        Frame::WindowUpdate(w) => format!("{kind} stream={} +{}", w.stream_id, w.increment),
        Frame::Data(d) => format!("{kind} stream={} len={}", d.stream_id, d.data.len()),
        Frame::Ping(p) => format!("{kind} {:02x?}", p.payload),
        Frame::Settings(s) if !s.ack => format!("{kind} {:?}", s.params().collect::<Vec<_>>()),
        _ if frame.stream_id().is_zero() => kind.to_string(),
        _ => format!("{kind} stream={}", frame.stream_id()),
    };
    let flags = frame.flags();
    let names: Vec<&str> = match kind {
        FrameType::SETTINGS | FrameType::PING => vec!["ACK"; usize::from(flags & flags::ACK != 0)],
        _ => [
            (flags::END_STREAM, "END_STREAM"),
            (flags::END_HEADERS, "END_HEADERS"),
            (flags::PADDED, "PADDED"),
            (flags::PRIORITY, "PRIORITY"),
        ]
        .into_iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| name)
        .collect(),
    };
    if !names.is_empty() {
        out.push(' ');
        out.push_str(&names.join("|"));
    }
    out
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::super::frames;
    use super::*;

    #[test]
    fn conditions_combine() {
        let m = Matcher::headers().stream(1).end_stream().no_flags(flags::PADDED);
        assert!(m.matches(&frames::headers_fragment(1, Bytes::new(), true, true)));
        assert!(!m.matches(&frames::headers_fragment(1, Bytes::new(), false, true)));
        assert!(!m.matches(&frames::headers_fragment(3, Bytes::new(), true, true)));
        assert!(!m.matches(&frames::data(1, b"", true)));
        assert!(Matcher::any().matches(&frames::unknown(0xee, 0, 0, b"")));
        assert!(Matcher::kind(FrameType(0xee)).flags(0x80).matches(&frames::unknown(0xee, 0x81, 0, b"")));
    }

    #[test]
    fn reason_applies_to_goaway_and_rst_only() {
        let m = Matcher::any().reason(Reason::REFUSED_STREAM);
        assert!(m.matches(&frames::rst(1, Reason::REFUSED_STREAM)));
        assert!(m.matches(&frames::go_away(1, Reason::REFUSED_STREAM)));
        assert!(!m.matches(&frames::ping([0; 8])));
    }

    #[test]
    fn settings_ack_and_not() {
        assert!(Matcher::settings().ack().matches(&frames::settings_ack()));
        assert!(!Matcher::settings().no_flags(flags::ACK).matches(&frames::settings_ack()));
        assert!(Matcher::settings().no_flags(flags::ACK).matches(&frames::settings()));
    }

    #[test]
    fn descriptions_are_readable() {
        let m = Matcher::go_away().reason(Reason::FRAME_SIZE_ERROR).when("debug data", |_| true);
        assert_eq!(m.to_string(), "GOAWAY FRAME_SIZE_ERROR where debug data");
        assert_eq!(describe(&frames::go_away(1, Reason::NO_ERROR)), "GOAWAY last=1 NO_ERROR");
        assert_eq!(
            describe(&frames::headers_fragment(3, Bytes::new(), true, true)),
            "HEADERS stream=3 END_STREAM|END_HEADERS"
        );
        assert_eq!(describe(&frames::settings_ack()), "SETTINGS ACK");
        assert_eq!(describe(&frames::data(1, b"ab", false)), "DATA stream=1 len=2");
    }
}
