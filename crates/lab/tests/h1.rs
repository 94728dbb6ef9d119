//! The lab's HTTP/1.1 side: the protocol on raw TCP, every HTTP/1.1
//! scenario's exact wire behaviour, and real clients (reqwest, hyper-util)
//! at concurrency, in plaintext and over TLS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_lab::{DisconnectPoint, Lab, LabOptions, Scenario};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::timeout;

/// Longest wait for anything the lab should do at once.
const WAIT: Duration = Duration::from_secs(5);

async fn start(scenario: Scenario) -> Lab {
    Lab::start(LabOptions::new(scenario)).await.unwrap()
}

fn get(path: &str, id: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: lab\r\nx-request-id: {id}\r\n\r\n")
}

/// A parsed response.
#[derive(Debug, Default)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Data chunks, when chunked.
    chunks: usize,
    trailers: Vec<(String, String)>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
}

/// How a connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// FIN, with these bytes before it.
    Eof(Vec<u8>),
    /// RST (or another error) after these bytes.
    Reset(Vec<u8>),
}

/// A hand-driven client connection.
struct Raw {
    tcp: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    async fn connect(lab: &Lab) -> Self {
        Self { tcp: TcpStream::connect(lab.addr()).await.unwrap(), buf: Vec::new() }
    }

    async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.tcp.write_all(bytes.as_ref()).await.unwrap();
    }

    /// Reads more; false at EOF.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 << 10];
        let n = timeout(WAIT, self.tcp.read(&mut chunk)).await.expect("the lab went silent").unwrap();
        self.buf.extend_from_slice(&chunk[..n]);
        n > 0
    }

    async fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.fill().await, "EOF inside a body");
        }
        self.buf.drain(..n).collect()
    }

    async fn line(&mut self) -> String {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.take(i + 2).await;
                return String::from_utf8(line[..i].to_vec()).unwrap();
            }
            assert!(self.fill().await, "EOF inside a line");
        }
    }

    /// Reads a response head.
    async fn head(&mut self) -> Response {
        loop {
            let mut fields = [httparse::EMPTY_HEADER; 512];
            let mut parsed = httparse::Response::new(&mut fields);
            if let httparse::Status::Complete(len) = parsed.parse(&self.buf).unwrap() {
                let response = Response {
                    status: parsed.code.unwrap(),
                    headers: parsed
                        .headers
                        .iter()
                        .map(|h| (h.name.to_string(), String::from_utf8(h.value.to_vec()).unwrap()))
                        .collect(),
                    ..Response::default()
                };
                self.buf.drain(..len);
                return response;
            }
            assert!(self.fill().await, "EOF inside a response head");
        }
    }

    /// Reads a whole response (`head_request`: to a HEAD, so no body).
    async fn response_to(&mut self, head_request: bool) -> Response {
        let mut response = self.head().await;
        if head_request || response.status == 204 || response.status == 304 {
            return response;
        }
        if response.header("transfer-encoding") == Some("chunked") {
            loop {
                let line = self.line().await;
                let size = usize::from_str_radix(line.split(';').next().unwrap(), 16).unwrap();
                if size == 0 {
                    break;
                }
                let data = self.take(size + 2).await;
                assert_eq!(&data[size..], b"\r\n");
                response.body.extend_from_slice(&data[..size]);
                response.chunks += 1;
            }
            loop {
                let line = self.line().await;
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap();
                response.trailers.push((name.to_string(), value.trim().to_string()));
            }
        } else if let Some(len) = response.header("content-length") {
            response.body = self.take(len.parse().unwrap()).await;
        } else {
            while self.fill().await {}
            response.body = std::mem::take(&mut self.buf);
        }
        response
    }

    async fn response(&mut self) -> Response {
        self.response_to(false).await
    }

    /// Reads until the lab closes.
    async fn end(&mut self) -> End {
        let mut chunk = [0u8; 16 << 10];
        loop {
            match timeout(WAIT, self.tcp.read(&mut chunk)).await.expect("the lab did not close") {
                Ok(0) => return End::Eof(std::mem::take(&mut self.buf)),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return End::Reset(std::mem::take(&mut self.buf)),
            }
        }
    }

    /// Asserts the lab closed without sending anything more (FIN or RST).
    async fn closed(&mut self) {
        match self.end().await {
            End::Eof(rest) | End::Reset(rest) => {
                assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest))
            }
        }
    }
}

#[tokio::test]
async fn keep_alive_serves_three_requests_on_one_connection() {
    let lab = start(Scenario::Normal).await;
    let mut c = Raw::connect(&lab).await;
    for (i, n) in [10, 0, 3000].into_iter().enumerate() {
        c.send(get(&format!("/bytes/{n}"), &format!("k{i}"))).await;
        let r = c.response().await;
        assert_eq!((r.status, r.body.len(), r.header("connection")), (200, n, None));
        assert_eq!(r.header("content-length"), Some(n.to_string().as_str()));
        assert!(r.header("date").is_some_and(|d| d.ends_with(" GMT")));
    }
    let stats = lab.ledger().stats();
    assert_eq!((stats.processed, stats.connections), (3, 1));
    assert_eq!((lab.ledger().count("k0"), lab.ledger().count("k2")), (1, 1));
    lab.stop().await;
}

#[tokio::test]
async fn http2_only_scenarios_serve_http1_normally() {
    for scenario in [Scenario::GoShutdown { after: 1 }, Scenario::RefusedStream { every: 1, above: 0 }] {
        let lab = start(scenario).await;
        let mut c = Raw::connect(&lab).await;
        for id in ["a", "b", "c"] {
            c.send(get("/bytes/4", id)).await;
            let r = c.response().await;
            assert_eq!((r.body.len(), r.header("connection")), (4, None));
        }
        assert_eq!(lab.ledger().stats().processed, 3);
        lab.stop().await;
    }
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let lab = start(Scenario::Normal).await;
    let mut c = Raw::connect(&lab).await;
    let mut burst = get("/delay/30", "p1");
    burst += "POST /echo HTTP/1.1\r\nHost: lab\r\nContent-Length: 5\r\n\r\nhello";
    burst += &get("/bytes/3", "p3");
    burst += &get("/bytes/100000", "p4");
    burst += &get("/", "p5");
    c.send(burst).await;
    assert_eq!(c.response().await.text(), "ok");
    assert_eq!(c.response().await.text(), "hello");
    assert_eq!(c.response().await.text(), "xxx");
    assert_eq!(c.response().await.body.len(), 100_000);
    assert_eq!(c.response().await.text(), "ok");
    assert_eq!(lab.ledger().stats().processed, 5);
    lab.stop().await;
}

#[tokio::test]
async fn chunked_request_body_with_trailers_is_echoed() {
    let lab = start(Scenario::Normal).await;
    let mut c = Raw::connect(&lab).await;
    c.send("POST /echo HTTP/1.1\r\nHost: lab\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n").await;
    c.send("6;name=value\r\n world\r\n0\r\nx-checksum: 1\r\nx-more: 2\r\n\r\n").await;
    let r = c.response().await;
    assert_eq!((r.status, r.text(), r.header("x-received-bytes")), (200, "hello world", Some("11")));
    // The trailer section was consumed: the next request parses.
    c.send(get("/bytes/2", "after")).await;
    assert_eq!(c.response().await.text(), "xx");
    lab.stop().await;
}

#[tokio::test]
async fn expect_100_continue_is_answered_before_the_body() {
    let lab = start(Scenario::Normal).await;
    let mut c = Raw::connect(&lab).await;
    c.send("POST /echo HTTP/1.1\r\nHost: lab\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n").await;
    let interim = c.head().await;
    assert_eq!(interim.status, 100);
    c.send("body").await;
    let r = c.response().await;
    assert_eq!((r.status, r.text()), (200, "body"));
    lab.stop().await;
}

#[tokio::test]
async fn head_has_the_length_but_no_body() {
    let lab = start(Scenario::Normal).await;
    let mut c = Raw::connect(&lab).await;
    c.send("HEAD /bytes/100 HTTP/1.1\r\nHost: lab\r\n\r\n").await;
    let r = c.response_to(true).await;
    assert_eq!((r.status, r.header("content-length")), (200, Some("100")));
    // No body bytes came: the next response starts right away.
    c.send(get("/bytes/2", "h2")).await;
    assert_eq!(c.response().await.text(), "xx");
    lab.stop().await;
}

#[tokio::test]
async fn routes_are_served() {
    let lab = start(Scenario::Normal).await;
    let mut c = Raw::connect(&lab).await;

    let started = Instant::now();
    c.send(get("/delay/50", "d")).await;
    assert_eq!(c.response().await.text(), "ok");
    assert!(started.elapsed() >= Duration::from_millis(50));

    let started = Instant::now();
    c.send(get("/bytes/7?delay=30", "dq")).await;
    assert_eq!(c.response().await.body.len(), 7);
    assert!(started.elapsed() >= Duration::from_millis(30));

    let started = Instant::now();
    c.send(get("/stream/2500?chunk=1000&interval=20", "s")).await;
    let r = c.response().await;
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!((r.body.len(), r.chunks), (3000, 3));
    assert!(started.elapsed() >= Duration::from_millis(40));

    c.send(get("/trailers", "t")).await;
    let r = c.response().await;
    assert_eq!(
        (r.header("transfer-encoding"), r.header("trailer")),
        (Some("chunked"), Some("x-checksum, x-status"))
    );
    assert_eq!(r.text(), "body with trailers");
    let trailers: Vec<_> = r.trailers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(trailers, [("x-checksum", "abc123"), ("x-status", "done")]);

    c.send(get("/headers/20000", "h")).await;
    let r = c.response().await;
    // "About n bytes": count them as on the wire.
    let size: usize = r.headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
    assert!(size >= 18_000, "{size}");

    c.send("POST /echo HTTP/1.1\r\nHost: lab\r\nContent-Length: 3\r\n\r\nabc").await;
    let r = c.response().await;
    assert_eq!((r.text(), r.header("x-received-bytes")), ("abc", Some("3")));

    c.send(get("/anything", "a")).await;
    assert_eq!(c.response().await.text(), "ok");
    lab.stop().await;
}

#[tokio::test]
async fn bad_requests_are_refused_and_closed() {
    let lab = start(Scenario::Normal).await;
    let cases: [(&str, u16); 6] = [
        ("GARBAGE\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        (
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n", 413),
        ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ];
    for (request, status) in cases {
        let mut c = Raw::connect(&lab).await;
        c.send(request).await;
        let r = c.response().await;
        assert_eq!((r.status, r.header("connection")), (status, Some("close")), "{request:?}");
        c.closed().await;
    }
    let mut c = Raw::connect(&lab).await;
    c.send(format!("GET / HTTP/1.1\r\nHost: a\r\nx-big: {}\r\n\r\n", "b".repeat(70_000))).await;
    assert_eq!(c.response().await.status, 431);
    c.closed().await;
    assert_eq!(lab.ledger().stats().processed, 0);
    lab.stop().await;
}

#[tokio::test]
async fn connection_close_and_http_1_0_are_honoured() {
    let lab = start(Scenario::Normal).await;
    let mut c = Raw::connect(&lab).await;
    c.send("GET /bytes/1 HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n").await;
    assert_eq!(c.response().await.header("connection"), Some("close"));
    c.closed().await;

    let mut c = Raw::connect(&lab).await;
    c.send("GET /bytes/2 HTTP/1.0\r\n\r\n").await;
    assert_eq!(c.response().await.text(), "xx");
    c.closed().await;

    let mut c = Raw::connect(&lab).await;
    c.send("GET /bytes/2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").await;
    let r = c.response().await;
    assert_eq!((r.text(), r.header("connection")), ("xx", Some("keep-alive")));
    // Paced bodies cannot be chunked to HTTP/1.0: the close delimits them.
    c.send("GET /stream/30?chunk=10&interval=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").await;
    let r = c.response().await;
    assert_eq!((r.body.len(), r.header("transfer-encoding")), (30, None));
    lab.stop().await;
}

#[tokio::test]
async fn nginx_rotate_closes_after_the_nth_response() {
    let lab = start(Scenario::NginxRotate { requests: 2 }).await;
    let mut c = Raw::connect(&lab).await;
    c.send(get("/bytes/5", "r1")).await;
    assert_eq!(c.response().await.header("connection"), None);
    c.send(get("/bytes/5", "r2")).await;
    let r = c.response().await;
    assert_eq!((r.body.len(), r.header("connection")), (5, Some("close")));
    assert_eq!(c.end().await, End::Eof(vec![]));
    lab.stop().await;
}

#[tokio::test]
async fn connection_close_with_and_without_the_header() {
    for header in [true, false] {
        let lab = start(Scenario::ConnectionClose { requests: 2, header }).await;
        let mut c = Raw::connect(&lab).await;
        c.send(get("/bytes/5", "c1")).await;
        assert_eq!(c.response().await.header("connection"), None);
        c.send(get("/bytes/5", "c2")).await;
        let r = c.response().await;
        assert_eq!((r.body.len(), r.header("connection")), (5, header.then_some("close")));
        assert_eq!(c.end().await, End::Eof(vec![]));
        lab.stop().await;
    }
}

/// `Lab::set_scenario`: connections accepted afterwards get the new
/// scenario, the open one keeps its own; and `Ledger::take_counts` hands
/// over the counts so far and starts again.
#[tokio::test]
async fn a_new_scenario_is_for_new_connections() {
    let lab = start(Scenario::Normal).await;
    let mut before = Raw::connect(&lab).await;
    before.send(get("/bytes/5", "b1")).await;
    assert_eq!(before.response().await.header("connection"), None);
    lab.set_scenario(Scenario::ConnectionClose { requests: 1, header: true });
    let mut after = Raw::connect(&lab).await;
    after.send(get("/bytes/5", "a1")).await;
    assert_eq!(after.response().await.header("connection"), Some("close"));
    assert_eq!(after.end().await, End::Eof(vec![]));
    before.send(get("/bytes/5", "b2")).await;
    assert_eq!(before.response().await.header("connection"), None, "the open connection keeps its scenario");
    let counts = lab.ledger().take_counts();
    assert_eq!(counts.len(), 3);
    assert!(["b1", "a1", "b2"].iter().all(|id| counts.get(*id) == Some(&1)), "{counts:?}");
    assert_eq!(lab.ledger().count("b1"), 0, "taken");
    assert_eq!(lab.ledger().stats().processed, 3, "the totals stay");
    lab.stop().await;
}

#[tokio::test]
async fn keepalive_race_drops_the_next_request_unprocessed() {
    let lab = start(Scenario::KeepaliveRace { requests: 1 }).await;
    let mut c = Raw::connect(&lab).await;
    c.send(get("/bytes/5", "first")).await;
    assert_eq!(c.response().await.header("connection"), None);
    c.send(get("/bytes/5", "raced")).await;
    c.closed().await;
    assert_eq!((lab.ledger().count("first"), lab.ledger().count("raced")), (1, 0));
    assert_eq!(lab.ledger().stats().processed, 1);
    lab.stop().await;
}

#[tokio::test]
async fn disconnect_before_head_closes_when_idle() {
    let lab = start(Scenario::Disconnect { at: DisconnectPoint::BeforeHead, after: 2 }).await;
    let mut c = Raw::connect(&lab).await;
    c.send(get("/bytes/5", "b1")).await;
    assert_eq!(c.response().await.status, 200);
    // Closed without a second request.
    c.closed().await;
    assert_eq!(lab.ledger().stats().processed, 1);
    lab.stop().await;
}

#[tokio::test]
async fn disconnect_after_head_ignores_the_request() {
    let lab = start(Scenario::Disconnect { at: DisconnectPoint::AfterHead, after: 1 }).await;
    let mut c = Raw::connect(&lab).await;
    c.send(get("/bytes/5", "ah")).await;
    c.closed().await;
    let stats = lab.ledger().stats();
    assert_eq!((stats.processed, stats.ignored, lab.ledger().count("ah")), (0, 1, 0));
    lab.stop().await;
}

#[tokio::test]
async fn disconnect_mid_request_body_ignores_the_request() {
    let lab = start(Scenario::Disconnect { at: DisconnectPoint::MidRequestBody, after: 1 }).await;
    let mut c = Raw::connect(&lab).await;
    c.send("POST /echo HTTP/1.1\r\nHost: lab\r\nx-request-id: mb\r\nContent-Length: 100\r\n\r\n").await;
    c.send([b'a'; 50]).await;
    c.closed().await;
    let stats = lab.ledger().stats();
    assert_eq!((stats.processed, stats.ignored, lab.ledger().count("mb")), (0, 1, 0));
    lab.stop().await;
}

#[tokio::test]
async fn disconnect_mid_response_cuts_the_body() {
    let lab = start(Scenario::Disconnect { at: DisconnectPoint::MidResponse, after: 2 }).await;
    let mut c = Raw::connect(&lab).await;
    c.send(get("/bytes/1000", "m1")).await;
    assert_eq!(c.response().await.body.len(), 1000);
    c.send(get("/bytes/1000", "m2")).await;
    let r = c.head().await;
    assert_eq!((r.status, r.header("content-length")), (200, Some("1000")));
    match c.end().await {
        End::Eof(rest) | End::Reset(rest) => assert_eq!(rest.len(), 500),
    }
    assert_eq!(lab.ledger().count("m2"), 1);
    // Chunked bodies are cut inside a chunk, before the last chunk.
    let lab2 = start(Scenario::Disconnect { at: DisconnectPoint::MidResponse, after: 1 }).await;
    let mut c = Raw::connect(&lab2).await;
    c.send(get("/stream/4000?chunk=1000&interval=1", "m3")).await;
    assert_eq!(c.head().await.header("transfer-encoding"), Some("chunked"));
    match c.end().await {
        End::Eof(rest) | End::Reset(rest) => assert!(!rest.ends_with(b"0\r\n\r\n") && rest.len() < 2100),
    }
    lab.stop().await;
    lab2.stop().await;
}

#[tokio::test]
async fn nginx_reload_closes_idle_connections_and_drains_busy_ones() {
    let lab = start(Scenario::NginxReload { after: 0 }).await;
    let mut idle = Raw::connect(&lab).await;
    idle.send(get("/bytes/1", "i1")).await;
    assert_eq!(idle.response().await.header("connection"), None);
    let mut busy = Raw::connect(&lab).await;
    busy.send(get("/delay/300", "b1")).await;
    // The ledger records the request before its delay: then it is busy.
    timeout(WAIT, async {
        while lab.ledger().count("b1") == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .unwrap();
    lab.reload();
    let started = Instant::now();
    assert_eq!(idle.end().await, End::Eof(vec![]));
    assert!(started.elapsed() < Duration::from_millis(250), "the idle one closed at once");
    let r = busy.response().await;
    assert_eq!((r.text(), r.header("connection")), ("ok", Some("close")));
    assert_eq!(busy.end().await, End::Eof(vec![]));
    // Connections made after the reload belong to the new workers.
    let mut fresh = Raw::connect(&lab).await;
    for id in ["f1", "f2"] {
        fresh.send(get("/bytes/1", id)).await;
        assert_eq!(fresh.response().await.header("connection"), None);
    }
    lab.stop().await;
}

#[tokio::test]
async fn nginx_reload_after_a_request_count() {
    let lab = start(Scenario::NginxReload { after: 2 }).await;
    let mut first = Raw::connect(&lab).await;
    first.send(get("/bytes/1", "a1")).await;
    assert_eq!(first.response().await.header("connection"), None);
    let mut second = Raw::connect(&lab).await;
    second.send(get("/bytes/1", "a2")).await;
    // The request that triggered the reload is answered with close.
    assert_eq!(second.response().await.header("connection"), Some("close"));
    assert_eq!(second.end().await, End::Eof(vec![]));
    assert_eq!(first.end().await, End::Eof(vec![]));
    lab.stop().await;
}

/// Runs `total` GETs of /bytes/100 through `get`, `concurrency` at a time,
/// with ids `{prefix}{i}`; returns the number of failures.
async fn load<F, Fut>(total: usize, concurrency: usize, prefix: &str, get: F) -> usize
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<usize, String>> + Send,
{
    let get = Arc::new(get);
    let mut workers = JoinSet::new();
    for w in 0..concurrency {
        let get = get.clone();
        let prefix = prefix.to_string();
        workers.spawn(async move {
            let mut failures = 0;
            for i in (w..total).step_by(concurrency) {
                match get(format!("{prefix}{i}")).await {
                    Ok(100) => {}
                    Ok(n) => panic!("body of {n} bytes"),
                    Err(e) => {
                        eprintln!("request {i}: {e}");
                        failures += 1;
                    }
                }
            }
            failures
        });
    }
    let mut failures = 0;
    while let Some(f) = workers.join_next().await {
        failures += f.unwrap();
    }
    failures
}

fn assert_each_once(lab: &Lab, total: usize, prefix: &str) {
    assert!(lab.ledger().duplicates().is_empty(), "{:?}", lab.ledger().duplicates());
    for i in 0..total {
        assert_eq!(lab.ledger().count(&format!("{prefix}{i}")), 1, "{prefix}{i}");
    }
}

async fn reqwest_load(lab: &Lab, client: reqwest::Client, total: usize) -> usize {
    let url = lab.url("/bytes/100");
    load(total, 32, "q", move |id| {
        let request = client.get(&url).header("x-request-id", id);
        async move {
            let response = request.send().await.map_err(|e| format!("{e:?}"))?;
            assert_eq!(response.version(), reqwest::Version::HTTP_11);
            Ok(response.bytes().await.map_err(|e| format!("{e:?}"))?.len())
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reqwest_http1_against_normal_and_connection_close() {
    for scenario in [Scenario::Normal, Scenario::ConnectionClose { requests: 10, header: true }] {
        let lab = start(scenario).await;
        let client = reqwest::Client::builder().http1_only().build().unwrap();
        assert_eq!(reqwest_load(&lab, client, 2000).await, 0, "{scenario}");
        assert_each_once(&lab, 2000, "q");
        if scenario != Scenario::Normal {
            assert!(lab.ledger().stats().connections >= 200);
        }
        lab.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hyper_util_http1_against_normal_and_connection_close() {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    for scenario in [Scenario::Normal, Scenario::ConnectionClose { requests: 10, header: true }] {
        let lab = start(scenario).await;
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
        let uri: http::Uri = lab.url("/bytes/100").parse().unwrap();
        let failures = load(2000, 32, "y", move |id| {
            let request =
                http::Request::get(uri.clone()).header("x-request-id", id).body(Empty::new()).unwrap();
            let response = client.request(request);
            async move {
                let response = response.await.map_err(|e| format!("{e:?}"))?;
                let body = response.into_body().collect().await.map_err(|e| format!("{e:?}"))?;
                Ok(body.to_bytes().len())
            }
        })
        .await;
        assert_eq!(failures, 0, "{scenario}");
        assert_each_once(&lab, 2000, "y");
        lab.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reqwest_http1_over_tls() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal).tls()).await.unwrap();
    let cert = reqwest::Certificate::from_der(&lab.certificate().unwrap().cert).unwrap();
    let client = reqwest::Client::builder()
        .http1_only()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .build()
        .unwrap();
    assert_eq!(reqwest_load(&lab, client.clone(), 200).await, 0);
    assert_each_once(&lab, 200, "q");
    // The certificate also covers the name.
    let url = format!("https://localhost:{}/echo", lab.addr().port());
    let response = client.post(url).body("over tls").send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "over tls");
    lab.stop().await;
}

#[tokio::test]
async fn clients_vanishing_anywhere_do_not_disturb_the_lab() {
    let lab = start(Scenario::Normal).await;
    let request = "POST /echo HTTP/1.1\r\nHost: lab\r\nContent-Length: 10\r\n\r\n01234";
    for cut in 0..request.len() {
        let mut c = Raw::connect(&lab).await;
        c.send(&request[..cut]).await;
        drop(c);
    }
    let mut c = Raw::connect(&lab).await;
    c.send(get("/stream/100000?chunk=1000&interval=1", "gone")).await;
    drop(c);
    let mut c = Raw::connect(&lab).await;
    c.send(get("/bytes/3", "still")).await;
    assert_eq!(c.response().await.text(), "xxx");
    lab.stop().await;
}
