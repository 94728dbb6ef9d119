//! Where connections go: `resolve` overrides (curl's `--resolve`), a
//! custom resolver, IPv6 literal URLs, local address binding, and happy
//! eyeballs over the loopback's two families. A small server here answers
//! each request with its own head, so a test sees the `Host` that went out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use baton::Client;
use baton::dns::{Addrs, Name, Resolve, Resolving};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers every HTTP/1.1 request on `listener` with 200 and, as the body,
/// its request head and the peer's address, one line each.
fn echo_heads(listener: TcpListener) {
    tokio::spawn(async move {
        while let Ok((mut tcp, peer)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = tcp.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                    while let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                        let request: Vec<u8> = head.drain(..end + 4).collect();
                        let body = format!("{}peer: {peer}\r\n", String::from_utf8_lossy(&request));
                        let response =
                            format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                        if tcp.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
}

fn host_of(head: &str) -> &str {
    head.lines().find_map(|l| l.strip_prefix("host: ")).unwrap_or_default()
}

#[tokio::test]
async fn resolve_overrides_send_the_name_elsewhere_and_keep_host() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    echo_heads(listener);
    // Port 0: the URL's port; the name is case-insensitive.
    let zero_port = SocketAddr::new(addr.ip(), 0);
    let client = Client::builder().resolve("Pinned.Example", zero_port).build().unwrap();
    let head = client.get(format!("http://pinned.example:{}/a", addr.port())).send().await.unwrap();
    let head = head.text().await.unwrap();
    assert_eq!(host_of(&head), format!("pinned.example:{}", addr.port()), "{head}");
    // Its own port wins over the URL's.
    let client = Client::builder().resolve("pinned.example", addr).build().unwrap();
    let head = client.get("http://pinned.example/b").send().await.unwrap().text().await.unwrap();
    assert_eq!(host_of(&head), "pinned.example", "{head}");
    // Without the override the name does not resolve.
    let err = Client::new().get("http://pinned.invalid/").send().await.unwrap_err();
    assert!(err.is_connect(), "{err}");
    assert!(err.to_string().contains("cannot resolve pinned.invalid"), "{err}");
}

/// Counts its lookups and answers with one address.
struct Counting {
    addr: SocketAddr,
    lookups: AtomicUsize,
}

impl Resolve for Counting {
    fn resolve(&self, name: Name) -> Resolving {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let addr = self.addr;
        Box::pin(async move {
            if name.as_str() != "custom.test" {
                return Err(format!("{name} is unknown here").into());
            }
            Ok(Box::new(std::iter::once(addr)) as Addrs)
        })
    }
}

#[tokio::test]
async fn a_custom_resolver_is_asked_for_names_only() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    echo_heads(listener);
    let resolver = Arc::new(Counting { addr: SocketAddr::new(addr.ip(), 0), lookups: AtomicUsize::new(0) });
    let client = Client::builder().dns_resolver(resolver.clone()).build().unwrap();
    let url = format!("http://custom.test:{}/", addr.port());
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    assert_eq!(resolver.lookups.load(Ordering::Relaxed), 1);
    // An IP literal is not looked up.
    let literal = format!("http://{addr}/");
    assert_eq!(client.get(&literal).send().await.unwrap().status(), 200);
    assert_eq!(resolver.lookups.load(Ordering::Relaxed), 1);
    let err = client.get("http://other.test/").send().await.unwrap_err();
    assert!(err.is_connect() && err.to_string().contains("other.test is unknown here"), "{err}");
}

#[tokio::test]
async fn ipv6_literal_urls_connect_and_send_their_brackets() {
    let Ok(listener) = TcpListener::bind("[::1]:0").await else {
        println!("skipped: no IPv6 on the loopback");
        return;
    };
    let addr = listener.local_addr().unwrap();
    echo_heads(listener);
    let client = Client::new();
    let head = client.get(format!("http://[::1]:{}/six", addr.port())).send().await.unwrap();
    let head = head.text().await.unwrap();
    assert!(head.starts_with("GET /six HTTP/1.1\r\n"), "{head}");
    assert_eq!(host_of(&head), format!("[::1]:{}", addr.port()), "{head}");
    assert!(head.contains("peer: [::1]:"), "{head}");
}

#[tokio::test]
async fn connections_come_from_the_local_address() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    echo_heads(listener);
    let client = Client::builder().local_address(std::net::IpAddr::from([127, 0, 0, 2])).build().unwrap();
    let head = client.get(format!("http://{addr}/")).send().await.unwrap().text().await.unwrap();
    assert!(head.contains("peer: 127.0.0.2:"), "{head}");
    // An address of the other family cannot be reached from it.
    let err = client.get("http://[::1]:9/").send().await.unwrap_err();
    assert!(err.is_connect(), "{err}");
    assert!(err.to_string().contains("the local address 127.0.0.2 cannot reach [::1]:9"), "{err}");
}

/// A listener on `addr` whose accept queue is full: the kernel drops
/// further SYNs, so a connect to it hangs as to a blackholed address.
/// Returns its address and what keeps the queue full.
async fn blackhole(addr: SocketAddr) -> Option<(SocketAddr, Vec<impl Sized>)> {
    let domain = if addr.is_ipv4() { socket2::Domain::IPV4 } else { socket2::Domain::IPV6 };
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, None).ok()?;
    socket.bind(&addr.into()).ok()?;
    socket.listen(0).ok()?;
    let addr = socket.local_addr().ok()?.as_socket()?;
    let mut fillers = Vec::new();
    // Linux queues backlog + 1 connections; a few more attempts make sure
    // (those past the limit just hang, and are dropped with the test).
    for _ in 0..3 {
        match tokio::time::timeout(
            std::time::Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(tcp)) => fillers.push(tcp),
            _ => break,
        }
    }
    // The queue is full when a further connect does not complete.
    let probe =
        tokio::time::timeout(std::time::Duration::from_millis(300), tokio::net::TcpStream::connect(addr))
            .await;
    if probe.is_ok() {
        return None;
    }
    Some((addr, vec![(socket, fillers)]))
}

/// Happy eyeballs on real sockets: `dual.test` resolves to a blackholed
/// address first and a working one second; the request goes to the
/// working one after the 250 ms head start, and the time is printed (not
/// asserted: speed is for benchmarks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_eyeballs_over_both_loopback_families() {
    if TcpListener::bind("[::1]:0").await.is_err() {
        println!("skipped: no IPv6 on the loopback");
        return;
    }
    for (dead, live) in [("[::1]:0", "127.0.0.1:0"), ("127.0.0.1:0", "[::1]:0")] {
        let Some((dead, _queue)) = blackhole(dead.parse().unwrap()).await else {
            println!("skipped: could not fill a listener's accept queue on {dead}");
            return;
        };
        let listener = TcpListener::bind(live).await.unwrap();
        let live = listener.local_addr().unwrap();
        echo_heads(listener);
        let client = Client::builder().resolve_to_addrs("dual.test", &[dead, live]).build().unwrap();
        let start = std::time::Instant::now();
        let resp = client.get("http://dual.test/").send().await.unwrap();
        let took = start.elapsed();
        let head = resp.text().await.unwrap();
        assert_eq!(host_of(&head), "dual.test", "{head}");
        let from = if live.is_ipv4() { "peer: 127.0.0.1:" } else { "peer: [::1]:" };
        assert!(head.contains(from), "{head}");
        assert_eq!(client.stats().connections_opened, 1);
        println!("happy eyeballs: {dead} blackholed, {live} connected after {took:?}");
        // Without the race (the dead address alone), the connect timeout is
        // what ends it.
        let client = Client::builder()
            .resolve("dead.test", dead)
            .connect_timeout(std::time::Duration::from_millis(400))
            .retry(baton::RetryPolicy::never())
            .build()
            .unwrap();
        let err = client.get("http://dead.test/").send().await.unwrap_err();
        assert!(err.is_timeout(), "{err}");
    }
}

/// A proxy that takes the connection and never answers: the CONNECT step's
/// timeout is a timeout blamed on the proxy, and nothing reached the origin.
#[tokio::test]
async fn a_silent_proxy_is_a_proxy_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut kept = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            kept.push(tcp);
        }
    });
    let client = Client::builder()
        .proxy(baton::Proxy::all(&format!("http://{addr}")).unwrap())
        .connect_timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let err = client.get("https://origin.test/").send().await.unwrap_err();
    assert!(err.is_proxy() && err.is_timeout(), "{err}");
    assert!(
        err.to_string().contains(&format!("proxy http://{addr}: CONNECT origin.test:443 timed out")),
        "{err}"
    );
    assert_eq!(err.processing(), None, "{err}");
    held.abort();
}
