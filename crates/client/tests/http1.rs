//! HTTP/1.1 end to end against the lab: keep-alive reuse, announced and
//! silent closes, the keep-alive race (S18), and the downgrade on
//! HTTP_1_1_REQUIRED (S12).

use std::sync::Arc;
use std::time::Duration;

use baton::{Client, Processing};
use baton_lab::{Lab, LabOptions, Scenario};
use tokio::sync::Semaphore;

async fn mix(
    client: &Client,
    lab: &Lab,
    tag: &str,
    n: usize,
    concurrency: usize,
) -> Vec<(String, &'static str, Result<usize, baton::Error>)> {
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::new();
    for i in 0..n {
        let permit = limit.clone().acquire_owned().await.unwrap();
        let client = client.clone();
        let url = lab.url("/bytes/200");
        let id = format!("{tag}-{i}");
        let method = ["GET", "PUT", "POST"][i % 3];
        tasks.push(tokio::spawn(async move {
            let req = match method {
                "GET" => client.get(&url),
                "PUT" => client.put(&url).body("x"),
                _ => client.post(&url).body("y"),
            };
            let r = async { Ok(req.header("x-request-id", &id).send().await?.bytes().await?.len()) }.await;
            drop(permit);
            (id, method, r)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(tokio::time::timeout(Duration::from_secs(30), t).await.expect("hung").unwrap());
    }
    out
}

fn no_post_twice(lab: &Lab, out: &[(String, &'static str, Result<usize, baton::Error>)]) {
    for (id, count) in lab.ledger().duplicates() {
        let method = out.iter().find(|o| o.0 == id).map(|o| o.1).unwrap();
        assert!(method != "POST" && count == 2, "{method} {id} processed {count} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_connections_are_reused() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let client = Client::new();
    let out = mix(&client, &lab, "h1", 300, 8).await;
    assert!(out.iter().all(|o| o.2.is_ok()), "{out:?}");
    let stats = client.stats();
    assert!(stats.connections_opened <= 8, "at most one connection per concurrent request: {stats:?}");
    let resp = client.get(lab.url("/trailers")).send().await.unwrap();
    assert_eq!(resp.version(), http::Version::HTTP_11);
    assert!(resp.attempts()[0].reused);
    lab.stop().await;
}

/// S18 and RFC 9112 §9.6: servers closing keep-alive connections, with and
/// without `Connection: close`, cost nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closes_announced_or_not_lose_nothing() {
    for header in [true, false] {
        let lab =
            Lab::start(LabOptions::new(Scenario::ConnectionClose { requests: 3, header })).await.unwrap();
        let client = Client::new();
        let out = mix(&client, &lab, "cc", 150, 8).await;
        for o in &out {
            if let Err(e) = &o.2 {
                // Without the header a request can race the close: only a
                // POST whose bytes went out may fail, as MaybeProcessed.
                assert!(
                    !header && o.1 == "POST" && e.processing() == Some(Processing::MaybeProcessed),
                    "{e}"
                );
            }
        }
        no_post_twice(&lab, &out);
        lab.stop().await;
    }
}

/// S18: the keep-alive race — the server closes an idle connection just as
/// the next request arrives. Idempotent requests are retried once; a POST
/// whose bytes were written fails MaybeProcessed; nothing runs twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s18_keep_alive_race() {
    let lab = Lab::start(LabOptions::new(Scenario::KeepaliveRace { requests: 2 })).await.unwrap();
    let client = Client::new();
    let out = mix(&client, &lab, "s18", 150, 4).await;
    let mut post_failures = 0;
    for o in &out {
        if let Err(e) = &o.2 {
            assert_eq!(o.1, "POST", "only POSTs may fail: {e}");
            assert_eq!(e.processing(), Some(Processing::MaybeProcessed), "{e}");
            post_failures += 1;
        }
    }
    no_post_twice(&lab, &out);
    let stats = client.stats();
    println!("s18: {post_failures} POSTs failed MaybeProcessed; stats {stats:?}");
    assert!(stats.retries_total() > 0, "{stats:?}");
    lab.stop().await;
}

/// S12: GOAWAY(0, HTTP_1_1_REQUIRED) on HTTP/2: retried over HTTP/1.1,
/// and the origin is remembered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s12_http11_required_downgrades() {
    let lab = Lab::start(LabOptions::new(Scenario::Http11Required)).await.unwrap();
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let resp = client.post(lab.url("/echo")).body("over h1").send().await.unwrap();
    assert_eq!(resp.version(), http::Version::HTTP_11);
    let attempts = resp.attempts().to_vec();
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert_eq!(attempts[0].retried, Some(baton::RetryReason::Http11Required));
    assert_eq!(resp.text().await.unwrap(), "over h1");
    let again = client.get(lab.url("/bytes/1")).send().await.unwrap();
    assert_eq!(again.version(), http::Version::HTTP_11);
    assert_eq!(again.attempts().len(), 1, "the origin was remembered");
    lab.stop().await;
}

/// TLS with ALPN http/1.1 when the client is told to speak only HTTP/1.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_http1_only() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal).tls()).await.unwrap();
    let cert = lab.certificate().unwrap().cert.to_vec();
    let client =
        Client::builder().add_root_certificate(cert).tls_built_in_roots(false).http1_only().build().unwrap();
    let resp = client.get(format!("https://localhost:{}/bytes/7", lab.addr().port())).send().await.unwrap();
    assert_eq!(resp.version(), http::Version::HTTP_11);
    assert_eq!(resp.bytes().await.unwrap().len(), 7);
    lab.stop().await;
}

/// `max_http1_connections_per_origin(3)` with 40 requests in flight: every
/// request is served over at most three connections (without the limit
/// each request in flight opens its own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_connections_per_origin_are_capped() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let client = Client::builder().max_http1_connections_per_origin(3).build().unwrap();
    let out = mix(&client, &lab, "cap", 200, 40).await;
    assert!(out.iter().all(|o| o.2.is_ok()), "{out:?}");
    let opened = client.stats().connections_opened;
    assert!(opened <= 3, "{opened} connections for a limit of 3");

    let unlimited = Client::new();
    let out = mix(&unlimited, &lab, "free", 200, 40).await;
    assert!(out.iter().all(|o| o.2.is_ok()), "{out:?}");
    assert!(unlimited.stats().connections_opened > 3, "the comparison is void: {:?}", unlimited.stats());
}

/// An idle connection past the server's `Keep-Alive: timeout=` is closed,
/// not reused, and the next request opens a new one. (Closing it gives its
/// place in the origin's count back, which must not happen while the pool
/// holds its lock: that deadlocked.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_idle_connection_is_closed_and_replaced() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let mut accepted = 0;
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            accepted += 1;
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = sock.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    // `timeout=1`: the client keeps it for 1 s less, so not at all.
                    let resp = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=1\r\n\r\nok";
                    if sock.write_all(resp).await.is_err() {
                        return;
                    }
                }
            });
            if accepted == 2 {
                return;
            }
        }
    });
    let client = Client::new();
    for _ in 0..2 {
        let resp = tokio::time::timeout(Duration::from_secs(10), client.get(&url).send())
            .await
            .expect("the second request hung")
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), "ok");
    }
    assert_eq!(client.stats().connections_opened, 2, "the expired connection was reused");
    server.await.unwrap();
}

/// A keep-alive server that answers every request on a connection with
/// `ok`, and reports each connection's end (the client's EOF) on `ended`.
async fn keep_alive_server() -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (ended, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let ended = ended.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = sock.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let resp = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                    if sock.write_all(resp).await.is_err() {
                        break;
                    }
                }
                let _ = ended.send(());
            });
        }
    });
    (url, rx)
}

/// Idle connections belong to their connection tasks: dropping the client
/// (and its pool) must close them, not leave the tasks holding sockets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_client_closes_its_idle_connections() {
    let (url, mut ended) = keep_alive_server().await;
    let client = Client::new();
    // Three at once: three connections, all idle once answered.
    let requests: Vec<_> = (0..3)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move { client.get(&url).send().await.unwrap().text().await.unwrap() })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), "ok");
    }
    let opened = client.stats().connections_opened;
    assert!(opened >= 1);
    drop(client);
    for i in 0..opened {
        tokio::time::timeout(Duration::from_secs(10), ended.recv()).await.unwrap_or_else(|_| {
            panic!("idle connection {i} of {opened} still open after the client was dropped")
        });
    }
}

/// One connection allowed, and the server closes it while it is idle: the
/// next request still goes out, on a new connection (the closed one gives
/// its place back). GETs: a request can race the close (S18).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_closed_while_idle_gives_its_place_back() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (closed_tx, mut closed) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        // Every connection answers one request, then closes without saying
        // so (no `Connection: close`): the client finds out while idle.
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            if sock.read(&mut buf).await.unwrap_or(0) > 0 {
                let _ = sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
            }
            drop(sock);
            let _ = closed_tx.send(());
        }
    });
    let client = Client::builder().max_http1_connections_per_origin(1).build().unwrap();
    for i in 0..3 {
        let resp = tokio::time::timeout(Duration::from_secs(10), client.get(&url).send())
            .await
            .unwrap_or_else(|_| panic!("request {i} waited for a place the closed connection kept"))
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), "ok");
        closed.recv().await.unwrap();
    }
    assert_eq!(client.stats().connections_opened, 3);
}

/// A server that reads a request's head and then neither reads nor closes
/// on its first connection; every later connection answers `ok`.
async fn stalling_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut stalled = Vec::new();
        while let Ok((mut sock, _)) = listener.accept().await {
            if stalled.is_empty() {
                let _ = sock.read(&mut [0u8; 1024]).await;
                stalled.push(sock);
                continue;
            }
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 << 10];
                while let Ok(n) = sock.read(&mut buf).await {
                    if n == 0
                        || sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// One connection allowed; a POST whose body the server stops reading
/// times out. Its connection must end and give its place back, though
/// megabytes of the body were still waiting to be written (the exchange
/// used to wait on that write for good, and the origin was wedged).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_times_out_mid_upload_gives_its_place_back() {
    let url = stalling_server().await;
    let client = Client::builder()
        .max_http1_connections_per_origin(1)
        .response_timeout(Duration::from_millis(300))
        .retry(baton::RetryPolicy::never())
        .build()
        .unwrap();
    let err = client.post(&url).body(vec![0u8; 32 << 20]).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let next = tokio::time::timeout(Duration::from_secs(10), client.get(&url).send())
        .await
        .expect("the next request waited for a place the stalled connection kept")
        .unwrap();
    assert_eq!(next.text().await.unwrap(), "ok");
}

/// A request the protocol cannot carry as it is (here a Content-Length its
/// body contradicts) fails once, as the caller's error: no connection can
/// take it, so it is not retried on new ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_request_is_not_retried() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let client = Client::new();
    let err =
        client.post(lab.url("/echo")).header("content-length", "5").body("abc").send().await.unwrap_err();
    assert!(err.is_builder(), "{err}");
    assert_eq!(err.attempts().len(), 1, "{err}");
    assert!(client.stats().connections_opened <= 1, "{:?}", client.stats());
    lab.stop().await;
}

/// HTTP/2 with prior knowledge to a server that only speaks HTTP/1.1: it
/// answers the preface with an HTTP/1.1 error. A new connection would get
/// the same answer, so the request fails at once, as a connect error that
/// says why, instead of being tried on four connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prior_knowledge_to_an_http1_server_fails_on_the_first_connection() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let server = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                if sock.read(&mut buf).await.is_ok() {
                    let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
                }
            });
        }
    });
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let err = tokio::time::timeout(Duration::from_secs(10), client.get(&url).send())
        .await
        .expect("the request hung")
        .unwrap_err();
    assert!(err.is_connect(), "{err}");
    assert_eq!(err.violation(), Some(&baton::Violation::AnsweredInHttp1), "{err}");
    assert!(err.to_string().contains("HTTP/1.x"), "{err}");
    assert_eq!(err.processing(), None, "a connect error: nothing was sent ({err})");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "one connection, not one per attempt: {err}");
    server.abort();
}

/// HTTP/2 with prior knowledge to a server that takes the connection and
/// says nothing: the engine's SETTINGS timer (RFC 9113 §6.5.3) ends it,
/// and that is a timeout, not a connect error (found in review: it read
/// as "closed the connection").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prior_knowledge_to_a_silent_server_is_a_timeout() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            open.push(sock);
        }
    });
    let mut config = baton::Http2Config::default();
    config.settings_ack_timeout = Duration::from_millis(200);
    let client = Client::builder()
        .http2_prior_knowledge()
        .http2_config(config)
        .connect_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(10), client.get(&url).send())
        .await
        .expect("the request hung")
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains("SETTINGS"), "{err}");
    server.abort();
}

/// Reads one request head, byte by byte; empty at EOF.
async fn read_head(s: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut b = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).await.unwrap_or(0) == 0 {
            break;
        }
        buf.push(b[0]);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A response dropped mid-body while the server is silent (a long poll,
/// SSE, a slow download) frees its connection at once: the exchange had
/// noticed only when more bytes came, and with a per-origin limit the next
/// request waited for good (found in review).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_response_frees_its_connection_while_the_server_is_silent() {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (closed_tx, mut closed_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let closed_tx = closed_tx.clone();
            tokio::spawn(async move {
                loop {
                    let head = read_head(&mut s).await;
                    if head.is_empty() {
                        let _ = closed_tx.send(());
                        return;
                    }
                    if head.starts_with("GET /slow") {
                        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
                            .await
                            .unwrap();
                    } else {
                        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await.unwrap();
                    }
                }
            });
        }
    });
    let client = Client::builder().http1_only().max_http1_connections_per_origin(1).build().unwrap();
    let mut resp = client.get(format!("http://127.0.0.1:{port}/slow")).send().await.unwrap();
    assert_eq!(&resp.chunk().await.unwrap().unwrap()[..], b"0123456789");
    drop(resp);
    let closed = tokio::time::timeout(Duration::from_secs(2), closed_rx.recv()).await;
    let next =
        client.get(format!("http://127.0.0.1:{port}/fast")).timeout(Duration::from_secs(3)).send().await;
    assert!(closed.is_ok(), "the abandoned connection was not closed within 2 s");
    assert!(next.is_ok(), "the next request never got a connection: {next:?}");
}

/// A successful HTTP/1.1 attempt's `body_sent` counts body bytes only, as
/// a failed one's does (found in review: it took the head's bytes too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_sent_counts_only_body_bytes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let _ = read_head(&mut s).await;
        let mut body = [0u8; 5];
        s.read_exact(&mut body).await.unwrap();
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.write_all(b"ok").await.unwrap();
        let _ = read_head(&mut s).await;
    });
    let client = Client::builder().http1_only().build().unwrap();
    let resp = client.post(format!("http://127.0.0.1:{port}/")).body("hello").send().await.unwrap();
    assert_eq!(resp.attempts()[0].body_sent, 5, "5 body bytes were sent");
}

/// DESIGN.md §4 "Idle connections expire", whether or not the pool looks
/// again: a client that never returns to an origin (a crawler) must not
/// keep its sockets (found in review: expiry was only checked on a lease).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_idle_connection_is_closed() {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let _ = read_head(&mut s).await;
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await.unwrap();
        let _ = read_head(&mut s).await; // returns on EOF
        let _ = closed_tx.send(());
    });
    let client =
        Client::builder().http1_only().pool_idle_timeout(Duration::from_millis(300)).build().unwrap();
    let body = client.get(format!("http://127.0.0.1:{port}/")).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(&body[..], b"ok");
    let closed = tokio::time::timeout(Duration::from_secs(3), closed_rx).await;
    assert!(closed.is_ok(), "idle for 10x pool_idle_timeout and still open");
}

/// A server that answers each connection's first request with `head` (a
/// status line and its fields, CRLF-terminated) and a 2-byte body.
async fn answering(head: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                if sock.read(&mut buf).await.is_ok_and(|n| n > 0) {
                    let resp = format!("{head}content-length: 2\r\n\r\nok");
                    let _ = sock.write_all(resp.as_bytes()).await;
                }
            });
        }
    });
    url
}

/// `Response::reason_phrase` is what an HTTP/1.x server sent, empty
/// included; HTTP/2 has none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reason_phrase_is_the_servers() {
    for (head, reason) in [
        ("HTTP/1.1 200 OK\r\n", &b"OK"[..]),
        ("HTTP/1.1 201 Made It, Thanks\r\n", b"Made It, Thanks"),
        ("HTTP/1.1 200 \r\n", b""),
        ("HTTP/1.0 404 Nowhere\r\n", b"Nowhere"),
    ] {
        let url = answering(head).await;
        let resp = Client::new().get(&url).send().await.unwrap();
        assert_eq!(resp.reason_phrase(), Some(reason), "{head:?}");
        assert_eq!(resp.text().await.unwrap(), "ok");
    }
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let h2 = Client::builder().http2_prior_knowledge().build().unwrap();
    let resp = h2.get(lab.url("/bytes/10")).send().await.unwrap();
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.reason_phrase(), None);
    let h1 = Client::builder().http1_only().build().unwrap();
    assert_eq!(h1.get(lab.url("/bytes/10")).send().await.unwrap().reason_phrase(), Some(&b"OK"[..]));
}
