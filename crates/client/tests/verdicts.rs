//! A request's verdict is its furthest attempt's: a PUT whose first
//! attempt may have been processed stays `MaybeProcessed` when its retry is
//! refused (found in review; the test failed before the fix).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SETTINGS: [u8; 9] = [0, 0, 0, 4, 0, 0, 0, 0, 0];
const SETTINGS_ACK: [u8; 9] = [0, 0, 0, 4, 1, 0, 0, 0, 0];
const RST_REFUSED_1: [u8; 13] = [0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 7];

/// Reads frames until stream 1's request has ended (END_STREAM on HEADERS
/// or DATA); answers the client's SETTINGS.
async fn read_request(s: &mut TcpStream) {
    let mut preface = [0u8; 24];
    s.read_exact(&mut preface).await.unwrap();
    loop {
        let mut h = [0u8; 9];
        s.read_exact(&mut h).await.unwrap();
        let len = u32::from_be_bytes([0, h[0], h[1], h[2]]) as usize;
        let mut payload = vec![0u8; len];
        s.read_exact(&mut payload).await.unwrap();
        let (ty, flags) = (h[3], h[4]);
        let stream = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
        if ty == 4 && flags & 1 == 0 {
            s.write_all(&SETTINGS_ACK).await.unwrap();
        }
        if (ty == 0 || ty == 1) && stream == 1 && flags & 1 == 1 {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maybe_processed_attempt_is_not_forgotten_by_the_final_verdict() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        // Connection 1: takes the whole PUT (it may act on it), then dies.
        let (mut s, _) = listener.accept().await.unwrap();
        s.write_all(&SETTINGS).await.unwrap();
        read_request(&mut s).await;
        drop(s);
        // Connection 2: refuses the retry's stream.
        let (mut s, _) = listener.accept().await.unwrap();
        s.write_all(&SETTINGS).await.unwrap();
        read_request(&mut s).await;
        s.write_all(&RST_REFUSED_1).await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let client = baton::Client::builder()
        .http2_prior_knowledge()
        .retry(baton::RetryPolicy::default().max_attempts(2))
        .build()
        .unwrap();
    let err =
        client.put(format!("http://127.0.0.1:{port}/account/7")).body("balance=0").send().await.unwrap_err();
    for a in err.attempts() {
        eprintln!("attempt: {a}");
    }
    eprintln!("error: {err}; processing {:?}", err.processing());
    assert_eq!(err.attempts()[0].processing, Some(baton::Processing::MaybeProcessed));
    assert_eq!(
        err.processing(),
        Some(baton::Processing::MaybeProcessed),
        "attempt 1 may have been processed; the request's verdict says it was not"
    );
}
