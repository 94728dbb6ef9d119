//! Field blocks as a server receives them: a HEADERS frame and the
//! CONTINUATION frames after it, joined into one block (RFC 9113 §4.3),
//! with the rule that nothing comes between them (§6.10) checked.

use std::fmt;

use bytes::{Bytes, BytesMut};

use baton_proto::h2::frame::{Frame, StreamId};

/// A whole field block: its stream, whether its HEADERS frame carried
/// END_STREAM, and its fragments joined, still HPACK-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldBlock {
    /// The stream the block was sent on.
    pub stream_id: StreamId,
    /// END_STREAM on the block's HEADERS frame.
    pub end_stream: bool,
    /// The HEADERS fragment and every CONTINUATION fragment, in order.
    pub fragment: Bytes,
}

/// A sender broke the field-block rules of RFC 9113 §6.10 (a connection
/// error of type PROTOCOL_ERROR for a real receiver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockError {
    /// A frame other than a CONTINUATION on the block's stream came while
    /// the block on `stream_id` was open.
    Interrupted {
        /// The stream of the open block.
        stream_id: StreamId,
        /// The frame that came instead.
        frame: Box<Frame>,
    },
    /// A CONTINUATION on `stream_id` came with no block open.
    StrayContinuation {
        /// The CONTINUATION's stream.
        stream_id: StreamId,
    },
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Interrupted { stream_id, frame } => write!(
                f,
                "{} frame inside the field block of stream {stream_id} (RFC 9113 §6.10)",
                frame.kind()
            ),
            Self::StrayContinuation { stream_id } => {
                write!(f, "CONTINUATION on stream {stream_id} outside a field block (RFC 9113 §6.10)")
            }
        }
    }
}

impl std::error::Error for BlockError {}

/// Joins the field blocks of one connection, frame by frame.
///
/// ```
/// use bytes::Bytes;
/// use baton_testkit::{FieldBlocks, frames};
///
/// let mut blocks = FieldBlocks::default();
/// let head = frames::headers_fragment(1, Bytes::from_static(b"\x82"), true, false);
/// assert_eq!(blocks.observe(&head), Ok(None));
/// assert_eq!(blocks.open(), Some(baton_proto::h2::StreamId::new(1)));
/// // RFC 9113 §6.10: nothing may come between a block's frames.
/// assert!(blocks.observe(&frames::ping([0; 8])).is_err());
/// let block = blocks.observe(&frames::continuation(1, Bytes::from_static(b"\x84"), true));
/// assert_eq!(block.unwrap().unwrap().fragment, Bytes::from_static(b"\x82\x84"));
/// ```
#[derive(Debug, Default)]
pub struct FieldBlocks {
    open: Option<Open>,
}

/// A block begun and not yet ended.
#[derive(Debug)]
struct Open {
    stream_id: StreamId,
    end_stream: bool,
    fragments: BytesMut,
}

impl FieldBlocks {
    /// The stream of the block begun and not yet ended, if any.
    pub fn open(&self) -> Option<StreamId> {
        self.open.as_ref().map(|o| o.stream_id)
    }

    /// Feeds one received frame (any type); returns the block it completes.
    /// After an error the open block, if any, stays open.
    ///
    /// # Errors
    /// When `frame` breaks RFC 9113 §6.10.
    pub fn observe(&mut self, frame: &Frame) -> Result<Option<FieldBlock>, BlockError> {
        if let Some(open) = &self.open
            && !matches!(frame, Frame::Continuation(c) if c.stream_id == open.stream_id)
        {
            return Err(BlockError::Interrupted {
                stream_id: open.stream_id,
                frame: Box::new(frame.clone()),
            });
        }
        let (open, end_headers) = match frame {
            Frame::Headers(h) => (
                Open {
                    stream_id: h.stream_id,
                    end_stream: h.end_stream,
                    fragments: BytesMut::from(&h.fragment[..]),
                },
                h.end_headers,
            ),
            Frame::Continuation(c) => {
                let Some(mut open) = self.open.take() else {
                    return Err(BlockError::StrayContinuation { stream_id: c.stream_id });
                };
                open.fragments.extend_from_slice(&c.fragment);
                (open, c.end_headers)
            }
            _ => return Ok(None),
        };
        if end_headers {
            Ok(Some(FieldBlock {
                stream_id: open.stream_id,
                end_stream: open.end_stream,
                fragment: open.fragments.freeze(),
            }))
        } else {
            self.open = Some(open);
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames;

    #[test]
    fn a_whole_headers_frame_is_a_block() {
        let mut blocks = FieldBlocks::default();
        let block = blocks.observe(&frames::headers_fragment(3, Bytes::from_static(b"\x88"), false, true));
        assert_eq!(
            block,
            Ok(Some(FieldBlock {
                stream_id: StreamId::new(3),
                end_stream: false,
                fragment: Bytes::from_static(b"\x88")
            }))
        );
        assert_eq!(blocks.open(), None);
        assert_eq!(blocks.observe(&frames::data(3, b"x", true)), Ok(None));
    }

    #[test]
    fn interruptions_and_stray_continuations_are_errors() {
        let mut blocks = FieldBlocks::default();
        let err = blocks.observe(&frames::continuation(1, Bytes::new(), true)).unwrap_err();
        assert_eq!(err, BlockError::StrayContinuation { stream_id: StreamId::new(1) });
        blocks.observe(&frames::headers_fragment(1, Bytes::new(), true, false)).unwrap();
        // A CONTINUATION on another stream interrupts the block too.
        let err = blocks.observe(&frames::continuation(3, Bytes::new(), true)).unwrap_err();
        assert!(matches!(err, BlockError::Interrupted { stream_id, .. } if stream_id == StreamId::new(1)));
        assert_eq!(err.to_string(), "CONTINUATION frame inside the field block of stream 1 (RFC 9113 §6.10)");
        assert_eq!(blocks.open(), Some(StreamId::new(1)));
    }
}
