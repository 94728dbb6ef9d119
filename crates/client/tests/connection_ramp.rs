//! How the pool opens HTTP/2 connections for requests that find no room:
//! once the server's SETTINGS_MAX_CONCURRENT_STREAMS is known (RFC 9113
//! §6.5.2), as many at once as the waiting requests need, not one after the
//! other with each waiting for the previous one's SETTINGS; and no more than
//! they need.

use std::time::Duration;

use baton::Client;
use baton_lab::script::{ScriptServer, Settings};

/// A script that finds the client waiting (when it should not) fails here,
/// instead of both sides waiting on each other.
const PATIENCE: Duration = Duration::from_secs(5);
/// Requests, and the connections they need at one stream each.
const REQUESTS: usize = 4;

/// The server allows one stream per connection and answers nothing until
/// it has accepted a connection for every request: with connections opened
/// one at a time, each after the previous one's SETTINGS, the second's
/// SETTINGS never come and the rest never open.
#[tokio::test]
async fn waiting_requests_open_the_connections_they_need_at_once() {
    let server = ScriptServer::bind().await.unwrap().with_timeout(PATIENCE);
    let url = format!("{}/", server.url());
    let script = tokio::spawn(async move {
        let one_stream = Settings { max_concurrent_streams: Some(1), ..Settings::default() };
        let mut first = server.accept().await?;
        first.handshake(one_stream).await?;
        let mut conns = vec![first];
        for _ in 1..REQUESTS {
            conns.push(server.accept().await?);
        }
        for conn in &mut conns[1..] {
            conn.handshake(one_stream).await?;
        }
        for conn in &mut conns {
            let request = conn.recv_request().await?;
            conn.respond(request.stream_id.value(), 200, b"ok").await?;
        }
        Ok::<_, std::io::Error>(())
    });
    // Room for twice the connections needed: the requests open four, not
    // more.
    let client = Client::builder()
        .http2_prior_knowledge()
        .max_connections_per_origin(2 * REQUESTS)
        .connect_timeout(PATIENCE)
        .build()
        .unwrap();
    let requests: Vec<_> = (0..REQUESTS)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move { client.get(&url).send().await?.bytes().await })
        })
        .collect();
    let answered = tokio::time::timeout(2 * PATIENCE, async {
        let mut answered = 0;
        for request in requests {
            if request.await.unwrap().is_ok_and(|body| &body[..] == b"ok") {
                answered += 1;
            }
        }
        answered
    })
    .await
    .expect("the requests waited for connections opened one after the other");
    assert_eq!(answered, REQUESTS, "every request answered");
    script.await.unwrap().expect("the server saw a connection for every request");
    assert_eq!(client.stats().connections_opened, REQUESTS as u64, "one connection per request, no more");
}

/// Sequential requests on a connection that takes one stream at a time,
/// each read to its end before the next is sent: the stream's slot is free
/// by the time its reader hears the body's end, so the next request takes
/// it instead of opening another connection. (Told first, a reader on the
/// other worker could look in between, find the connection full, and open
/// one.) The server accepts one connection only: a request sent on a
/// second would wait for an answer that never comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_is_free_before_its_reader_hears_its_end() {
    const SEQUENTIAL: usize = 300;
    let server = ScriptServer::bind().await.unwrap().with_timeout(PATIENCE);
    let url = format!("{}/", server.url());
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await?;
        conn.handshake(Settings { max_concurrent_streams: Some(1), ..Settings::default() }).await?;
        for _ in 0..SEQUENTIAL {
            let request = conn.recv_request().await?;
            conn.respond(request.stream_id.value(), 200, b"ok").await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let client = Client::builder()
        .http2_prior_knowledge()
        .max_connections_per_origin(4)
        .connect_timeout(PATIENCE)
        .build()
        .unwrap();
    let answered = tokio::time::timeout(2 * PATIENCE, async {
        let mut answered = 0;
        for i in 0..SEQUENTIAL {
            let body = match client.get(&url).send().await {
                Ok(response) => response.bytes().await,
                Err(e) => Err(e),
            };
            let body = body.unwrap_or_else(|e| {
                panic!("request {i} failed: went to a second connection, which the server never answers? {e}")
            });
            answered += usize::from(&body[..] == b"ok");
        }
        answered
    })
    .await
    .expect("a request went to a second connection, which the server never answers");
    assert_eq!(answered, SEQUENTIAL, "every request answered");
    script.await.unwrap().expect("the server answered every request on its one connection");
    assert_eq!(client.stats().connections_opened, 1, "one connection for sequential requests");
}
