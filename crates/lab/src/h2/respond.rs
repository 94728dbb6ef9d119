//! Writing responses: the head through HPACK, the body as DATA frames within
//! the client's flow-control windows (RFC 9113 §5.2, §6.9), round-robin
//! across streams, then trailers or END_STREAM.

use bytes::{Bytes, BytesMut};
use http::HeaderMap;

use baton_proto::h2::frame::{self, Data, StreamId};
use baton_proto::h2::hpack::HeaderRef;

use super::conn::{Internal, ServerConn, StreamState};
use crate::routes::{Plan, PlanBody};

impl ServerConn {
    /// Starts the response for `id`: after the plan's delay, the head, then
    /// the body (all at once, or chunk by chunk from a timer task).
    pub(super) fn start_response(&mut self, id: StreamId, plan: Plan, head_only: bool) {
        if !plan.delay.is_zero() {
            let tx = self.internal_tx.clone();
            let delay = plan.delay;
            let plan = Plan { delay: std::time::Duration::ZERO, ..plan };
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = tx.send(Internal::Respond(id, plan));
            });
            return;
        }
        let Some(stream) = self.streams.get_mut(&id) else { return };
        stream.state = StreamState::Sending;
        let body_len = plan.body.len();
        if stream.cut_after == Some(0) {
            // disconnect at=mid-response: stop half-way through the body.
            stream.cut_after = Some((body_len / 2).max(1));
        }
        let no_body = head_only || plan.body.is_empty() && plan.trailers.is_none();
        self.encode_head(id, &plan, no_body, head_only);
        if no_body {
            self.streams.remove(&id);
            return self.after_stream_done();
        }
        match plan.body {
            PlanBody::Full(body) => self.queue_chunk(id, body, true, plan.trailers),
            PlanBody::Paced { chunk, count, interval } => {
                let tx = self.internal_tx.clone();
                let trailers = plan.trailers;
                tokio::spawn(async move {
                    for i in 0..count {
                        if i > 0 {
                            tokio::time::sleep(interval).await;
                        }
                        let last = i + 1 == count;
                        let t = if last { trailers.clone() } else { None };
                        if tx.send(Internal::Chunk(id, chunk.clone(), last, t)).is_err() {
                            return;
                        }
                    }
                });
            }
        }
    }

    fn encode_head(&mut self, id: StreamId, plan: &Plan, end_stream: bool, head_only: bool) {
        let status = plan.status.as_str().as_bytes();
        let length = plan.body.len().to_string();
        let mut block = BytesMut::with_capacity(64);
        let pseudo = std::iter::once(HeaderRef { name: b":status", value: status, sensitive: false });
        let length_field = (matches!(plan.body, PlanBody::Full(_)) && !head_only).then_some(HeaderRef {
            name: b"content-length",
            value: length.as_bytes(),
            sensitive: false,
        });
        let regular = plan.headers.iter().map(|(n, v)| HeaderRef {
            name: n.as_str().as_bytes(),
            value: v.as_bytes(),
            sensitive: false,
        });
        self.hpack_encoder.encode(pseudo.chain(length_field).chain(regular), &mut block);
        frame::encode_field_block(&mut self.buf, id, &block, end_stream, self.peer_max_frame);
    }

    /// Queues body bytes for `id`; `last` ends the body (with trailers).
    pub(super) fn queue_chunk(
        &mut self,
        id: StreamId,
        chunk: Bytes,
        last: bool,
        trailers: Option<HeaderMap>,
    ) {
        let Some(stream) = self.streams.get_mut(&id) else { return };
        if !chunk.is_empty() {
            stream.queue.push_back(chunk);
        }
        if last {
            stream.end_queued = true;
            stream.trailers = trailers;
        }
        self.mark_ready(id);
    }

    /// Encodes DATA frames for ready streams as the windows allow, one frame
    /// per stream per turn.
    pub(super) fn pack(&mut self) {
        while let Some(id) = self.ready.pop_front() {
            if self.abort || self.lingering.is_some() {
                self.ready.clear();
                return;
            }
            let max_frame = self.peer_max_frame as i64;
            let conn_window = self.conn_send_window;
            let Some(st) = self.streams.get_mut(&id) else { continue };
            st.in_ready = false;
            if let Some(front) = st.queue.front_mut() {
                let n = (front.len() as i64).min(st.send_window).min(conn_window).min(max_frame);
                if n <= 0 {
                    if conn_window <= 0 {
                        // Blocked on the connection: this stream goes back
                        // first in line, and the queue waits as it is for a
                        // WINDOW_UPDATE on stream 0 (which marks the streams
                        // not in it ready too). Clearing the queue here left
                        // its streams flagged as queued, and no update ever
                        // marked them ready again: the responses stalled.
                        st.in_ready = true;
                        self.ready.push_front(id);
                        return;
                    }
                    continue;
                }
                let chunk = front.split_to(n as usize);
                if front.is_empty() {
                    st.queue.pop_front();
                }
                let end = st.queue.is_empty() && st.end_queued && st.trailers.is_none();
                Data::encode_slice(&mut self.buf, id, &chunk, end);
                st.send_window -= n;
                self.conn_send_window -= n;
                st.body_sent += n as usize;
                if st.cut_after.is_some_and(|cut| st.body_sent >= cut) {
                    // No GOAWAY, no END_STREAM: the connection just ends.
                    return self.close_gracefully();
                }
                if end {
                    self.streams.remove(&id);
                    self.after_stream_done();
                } else {
                    self.mark_ready(id);
                }
            } else if st.end_queued {
                match st.trailers.take() {
                    Some(trailers) => {
                        let mut block = BytesMut::new();
                        let fields = trailers.iter().map(|(n, v)| HeaderRef {
                            name: n.as_str().as_bytes(),
                            value: v.as_bytes(),
                            sensitive: false,
                        });
                        self.hpack_encoder.encode(fields, &mut block);
                        frame::encode_field_block(&mut self.buf, id, &block, true, self.peer_max_frame);
                    }
                    None => Data::encode_slice(&mut self.buf, id, &[], true),
                }
                self.streams.remove(&id);
                self.after_stream_done();
            }
        }
    }
}
