//! Mutual TLS and TLS versions: against real nginx with `ssl_verify_client
//! on` (skipped with a note when nginx is not installed), and against a
//! rustls server that requires a client certificate, which rejects a
//! missing or foreign one with a TLS alert (after the handshake with TLS
//! 1.3, during it with 1.2).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use baton::tls::Version;
use baton::{Client, Identity};
use baton_lab::nginx::{Nginx, NginxOptions, Protocol};
use baton_lab::tls::{TestCa, TestCertificate};
#[cfg(feature = "platform-verifier")]
use baton_lab::{Lab, LabOptions, Scenario};

fn nginx(server: &TestCertificate, client_ca: Option<&TestCa>, protocols: Option<&str>) -> Option<Nginx> {
    if Nginx::find().is_none() {
        eprintln!("nginx not installed: skipped");
        return None;
    }
    let mut options = NginxOptions::new(Protocol::H2Tls);
    options.tls = Some(baton_lab::nginx::TlsIdentity {
        cert_pem: server.cert_pem.clone(),
        key_pem: server.key_pem().to_owned(),
    });
    options.client_ca_pem = client_ca.map(|ca| ca.cert_pem.clone());
    options.tls_protocols = protocols.map(str::to_owned);
    Some(Nginx::start(&options).expect("nginx starts"))
}

/// A client trusting only `server`'s certificate, given as PEM.
fn client(server: &TestCertificate) -> baton::ClientBuilder {
    Client::builder().add_root_certificates_pem(server.cert_pem.as_bytes()).unwrap().tls_built_in_roots(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_with_ssl_verify_client_takes_a_good_certificate_over_h2_and_http1() {
    let server = TestCertificate::generate().unwrap();
    let ca = TestCa::generate().unwrap();
    let Some(nginx) = nginx(&server, Some(&ca), None) else { return };
    let alice = ca.client_certificate("alice").unwrap();
    let identity = Identity::from_pem(alice.identity_pem().as_bytes()).unwrap();
    let h2 = client(&server).identity(identity.clone()).build().unwrap();
    let h1 = client(&server).identity(identity).http1_only().build().unwrap();
    for (client, version) in [(&h2, http::Version::HTTP_2), (&h1, http::Version::HTTP_11)] {
        for _ in 0..3 {
            let resp = client.get(nginx.url("/bytes/100")).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.version(), version);
            assert_eq!(resp.bytes().await.unwrap().len(), 100);
        }
    }
    // Separate PEM files, as curl's --cert and --key take them.
    let parts = Identity::from_pem_parts(alice.cert_pem.as_bytes(), alice.key_pem().as_bytes()).unwrap();
    let resp = client(&server).identity(parts).build().unwrap().get(nginx.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // One HTTP/2 connection carried its three requests.
    assert_eq!(h2.stats().connections_opened, 1);
}

/// nginx finishes the handshake whatever the client sent, and answers
/// `400` with its reason (it verifies after the handshake): a response, not
/// an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_answers_400_to_a_missing_or_foreign_certificate() {
    let server = TestCertificate::generate().unwrap();
    let ca = TestCa::generate().unwrap();
    let Some(nginx) = nginx(&server, Some(&ca), None) else { return };
    let none = client(&server).build().unwrap();
    let resp = none.get(nginx.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let text = resp.text().await.unwrap();
    assert!(text.contains("No required SSL certificate was sent"), "{text}");

    let mallory = TestCa::generate().unwrap().client_certificate("mallory").unwrap();
    let foreign = client(&server)
        .identity(Identity::from_pem(mallory.identity_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let resp = foreign.get(nginx.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let text = resp.text().await.unwrap();
    assert!(text.contains("SSL certificate error"), "{text}");
}

/// A rustls server requiring a certificate from `ca`, speaking `version`
/// and nothing but TLS; it counts the connections it accepted, and stops
/// with the test's runtime.
async fn strict_server(
    server: &TestCertificate,
    ca: &TestCa,
    version: &'static rustls::SupportedProtocolVersion,
) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let config = server.server_config_requiring_client_certs(ca, version, &[b"h2", b"http/1.1"]).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        // Bounded: a test makes a handful of connections.
        for _ in 0..50 {
            let Ok((tcp, _)) = listener.accept().await else { return };
            count.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // The handshake fails for every client the tests send; the
                // acceptor sends its alert as it does.
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    use tokio::io::AsyncReadExt;
                    let mut buf = [0u8; 1024];
                    let _ = tls.read(&mut buf).await;
                }
            });
        }
    });
    (addr, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_client_certificate_is_a_clear_tls_error_that_is_not_retried() {
    let server = TestCertificate::generate().unwrap();
    let ca = TestCa::generate().unwrap();
    let mallory = TestCa::generate().unwrap().client_certificate("mallory").unwrap();
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let (addr, accepted) = strict_server(&server, &ca, version).await;
        let url = format!("https://localhost:{}/", addr.port());
        for (who, identity) in [
            ("no certificate", None),
            ("foreign", Some(Identity::from_pem(mallory.identity_pem().as_bytes()).unwrap())),
        ] {
            for http1 in [false, true] {
                let mut builder = client(&server);
                if let Some(id) = identity.clone() {
                    builder = builder.identity(id);
                }
                if http1 {
                    builder = builder.http1_only();
                }
                let before = accepted.load(Ordering::SeqCst);
                for method in [http::Method::GET, http::Method::POST] {
                    let err = builder
                        .clone()
                        .build()
                        .unwrap()
                        .request(method.clone(), &url)
                        .send()
                        .await
                        .unwrap_err();
                    let case = format!("{version:?} {who} http1={http1} {method}");
                    assert!(err.is_tls(), "{case}: {err:?}");
                    assert!(err.is_connect(), "{case}: {err:?}");
                    assert!(
                        err.to_string().contains("the server rejected the client certificate"),
                        "{case}: {err}"
                    );
                    assert!(err.attempts().len() <= 1, "{case}: {err}");
                }
                // One connection per request: nothing was retried.
                assert_eq!(accepted.load(Ordering::SeqCst) - before, 2, "{version:?} {who} http1={http1}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_version_bounds_are_kept_against_nginx() {
    let server = TestCertificate::generate().unwrap();
    let Some(tls12) = nginx(&server, None, Some("TLSv1.2")) else { return };
    let Some(tls13) = nginx(&server, None, Some("TLSv1.3")) else { return };
    let max12 = client(&server).max_tls_version(Version::TLS_1_2).build().unwrap();
    let min13 = client(&server).min_tls_version(Version::TLS_1_3).build().unwrap();
    // Within the bounds: answered, over the version the journal names.
    let default = client(&server).build().unwrap();
    for (client, nginx, version) in [
        (&max12, &tls12, Version::TLS_1_2),
        (&min13, &tls13, Version::TLS_1_3),
        (&default, &tls12, Version::TLS_1_2),
    ] {
        let resp = client.get(nginx.url("/")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.attempts()[0].tls_version, Some(version));
        assert!(resp.attempts()[0].to_string().contains(&format!(", {version}")), "{}", resp.attempts()[0]);
    }
    // Outside them: a TLS error naming the cause, not retried.
    for (client, nginx) in [(&min13, &tls12), (&max12, &tls13)] {
        let err = client.get(nginx.url("/")).send().await.unwrap_err();
        assert!(err.is_tls() && err.is_connect(), "{err:?}");
        assert!(err.to_string().contains("TLS handshake"), "{err}");
        assert!(err.attempts().len() <= 1, "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_identity_is_a_builder_error() {
    let alice = TestCa::generate().unwrap().client_certificate("alice").unwrap();
    let other = TestCertificate::generate().unwrap();
    // The key of another certificate.
    let mismatched = Identity::from_pem_parts(alice.cert_pem.as_bytes(), other.key_pem().as_bytes()).unwrap();
    let err = Client::builder().identity(mismatched).build().err().expect("a builder error");
    assert!(err.is_builder(), "{err:?}");
    for pem in [alice.cert_pem.as_str(), alice.key_pem()] {
        let err = Identity::from_pem(pem.as_bytes()).unwrap_err();
        assert!(err.is_builder(), "{err:?}");
    }
}

/// `resolve` connects to the address given, while TLS still names the
/// URL's host: the certificate (for `localhost`) is checked against it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_overrides_dns_but_not_the_server_name() {
    let server = TestCertificate::generate().unwrap();
    let Some(nginx) = nginx(&server, None, None) else { return };
    let port = nginx.addr().port();
    let pinned = client(&server).resolve("localhost", nginx.addr()).build().unwrap();
    // Port 1 in the URL; the pinned address's port wins.
    let resp = pinned.get("https://localhost:1/bytes/100").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // The name presented is the URL's: a certificate for another name fails.
    let elsewhere = client(&server).resolve("example.invalid", nginx.addr()).build().unwrap();
    let err = elsewhere.get(format!("https://example.invalid:{port}/")).send().await.unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    assert!(err.to_string().contains("certificate"), "{err}");
}

/// aws-lc-rs under rustls does what ring does: mutual TLS with nginx, over
/// HTTP/2 and HTTP/1.1, and a rejected certificate reported the same way.
#[cfg(feature = "aws-lc-rs")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_lc_rs_speaks_mutual_tls_too() {
    use baton::tls::CryptoProvider;
    let server = TestCertificate::generate().unwrap();
    let ca = TestCa::generate().unwrap();
    let alice =
        Identity::from_pem(ca.client_certificate("alice").unwrap().identity_pem().as_bytes()).unwrap();
    if let Some(nginx) = nginx(&server, Some(&ca), None) {
        for http1 in [false, true] {
            let mut builder =
                client(&server).tls_crypto_provider(CryptoProvider::AwsLcRs).identity(alice.clone());
            if http1 {
                builder = builder.http1_only();
            }
            let resp = builder.build().unwrap().get(nginx.url("/bytes/100")).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.bytes().await.unwrap().len(), 100);
        }
    }
    let (addr, _) = strict_server(&server, &ca, &rustls::version::TLS13).await;
    let client = client(&server).tls_crypto_provider(CryptoProvider::AwsLcRs).build().unwrap();
    let err = client.get(format!("https://localhost:{}/", addr.port())).send().await.unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    assert!(err.to_string().contains("the server rejected the client certificate"), "{err}");
}

/// The platform verifier trusts added roots (and the system's, which do not
/// know the lab's certificate).
#[cfg(feature = "platform-verifier")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_verifier_trusts_added_roots_only_beside_the_systems() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal).tls()).await.unwrap();
    let cert = lab.certificate().unwrap().cert.to_vec();
    let trusting = Client::builder().tls_platform_verifier(true).add_root_certificate(cert).build().unwrap();
    let resp = trusting.get(lab.url("/bytes/7")).send().await.unwrap();
    assert_eq!(resp.bytes().await.unwrap().len(), 7);
    let system_only = Client::builder().tls_platform_verifier(true).build().unwrap();
    let err = system_only.get(lab.url("/")).send().await.unwrap_err();
    assert!(err.is_tls() && err.is_connect(), "{err:?}");
    assert!(err.to_string().contains("certificate"), "{err}");
    lab.stop().await;
}

/// `tls_sni(false)` leaves the server name out of the handshake (RFC 6066
/// §3), and the certificate is still checked against the URL's host;
/// `resolve` keeps the URL's name in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sni_is_the_urls_host_or_nothing() {
    let server = TestCertificate::generate().unwrap();
    let config = server.server_config(&[b"http/1.1"]).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, mut names) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        // Bounded: the two connections below.
        for _ in 0..2 {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let Ok(mut tls) = acceptor.accept(tcp).await else { continue };
            let _ = tx.send(tls.get_ref().1.server_name().map(str::to_owned));
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut buf = [0u8; 4096];
            let _ = tls.read(&mut buf).await;
            let _ =
                tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
            let _ = tls.shutdown().await;
        }
    });
    let url = format!("https://localhost:{}/", addr.port());
    for (sni, expected) in [(true, Some("localhost".to_owned())), (false, None)] {
        let client = client(&server).tls_sni(sni).resolve("localhost", addr).build().unwrap();
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "ok");
        assert_eq!(names.recv().await.unwrap(), expected, "tls_sni({sni})");
    }
}
