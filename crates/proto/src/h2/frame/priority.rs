//! PRIORITY frames (RFC 9113 §6.3): deprecated, parsed and ignored.

use bytes::BytesMut;

use super::head::{FrameType, put_head};
use super::{PrioritySpec, StreamId};

/// A PRIORITY frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority {
    /// The stream whose priority is described.
    pub stream_id: StreamId,
    /// The priority fields.
    pub spec: PrioritySpec,
}

impl Priority {
    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        put_head(dst, 5, FrameType::PRIORITY, 0, self.stream_id);
        self.spec.encode(dst);
    }
}
