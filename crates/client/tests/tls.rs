//! TLS with ALPN h2 against the lab's self-signed certificate (rcgen).

use std::time::Duration;

use baton::Client;
use baton_lab::{Lab, LabOptions, Scenario};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alpn_h2_over_tls_with_a_custom_root() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal).tls()).await.unwrap();
    let cert = lab.certificate().unwrap().cert.to_vec();
    let client = Client::builder().add_root_certificate(cert).tls_built_in_roots(false).build().unwrap();
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("https://{host}:{}/bytes/5000", lab.addr().port());
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.version(), http::Version::HTTP_2);
        assert_eq!(resp.bytes().await.unwrap().len(), 5000);
    }
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_a_clear_connect_error() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal).tls()).await.unwrap();
    let client = Client::builder().retry(baton::RetryPolicy::never()).build().unwrap();
    let err = client.get(lab.url("/")).send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(err.to_string().contains("TLS handshake"), "{err}");
    // The named escape hatch for self-signed test servers.
    let insecure = Client::builder().danger_accept_invalid_certs(true).build().unwrap();
    let resp = insecure.get(lab.url("/bytes/3")).send().await.unwrap();
    assert_eq!(resp.bytes().await.unwrap().len(), 3);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_fails_before_any_io() {
    let client = Client::new();
    for (url, what) in [
        ("not a url", "invalid URL"),
        ("ftp://example.com/", "unsupported URL scheme"),
        ("/relative", "has no scheme"),
    ] {
        let err = client.get(url).send().await.unwrap_err();
        assert!(err.is_builder(), "{url}: {err:?}");
        assert!(err.to_string().contains(what), "{url}: {err}");
    }
    let err = client.get("http://127.0.0.1:1/").header("bad header", "x").send().await.unwrap_err();
    assert!(err.is_builder() && err.to_string().contains("invalid header name"), "{err}");
    let err = client.get("http://127.0.0.1:1/").header("x", "line\nbreak").send().await.unwrap_err();
    assert!(err.is_builder() && err.to_string().contains("invalid value"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_is_a_connect_error() {
    // Bind and drop a listener to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client =
        Client::builder().http2_prior_knowledge().connect_timeout(Duration::from_secs(2)).build().unwrap();
    let err = client.get(format!("http://127.0.0.1:{port}/")).send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(err.to_string().contains("cannot connect"), "{err}");
}
