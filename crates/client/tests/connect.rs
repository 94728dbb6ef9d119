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
    let head = client.get(&format!("http://pinned.example:{}/a", addr.port())).send().await.unwrap();
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
