//! Redirects (RFC 9110 §15.4) against real servers on two origins, 127.0.0.1
//! and 127.0.0.2 (both loopback): nginx's own `return 30x` for every status,
//! method and protocol, with what the next request carried as nginx saw it;
//! the lab for bodies replayed byte for byte, for a hop that meets a GOAWAY,
//! and for the policies, the journal and the verdicts.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use baton::redirect::Policy;
use baton::{Client, Processing, RetryPolicy, RetryReason};
use baton_lab::nginx::{Listener, NginxOptions, Protocol};
use baton_lab::{Lab, LabOptions, Scenario};
use http::{Method, StatusCode};

const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

async fn lab_on(ip: IpAddr, scenario: Scenario) -> Lab {
    let mut options = LabOptions::new(scenario);
    options.listen = SocketAddr::new(ip, 0);
    Lab::start(options).await.unwrap()
}

/// What the next request should be after `status` answered `method`
/// (RFC 9110 §15.4, as browsers and reqwest): its method, and whether it
/// keeps the body.
fn expected(status: u16, method: &Method) -> (Method, bool) {
    match (status, method) {
        (303, m) if *m != Method::HEAD => (Method::GET, false),
        (301 | 302, &Method::POST) => (Method::GET, false),
        (_, m) => (m.clone(), true),
    }
}

/// Every redirect status, for GET, POST, PUT and DELETE, to the same
/// origin and to the other one, over HTTP/1.1 and HTTP/2: the method and
/// body of the next request as nginx saw them, credentials only within the
/// origin, `Referer` and `Host` right, and the hop in the journal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_redirects_of_every_status_across_origins() {
    let mut options = NginxOptions::new(Protocol::Http1);
    options.listeners.push(Listener::new(Protocol::Http1).on(OTHER));
    options.listeners.push(Listener::new(Protocol::H2c));
    options.listeners.push(Listener::new(Protocol::H2c).on(OTHER));
    options.site = Arc::new(common::SurfaceSite);
    let Some(nginx) = common::nginx_or_skip(&options) else { return };
    let addrs = nginx.addrs();
    let cases = [
        ("h1", addrs[0], addrs[1], Client::new()),
        ("h2", addrs[2], addrs[3], Client::builder().http2_prior_knowledge().build().unwrap()),
    ];
    let mut requests = 0;
    for (proto, here, there, client) in cases {
        for status in [301u16, 302, 303, 307, 308] {
            for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
                for target in [here, there] {
                    let cross = target != here;
                    let show = format!("http://{target}/show");
                    let url = format!("http://{here}/go/{status}?to={show}");
                    let mut request = client
                        .request(method.clone(), &url)
                        .header("authorization", "Bearer secret")
                        .header("cookie", "session=1")
                        .header("proxy-authorization", "Basic cHJveHk=");
                    let with_body = method == Method::POST || method == Method::PUT;
                    if with_body {
                        request = request.header("content-type", "text/plain").body("payload");
                    }
                    let case = format!("{proto} {status} {method} cross-origin: {cross}");
                    let resp = request.send().await.unwrap_or_else(|e| panic!("{case}: {e}"));
                    requests += 1;
                    assert_eq!(resp.status(), StatusCode::OK, "{case}");
                    assert_eq!(resp.url().to_string(), show, "{case}");
                    let attempts = resp.attempts().to_vec();
                    let seen = resp.text().await.unwrap();
                    let (next_method, keeps_body) = expected(status, &method);
                    assert!(seen.starts_with(&format!("{next_method} ")), "{case}: {seen}");
                    if with_body && keeps_body {
                        assert!(
                            seen.contains(" cl=7 ") && seen.contains(" ct=text/plain "),
                            "{case}: {seen}"
                        );
                    } else {
                        assert!(seen.contains(" cl= ") && seen.contains(" ct= "), "{case}: {seen}");
                    }
                    let credentials = ["auth=Bearer secret", "cookie=session=1", "proxy=Basic cHJveHk="];
                    for c in credentials {
                        assert_eq!(seen.contains(&format!(" {c} ")), !cross, "{case} {c}: {seen}");
                    }
                    assert!(seen.contains(&format!(" referer={url} ")), "{case}: {seen}");
                    assert!(seen.contains(&format!(" host={target} ")), "{case}: {seen}");
                    // The journal: the redirect, then the answer.
                    assert_eq!(attempts.len(), 2, "{case}: {attempts:#?}");
                    let hop = &attempts[0];
                    assert_eq!(hop.status.map(|s| s.as_u16()), Some(status), "{case}");
                    assert_eq!(hop.retried, Some(RetryReason::Redirect), "{case}");
                    assert_eq!(
                        hop.redirected_to.as_ref().map(ToString::to_string),
                        Some(show.clone()),
                        "{case}"
                    );
                    assert_eq!(hop.processing, Some(Processing::ResponseStarted), "{case}");
                    assert_eq!(attempts[1].status, Some(StatusCode::OK), "{case}");
                    assert!(hop.to_string().contains(&format!("redirected to {show}")), "{hop}");
                }
            }
        }
        assert_eq!(client.stats().redirects, 40, "{proto}");
        assert_eq!(client.stats().retries_total(), 0, "redirects are not retries");
    }
    assert_eq!(requests, 80);
}

/// A redirect to something other than http or https fails with
/// `is_redirect`, the request answered (`ResponseStarted`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_that_cannot_be_followed_fails_as_a_redirect() {
    let options = NginxOptions { site: Arc::new(common::SurfaceSite), ..NginxOptions::new(Protocol::Http1) };
    let Some(nginx) = common::nginx_or_skip(&options) else { return };
    let err = Client::new().get(nginx.url("/go/302?to=ftp://127.0.0.1/file")).send().await.unwrap_err();
    assert!(err.is_redirect(), "{err}");
    assert_eq!(err.processing(), Some(Processing::ResponseStarted), "{err}");
    assert!(err.to_string().contains("ftp://127.0.0.1/file"), "{err}");
    assert_eq!(err.attempts().len(), 1);
}

/// 307 and 308 send the body again byte for byte, to another origin, in
/// memory or streamed within the replay buffer; a stream past its buffer
/// cannot be, and the redirect is the response; 303 drops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_replayed_byte_for_byte_or_the_redirect_is_the_answer() {
    let here = lab_on(Ipv4Addr::LOCALHOST.into(), Scenario::Normal).await;
    let there = lab_on(OTHER, Scenario::Normal).await;
    let echo = there.url("/echo");
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    for client in [
        Client::builder().retry(RetryPolicy::default().replay_buffer(64 << 10)).build().unwrap(),
        Client::builder()
            .http2_prior_knowledge()
            .retry(RetryPolicy::default().replay_buffer(64 << 10))
            .build()
            .unwrap(),
    ] {
        for status in [307, 308] {
            let url = here.url(&format!("/redirect/{status}/{echo}"));
            let resp = client.post(&url).body(big.clone()).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(resp.bytes().await.unwrap(), big, "{status}: in memory, 200 kB");
            // 10 x 1000 bytes streamed: within the 64 KiB buffer.
            let resp = client.post(&url).body(common::one_shot(1000, 10)).send().await.unwrap();
            assert_eq!(resp.headers()["x-received-bytes"], "10000", "{status}: a stream within its buffer");
            // 100 x 1000 bytes: past it. The lab read it all before answering.
            let resp = client.post(&url).body(common::one_shot(1000, 100)).send().await.unwrap();
            assert_eq!(resp.status().as_u16(), status, "a stream past its buffer is not sent again");
            assert_eq!(resp.attempts().len(), 1);
        }
        let resp =
            client.post(here.url(&format!("/redirect/303/{echo}"))).body(big.clone()).send().await.unwrap();
        assert_eq!(resp.headers()["x-received-bytes"], "0", "303: GET, no body");
    }
    here.stop().await;
    there.stop().await;
}

/// A hop that meets a GOAWAY is retried like any request: the POST's 307
/// leads to a server that answers every HTTP/2 connection's first stream
/// with GOAWAY(0, HTTP_1_1_REQUIRED) (RFC 9113 §7), and the hop is sent
/// again over HTTP/1.1; every hop is in the journal, and the target
/// processed the POST once. (A hop above a GOAWAY's last_stream_id at
/// concurrency is in `scenarios.rs`, whose every scenario also runs through
/// a redirect.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_hop_meeting_a_goaway_is_retried() {
    let here = lab_on(Ipv4Addr::LOCALHOST.into(), Scenario::Normal).await;
    let there = lab_on(OTHER, Scenario::Http11Required).await;
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let url = here.url(&format!("/redirect/307/{}", there.url("/echo")));
    let resp = client.post(&url).header("x-request-id", "hop").body("once").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.version(), http::Version::HTTP_11);
    let attempts = resp.attempts().to_vec();
    assert_eq!(resp.text().await.unwrap(), "once");
    assert_eq!(attempts.len(), 3, "the redirect, the hop that met the GOAWAY, its retry: {attempts:#?}");
    assert_eq!(attempts[0].retried, Some(RetryReason::Redirect));
    let met = &attempts[1];
    assert_eq!(met.retried, Some(RetryReason::Http11Required), "{met}");
    assert_eq!(met.processing, Some(Processing::NotProcessed), "{met}");
    let go_away = met.go_away.as_ref().expect("the GOAWAY is in the journal");
    assert_eq!((go_away.last_stream_id.value(), go_away.error_code), (0, baton::Reason::HTTP_1_1_REQUIRED));
    assert_eq!(attempts[2].version, http::Version::HTTP_11);
    assert_eq!(here.ledger().count("hop (redirect)"), 1);
    assert_eq!(there.ledger().count("hop"), 1, "the target processed the POST once");
    assert_eq!(client.stats().retries_total(), 1);
    here.stop().await;
    there.stop().await;
}

/// `none` returns the redirect; `limited(n)` follows n and fails at the
/// next with the whole chain in the journal; a custom policy decides each
/// hop, and its error is the error's source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_decide_each_hop() {
    let lab = lab_on(Ipv4Addr::LOCALHOST.into(), Scenario::Normal).await;
    let chain = lab.url("/redirect/302/redirect/303/redirect/301/bytes/4");

    let client = Client::builder().redirect(Policy::none()).build().unwrap();
    let resp = client.get(&chain).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(resp.headers()["location"], "/redirect/303/redirect/301/bytes/4");
    assert_eq!(resp.attempts().len(), 1);
    assert_eq!(resp.attempts()[0].redirected_to, None);

    let client = Client::new();
    let resp = client.get(&chain).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "xxxx", "the default follows 3 of its 10");

    let client = Client::builder().redirect(Policy::limited(2)).build().unwrap();
    let err = client.get(&chain).send().await.unwrap_err();
    assert!(err.is_redirect() && err.to_string().contains("too many redirects"), "{err}");
    assert_eq!(err.processing(), Some(Processing::ResponseStarted));
    let attempts = err.attempts();
    assert_eq!(attempts.len(), 3, "{attempts:#?}");
    assert!(attempts[..2].iter().all(|a| a.retried == Some(RetryReason::Redirect)));
    assert_eq!(attempts[2].status, Some(StatusCode::MOVED_PERMANENTLY));
    assert_eq!(attempts[2].redirected_to, None, "not followed");

    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let policy = Policy::custom(move |hop| {
        log.lock().unwrap().push((hop.status().as_u16(), hop.url().path().to_owned(), hop.previous().len()));
        if hop.status() == StatusCode::MOVED_PERMANENTLY {
            hop.error("no permanent moves")
        } else {
            hop.follow()
        }
    });
    let client = Client::builder().redirect(policy).build().unwrap();
    let err = client.get(&chain).send().await.unwrap_err();
    assert!(err.is_redirect(), "{err}");
    let source = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(source.as_deref(), Some("no permanent moves"));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (302, "/redirect/303/redirect/301/bytes/4".to_owned(), 1),
            (303, "/redirect/301/bytes/4".to_owned(), 2),
            (301, "/bytes/4".to_owned(), 3)
        ]
    );
    let stop = Policy::custom(|hop| if hop.previous().len() > 1 { hop.stop() } else { hop.follow() });
    let resp = Client::builder().redirect(stop).build().unwrap().get(&chain).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "stopped at the second");
    lab.stop().await;
}

/// After a followed redirect, a failure of the next hop does not claim the
/// request unsent: the server answered it. A connect failure and the total
/// deadline, each with the redirect first in the journal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_after_a_redirect_are_response_started() {
    let lab = lab_on(Ipv4Addr::LOCALHOST.into(), Scenario::Normal).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let client = Client::builder().retry(RetryPolicy::never()).build().unwrap();
    let url = lab.url(&format!("/redirect/303/http://{closed}/nowhere"));
    let err = client.post(&url).body("order").send().await.unwrap_err();
    assert!(err.is_connect(), "{err}");
    assert_eq!(err.processing(), Some(Processing::ResponseStarted), "{err}");
    assert_eq!(err.attempts()[0].retried, Some(RetryReason::Redirect));

    let client = Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let err = client.get(lab.url("/redirect/302/delay/20000")).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(err.processing(), Some(Processing::ResponseStarted), "{err}");
    assert_eq!(err.attempts().len(), 2, "{:#?}", err.attempts());
    assert_eq!(err.attempts()[1].processing, Some(Processing::MaybeProcessed), "the hop cut off in flight");
    lab.stop().await;
}
