//! Regression tests for client bugs the interop suite found.
//!
//! HTTP/1.1, early 2xx head during a streamed body: the engine used to stop
//! sending the request body on any final response head that arrived before
//! the body was fully written, so the terminating `0\r\n\r\n` was never
//! sent and a server that answers 200 early and reads on (a streaming echo,
//! Apache's mod_reflector) waited forever. RFC 9112 §9.5 stops only a body
//! the server refuses (an error or redirect, or a response that closes the
//! connection); `crates/proto/src/h1/conn/read.rs` now lets the body finish
//! after an early 2xx on a persistent connection.

use std::time::Duration;

use baton_interop::apache::{self, Apache, ApacheOptions};
use baton_interop::cases::ChannelBody;
use baton_interop::{Proto, require};
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common;

/// A server that answers `200` with a chunked body as soon as it has the
/// request head, then reads the request body to its last chunk before it
/// ends the response — as any streaming server may (RFC 9112 allows a
/// response before the request is complete; only an error response that
/// closes the connection tells the client to stop sending). The client
/// streams two chunks 300 ms apart, so the response head arrives between
/// them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_streamed_body_is_finished_after_an_early_2xx_head() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        let mut head_answered = false;
        loop {
            if !head_answered && seen.windows(4).any(|w| w == b"\r\n\r\n") {
                sock.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").await.unwrap();
                head_answered = true;
            }
            if head_answered && seen.ends_with(b"\r\n0\r\n\r\n") {
                sock.write_all(b"2\r\nok\r\n0\r\n\r\n").await.unwrap();
                return Ok(seen.len());
            }
            match tokio::time::timeout(Duration::from_secs(3), sock.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
                _ => return Err(String::from_utf8_lossy(&seen).into_owned()),
            }
        }
    });
    let client = baton::Client::builder().http1_only().build().unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        tx.send(Bytes::from_static(b"first")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.send(Bytes::from_static(b"second")).await.unwrap();
    });
    let exchange = async {
        let resp = client
            .post(format!("http://{addr}/stream"))
            .body(baton::Body::wrap(ChannelBody(rx)))
            .send()
            .await?;
        resp.bytes().await
    };
    let body = tokio::time::timeout(Duration::from_secs(10), exchange).await.expect("no hang");
    let seen = server.await.unwrap();
    assert!(seen.is_ok(), "the server never got the last chunk; it saw {seen:?}");
    assert_eq!(body.unwrap(), "ok");
}

/// The same against a real server: Apache's mod_reflector streams the
/// request body back while it reads it, so its response head comes before
/// the streamed body ends. The client stops sending; Apache waits for the
/// last chunk (the exchange hangs), and when the connection finally goes,
/// Apache appends its 400 page to the echoed bytes of a `200` response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_reflector_http1_streamed_upload() {
    let certs = common::certs();
    if require("apache2 (with mod_http2)", apache::find()).is_none() {
        return;
    }
    let server = Apache::start(ApacheOptions::default(), &certs).unwrap();
    let base = server.endpoints().base(Proto::Http1).unwrap();
    let client = Proto::Http1.client(&certs, Duration::from_secs(10)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let chunk = Bytes::from(vec![b'a'; 1000]);
    tokio::spawn(async move {
        for _ in 0..4 {
            if tx.send(chunk.clone()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let exchange = async {
        let resp = client
            .post(format!("{base}{}", apache::PATH_REFLECT))
            .header("content-type", "application/octet-stream")
            .body(baton::Body::wrap(ChannelBody(rx)))
            .send()
            .await?;
        resp.bytes().await
    };
    let body = tokio::time::timeout(Duration::from_secs(15), exchange).await.expect("no hang").unwrap();
    assert_eq!(body.len(), 4000);
}
