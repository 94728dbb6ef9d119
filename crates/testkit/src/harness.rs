//! The deterministic harness: one client [`Connection`], one scripted
//! [`Peer`], a simulated clock and a simulated wire with knobs for
//! fragmentation and truncation (quinn-proto's `Pair`, cut down to what a
//! client-only engine needs). No sockets, no sleeps: time moves only when a
//! test moves it.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Uri};

use baton_proto::h2::frame::{Frame, Settings, StreamId};
use baton_proto::h2::{Config, Connection, Event, StreamFailure};

use crate::Peer;

/// A client connection and the scripted server it talks to.
///
/// ```
/// use baton_testkit::{Pair, ended};
///
/// let mut pair = Pair::new(); // handshake done
/// let id = pair.get("/");
/// pair.flush(); // the request reaches the peer
/// let head = pair.peer.response(id.value(), "204", true);
/// pair.deliver(&[head]);
/// assert!(ended(&pair.events(), id));
/// ```
#[derive(Debug)]
pub struct Pair {
    /// The client connection under test.
    pub conn: Connection,
    /// The server end.
    pub peer: Peer,
    /// The simulated clock. Only differences between instants matter.
    pub now: Instant,
    /// The client transport accepts at most this many bytes per write.
    pub write_chunk: usize,
    /// After this many more bytes the client transport accepts nothing
    /// (a peer that stopped reading); `None` for no limit.
    pub write_budget: Option<usize>,
    /// Server bytes reach the client in pieces of this size.
    pub read_chunk: usize,
    /// Every frame the client wrote, in order.
    pub sent: Vec<Frame>,
}

impl Pair {
    /// A connection whose handshake is done: the peer has read the preface
    /// and SETTINGS, sent its own SETTINGS (default values) and the ACK.
    ///
    /// # Panics
    /// When the handshake does not go as RFC 9113 §3.4 and §6.5.3 say.
    #[allow(clippy::new_without_default)] // a handshake is no default
    pub fn new() -> Self {
        Self::with(Config::default(), Settings::default())
    }

    /// A handshaken connection with the given client config and server SETTINGS.
    ///
    /// # Panics
    /// As [`Self::new`].
    pub fn with(config: Config, server: Settings) -> Self {
        let mut pair = Self::start(config);
        if let Some(max) = server.max_frame_size {
            pair.peer.decoder.set_max_frame_size(max);
        }
        let frames = pair.flush();
        assert!(matches!(frames.first(), Some(Frame::Settings(s)) if !s.ack), "client SETTINGS first");
        pair.deliver(&[Frame::Settings(server), Frame::Settings(Settings::ack())]);
        let frames = pair.flush();
        assert!(frames.iter().any(|f| matches!(f, Frame::Settings(s) if s.ack)), "client ACKs SETTINGS");
        let events = pair.events();
        assert!(matches!(events.as_slice(), [Event::SettingsChanged { .. }]), "{events:?}");
        pair.sent.clear();
        pair
    }

    /// A connection before any byte moved.
    pub fn start(config: Config) -> Self {
        let now = Instant::now();
        Self {
            conn: Connection::new(config, now),
            peer: Peer::new(),
            now,
            write_chunk: usize::MAX,
            write_budget: None,
            read_chunk: usize::MAX,
            sent: Vec::new(),
        }
    }

    /// Writes what the client has to the peer, within the knobs, confirming
    /// each write to the connection. Returns the frames the peer decoded.
    pub fn flush(&mut self) -> Vec<Frame> {
        let mut wire = Vec::new();
        loop {
            let out = self.conn.poll_transmit(self.now);
            let mut n = out.len().min(self.write_chunk);
            if let Some(budget) = self.write_budget {
                n = n.min(budget);
            }
            if n == 0 {
                break;
            }
            wire.extend_from_slice(&out[..n]);
            self.conn.handle_written(n);
            if let Some(budget) = &mut self.write_budget {
                *budget -= n;
            }
        }
        let frames = self.peer.receive(&wire);
        self.sent.extend(frames.iter().cloned());
        frames
    }

    /// The peer sends `frames`; the client reads them in `read_chunk` pieces.
    pub fn deliver(&mut self, frames: &[Frame]) {
        let mut bytes = BytesMut::new();
        for f in frames {
            f.encode(&mut bytes);
        }
        self.deliver_bytes(&bytes);
    }

    /// The peer sends raw bytes (for malformed frames).
    pub fn deliver_bytes(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(self.read_chunk.max(1)) {
            self.conn.handle_read(chunk, self.now);
        }
    }

    /// Every event the client has pending.
    pub fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.conn.poll_event()).collect()
    }

    /// Moves the clock forward by `d` and runs due timers.
    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        self.conn.handle_timeout(self.now);
    }

    /// Jumps to the next timer and runs it; false when none is armed.
    pub fn step_timer(&mut self) -> bool {
        match self.conn.poll_timeout() {
            Some(at) => {
                self.now = self.now.max(at);
                self.conn.handle_timeout(self.now);
                true
            }
            None => false,
        }
    }

    /// Starts a request for `https://example.com{path}` with no header
    /// fields; `end_stream` false leaves the body to [`Connection::send_data`].
    ///
    /// # Panics
    /// When the connection refuses it.
    pub fn request(&mut self, method: Method, path: &str, end_stream: bool) -> StreamId {
        let uri: Uri = format!("https://example.com{path}").parse().unwrap();
        self.conn
            .send_request(&method, &uri, &HeaderMap::new(), end_stream, self.now)
            .expect("request accepted")
    }

    /// A GET without a body ([`Self::request`]).
    ///
    /// # Panics
    /// As [`Self::request`].
    pub fn get(&mut self, path: &str) -> StreamId {
        self.request(Method::GET, path, true)
    }

    /// A POST whose body is queued at once (`end` ends it).
    ///
    /// # Panics
    /// When the connection refuses the request or the body.
    pub fn post(&mut self, path: &str, body: &[u8], end: bool) -> StreamId {
        let id = self.request(Method::POST, path, false);
        self.conn.send_data(id, Bytes::copy_from_slice(body), end).expect("body accepted");
        id
    }
}

/// The failure reported for `id` among `events`.
///
/// # Panics
/// When there is none.
pub fn failure_of(events: &[Event], id: StreamId) -> StreamFailure {
    events
        .iter()
        .find_map(|e| match e {
            Event::StreamFailed(f) if f.stream_id == id => Some(f.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no failure for stream {id} in {events:#?}"))
}

/// True when `id` completed normally among `events`.
pub fn ended(events: &[Event], id: StreamId) -> bool {
    events.iter().any(|e| matches!(e, Event::StreamEnded { stream_id } if *stream_id == id))
}

/// Shorthand for a stream id.
pub fn sid(n: u32) -> StreamId {
    StreamId::new(n)
}
