//! Frame decoding from a read buffer split at any byte boundary.

use bytes::{Buf, Bytes, BytesMut};

use super::head::flags;
use super::{
    Continuation, DEFAULT_MAX_FRAME_SIZE, Data, Frame, FrameError, FrameHead, FrameType, GoAway, HEAD_LEN,
    Headers, MAX_MAX_FRAME_SIZE, MAX_WINDOW_SIZE, Ping, Priority, PrioritySpec, PushPromise, Reason,
    RstStream, SettingId, Settings, StreamId, Unknown, WindowUpdate,
};

/// Decodes frames from the front of a read buffer.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    max_frame_size: u32,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder that accepts frames up to the default 16,384-byte payload.
    pub fn new() -> Self {
        Self { max_frame_size: DEFAULT_MAX_FRAME_SIZE }
    }

    /// Sets the largest payload accepted: our advertised
    /// SETTINGS_MAX_FRAME_SIZE (RFC 9113 §4.2).
    pub fn set_max_frame_size(&mut self, max: u32) {
        self.max_frame_size = max;
    }

    /// The largest payload accepted.
    pub fn max_frame_size(&self) -> u32 {
        self.max_frame_size
    }

    /// Decodes the frame at the front of `buf`.
    ///
    /// Returns `Ok(None)` and leaves `buf` untouched until the whole frame is
    /// buffered; then removes the frame's bytes from `buf`. On an error the
    /// frame's bytes are removed too when its length was acceptable, so a
    /// stream error (`FrameError::stream_id` is `Some`) lets decoding go on.
    ///
    /// # Errors
    /// Any RFC 9113 §4/§6 framing violation, as a [`FrameError`].
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        let Some(head) = FrameHead::parse(buf) else {
            return Ok(None);
        };
        // §4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if a
        // frame exceeds the size defined in SETTINGS_MAX_FRAME_SIZE". Checked
        // as soon as the head is in, so an oversized frame is never buffered.
        // It is a connection error: the frame may carry a field block or
        // connection state, and its bytes cannot be skipped without reading it.
        if head.length > self.max_frame_size {
            return Err(FrameError::TooLarge {
                kind: head.kind,
                length: head.length,
                max: self.max_frame_size,
            });
        }
        // The length field is 24 bits, so this cannot overflow.
        let total = HEAD_LEN + head.length as usize;
        if buf.len() < total {
            return Ok(None);
        }
        // Fixed-layout frames are parsed in place and their bytes dropped;
        // the others are split off and frozen so their payload is a
        // zero-copy `Bytes` slice of the read buffer.
        let fixed: Option<FixedParser> = match head.kind {
            FrameType::PRIORITY => Some(priority),
            FrameType::RST_STREAM => Some(rst_stream),
            FrameType::SETTINGS => Some(settings),
            FrameType::PING => Some(ping),
            FrameType::WINDOW_UPDATE => Some(window_update),
            _ => None,
        };
        let frame = if let Some(parse) = fixed {
            let Some(payload) = buf.get(HEAD_LEN..total) else {
                return Ok(None);
            };
            let frame = parse(head, payload);
            buf.advance(total);
            frame
        } else {
            let mut payload = buf.split_to(total).freeze();
            payload.advance(HEAD_LEN);
            decode_shared(head, payload)
        };
        frame.map(Some)
    }
}

/// A parser for a frame type whose payload is only read, never kept.
type FixedParser = fn(FrameHead, &[u8]) -> Result<Frame, FrameError>;

/// Decodes a frame whose payload (or part of it) is kept as `Bytes`.
fn decode_shared(head: FrameHead, payload: Bytes) -> Result<Frame, FrameError> {
    match head.kind {
        FrameType::DATA => data(head, payload),
        FrameType::HEADERS => headers(head, payload),
        FrameType::PUSH_PROMISE => push_promise(head, payload),
        FrameType::GOAWAY => go_away(head, payload),
        FrameType::CONTINUATION => continuation(head, payload),
        // §4.1, §5.5: "Implementations MUST ignore and discard frames of
        // unknown types" — whatever their flags and stream. Discarding is the
        // connection's job; the frame is handed over intact.
        kind => Ok(Frame::Unknown(Unknown { kind, flags: head.flags, stream_id: head.stream_id, payload })),
    }
}

/// True when `flag` is set in the head's flags. Undefined flags are simply
/// never asked for: §4.1 "Flags that have no defined semantics for a
/// particular frame type MUST be ignored".
fn has(head: &FrameHead, flag: u8) -> bool {
    head.flags & flag != 0
}

fn bad_length(head: &FrameHead) -> FrameError {
    FrameError::BadLength { kind: head.kind, length: head.length }
}

fn bad_stream(head: &FrameHead) -> FrameError {
    FrameError::BadStreamId { kind: head.kind, stream_id: head.stream_id }
}

/// For frames that belong to a stream: stream 0 is a connection error of
/// type PROTOCOL_ERROR (§6.1, §6.2, §6.3, §6.4, §6.6, §6.10).
fn require_stream(head: &FrameHead) -> Result<StreamId, FrameError> {
    if head.stream_id.is_zero() { Err(bad_stream(head)) } else { Ok(head.stream_id) }
}

/// For connection frames: any other stream is a connection error of type
/// PROTOCOL_ERROR (§6.5, §6.7, §6.8).
fn require_connection(head: &FrameHead) -> Result<(), FrameError> {
    if head.stream_id.is_zero() { Ok(()) } else { Err(bad_stream(head)) }
}

/// Takes the first `N` bytes off `payload`, or `None` when it is shorter.
fn take<const N: usize>(payload: &mut Bytes) -> Option<[u8; N]> {
    let bytes = *payload.first_chunk::<N>()?;
    payload.advance(N);
    Some(bytes)
}

/// Reads the Pad Length field when PADDED is set (§6.1, §6.2, §6.6). A
/// padded frame too short to hold it lacks mandatory data: FRAME_SIZE_ERROR
/// (§4.2 "too small to contain mandatory frame data").
fn pad_len(head: &FrameHead, payload: &mut Bytes) -> Result<Option<u8>, FrameError> {
    if !has(head, flags::PADDED) {
        return Ok(None);
    }
    let [pad] = take::<1>(payload).ok_or_else(|| bad_length(head))?;
    Ok(Some(pad))
}

/// Removes `pad` bytes of padding from the end of what is left of the
/// payload once the fixed fields are read. §6.1: padding "the length of the
/// frame payload or greater" is a connection error of type PROTOCOL_ERROR;
/// §6.2, §6.6: so is padding that "exceeds the size remaining for the
/// field block fragment". Both come to: more padding than bytes left.
fn strip_padding(head: &FrameHead, pad: Option<u8>, payload: &mut Bytes) -> Result<(), FrameError> {
    let Some(pad) = pad else {
        return Ok(());
    };
    let keep =
        payload.len().checked_sub(usize::from(pad)).ok_or(FrameError::PaddingTooLong { kind: head.kind })?;
    payload.truncate(keep);
    Ok(())
}

/// Parses the 5-byte Stream Dependency / E / Weight fields (§5.3.2, §6.2, §6.3).
fn priority_spec(bytes: [u8; 5]) -> PrioritySpec {
    let [d0, d1, d2, d3, weight] = bytes;
    let dep = u32::from_be_bytes([d0, d1, d2, d3]);
    PrioritySpec { dependency: StreamId::new(dep), exclusive: dep & (1 << 31) != 0, weight }
}

/// DATA (§6.1). The hot path: no allocation, the data is a slice of the
/// frozen frame.
fn data(head: FrameHead, mut payload: Bytes) -> Result<Frame, FrameError> {
    // §6.1: "If a DATA frame is received whose Stream Identifier field is
    // 0x00, the recipient MUST respond with a connection error of type
    // PROTOCOL_ERROR."
    let stream_id = require_stream(&head)?;
    let pad_len = pad_len(&head, &mut payload)?;
    strip_padding(&head, pad_len, &mut payload)?;
    Ok(Frame::Data(Data { stream_id, data: payload, end_stream: has(&head, flags::END_STREAM), pad_len }))
}

/// HEADERS (§6.2).
fn headers(head: FrameHead, mut payload: Bytes) -> Result<Frame, FrameError> {
    // §6.2: HEADERS on stream 0 is a connection error of type PROTOCOL_ERROR.
    let stream_id = require_stream(&head)?;
    let pad_len = pad_len(&head, &mut payload)?;
    let priority = if has(&head, flags::PRIORITY) {
        // §6.2: with the PRIORITY flag the 5 priority bytes are mandatory;
        // a frame too short for them is a FRAME_SIZE_ERROR (§4.2), and a
        // connection error since HEADERS carries a field block.
        Some(priority_spec(take::<5>(&mut payload).ok_or_else(|| bad_length(&head))?))
    } else {
        None
    };
    strip_padding(&head, pad_len, &mut payload)?;
    let frame = Headers {
        stream_id,
        end_stream: has(&head, flags::END_STREAM),
        end_headers: has(&head, flags::END_HEADERS),
        priority,
        pad_len,
        fragment: payload,
    };
    // §5.3.1: "A stream cannot depend on itself. An endpoint MUST treat this
    // as a stream error of type PROTOCOL_ERROR." The frame travels with the
    // error so its field block can still be decompressed (§4.3).
    if priority.is_some_and(|p| p.dependency == stream_id) {
        return Err(FrameError::SelfDependentHeaders { frame: Box::new(frame) });
    }
    Ok(Frame::Headers(frame))
}

/// PRIORITY (§6.3).
fn priority(head: FrameHead, payload: &[u8]) -> Result<Frame, FrameError> {
    // §6.3: "If a PRIORITY frame is received with a stream identifier of
    // 0x00, the recipient MUST respond with a connection error of type
    // PROTOCOL_ERROR."
    let stream_id = require_stream(&head)?;
    // §6.3: "A PRIORITY frame with a length other than 5 octets MUST be
    // treated as a stream error of type FRAME_SIZE_ERROR."
    let Ok(bytes) = <[u8; 5]>::try_from(payload) else {
        return Err(FrameError::BadPriorityLength { stream_id, length: head.length });
    };
    let spec = priority_spec(bytes);
    // §5.3.1: self-dependency is a stream error of type PROTOCOL_ERROR.
    if spec.dependency == stream_id {
        return Err(FrameError::SelfDependency { stream_id });
    }
    Ok(Frame::Priority(Priority { stream_id, spec }))
}

/// RST_STREAM (§6.4).
fn rst_stream(head: FrameHead, payload: &[u8]) -> Result<Frame, FrameError> {
    // §6.4: RST_STREAM on stream 0 is a connection error of type PROTOCOL_ERROR.
    let stream_id = require_stream(&head)?;
    // §6.4: "A RST_STREAM frame with a length other than 4 octets MUST be
    // treated as a connection error of type FRAME_SIZE_ERROR."
    let Ok(code) = <[u8; 4]>::try_from(payload) else {
        return Err(bad_length(&head));
    };
    Ok(Frame::RstStream(RstStream { stream_id, reason: Reason::new(u32::from_be_bytes(code)) }))
}

/// SETTINGS (§6.5).
fn settings(head: FrameHead, mut payload: &[u8]) -> Result<Frame, FrameError> {
    // §6.5: a SETTINGS frame on any stream but 0 is a connection error of
    // type PROTOCOL_ERROR.
    require_connection(&head)?;
    if has(&head, flags::ACK) {
        // §6.5: "Receipt of a SETTINGS frame with the ACK flag set and a
        // length field value other than 0 MUST be treated as a connection
        // error of type FRAME_SIZE_ERROR."
        if !payload.is_empty() {
            return Err(FrameError::SettingsAckWithPayload);
        }
        return Ok(Frame::Settings(Settings::ack()));
    }
    // §6.5: "A SETTINGS frame with a length other than a multiple of 6
    // octets MUST be treated as a connection error of type FRAME_SIZE_ERROR."
    if payload.len() % 6 != 0 {
        return Err(bad_length(&head));
    }
    let mut settings = Settings::default();
    while let Some((&[i0, i1, v0, v1, v2, v3], rest)) = payload.split_first_chunk::<6>() {
        payload = rest;
        let id = SettingId(u16::from_be_bytes([i0, i1]));
        let value = u32::from_be_bytes([v0, v1, v2, v3]);
        let valid = match id {
            // §6.5.2: "Any value other than 0 or 1 MUST be treated as a
            // connection error of type PROTOCOL_ERROR."
            SettingId::ENABLE_PUSH => value <= 1,
            // §6.5.2: "Values above the maximum flow-control window size of
            // 2^31-1 MUST be treated as a connection error of type
            // FLOW_CONTROL_ERROR." (FrameError::reason maps id 0x4 to it.)
            SettingId::INITIAL_WINDOW_SIZE => value <= MAX_WINDOW_SIZE,
            // §6.5.2: values outside 2^14 ..= 2^24-1 are a connection error
            // of type PROTOCOL_ERROR.
            SettingId::MAX_FRAME_SIZE => (DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&value),
            // RFC 8441 §3: "The value of the parameter MUST be 0 or 1";
            // anything else is treated as a PROTOCOL_ERROR.
            SettingId::ENABLE_CONNECT_PROTOCOL => value <= 1,
            // §6.5.2: "An endpoint that receives a SETTINGS frame with any
            // unknown or unsupported identifier MUST ignore that setting."
            // (`Settings::set` counts them.)
            _ => true,
        };
        if !valid {
            return Err(FrameError::BadSetting { id: id.0, value });
        }
        settings.set(id, value);
    }
    Ok(Frame::Settings(settings))
}

/// PUSH_PROMISE (§6.6).
fn push_promise(head: FrameHead, mut payload: Bytes) -> Result<Frame, FrameError> {
    // §6.6: PUSH_PROMISE on stream 0 is a connection error of type
    // PROTOCOL_ERROR.
    let stream_id = require_stream(&head)?;
    let pad_len = pad_len(&head, &mut payload)?;
    // §6.6: the 4-byte Promised Stream ID is mandatory (§4.2 FRAME_SIZE_ERROR
    // otherwise, a connection error as the frame carries a field block).
    let promised = take::<4>(&mut payload).ok_or_else(|| bad_length(&head))?;
    strip_padding(&head, pad_len, &mut payload)?;
    Ok(Frame::PushPromise(PushPromise {
        stream_id,
        // §6.6: the reserved bit before the Promised Stream ID is ignored.
        promised_id: StreamId::new(u32::from_be_bytes(promised)),
        end_headers: has(&head, flags::END_HEADERS),
        pad_len,
        fragment: payload,
    }))
}

/// PING (§6.7).
fn ping(head: FrameHead, payload: &[u8]) -> Result<Frame, FrameError> {
    // §6.7: "If a PING frame is received with a Stream Identifier field value
    // other than 0x00, the recipient MUST respond with a connection error of
    // type PROTOCOL_ERROR."
    require_connection(&head)?;
    // §6.7: "Receipt of a PING frame with a length field value other than 8
    // MUST be treated as a connection error of type FRAME_SIZE_ERROR."
    let Ok(payload) = <[u8; 8]>::try_from(payload) else {
        return Err(bad_length(&head));
    };
    Ok(Frame::Ping(Ping { ack: has(&head, flags::ACK), payload }))
}

/// GOAWAY (§6.8).
fn go_away(head: FrameHead, mut payload: Bytes) -> Result<Frame, FrameError> {
    // §6.8: "An endpoint MUST treat a GOAWAY frame with a stream identifier
    // other than 0x00 as a connection error of type PROTOCOL_ERROR."
    require_connection(&head)?;
    // §6.8: Last-Stream-ID and Error Code (8 bytes) are mandatory; a shorter
    // frame is a FRAME_SIZE_ERROR (§4.2), a connection error on stream 0.
    let fixed = take::<8>(&mut payload).ok_or_else(|| bad_length(&head))?;
    let [l0, l1, l2, l3, e0, e1, e2, e3] = fixed;
    Ok(Frame::GoAway(GoAway {
        // §6.8: the reserved bit before Last-Stream-ID is ignored.
        last_stream_id: StreamId::new(u32::from_be_bytes([l0, l1, l2, l3])),
        error_code: Reason::new(u32::from_be_bytes([e0, e1, e2, e3])),
        debug_data: payload,
    }))
}

/// WINDOW_UPDATE (§6.9). Any stream id is allowed: 0 is the connection window.
fn window_update(head: FrameHead, payload: &[u8]) -> Result<Frame, FrameError> {
    // §6.9: "A WINDOW_UPDATE frame with a length other than 4 octets MUST be
    // treated as a connection error of type FRAME_SIZE_ERROR."
    let Ok(bytes) = <[u8; 4]>::try_from(payload) else {
        return Err(bad_length(&head));
    };
    // §6.9: the reserved bit is ignored.
    let increment = u32::from_be_bytes(bytes) & MAX_WINDOW_SIZE;
    // §6.9: "A receiver MUST treat the receipt of a WINDOW_UPDATE frame with
    // a flow-control window increment of 0 as a stream error of type
    // PROTOCOL_ERROR; errors on the connection flow-control window MUST be
    // treated as a connection error." `FrameError::stream_id` tells which.
    if increment == 0 {
        return Err(FrameError::ZeroWindowIncrement { stream_id: head.stream_id });
    }
    Ok(Frame::WindowUpdate(WindowUpdate { stream_id: head.stream_id, increment }))
}

/// CONTINUATION (§6.10).
fn continuation(head: FrameHead, payload: Bytes) -> Result<Frame, FrameError> {
    // §6.10: CONTINUATION on stream 0 is a connection error of type
    // PROTOCOL_ERROR. (Sequencing — that it follows HEADERS / PUSH_PROMISE /
    // CONTINUATION without END_HEADERS on the same stream — is checked by
    // the connection, which sees the frame sequence.)
    let stream_id = require_stream(&head)?;
    Ok(Frame::Continuation(Continuation {
        stream_id,
        end_headers: has(&head, flags::END_HEADERS),
        fragment: payload,
    }))
}
