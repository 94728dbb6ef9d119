//! The script DSL against baton's own sans-IO engine over real TCP on
//! 127.0.0.1: each test is one RFC 9113 scenario, driven by a tiny client
//! loop written here (write `poll_transmit`, `handle_written`, read into
//! `handle_read`, drain `poll_event`). This also shows the engine works over
//! a real socket.
//!
//! Every wait is bounded: the client by `CLIENT_DEADLINE`, the server by its
//! script timeout.

use std::io;
use std::time::{Duration, Instant};

use baton_lab::script::{Matcher, Script, ScriptServer, frames};
use baton_proto::Processing;
use baton_proto::h2::frame::{FrameType, Reason, Settings, StreamId};
use baton_proto::h2::{CloseCause, Config, Connection, Event, FailureCause, StreamFailure, Violation};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Uri};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CLIENT_DEADLINE: Duration = Duration::from_secs(10);

/// A minimal driver: one engine, one socket, every event kept.
struct Client {
    conn: Connection,
    io: Option<TcpStream>,
    events: Vec<Event>,
    authority: String,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Self {
        let io = TcpStream::connect(addr).await.unwrap();
        io.set_nodelay(true).unwrap();
        Self {
            conn: Connection::new(Config::default(), Instant::now()),
            io: Some(io),
            events: Vec::new(),
            authority: addr.to_string(),
        }
    }

    fn send(&mut self, method: Method, path: &str, headers: HeaderMap, end_stream: bool) -> StreamId {
        let uri: Uri = format!("http://{}{path}", self.authority).parse().unwrap();
        self.conn.send_request(&method, &uri, &headers, end_stream, Instant::now()).unwrap()
    }

    fn get(&mut self, path: &str) -> StreamId {
        self.send(Method::GET, path, HeaderMap::new(), true)
    }

    /// Writes everything the engine has queued.
    async fn flush(&mut self) {
        while let Some(io) = self.io.as_mut() {
            let out = self.conn.poll_transmit(Instant::now());
            if out.is_empty() {
                return;
            }
            match io.write(out).await {
                Ok(n) => self.conn.handle_written(n),
                Err(e) => {
                    self.conn.handle_transport_error(e.to_string(), Instant::now());
                    self.io = None;
                }
            }
        }
    }

    /// Runs the connection until `done(events)` holds; panics (with the
    /// events so far) if the connection closes first or the deadline passes.
    async fn drive_until(&mut self, done: impl Fn(&[Event]) -> bool) {
        let deadline = tokio::time::Instant::now() + CLIENT_DEADLINE;
        let mut buf = vec![0; 16 << 10];
        loop {
            self.flush().await;
            let mut closed = false;
            while let Some(event) = self.conn.poll_event() {
                if let Event::DataReceived { stream_id, data } = &event {
                    self.conn.release_capacity(*stream_id, data.len());
                }
                closed |= matches!(event, Event::Closed(_));
                self.events.push(event);
            }
            self.flush().await;
            if closed {
                // The engine is done: close the transport.
                self.io = None;
            }
            if done(&self.events) {
                return;
            }
            assert!(!closed, "connection closed first; events: {:#?}", self.events);
            let io = self.io.as_mut().expect("transport open while the engine is");
            let timer = self.conn.poll_timeout().map(tokio::time::Instant::from_std);
            tokio::select! {
                read = io.read(&mut buf) => match read {
                    Ok(0) => self.conn.handle_eof(Instant::now()),
                    Ok(n) => self.conn.handle_read(&buf[..n], Instant::now()),
                    Err(e) => self.conn.handle_transport_error(e.to_string(), Instant::now()),
                },
                () = tokio::time::sleep_until(timer.unwrap_or(deadline)), if timer.is_some() => {
                    self.conn.handle_timeout(Instant::now());
                }
                () = tokio::time::sleep_until(deadline) => {
                    panic!("client deadline passed; events: {:#?}", self.events)
                }
            }
        }
    }

    fn failure(&self, id: StreamId) -> &StreamFailure {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::StreamFailed(f) if f.stream_id == id => Some(f),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no failure for stream {id}; events: {:#?}", self.events))
    }

    fn body(&self, id: StreamId) -> Vec<u8> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::DataReceived { stream_id, data } if *stream_id == id => Some(&data[..]),
                _ => None,
            })
            .flatten()
            .copied()
            .collect()
    }

    fn status(&self, id: StreamId) -> Option<u16> {
        self.events.iter().find_map(|e| match e {
            Event::ResponseReceived { stream_id, head } if *stream_id == id => Some(head.status.as_u16()),
            _ => None,
        })
    }

    fn close_cause(&self) -> Option<&CloseCause> {
        self.events.iter().find_map(|e| match e {
            Event::Closed(cause) => Some(cause),
            _ => None,
        })
    }
}

fn ended(id: StreamId) -> impl Fn(&[Event]) -> bool {
    move |events| events.iter().any(|e| matches!(e, Event::StreamEnded { stream_id } if *stream_id == id))
}

fn failed(id: StreamId) -> impl Fn(&[Event]) -> bool {
    move |events| events.iter().any(|e| matches!(e, Event::StreamFailed(f) if f.stream_id == id))
}

fn closed(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::Closed(_)))
}

#[tokio::test]
async fn handshake_and_one_get_answered() {
    let server = ScriptServer::bind().await.unwrap();
    let addr = server.addr();
    let peer = tokio::spawn(async move {
        let mut conn = server.accept().await?;
        let theirs =
            conn.handshake(Settings { max_concurrent_streams: Some(10), ..Settings::default() }).await?;
        // RFC 9113 §8.4: baton refuses server push.
        assert_eq!(theirs.enable_push, Some(0));
        let request = conn.recv_request().await?;
        assert_eq!(request.stream_id, StreamId::new(1));
        assert_eq!(request.method(), Some("GET"));
        assert_eq!(request.path(), Some("/hello"));
        assert_eq!(request.authority(), Some(addr.to_string().as_str()));
        assert!(request.ended && request.body.is_empty());
        conn.respond(1, 200, b"hello, world").await
    });

    let mut client = Client::connect(addr).await;
    let id = client.get("/hello");
    client.drive_until(ended(id)).await;
    peer.await.unwrap().unwrap();

    assert_eq!(client.status(id), Some(200));
    assert_eq!(client.body(id), b"hello, world");
    assert!(client.events.contains(&Event::SettingsChanged { max_concurrent_streams: 10 }));
}

#[tokio::test]
async fn go_away_fails_streams_above_last_stream_id() {
    let server = ScriptServer::bind().await.unwrap();
    let addr = server.addr();
    let peer = tokio::spawn(async move {
        let mut conn = server.accept().await?;
        conn.handshake(Settings::default()).await?;
        assert_eq!(conn.recv_request().await?.stream_id, StreamId::new(1));
        assert_eq!(conn.recv_request().await?.stream_id, StreamId::new(3));
        // RFC 9113 §6.8: stream 3 is above last_stream_id, so it was not
        // processed; stream 1 may still complete.
        conn.send(frames::go_away(1, Reason::NO_ERROR)).await?;
        conn.respond(1, 200, b"one").await?;
        conn.expect_eof().await
    });

    let mut client = Client::connect(addr).await;
    let one = client.get("/one");
    let three = client.get("/three");
    client.drive_until(closed).await;
    peer.await.unwrap().unwrap();

    let failure = client.failure(three);
    assert_eq!(failure.processing, Processing::NotProcessed);
    assert!(matches!(&failure.cause, FailureCause::GoAway(g) if g.last_stream_id == one));
    assert!(ended(one)(&client.events));
    assert_eq!(client.body(one), b"one");
    assert_eq!(client.close_cause(), Some(&CloseCause::Drained));
}

#[tokio::test]
async fn refused_stream_is_not_processed() {
    let server = ScriptServer::bind().await.unwrap();
    let addr = server.addr();
    let task = server
        .spawn(Script::new().handshake().expect_request().rst(1, Reason::REFUSED_STREAM).expect_request());

    let mut client = Client::connect(addr).await;
    let id = client.get("/refused");
    client.drive_until(failed(id)).await;
    let failure = client.failure(id).clone();
    // RFC 9113 §8.7: REFUSED_STREAM proves the request was not processed.
    assert_eq!(failure.processing, Processing::NotProcessed);
    assert_eq!(failure.cause, FailureCause::Reset(Reason::REFUSED_STREAM));
    // The connection survives a stream error: the retry goes through.
    let retry = client.get("/refused");
    assert_eq!(retry, StreamId::new(3));
    client.flush().await;
    let transcript = task.await.unwrap().unwrap();
    assert_eq!(transcript.requests.len(), 2);
    assert_eq!(transcript.request(3).and_then(|r| r.path()), Some("/refused"));
}

#[tokio::test]
async fn malformed_ping_gets_frame_size_error() {
    let server = ScriptServer::bind().await.unwrap();
    let addr = server.addr();
    let task = server.spawn(
        Script::new()
            .handshake()
            // RFC 9113 §6.7: a PING whose length is not 8 is a connection
            // error of type FRAME_SIZE_ERROR.
            .send_raw(frames::raw(0x6, 0, 0, &[0; 7]))
            .expect_frame(Matcher::go_away().reason(Reason::FRAME_SIZE_ERROR))
            .expect_eof(),
    );

    let mut client = Client::connect(addr).await;
    client.drive_until(closed).await;
    let transcript = task.await.unwrap().unwrap();

    assert!(matches!(
        client.close_cause(),
        Some(CloseCause::Violation(v @ Violation::Frame(_))) if v.reason() == Reason::FRAME_SIZE_ERROR
    ));
    assert_eq!(transcript.count(&Matcher::go_away()), 1);
    assert!(transcript.requests.is_empty());
}

#[tokio::test]
async fn reset_is_a_transport_error_after_the_head() {
    let server = ScriptServer::bind().await.unwrap();
    let addr = server.addr();
    let peer = tokio::spawn(async move {
        let mut conn = server.accept().await?;
        conn.handshake(Settings::default()).await?;
        conn.recv_request().await?;
        conn.reset()?;
        io::Result::Ok(conn.transcript())
    });

    let mut client = Client::connect(addr).await;
    let id = client.get("/reset");
    client.drive_until(closed).await;
    let transcript = peer.await.unwrap().unwrap();
    assert_eq!(transcript.requests.len(), 1);

    let failure = client.failure(id);
    // The head was written and no response began: nothing proves the
    // server did not act on it (DESIGN.md §2).
    assert_eq!(failure.processing, Processing::MaybeProcessed);
    assert!(matches!(&failure.cause, FailureCause::ConnectionClosed(CloseCause::Transport(_))), "{failure}");
}

#[tokio::test]
async fn declarative_script_records_a_post() {
    let server = ScriptServer::bind().await.unwrap();
    let addr = server.addr();
    let task = server.spawn(
        Script::new()
            .handshake_with(Settings { max_concurrent_streams: Some(5), ..Settings::default() })
            .expect_request()
            .headers(1, &[(":status", "201"), ("x-script", "yes")], false)
            .data(1, b"po", false)
            .data(1, b"ng", true)
            .go_away(1, Reason::NO_ERROR)
            .expect_eof(),
    );

    let mut client = Client::connect(addr).await;
    let mut headers = HeaderMap::new();
    headers.insert("x-test", HeaderValue::from_static("declarative"));
    let id = client.send(Method::POST, "/upload", headers, false);
    client.conn.send_data(id, Bytes::from_static(b"ping"), true).unwrap();
    client.drive_until(closed).await;
    let transcript = task.await.unwrap().unwrap();

    assert_eq!(client.status(id), Some(201));
    assert_eq!(client.body(id), b"pong");
    assert_eq!(client.close_cause(), Some(&CloseCause::Drained));

    assert_eq!(transcript.settings.and_then(|s| s.enable_push), Some(0));
    let request = transcript.request(1).unwrap();
    assert_eq!(request.method(), Some("POST"));
    assert_eq!(request.path(), Some("/upload"));
    assert_eq!(request.field("x-test"), Some("declarative"));
    assert_eq!(&request.body[..], b"ping");
    assert!(request.ended);
    assert!(transcript.find(&Matcher::headers().stream(1)).is_some());
    assert!(transcript.find(&Matcher::data().stream(1).end_stream()).is_some(), "{transcript}");
    assert_eq!(transcript.count(&Matcher::settings().ack()), 1);
}

#[tokio::test]
async fn large_request_head_arrives_over_continuation() {
    let server = ScriptServer::bind().await.unwrap();
    let addr = server.addr();
    let task = server.spawn(Script::new().handshake().expect_request().respond(1, 204, b""));

    let mut client = Client::connect(addr).await;
    let big = "x".repeat(40_000);
    let mut headers = HeaderMap::new();
    headers.insert("x-big", HeaderValue::from_str(&big).unwrap());
    let id = client.send(Method::GET, "/big", headers, true);
    client.drive_until(ended(id)).await;
    let transcript = task.await.unwrap().unwrap();

    assert_eq!(client.status(id), Some(204));
    // RFC 9113 §4.3: a field block over SETTINGS_MAX_FRAME_SIZE is split
    // into HEADERS + CONTINUATION frames.
    assert!(transcript.count(&Matcher::continuation().stream(1)) >= 1, "{transcript}");
    assert_eq!(transcript.request(1).and_then(|r| r.field("x-big")), Some(big.as_str()));
}

#[tokio::test]
async fn spawn_each_serves_a_retry_on_a_second_connection() {
    let server = ScriptServer::bind().await.unwrap();
    let addr = server.addr();
    let task = server.spawn_each(vec![
        // GOAWAY with last_stream_id 0: nothing was processed (RFC 9113 §6.8).
        Script::new().handshake().expect_request_head().go_away(0, Reason::NO_ERROR).expect_eof(),
        Script::new().handshake().expect_request().respond(1, 200, b"second"),
    ]);

    let mut first = Client::connect(addr).await;
    let id = first.get("/retry");
    first.drive_until(closed).await;
    assert_eq!(first.failure(id).processing, Processing::NotProcessed);

    let mut second = Client::connect(addr).await;
    let id = second.get("/retry");
    second.drive_until(ended(id)).await;
    assert_eq!(second.body(id), b"second");

    let transcripts = task.await.unwrap().unwrap();
    assert_eq!(transcripts.len(), 2);
    assert!(transcripts.iter().all(|t| t.request(1).and_then(|r| r.path()) == Some("/retry")));
}

#[tokio::test]
async fn failing_step_is_named_in_the_error() {
    let server = ScriptServer::bind().await.unwrap();
    let addr = server.addr();
    let task = server.spawn(Script::new().handshake().expect_frame(Matcher::rst_stream().stream(1)));

    let mut client = Client::connect(addr).await;
    let id = client.get("/unexpected");
    client.flush().await;
    let err = task.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    let msg = err.to_string();
    assert!(msg.contains("script step 1") && msg.contains("got HEADERS stream=1"), "{msg}");

    // The dropped connection ends with FIN: the request fails, unanswered.
    client.drive_until(closed).await;
    assert_eq!(client.failure(id).processing, Processing::MaybeProcessed);
    assert_eq!(client.close_cause(), Some(&CloseCause::Eof));
}

#[tokio::test]
async fn waits_are_bounded() {
    let server = ScriptServer::bind().await.unwrap().with_timeout(Duration::from_millis(50));
    let err = server.accept().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);

    // A client that connects and says nothing.
    let _silent = TcpStream::connect(server.addr()).await.unwrap();
    let mut conn = server.accept().await.unwrap();
    assert_eq!(conn.recv_preface().await.unwrap_err().kind(), io::ErrorKind::TimedOut);
}

#[tokio::test]
async fn raw_bytes_reach_the_client_as_sent() {
    let server = ScriptServer::bind().await.unwrap();
    let addr = server.addr();
    let task = server.spawn(
        Script::new()
            .handshake()
            // RFC 9113 §5.5: unknown frame types are ignored, then a PING
            // must be acknowledged with the same payload (§6.7).
            .send(frames::unknown(0xfa, 0, 0, b"ignored"))
            .ping(*b"12345678")
            .expect_frame(Matcher::ping().ack().when(
                "same payload",
                |f| matches!(f, baton_lab::script::Frame::Ping(p) if &p.payload == b"12345678"),
            ))
            .close()
            .expect_eof(),
    );

    let mut client = Client::connect(addr).await;
    client.drive_until(closed).await;
    let transcript = task.await.unwrap().unwrap();
    assert_eq!(client.close_cause(), Some(&CloseCause::Eof));
    assert_eq!(transcript.count(&Matcher::kind(FrameType::PING)), 1);
}
