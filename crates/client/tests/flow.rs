//! HTTP/2 receive windows (RFC 9113 §5.2, §6.9) against a scripted server
//! that honours them: what a response's reader never reads is given back.

use std::time::Duration;

use baton::Client;
use baton_lab::script::{Frame, Matcher, ScriptConn, ScriptServer, Settings, frames};

/// A stream's whole receive window (the client's SETTINGS_INITIAL_WINDOW_SIZE).
const BIG: usize = 1 << 20;
/// Pairs of requests; each leaves a `BIG` body unread. More than the
/// connection's 16 MiB window holds.
const PAIRS: usize = 20;
const FRAME: usize = 16 << 10;

/// The client's connection receive window as the server sees it: 65,535
/// (RFC 9113 §6.9.2) plus every WINDOW_UPDATE on stream 0 received so far.
struct ConnWindow {
    open: i64,
    seen: usize,
}

impl ConnWindow {
    fn new() -> Self {
        Self { open: 65_535, seen: 0 }
    }

    /// Counts the frames `conn` received since the last look.
    fn update(&mut self, conn: &ScriptConn) {
        for frame in &conn.received()[self.seen..] {
            if let Frame::WindowUpdate(w) = frame {
                if w.stream_id.value() == 0 {
                    self.open += i64::from(w.increment);
                }
            }
        }
        self.seen = conn.received().len();
    }

    /// Sends `body` as DATA on `stream`, never beyond the window: waits for
    /// the client's WINDOW_UPDATEs when it is shut.
    async fn send(&mut self, conn: &mut ScriptConn, stream: u32, body: &[u8], sent_so_far: &mut usize) {
        let chunks: Vec<&[u8]> = body.chunks(FRAME).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            self.update(conn);
            while self.open < chunk.len() as i64 {
                let frame = conn.recv_frame().await.unwrap_or_else(|e| {
                    panic!(
                        "the client stopped opening its connection window after {} MiB: {e}",
                        *sent_so_far >> 20
                    )
                });
                assert!(frame.is_some(), "the client closed the connection");
                self.update(conn);
            }
            conn.send(frames::data(stream, chunk, i + 1 == chunks.len())).await.unwrap();
            self.open -= chunk.len() as i64;
            *sent_so_far += chunk.len();
        }
    }
}

/// A response dropped with its body unread must give that body's bytes
/// back to the connection window. Each pair's `/big` body is all delivered
/// (its last DATA comes before `/small`'s HEADERS, and the client reads
/// frames in order) before the caller, holding both responses, drops the
/// big one unread. Were those bytes kept, 16 pairs would shut the
/// connection's 16 MiB window for good, and every stream on it would stall.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_dropped_unread_gives_its_window_back() {
    let server = ScriptServer::bind().await.unwrap().with_timeout(Duration::from_secs(5));
    let (big_url, small_url) = (format!("{}/big", server.url()), format!("{}/small", server.url()));
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        conn.handshake(Settings::default()).await.unwrap();
        let mut window = ConnWindow::new();
        let big = vec![b'x'; BIG];
        let mut sent = 0;
        for _ in 0..PAIRS {
            let first = conn.recv_request_head().await.unwrap();
            let second = conn.recv_request_head().await.unwrap();
            let (big_req, small_req) =
                if first.path() == Some("/big") { (first, second) } else { (second, first) };
            let (big_id, small_id) = (big_req.stream_id.value(), small_req.stream_id.value());
            conn.send_headers(big_id, &[(":status", "200")], false).await.unwrap();
            window.send(&mut conn, big_id, &big, &mut sent).await;
            conn.send_headers(small_id, &[(":status", "200")], false).await.unwrap();
            window.send(&mut conn, small_id, b"ok", &mut sent).await;
        }
        sent
    });
    let client = Client::builder().http2_prior_knowledge().timeout(Duration::from_secs(10)).build().unwrap();
    for pair in 0..PAIRS {
        let (big, small) = tokio::join!(client.get(&big_url).send(), client.get(&small_url).send());
        let (big, small) = (big.unwrap(), small.unwrap());
        assert_eq!(small.text().await.unwrap(), "ok", "pair {pair}");
        drop(big);
    }
    let sent = script.await.unwrap();
    assert_eq!(sent, PAIRS * (BIG + 2));
}

/// Sixteen 1 MB responses at once on one connection: together they need
/// the connection window reopened while they run (its 16 MiB hold them
/// only just), and every one arrives whole. The lab used to stall here: a
/// stream blocked on the connection window dropped the queue of streams
/// ready to send, and no WINDOW_UPDATE ever woke them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_large_responses_at_once_all_arrive() {
    let lab = baton_lab::Lab::start(baton_lab::LabOptions::new(baton_lab::Scenario::Normal)).await.unwrap();
    let client = Client::builder().http2_prior_knowledge().max_connections_per_origin(1).build().unwrap();
    let url = lab.url("/bytes/1000000");
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut total = 0;
            for _ in 0..4 {
                total += client.get(&url).send().await.unwrap().bytes().await.unwrap().len();
            }
            total
        }));
    }
    // A guard against a hang, not a speed check: the whole run takes well
    // under a second here.
    let all = tokio::time::timeout(Duration::from_secs(60), async {
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    })
    .await
    .expect("responses stalled");
    assert_eq!(all, 64 * 1_000_000);
    assert_eq!(client.stats().connections_opened, 1, "one connection carried them all");
    lab.stop().await;
}

/// Bodies read to their end hand their bytes back to the connection window
/// without a command each (`conn/h2/credit.rs`), yet a response that waits
/// on that window still gets it. Fifteen small bodies fill the client's
/// 65,535-byte connection window exactly. Once the client has taken them
/// all in (it answered a PING sent after them, and frames are read in
/// order), the caller reads them, and then nothing else reaches the
/// driver: no request, no DATA (the window is shut), no stream-level
/// credit (those streams have ended). Only the readers' handing back can
/// reopen the window for the large body behind them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_read_to_their_end_reopen_a_shut_connection_window() {
    const SMALLS: usize = 15;
    const SMALL: usize = 65_535 / SMALLS;
    const LARGE: usize = 200_000;
    let server = ScriptServer::bind().await.unwrap().with_timeout(Duration::from_secs(5));
    let url = server.url();
    let (delivered_tx, delivered) = tokio::sync::watch::channel(false);
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        conn.handshake(Settings::default()).await.unwrap();
        let mut window = ConnWindow::new();
        let (mut smalls, mut large) = (Vec::new(), None);
        for _ in 0..=SMALLS {
            let head = conn.recv_request_head().await.unwrap();
            if head.path() == Some("/large") {
                large = Some(head.stream_id.value());
            } else {
                smalls.push(head.stream_id.value());
            }
        }
        let large = large.expect("the large request arrived");
        conn.send_headers(large, &[(":status", "200")], false).await.unwrap();
        let mut sent = 0;
        for id in smalls {
            conn.send_headers(id, &[(":status", "200")], false).await.unwrap();
            window.send(&mut conn, id, &[b's'; SMALL], &mut sent).await;
        }
        assert_eq!(window.open, 0, "the small bodies shut the window");
        conn.send(frames::ping(*b"in order")).await.unwrap();
        conn.expect_frame(&Matcher::ping().ack()).await.unwrap();
        delivered_tx.send(true).unwrap();
        window.send(&mut conn, large, &vec![b'l'; LARGE], &mut sent).await;
        sent
    });
    let mut h2 = baton::Http2Config::default();
    h2.initial_connection_window = 65_535;
    // No keep-alive PING, whose timer would take the credit in too, late.
    h2.keepalive_interval = None;
    let client = Client::builder()
        .http2_prior_knowledge()
        .http2_config(h2)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let large = tokio::spawn({
        let (client, url) = (client.clone(), format!("{url}/large"));
        async move { client.get(&url).send().await }
    });
    let smalls: Vec<_> = (0..SMALLS)
        .map(|i| {
            let (client, url, mut delivered) =
                (client.clone(), format!("{url}/small/{i}"), delivered.clone());
            tokio::spawn(async move {
                let response = client.get(&url).send().await.unwrap();
                delivered.wait_for(|&d| d).await.unwrap();
                response.bytes().await.unwrap().len()
            })
        })
        .collect();
    for small in smalls {
        assert_eq!(small.await.unwrap(), SMALL);
    }
    let large = large.await.unwrap().unwrap();
    assert_eq!(large.bytes().await.unwrap().len(), LARGE);
    assert_eq!(script.await.unwrap(), SMALLS * SMALL + LARGE);
}
