//! Response decompression against real servers: nginx with `gzip on` and
//! Debian's brotli filter (when installed), over HTTP/1.1 and h2c; the lab
//! for every coding's exact bytes (gzip, deflate, br, zstd), trailers, a
//! body that does not decode, a compressed body cut mid-way, and what the
//! switches turn off. Needs every coding feature (`[[test]]` in Cargo.toml).

mod common;

use std::sync::Arc;

use baton::{Client, ClientBuilder, Processing};
use baton_lab::nginx::{Listener, NginxOptions, Protocol};
use baton_lab::{DisconnectPoint, Lab, LabOptions, Scenario};
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use http::{Method, StatusCode};
use http_body_util::BodyExt;

/// The `Accept-Encoding` nginx saw (its `X-Seen-AE`; nginx leaves out a
/// header whose value is empty).
fn seen_ae(resp: &baton::Response) -> &str {
    resp.headers().get("x-seen-ae").map_or("", |v| v.to_str().unwrap())
}

/// A builder with every coding off: what the server sends, as it is.
fn raw() -> ClientBuilder {
    Client::builder().no_gzip().no_brotli().no_zstd().no_deflate()
}

/// nginx compresses `/text.txt` with what the client asked for, and the
/// client decodes it: gzip, and br with the brotli filter; the client's
/// own `Accept-Encoding`, a `Range`, and the switches are honoured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_gzip_and_brotli_are_decoded() {
    let mut options = NginxOptions::new(Protocol::Http1);
    options.listeners.push(Listener::new(Protocol::H2c));
    options.site = Arc::new(common::SurfaceSite);
    let Some(nginx) = common::nginx_or_skip(&options) else { return };
    let brotli = common::SurfaceSite::brotli();
    if !brotli {
        println!(
            "brotli: nginx's filter is not installed (apt-get install libnginx-mod-http-brotli-filter); the lab covers br"
        );
    }
    let text = baton_lab::routes::text(common::SurfaceSite::TEXT_LEN);
    for (proto, addr, h2) in [("h1", nginx.addrs()[0], false), ("h2", nginx.addrs()[1], true)] {
        let url = format!("http://{addr}/text.txt");
        let build = |b: ClientBuilder| if h2 { b.http2_prior_knowledge() } else { b }.build().unwrap();

        // Off: no Accept-Encoding, the file as it is.
        let resp = build(raw()).get(&url).send().await.unwrap();
        assert_eq!(seen_ae(&resp), "", "{proto}: nothing asked");
        assert!(!resp.headers().contains_key(CONTENT_ENCODING), "{proto}");
        assert_eq!(resp.bytes().await.unwrap(), text, "{proto}");

        // Off, asking by hand: nginx's gzip, left as it came.
        let resp = build(raw()).get(&url).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip", "{proto}: off means the bytes as they came");
        let gz = resp.bytes().await.unwrap();
        assert!(gz.starts_with(b"\x1f\x8b") && gz.len() < text.len() / 2, "{proto}: {} bytes", gz.len());

        // gzip only: asked for, decoded, the headers of the compressed bytes gone.
        let resp =
            build(Client::builder().no_brotli().no_zstd().no_deflate()).get(&url).send().await.unwrap();
        assert_eq!(seen_ae(&resp), "gzip", "{proto}");
        assert!(!resp.headers().contains_key(CONTENT_ENCODING), "{proto}");
        assert!(!resp.headers().contains_key(CONTENT_LENGTH), "{proto}");
        assert_eq!(resp.bytes().await.unwrap(), text, "{proto} gzip");

        if brotli {
            let resp = build(raw()).get(&url).header("accept-encoding", "br").send().await.unwrap();
            assert_eq!(resp.headers()[CONTENT_ENCODING], "br", "{proto}: nginx compresses with brotli");
            let resp =
                build(Client::builder().no_gzip().no_zstd().no_deflate()).get(&url).send().await.unwrap();
            assert_eq!(seen_ae(&resp), "br", "{proto}");
            assert!(!resp.headers().contains_key(CONTENT_ENCODING), "{proto}");
            assert_eq!(resp.bytes().await.unwrap(), text, "{proto} br");
        }

        // Everything on (the features' default), then the caller's own choice.
        let client = build(Client::builder());
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(seen_ae(&resp), "gzip, br, zstd, deflate", "{proto}");
        assert_eq!(resp.bytes().await.unwrap(), text, "{proto} all");
        let resp =
            client.get(&url).header("accept-encoding", "gzip;q=1, identity;q=0.5").send().await.unwrap();
        assert_eq!(seen_ae(&resp), "gzip;q=1, identity;q=0.5", "{proto}: the caller's, as it is");
        assert_eq!(resp.bytes().await.unwrap(), text, "{proto}: still decoded");
        let resp = client.get(&url).header("range", "bytes=0-99").send().await.unwrap();
        assert_eq!(seen_ae(&resp), "", "{proto}: a range is of the bytes as stored");
        assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(resp.bytes().await.unwrap(), text.slice(..100));
        let resp = client.request(Method::HEAD, &url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{proto}");
        assert!(resp.bytes().await.unwrap().is_empty(), "{proto}: HEAD has no body to decode");
    }
}

/// Every coding, over both protocols, against the lab's exact bytes; the
/// trailers after the decoded body, through `chunk` and as an
/// `http_body::Body`; the switches one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_coding_is_decoded_exactly() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let text = baton_lab::routes::text(300_000);
    for (proto, client) in
        [("h1", Client::new()), ("h2", Client::builder().http2_prior_knowledge().build().unwrap())]
    {
        for coding in ["gzip", "deflate", "br", "zstd"] {
            let case = format!("{proto} {coding}");
            let resp = client.get(lab.url(&format!("/text/300000?encoding={coding}"))).send().await.unwrap();
            assert!(!resp.headers().contains_key(CONTENT_ENCODING), "{case}");
            assert!(!resp.headers().contains_key(CONTENT_LENGTH), "{case}");
            assert_eq!(resp.bytes().await.unwrap(), text, "{case}");

            let mut resp = client.get(lab.url(&format!("/trailers?encoding={coding}"))).send().await.unwrap();
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.unwrap() {
                body.extend_from_slice(&chunk);
            }
            assert_eq!(body, b"body with trailers", "{case}");
            assert_eq!(resp.trailers().unwrap()["x-status"], "done", "{case}");

            let resp: http::Response<baton::Incoming> =
                client.get(lab.url(&format!("/trailers?encoding={coding}"))).send().await.unwrap().into();
            let collected = resp.into_body().collect().await.unwrap();
            assert_eq!(collected.trailers().unwrap()["x-checksum"], "abc123", "{case}");
            assert_eq!(collected.to_bytes(), "body with trailers", "{case}");

            // This coding off, the others on: its bytes as they came.
            let off = match coding {
                "gzip" => Client::builder().no_gzip(),
                "deflate" => Client::builder().no_deflate(),
                "br" => Client::builder().no_brotli(),
                _ => Client::builder().no_zstd(),
            };
            let off = if proto == "h2" { off.http2_prior_knowledge() } else { off }.build().unwrap();
            let resp = off.get(lab.url(&format!("/text/1000?encoding={coding}"))).send().await.unwrap();
            assert_eq!(resp.headers()[CONTENT_ENCODING], coding, "{case} off");
            let raw = resp.bytes().await.unwrap();
            assert_eq!(
                raw,
                baton_lab::coding::Coding::parse(coding).unwrap().encode(&text[..1000]),
                "{case} off"
            );
        }
        // Each decoded body was read to its end on the wire, trailers and
        // all, though the decoder stopped at the compressed stream's end:
        // the HTTP/1.1 connection was reused (a body left unread would
        // cost a connection per request, 12 here). It is back in the pool
        // before the reader hears of the body's end (`conn/h1/task.rs`),
        // so the next request never opens another.
        let opened = client.stats().connections_opened;
        assert_eq!(opened, 1, "{proto}: {opened} connections for 12 requests");
    }
    lab.stop().await;
}

/// A body labelled with a coding it is not in fails as a decode error,
/// `ResponseStarted`, with the journal; an empty one labelled so, and a
/// HEAD, are not decoded at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_decode_is_a_decode_error() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    for client in [Client::new(), Client::builder().http2_prior_knowledge().build().unwrap()] {
        for coding in ["gzip", "deflate", "br", "zstd"] {
            let resp = client.get(lab.url(&format!("/text/5000?label={coding}"))).send().await.unwrap();
            let err = resp.bytes().await.unwrap_err();
            assert!(err.is_decode(), "{coding}: {err}");
            assert_eq!(err.processing(), Some(Processing::ResponseStarted), "{err}");
            assert!(
                err.to_string().contains(&format!("the {coding} response body does not decode")),
                "{err}"
            );
            assert_eq!(err.attempts().len(), 1);
            assert!(std::error::Error::source(&err).is_some(), "the decoder's error is the source");

            let resp = client.get(lab.url(&format!("/bytes/0?label={coding}"))).send().await.unwrap();
            assert_eq!(resp.headers()[CONTENT_ENCODING], coding, "Content-Length: 0 is not decoded");
            assert!(resp.bytes().await.unwrap().is_empty());
            let resp =
                client.request(Method::HEAD, lab.url(&format!("/text/500?encoding={coding}"))).send().await;
            assert!(resp.unwrap().bytes().await.unwrap().is_empty(), "HEAD {coding}");
        }
    }
    lab.stop().await;
}

/// A compressed response cut mid-body fails `ResponseStarted`, with the
/// connection's error (not the decoder's view of it), for every coding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_body_cut_mid_way_is_response_started() {
    for coding in ["gzip", "deflate", "br", "zstd"] {
        for h2 in [false, true] {
            let scenario = Scenario::Disconnect { at: DisconnectPoint::MidResponse, after: 1 };
            let lab = Lab::start(LabOptions::new(scenario)).await.unwrap();
            let client = if h2 { Client::builder().http2_prior_knowledge() } else { Client::builder() };
            let client = client.build().unwrap();
            let resp = client.get(lab.url(&format!("/text/1000000?encoding={coding}"))).send().await.unwrap();
            assert!(!resp.headers().contains_key(CONTENT_ENCODING), "being decoded");
            let mut resp = resp;
            let mut decoded = 0;
            let err = loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => decoded += chunk.len(),
                    Ok(None) => panic!("{coding} h2={h2}: the whole body after a cut ({decoded} bytes)"),
                    Err(e) => break e,
                }
            };
            assert!(decoded > 0 && decoded < 1_000_000, "{coding} h2={h2}: cut mid-way, {decoded} decoded");
            assert_eq!(err.processing(), Some(Processing::ResponseStarted), "{coding}: {err}");
            assert!(err.is_decode() && err.to_string().contains("cut off"), "{coding} h2={h2}: {err}");
            assert!(resp.chunk().await.unwrap().is_none(), "over after an error");
            lab.stop().await;
        }
    }
}

/// The `Accept-Encoding` the switches make, as a server receives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_encoding_names_what_is_on() {
    let options = NginxOptions { site: Arc::new(common::SurfaceSite), ..NginxOptions::new(Protocol::Http1) };
    let Some(nginx) = common::nginx_or_skip(&options) else { return };
    let url = nginx.url("/show");
    for (builder, expected) in [
        (Client::builder(), "gzip, br, zstd, deflate"),
        (Client::builder().no_gzip(), "br, zstd, deflate"),
        (Client::builder().no_brotli().no_zstd(), "gzip, deflate"),
        (Client::builder().gzip(false).deflate(false).brotli(false), "zstd"),
        (raw(), ""),
        (raw().gzip(true), "gzip"),
    ] {
        let seen = builder.build().unwrap().get(&url).send().await.unwrap().text().await.unwrap();
        assert!(seen.trim_end().ends_with(&format!(" ae={expected}")), "{expected:?}: {seen}");
    }
}
