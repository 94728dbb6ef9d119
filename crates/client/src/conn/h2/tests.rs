//! The driver's own time limits, on tokio's paused clock over an in-memory
//! transport (no kernel, so the clock moves only when the driver waits).

use std::sync::Arc;
use std::time::Duration;

use baton_proto::h2::frame::{GoAway, Settings};
use baton_proto::h2::{self as proto, Reason, StreamId};
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use super::spawn;
use crate::conn::FINAL_FLUSH;
use crate::stats::Counters;

/// A closed connection's last write is bounded by [`FINAL_FLUSH`]: a server
/// that never reads must not keep the driver task and its socket alive.
///
/// The transport holds 16 bytes, so the client's preface and SETTINGS
/// cannot all be written while the server reads nothing. The server then
/// says GOAWAY(PROTOCOL_ERROR): the engine closes at once, with bytes still
/// unwritten, and the driver must give up on them after `FINAL_FLUSH`.
#[tokio::test(start_paused = true)]
async fn a_server_that_stops_reading_cannot_keep_a_closed_connection_alive() {
    let (client_io, mut server_io) = tokio::io::duplex(16);
    let handle = spawn(client_io, 1, proto::Config::default(), Arc::default(), Arc::new(Counters::default()));
    let mut frames = BytesMut::new();
    Settings::default().encode(&mut frames);
    GoAway { last_stream_id: StreamId::ZERO, error_code: Reason::PROTOCOL_ERROR, debug_data: Bytes::new() }
        .encode(&mut frames);
    // Completes once the client has read all but the last 16 bytes.
    server_io.write_all(&frames).await.unwrap();
    let start = Instant::now();
    for _ in 0..100 {
        if handle.is_closed() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(handle.is_closed(), "the engine closed on the GOAWAY");
    assert_eq!(start.elapsed(), Duration::ZERO);
    // The driver owns the command queue's receiver: the queue closes when
    // the driver task ends and drops the transport.
    while !handle.tx.is_closed() {
        assert!(start.elapsed() < FINAL_FLUSH * 10, "the driver is still waiting to write");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = start.elapsed();
    assert!((FINAL_FLUSH..FINAL_FLUSH + Duration::from_millis(20)).contains(&took), "{took:?}");
    drop(server_io);
}
