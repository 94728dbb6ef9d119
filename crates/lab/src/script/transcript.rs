//! What the client sent during a script.

use std::fmt;

use baton_proto::h2::frame::{Frame, Settings, StreamId};

use super::matcher::{Matcher, describe};
use super::request::Request;

/// Everything the client sent on one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    /// The client's most recent SETTINGS (not ACK), if any arrived.
    pub settings: Option<Settings>,
    /// Every frame received, in order (the preface excluded).
    pub received: Vec<Frame>,
    /// Every request whose head arrived, in that order, complete or not
    /// (see [`Request::ended`]).
    pub requests: Vec<Request>,
}

impl Transcript {
    /// The first received frame that matches.
    pub fn find(&self, matcher: &Matcher) -> Option<&Frame> {
        self.received.iter().find(|f| matcher.matches(f))
    }

    /// How many received frames match.
    pub fn count(&self, matcher: &Matcher) -> usize {
        self.received.iter().filter(|f| matcher.matches(f)).count()
    }

    /// The request sent on `stream`.
    pub fn request(&self, stream: u32) -> Option<&Request> {
        self.requests.iter().find(|r| r.stream_id == StreamId::new(stream))
    }
}

impl fmt::Display for Transcript {
    /// One line per received frame, for assertion messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for frame in &self.received {
            writeln!(f, "{}", describe(frame))?;
        }
        Ok(())
    }
}
