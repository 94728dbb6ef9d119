//! A streamed HTTP/1.1 body shorter than its Content-Length fails at once
//! as the body's fault, instead of leaving the server waiting for bytes
//! that never come (found in review; the test hung before the fix).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

struct Once(Option<Bytes>);

impl http_body::Body for Once {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.0.take().map(|b| Ok(http_body::Frame::data(b))))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_shorter_than_its_content_length_fails_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        // A server waiting for the 10 declared bytes, as any would.
        while s.read(&mut buf).await.is_ok_and(|n| n > 0) {}
    });
    let client = baton::Client::builder().http1_only().build().unwrap();
    let r = client
        .put(format!("http://127.0.0.1:{port}/x"))
        .header("content-length", "10")
        .body(baton::Body::wrap(Once(Some(Bytes::from_static(b"12345")))))
        .timeout(Duration::from_secs(3))
        .send()
        .await;
    let e = r.unwrap_err();
    eprintln!("error: {e}");
    assert!(!e.is_timeout(), "hung until the deadline instead of failing as a body error");
}
