//! Through real proxies from Debian's packages (skipped with a note when
//! missing): tinyproxy (HTTP forward proxy and CONNECT, with and without
//! Basic auth), the same behind TLS (an HTTPS proxy: a rustls front here,
//! as tinyproxy has no TLS of its own), and microsocks (SOCKS5, `socks5`
//! and `socks5h`, with and without a password), to nginx's HTTP/1.1, h2c
//! and TLS (ALPN h2) listeners. Every case sends a GET and a POST and
//! checks the version and body that came back.
//!
//! The client's resolver refuses every name, and the URLs name
//! `localhost`: a request that succeeds went through the proxy, which
//! resolved the name (`socks5`, which resolves here, gets `localhost`
//! pinned to 127.0.0.1 instead).
//!
//! Then churn: nginx `keepalive_requests 100` with two reloads, reached
//! through a CONNECT tunnel and through SOCKS5 at concurrency 64 (h2 over
//! TLS, h2c, and HTTP/1.1, forwarded by tinyproxy or through SOCKS5), with
//! 0 failures; and the proxies' own failures (407, a SOCKS password refused,
//! a proxy that is not there), which are proxy errors that name the proxy.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use baton::dns::{Name, Resolve, Resolving};
use baton::{Client, ClientBuilder, Proxy};
use baton_lab::nginx::{Listener, Nginx, NginxOptions, Protocol, TlsIdentity};
use baton_lab::proxies::{Credentials, Microsocks, Tinyproxy};
use baton_lab::tls::TestCertificate;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Refuses every name: only a proxy can have resolved one.
struct NoDns;

impl Resolve for NoDns {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move { Err(format!("the client resolves no names ({name})").into()) })
    }
}

fn installed() -> bool {
    let mut ok = true;
    for (have, what) in [
        (Nginx::find().is_some(), "nginx"),
        (Tinyproxy::installed(), "tinyproxy"),
        (Microsocks::installed(), "microsocks"),
    ] {
        if !have {
            println!("skipped: {what} is not installed (apt-get install {what})");
            ok = false;
        }
    }
    ok
}

/// nginx with an HTTP/1.1, an h2c and a TLS listener.
fn nginx(cert: &TestCertificate, keepalive_requests: u32) -> Nginx {
    let options = NginxOptions {
        listeners: vec![
            Listener::new(Protocol::Http1),
            Listener::new(Protocol::H2c),
            Listener::new(Protocol::H2Tls),
        ],
        tls: Some(TlsIdentity { cert_pem: cert.cert_pem.clone(), key_pem: cert.key_pem().to_owned() }),
        ..NginxOptions::new(Protocol::H2c)
    }
    .keepalive_requests(keepalive_requests);
    Nginx::start(&options).expect("nginx starts")
}

/// An HTTPS proxy: TLS on a port of 127.0.0.1, relayed to `inner` (a
/// tinyproxy). Returns its address; runs until the test ends.
async fn tls_front(cert: &TestCertificate, inner: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(cert.server_config(&[b"http/1.1"]).unwrap());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let Ok(mut upstream) = TcpStream::connect(inner).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    addr
}

/// Which of nginx's listeners, and how the client speaks to it.
#[derive(Clone, Copy, Debug)]
enum Proto {
    Http1,
    H2c,
    H2Tls,
}

impl Proto {
    fn url(self, nginx: &Nginx, path: &str) -> String {
        let (scheme, protocol) = match self {
            Self::Http1 => ("http", Protocol::Http1),
            Self::H2c => ("http", Protocol::H2c),
            Self::H2Tls => ("https", Protocol::H2Tls),
        };
        let port = nginx.endpoint(protocol).unwrap().port();
        format!("{scheme}://localhost:{port}{path}")
    }

    fn builder(self, cert: &TestCertificate) -> ClientBuilder {
        let builder =
            Client::builder().add_root_certificate(cert.cert.to_vec()).dns_resolver(Arc::new(NoDns));
        match self {
            Self::H2c => builder.http2_prior_knowledge(),
            _ => builder,
        }
    }

    fn version(self) -> http::Version {
        match self {
            Self::Http1 => http::Version::HTTP_11,
            _ => http::Version::HTTP_2,
        }
    }
}

/// A proxy under test and how to reach it.
struct Hop {
    name: &'static str,
    url: String,
    /// `socks5://` resolves names here.
    local_dns: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_proxy_kind_carries_every_protocol() {
    if !installed() {
        return;
    }
    let cert = TestCertificate::generate().unwrap();
    let nginx = nginx(&cert, 1_000_000);
    let plain = Tinyproxy::start(None).unwrap();
    let authed = Tinyproxy::start(Some(Credentials::new("alice", "s3cret"))).unwrap();
    let front = tls_front(&cert, authed.addr()).await;
    let socks = Microsocks::start(None).unwrap();
    let socks_authed = Microsocks::start(Some(Credentials::new("bob", "pa55"))).unwrap();
    let hops = [
        Hop { name: "http", url: plain.url(), local_dns: false },
        Hop { name: "http+auth", url: authed.url(), local_dns: false },
        Hop {
            name: "https+auth",
            url: format!("https://alice:s3cret@127.0.0.1:{}", front.port()),
            local_dns: false,
        },
        Hop { name: "socks5h", url: socks.url(), local_dns: false },
        Hop { name: "socks5", url: socks.url().replace("socks5h://", "socks5://"), local_dns: true },
        Hop { name: "socks5h+auth", url: socks_authed.url(), local_dns: false },
    ];
    let mut matrix = Vec::new();
    for hop in &hops {
        for proto in [Proto::Http1, Proto::H2c, Proto::H2Tls] {
            let mut builder = proto.builder(&cert).proxy(Proxy::all(&hop.url).unwrap());
            if hop.local_dns {
                builder = builder.resolve("localhost", "127.0.0.1:0".parse().unwrap());
            }
            let client = builder.build().unwrap();
            // The POST first, on a new connection: tinyproxy closes each
            // connection after one response without saying so, and a POST
            // sent on it in that moment fails MaybeProcessed, as the rules
            // say (S18); the GET after it is retried if it meets that close.
            let post = client.post(proto.url(&nginx, "/submit")).body("a small body").send().await;
            let post = match post {
                Ok(resp) => {
                    assert_eq!(resp.version(), proto.version(), "{} {proto:?}", hop.name);
                    resp.text().await
                }
                Err(e) => Err(e),
            };
            let get = client.get(proto.url(&nginx, "/bytes/100")).send().await;
            let get = match get {
                Ok(resp) => {
                    assert_eq!(resp.version(), proto.version(), "{} {proto:?}", hop.name);
                    resp.bytes().await.map(|b| b.len())
                }
                Err(e) => Err(e),
            };
            let outcome = format!(
                "{:?} / {:?}",
                get.as_ref().map_err(ToString::to_string),
                post.as_ref().map_err(ToString::to_string)
            );
            println!(
                "{:<13} {:<6?} GET {:?} POST {:?}",
                hop.name,
                proto,
                get.as_ref().map_err(ToString::to_string),
                post.as_ref().map_err(ToString::to_string)
            );
            matrix.push((
                hop.name,
                proto,
                get.ok() == Some(100) && post.as_deref().ok() == Some("ok\n"),
                outcome,
            ));
        }
    }
    let failed: Vec<_> = matrix.iter().filter(|m| !m.2).collect();
    assert!(failed.is_empty(), "{failed:?}\ntinyproxy: {}\nsocks: {}", plain.log(), socks.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_failures_are_proxy_errors_that_name_the_proxy() {
    if !installed() {
        return;
    }
    let cert = TestCertificate::generate().unwrap();
    let nginx = nginx(&cert, 1_000_000);
    let authed = Tinyproxy::start(Some(Credentials::new("alice", "s3cret"))).unwrap();
    let socks_authed = Microsocks::start(Some(Credentials::new("bob", "pa55"))).unwrap();

    // CONNECT without credentials: 407, not retried, journaled.
    let no_auth = format!("http://{}", authed.addr());
    let client = Proto::H2Tls.builder(&cert).proxy(Proxy::all(&no_auth).unwrap()).build().unwrap();
    let err = client.get(Proto::H2Tls.url(&nginx, "/bytes/10")).send().await.unwrap_err();
    assert!(err.is_proxy() && err.is_connect(), "{err}");
    assert_eq!(err.proxy_status(), Some(407), "{err}");
    assert!(err.to_string().contains(&format!("proxy http://{} refused CONNECT", authed.addr())), "{err}");
    assert_eq!(err.attempts().len(), 1, "{err}");
    assert_eq!(err.processing(), None, "{err}");
    // Wrong credentials: refused the same way (tinyproxy 1.11 says 401
    // to wrong ones, 407 to none).
    let wrong = format!("http://alice:nope@{}", authed.addr());
    let client = Proto::H2c.builder(&cert).proxy(Proxy::all(&wrong).unwrap()).build().unwrap();
    let err = client.get(Proto::H2c.url(&nginx, "/bytes/10")).send().await.unwrap_err();
    assert!(matches!(err.proxy_status(), Some(401 | 407)), "{err}");
    assert_eq!(err.attempts().len(), 1, "{err}");
    // Forwarded plain HTTP/1.1 without credentials: the proxy's 407 is
    // the response, as curl and reqwest give it.
    let client = Proto::Http1.builder(&cert).proxy(Proxy::all(&no_auth).unwrap()).build().unwrap();
    let resp = client.get(Proto::Http1.url(&nginx, "/bytes/10")).send().await.unwrap();
    assert_eq!(resp.status(), 407);

    // SOCKS5 with a wrong password.
    let wrong = format!("socks5h://bob:nope@{}", socks_authed.addr());
    let client = Proto::Http1.builder(&cert).proxy(Proxy::all(&wrong).unwrap()).build().unwrap();
    let err = client.get(Proto::Http1.url(&nginx, "/bytes/10")).send().await.unwrap_err();
    assert!(err.is_proxy(), "{err}");
    assert!(err.to_string().contains(&format!("proxy socks5h://{}", socks_authed.addr())), "{err}");
    assert_eq!(err.attempts().len(), 1, "not retried: {err}");

    // No proxy there: unreachable, retried as a refused connect is, and
    // still a proxy error in the end.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let client =
        Proto::Http1.builder(&cert).proxy(Proxy::all(&format!("http://{gone}")).unwrap()).build().unwrap();
    let err = client.get(Proto::Http1.url(&nginx, "/bytes/10")).send().await.unwrap_err();
    assert!(err.is_proxy(), "{err}");
    assert!(err.to_string().contains(&format!("proxy http://{gone} is unreachable")), "{err}");
    // No name was resolved and nothing reached nginx: the origin is not blamed.
    assert!(!err.to_string().contains("resolves no names"), "{err}");
}

const GETS: usize = 5_000;
const POSTS: usize = 500;
const CONCURRENCY: usize = 64;

/// GETs and POSTs at concurrency 64 with two `nginx -s reload` on the way;
/// returns the failures, each with whether it was a POST and its verdict.
async fn churn(
    client: &Client,
    nginx: &Nginx,
    proto: Proto,
) -> Vec<(bool, Option<baton::Processing>, String)> {
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::with_capacity(GETS + POSTS);
    let total = GETS + POSTS;
    for i in 0..total {
        if i == total / 3 || i == 2 * total / 3 {
            nginx.reload().unwrap();
        }
        let permit = limit.clone().acquire_owned().await.unwrap();
        let client = client.clone();
        let post = i % 11 == 10;
        let url = if post { proto.url(nginx, "/submit") } else { proto.url(nginx, "/bytes/100") };
        tasks.push(tokio::spawn(async move {
            let request = if post { client.post(&url).body("a small body") } else { client.get(&url) };
            let result = async { request.send().await?.bytes().await }.await;
            drop(permit);
            result
                .map(|_| ())
                .map_err(|e| (post, e.processing(), format!("{} {e}", if post { "POST" } else { "GET" })))
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        if let Err(e) = tokio::time::timeout(Duration::from_secs(60), t).await.expect("hung").unwrap() {
            failures.push(e);
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_churn_through_a_connect_tunnel_and_socks5_loses_nothing() {
    if !installed() {
        return;
    }
    let cert = TestCertificate::generate().unwrap();
    let nginx = nginx(&cert, 100);
    let tiny = Tinyproxy::start(None).unwrap();
    let socks = Microsocks::start(None).unwrap();
    for (name, url, proto) in [
        ("CONNECT, h2 over TLS", Some(tiny.url()), Proto::H2Tls),
        ("CONNECT, h2c", Some(tiny.url()), Proto::H2c),
        ("SOCKS5, h2 over TLS", Some(socks.url()), Proto::H2Tls),
        ("SOCKS5, h2c", Some(socks.url()), Proto::H2c),
        ("forwarded, HTTP/1.1", Some(tiny.url()), Proto::Http1),
        ("SOCKS5, HTTP/1.1", Some(socks.url()), Proto::Http1),
        // The same without a proxy, for comparison.
        ("direct, h2c", None, Proto::H2c),
        ("direct, HTTP/1.1", None, Proto::Http1),
    ] {
        let client = match url {
            Some(url) => proto.builder(&cert).proxy(Proxy::all(&url).unwrap()),
            None => proto.builder(&cert).no_proxy().resolve("localhost", "127.0.0.1:0".parse().unwrap()),
        };
        let client = client.build().unwrap();
        let failures = churn(&client, &nginx, proto).await;
        let stats = client.stats();
        println!(
            "churn through {name}: {} requests, {} failed, GOAWAYs {}, connections {}, retries {:?}",
            GETS + POSTS,
            failures.len(),
            stats.go_aways_total(),
            stats.connections_opened,
            stats.retries
        );
        match proto {
            Proto::H2c | Proto::H2Tls => {
                assert!(failures.is_empty(), "{name}: {:?}", &failures[..failures.len().min(5)]);
            }
            // HTTP/1.1 has no GOAWAY: a connection nginx closes on reload
            // after the request went out (an old worker closes connections
            // whose request it has not read yet) may have processed it, as
            // far as the client can know; through a forward proxy, the
            // proxy may have sent it on. GETs are retried; a POST fails
            // saying so, and is never sent twice.
            Proto::Http1 => {
                let wrong: Vec<_> = failures
                    .iter()
                    .filter(|(post, verdict, _)| {
                        !*post || *verdict != Some(baton::Processing::MaybeProcessed)
                    })
                    .collect();
                assert!(wrong.is_empty(), "{name}: {wrong:?}");
            }
        }
        if !matches!(proto, Proto::Http1) {
            assert!(stats.go_aways_total() >= ((GETS + POSTS) / 100) as u64, "{name}: {stats:?}");
        }
    }
}
