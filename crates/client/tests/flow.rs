//! HTTP/2 receive windows (RFC 9113 §5.2, §6.9) against a scripted server
//! that honours them: what a response's reader never reads is given back.

use std::time::Duration;

use baton::Client;
use baton_lab::script::{Frame, ScriptConn, ScriptServer, Settings, frames};

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
