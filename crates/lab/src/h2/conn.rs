//! Reading and deciding: the server connection's state and main loop.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use tokio::io::{AsyncRead, AsyncReadExt, ReadHalf};
use tokio::sync::mpsc;
use tokio::time::Instant;

use baton_proto::h2::PREFACE;
use baton_proto::h2::frame::{
    self, Frame, FrameDecoder, GoAway, Ping, Reason, RstStream, Settings, StreamId, WindowUpdate,
};
use baton_proto::h2::hpack;

use super::behaviour::Behaviour;
use super::writer::Out;
use crate::context::{ConnInfo, Shared};
use crate::ledger::REQUEST_ID_HEADER;
use crate::routes::Plan;

/// What we advertise. 1 MiB stream windows and a 16 MiB connection window
/// keep uploads flowing; request bodies are consumed (and the window
/// reopened) as they arrive.
pub(super) const STREAM_WINDOW: u32 = 1 << 20;
const CONNECTION_WINDOW: u32 = 16 << 20;
/// Default SETTINGS_MAX_CONCURRENT_STREAMS.
pub(super) const MAX_CONCURRENT: u32 = 128;
/// How long a closing connection keeps reading (and discarding) after its
/// FIN, like nginx's lingering close, so the client's last bytes do not turn
/// the close into a RST.
pub(super) const LINGER: Duration = Duration::from_secs(2);

/// A request being received.
#[derive(Debug, Default)]
pub(super) struct RequestHead {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) request_id: Option<String>,
}

/// Where a stream is.
#[derive(Debug)]
pub(super) enum StreamState {
    /// Head in, body arriving.
    Receiving { head: RequestHead, body: BytesMut },
    /// Dispatched; the response (or its next chunk) comes from a timer task.
    Waiting,
    /// The response is being written.
    Sending,
}

#[derive(Debug)]
pub(super) struct ServerStream {
    pub(super) state: StreamState,
    pub(super) send_window: i64,
    /// Response DATA waiting for window.
    pub(super) queue: VecDeque<Bytes>,
    /// END_STREAM goes out once `queue` is empty (with trailers if any).
    pub(super) end_queued: bool,
    pub(super) trailers: Option<HeaderMap>,
    pub(super) in_ready: bool,
    /// `disconnect at=mid-response`: close once this many body bytes went out.
    pub(super) cut_after: Option<usize>,
    pub(super) body_sent: usize,
}

/// Messages from the connection's timer tasks (delayed and paced responses).
#[derive(Debug)]
pub(super) enum Internal {
    /// The delay before a response is over.
    Respond(StreamId, Plan),
    /// One more chunk of a paced body; `last` ends it.
    Chunk(StreamId, Bytes, bool, Option<HeaderMap>),
}

/// A field block being reassembled (RFC 9113 §6.10).
#[derive(Debug)]
struct Partial {
    stream_id: StreamId,
    end_stream: bool,
    block: BytesMut,
}

pub(super) struct ServerConn {
    pub(super) shared: Arc<Shared>,
    pub(super) info: ConnInfo,
    pub(super) out: mpsc::UnboundedSender<Out>,
    pub(super) buf: BytesMut,
    pub(super) internal_tx: mpsc::UnboundedSender<Internal>,
    internal_rx: mpsc::UnboundedReceiver<Internal>,
    decoder: FrameDecoder,
    hpack_decoder: hpack::Decoder,
    pub(super) hpack_encoder: hpack::Encoder,
    read_buf: BytesMut,
    partial: Option<Partial>,
    pub(super) streams: HashMap<StreamId, ServerStream>,
    pub(super) ready: VecDeque<StreamId>,
    /// Highest stream id the client opened.
    pub(super) highest: StreamId,
    /// Requests received on this connection.
    pub(super) requests: u32,
    pub(super) conn_send_window: i64,
    pub(super) peer_initial_window: u32,
    pub(super) peer_max_frame: u32,
    recv_unacked: u32,
    pub(super) behaviour: Behaviour,
    /// Once set, the connection is winding down: FIN sent, reads discarded
    /// until EOF or this deadline.
    pub(super) lingering: Option<Instant>,
    /// Drop the connection now (RST when SO_LINGER 0 was set).
    pub(super) abort: bool,
}

impl ServerConn {
    pub(super) fn new(shared: Arc<Shared>, info: ConnInfo, out: mpsc::UnboundedSender<Out>) -> Self {
        let (internal_tx, internal_rx) = mpsc::unbounded_channel();
        let behaviour = Behaviour::new(&info.scenario, shared.max_concurrent_streams, info);
        Self {
            shared,
            info,
            out,
            buf: BytesMut::with_capacity(64 << 10),
            internal_tx,
            internal_rx,
            decoder: FrameDecoder::new(),
            hpack_decoder: hpack::Decoder::new(4_096),
            hpack_encoder: hpack::Encoder::new(),
            read_buf: BytesMut::with_capacity(64 << 10),
            partial: None,
            streams: HashMap::new(),
            ready: VecDeque::new(),
            highest: StreamId::ZERO,
            requests: 0,
            conn_send_window: 65_535,
            peer_initial_window: 65_535,
            peer_max_frame: frame::DEFAULT_MAX_FRAME_SIZE,
            recv_unacked: 0,
            behaviour,
            lingering: None,
            abort: false,
        }
    }

    /// Runs the connection: preface, SETTINGS, then frames until the client
    /// leaves or the scenario closes the connection.
    pub(super) async fn run<R: AsyncRead>(mut self, mut read: ReadHalf<R>) -> io::Result<()> {
        // RFC 9113 §3.4: the client preface first.
        while self.read_buf.len() < PREFACE.len() {
            if read.read_buf(&mut self.read_buf).await? == 0 {
                return Ok(());
            }
        }
        if &self.read_buf[..PREFACE.len()] != PREFACE {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "not an HTTP/2 preface"));
        }
        let _ = self.read_buf.split_to(PREFACE.len());
        self.send_preface();
        self.behaviour_on_start();
        loop {
            self.pack();
            self.flush();
            if self.abort {
                return Ok(());
            }
            let deadline = self.next_deadline();
            tokio::select! {
                read = read.read_buf(&mut self.read_buf) => {
                    match read {
                        Ok(0) | Err(_) => return Ok(()),
                        Ok(_) => {}
                    }
                    if self.lingering.is_some() {
                        self.read_buf.clear();
                        continue;
                    }
                    self.process_input();
                    if self.read_buf.capacity() - self.read_buf.len() < 16 << 10 {
                        self.read_buf.reserve(64 << 10);
                    }
                }
                Some(msg) = self.internal_rx.recv() => self.on_internal(msg),
                () = sleep_until(deadline), if deadline.is_some() => {
                    if self.lingering.is_some_and(|at| at <= Instant::now()) {
                        return Ok(());
                    }
                    self.on_timer();
                }
                () = self.behaviour.reloaded(), if self.behaviour.watches_reload() => self.on_reload(),
            }
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        [self.lingering, self.behaviour.deadline()].into_iter().flatten().min()
    }

    fn send_preface(&mut self) {
        let settings = Settings {
            max_concurrent_streams: Some(self.behaviour.initial_max_concurrent()),
            initial_window_size: Some(STREAM_WINDOW),
            ..Settings::default()
        };
        settings.encode(&mut self.buf);
        WindowUpdate { stream_id: StreamId::ZERO, increment: CONNECTION_WINDOW - 65_535 }
            .encode(&mut self.buf);
    }

    /// Hands what was encoded to the writer.
    pub(super) fn flush(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.out.send(Out::Bytes(self.buf.split().freeze()));
        }
    }

    fn process_input(&mut self) {
        while !self.abort && self.lingering.is_none() {
            match self.decoder.decode(&mut self.read_buf) {
                Ok(Some(frame)) => self.on_frame(frame),
                Ok(None) => return,
                Err(e) => match e.stream_id() {
                    Some(id) => self.reset(id, e.reason()),
                    None => return self.connection_error(e.reason(), &e.to_string()),
                },
            }
        }
    }

    /// RFC 9113 §5.4.1: GOAWAY with the code, then close.
    pub(super) fn connection_error(&mut self, reason: Reason, detail: &str) {
        GoAway {
            last_stream_id: self.highest,
            error_code: reason,
            debug_data: Bytes::copy_from_slice(detail.as_bytes()),
        }
        .encode(&mut self.buf);
        self.shared.ledger.go_away();
        self.close_gracefully();
    }

    pub(super) fn reset(&mut self, id: StreamId, reason: Reason) {
        RstStream { stream_id: id, reason }.encode(&mut self.buf);
        self.streams.remove(&id);
        self.after_stream_done();
    }

    /// FIN, then discard reads until the client closes or `LINGER` passes.
    pub(super) fn close_gracefully(&mut self) {
        if self.lingering.is_none() {
            self.flush();
            let _ = self.out.send(Out::Shutdown);
            self.lingering = Some(Instant::now() + LINGER);
        }
    }

    fn on_frame(&mut self, frame: Frame) {
        if let Some(p) = &self.partial {
            let id = p.stream_id;
            match frame {
                Frame::Continuation(c) if c.stream_id == id => {
                    if let Some(p) = self.partial.as_mut() {
                        p.block.extend_from_slice(&c.fragment);
                    }
                    if c.end_headers
                        && let Some(p) = self.partial.take()
                    {
                        self.on_field_block(p.stream_id, p.end_stream, p.block.freeze());
                    }
                }
                _ => self.connection_error(Reason::PROTOCOL_ERROR, "frame inside a field block"),
            }
            return;
        }
        match frame {
            Frame::Headers(h) => {
                if h.end_headers {
                    self.on_field_block(h.stream_id, h.end_stream, h.fragment);
                } else {
                    let mut block = BytesMut::new();
                    block.extend_from_slice(&h.fragment);
                    self.partial = Some(Partial { stream_id: h.stream_id, end_stream: h.end_stream, block });
                }
            }
            Frame::Continuation(_) => {
                self.connection_error(Reason::PROTOCOL_ERROR, "CONTINUATION without HEADERS")
            }
            Frame::Data(d) => self.on_data(d),
            Frame::Settings(s) => self.on_settings(s),
            Frame::Ping(p) => self.on_ping(p),
            Frame::WindowUpdate(w) => self.on_window_update(w),
            Frame::RstStream(r) => {
                // The client gave up on the stream: stop sending it.
                self.streams.remove(&r.stream_id);
                self.after_stream_done();
            }
            Frame::GoAway(_) => {
                // The client is leaving: finish what is open, take nothing new.
                self.behaviour.client_went_away = true;
                self.after_stream_done();
            }
            Frame::PushPromise(_) => {
                self.connection_error(Reason::PROTOCOL_ERROR, "PUSH_PROMISE from a client")
            }
            // RFC 9113 §4.1, §5.5: frame types we do not act on are ignored.
            _ => {}
        }
    }

    fn on_settings(&mut self, s: Settings) {
        if s.ack {
            self.behaviour_on_settings_ack();
            return;
        }
        if let Some(size) = s.header_table_size {
            self.hpack_encoder.set_max_table_size(size.min(4_096) as usize);
        }
        if let Some(size) = s.max_frame_size {
            self.peer_max_frame = size;
        }
        if let Some(size) = s.initial_window_size {
            // RFC 9113 §6.9.2: the delta applies to every open stream.
            let delta = i64::from(size) - i64::from(self.peer_initial_window);
            self.peer_initial_window = size;
            let ids: Vec<StreamId> = self.streams.keys().copied().collect();
            for id in ids {
                if let Some(st) = self.streams.get_mut(&id) {
                    st.send_window += delta;
                }
                self.mark_ready(id);
            }
        }
        Settings::ack().encode(&mut self.buf);
    }

    fn on_ping(&mut self, p: Ping) {
        if p.ack {
            self.behaviour_on_ping_ack(p.payload);
        } else {
            Ping { ack: true, payload: p.payload }.encode(&mut self.buf);
        }
    }

    fn on_window_update(&mut self, w: WindowUpdate) {
        if w.stream_id.is_zero() {
            self.conn_send_window += i64::from(w.increment);
            let ids: Vec<StreamId> = self.streams.keys().copied().collect();
            for id in ids {
                self.mark_ready(id);
            }
        } else if let Some(st) = self.streams.get_mut(&w.stream_id) {
            st.send_window += i64::from(w.increment);
            self.mark_ready(w.stream_id);
        }
    }

    /// Reopens our receive windows as request bytes are consumed (at once:
    /// the lab buffers bodies itself), in batches.
    fn consumed(&mut self, id: StreamId, n: u32, stream_open: bool) {
        if n == 0 {
            return;
        }
        self.recv_unacked += n;
        if self.recv_unacked >= CONNECTION_WINDOW / 4 {
            WindowUpdate { stream_id: StreamId::ZERO, increment: self.recv_unacked }.encode(&mut self.buf);
            self.recv_unacked = 0;
        }
        if stream_open {
            WindowUpdate { stream_id: id, increment: n }.encode(&mut self.buf);
        }
    }

    fn on_data(&mut self, d: frame::Data) {
        let id = d.stream_id;
        let flow = d.flow_controlled_len();
        let Some(stream) = self.streams.get_mut(&id) else {
            self.consumed(id, flow, false);
            return;
        };
        let StreamState::Receiving { body, .. } = &mut stream.state else {
            self.consumed(id, flow, false);
            return self.reset(id, Reason::STREAM_CLOSED);
        };
        body.extend_from_slice(&d.data);
        let received = body.len();
        self.consumed(id, flow, !d.end_stream);
        if self.behaviour_on_body(id, received) {
            return;
        }
        if d.end_stream {
            self.dispatch(id);
        }
    }

    fn on_field_block(&mut self, id: StreamId, end_stream: bool, block: Bytes) {
        let mut head = RequestHead::default();
        let decoded = self.hpack_decoder.decode(&block, |h| match &h.name[..] {
            b":method" => head.method = String::from_utf8_lossy(&h.value).into_owned(),
            b":path" => head.path = String::from_utf8_lossy(&h.value).into_owned(),
            name if name == REQUEST_ID_HEADER.as_bytes() => {
                head.request_id = Some(String::from_utf8_lossy(&h.value).into_owned())
            }
            _ => {}
        });
        if let Err(e) = decoded {
            return self.connection_error(Reason::COMPRESSION_ERROR, &e.to_string());
        }
        if let Some(stream) = self.streams.get_mut(&id) {
            // Request trailers end the body (RFC 9113 §8.1).
            if end_stream && matches!(stream.state, StreamState::Receiving { .. }) {
                self.dispatch(id);
            }
            return;
        }
        if id <= self.highest || !id.is_client_initiated() {
            return self.connection_error(Reason::PROTOCOL_ERROR, "HEADERS on a closed or even stream");
        }
        self.highest = id;
        self.requests += 1;
        self.shared.count_request();
        if head.method.is_empty() || head.path.is_empty() && head.method != "CONNECT" {
            return self.reset(id, Reason::PROTOCOL_ERROR);
        }
        if !self.behaviour_admit(id, end_stream, head.request_id.as_deref()) {
            return;
        }
        self.streams.insert(
            id,
            ServerStream {
                state: StreamState::Receiving { head, body: BytesMut::new() },
                send_window: i64::from(self.peer_initial_window),
                queue: VecDeque::new(),
                end_queued: false,
                trailers: None,
                in_ready: false,
                cut_after: None,
                body_sent: 0,
            },
        );
        self.behaviour_after_admit(id);
        if end_stream && self.streams.contains_key(&id) {
            self.dispatch(id);
        }
    }

    /// The request is complete: record it and start its response.
    fn dispatch(&mut self, id: StreamId) {
        let Some(stream) = self.streams.get_mut(&id) else { return };
        let StreamState::Receiving { head, body } =
            std::mem::replace(&mut stream.state, StreamState::Waiting)
        else {
            return;
        };
        self.shared
            .ledger
            .processed(crate::routes::ledger_id(&head.path, head.request_id.as_deref()).as_deref());
        let plan = crate::routes::plan(&head.path, &body.freeze());
        if head.method == "HEAD" {
            let plan = Plan { body: crate::routes::PlanBody::Full(Bytes::new()), ..plan };
            return self.start_response(id, plan, true);
        }
        self.start_response(id, plan, false);
    }

    fn on_internal(&mut self, msg: Internal) {
        match msg {
            Internal::Respond(id, plan) => self.start_response(id, plan, false),
            Internal::Chunk(id, chunk, last, trailers) => self.queue_chunk(id, chunk, last, trailers),
        }
    }

    pub(super) fn mark_ready(&mut self, id: StreamId) {
        if let Some(st) = self.streams.get_mut(&id)
            && !st.in_ready
            && (!st.queue.is_empty() || st.end_queued)
        {
            st.in_ready = true;
            self.ready.push_back(id);
        }
    }

    /// A stream finished or was dropped: a draining connection with nothing
    /// left closes as its scenario says.
    pub(super) fn after_stream_done(&mut self) {
        if self.streams.is_empty() {
            self.behaviour_on_idle();
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
