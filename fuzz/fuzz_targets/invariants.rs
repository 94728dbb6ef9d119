//! The event rules both connection targets check: a stream gets at most one
//! terminal event (`StreamEnded` or `StreamFailed`), nothing follows
//! `Closed`, and a closed connection has no stream left. It also collects
//! the streams failed as never sent, for targets that see the wire.

use std::collections::HashSet;

use baton_proto::h2::frame::StreamId;
use baton_proto::Processing;
use baton_proto::h2::{Connection, ConnectionState, Event};

#[derive(Default)]
pub struct Terminal {
    finished: HashSet<StreamId>,
    /// Streams failed as never sent: the server must never get their head.
    pub not_sent: HashSet<StreamId>,
    closed: bool,
}

impl Terminal {
    /// The stream ended by our own reset: no terminal event may follow.
    pub fn reset_locally(&mut self, id: StreamId) {
        self.finished.insert(id);
    }

    #[allow(dead_code)] // only `sequence` asks
    pub fn is_finished(&self, id: StreamId) -> bool {
        self.finished.contains(&id)
    }

    /// A terminal event for `id`, which must be its first.
    pub fn ended(&mut self, id: StreamId) {
        assert!(self.finished.insert(id), "two terminal events for {id}");
    }

    /// Takes every pending event and checks the rules; with `release`,
    /// received DATA is handed back at once (flow control never stalls).
    pub fn drain(&mut self, conn: &mut Connection, release: bool) {
        while let Some(event) = conn.poll_event() {
            assert!(!self.closed, "event after Closed: {event:?}");
            match event {
                Event::DataReceived { stream_id, data } if release => {
                    conn.release_capacity(stream_id, data.len());
                }
                Event::StreamEnded { stream_id } => self.ended(stream_id),
                Event::StreamFailed(f) => {
                    self.ended(f.stream_id);
                    if f.processing == Processing::NotSent {
                        self.not_sent.insert(f.stream_id);
                    }
                }
                Event::Closed(_) => self.closed = true,
                _ => {}
            }
        }
        if self.closed {
            assert_eq!(conn.state(), ConnectionState::Closed);
            assert_eq!(conn.active_streams(), 0, "streams left after Closed");
        }
    }
}
