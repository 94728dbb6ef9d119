//! When a new HTTP/2 connection takes its first requests
//! (`ClientBuilder::http2_settings_wait`), seen from a scripted server that
//! holds its own SETTINGS back: a request sent before them arrives before
//! the client's SETTINGS ACK, one that waited arrives after it (the client
//! acknowledges the server's SETTINGS the moment they arrive, and only then
//! lets a waiting request go).
//!
//! The default, `SafeRequestsFirst`: a GET goes at once on a new connection
//! to a server known to speak HTTP/2; a POST waits; the first h2c
//! connection to an origin waits; and after a connection closed before its
//! SETTINGS, every request waits.

use std::time::Duration;

use baton::{Client, Processing, RetryPolicy, SettingsWait};
use baton_lab::script::{Frame, ScriptConn, ScriptServer, Settings};

/// A script that finds the client waiting (when it should not) fails here,
/// instead of both sides waiting on each other.
const PATIENCE: Duration = Duration::from_secs(5);

fn client(wait: Option<SettingsWait>) -> Client {
    let builder = Client::builder().http2_prior_knowledge().connect_timeout(PATIENCE);
    match wait {
        Some(wait) => builder.http2_settings_wait(wait).build().unwrap(),
        None => builder.build().unwrap(),
    }
}

/// A connection served the usual way: handshake, one request answered.
async fn serve_one(conn: &mut ScriptConn) {
    conn.handshake(Settings::default()).await.unwrap();
    let request = conn.recv_request().await.unwrap();
    conn.respond(request.stream_id.value(), 200, b"ok").await.unwrap();
}

/// Whether the first request on a new connection came before the server's
/// SETTINGS: reads the preface and the client's SETTINGS; with `hold`, waits
/// for the request's HEADERS before sending ours (the client must have sent
/// it early); otherwise sends ours at once and reads on. Returns whether the
/// client's SETTINGS ACK came after the HEADERS, and the stream id.
async fn first_request(conn: &mut ScriptConn, hold: bool) -> (bool, u32) {
    conn.recv_preface().await.unwrap();
    let Some(Frame::Settings(theirs)) = conn.recv_frame().await.unwrap() else { panic!("SETTINGS first") };
    assert!(!theirs.ack);
    if !hold {
        conn.send(Frame::Settings(Settings::default())).await.unwrap();
    }
    let mut acked = false;
    let stream = loop {
        match conn.recv_frame().await.unwrap() {
            Some(Frame::Settings(s)) if s.ack => acked = true,
            Some(Frame::Headers(h)) => break h.stream_id.value(),
            Some(_) => {}
            None => panic!("the client closed before its request"),
        }
    };
    if hold {
        conn.send(Frame::Settings(Settings::default())).await.unwrap();
    }
    (!acked, stream)
}

/// The stream of the first HEADERS the client sends, reading past anything
/// else; `None` if it closes first.
async fn first_headers(conn: &mut ScriptConn) -> Option<u32> {
    while let Some(frame) = conn.recv_frame().await.unwrap() {
        if let Frame::Headers(h) = frame {
            return Some(h.stream_id.value());
        }
    }
    None
}

/// Closes a served connection and waits for the client to close its end:
/// by then the client's pool knows it closed.
async fn close_and_signal(conn: &mut ScriptConn, closed: tokio::sync::oneshot::Sender<()>) {
    conn.close().await.unwrap();
    conn.expect_eof().await.unwrap();
    closed.send(()).unwrap();
}

/// The origin's first connection: served one request the usual way, then
/// closed, so that the origin is known to speak HTTP/2 and the next
/// request opens a new connection; `closed` says when.
async fn first_connection(server: &ScriptServer, closed: tokio::sync::oneshot::Sender<()>) {
    let mut first = server.accept().await.unwrap();
    serve_one(&mut first).await;
    close_and_signal(&mut first, closed).await;
}

/// Finishes a connection whose first request `first_request` read: our
/// SETTINGS are out; acknowledge the client's and answer the request.
async fn answer(conn: &mut ScriptConn, stream: u32) {
    conn.send(Frame::Settings(Settings::ack())).await.unwrap();
    let request = conn.recv_request().await.unwrap();
    assert_eq!(request.stream_id.value(), stream);
    conn.respond(stream, 200, b"ok").await.unwrap();
}

/// An origin the client has talked to before (over HTTP/2, SETTINGS seen):
/// its next connection takes a GET at once, with the client's preface.
#[tokio::test]
async fn a_get_goes_before_the_servers_settings_on_an_origin_known_to_speak_http2() {
    let server = ScriptServer::bind().await.unwrap().with_timeout(PATIENCE);
    let url = format!("{}/", server.url());
    let (closed_tx, closed) = tokio::sync::oneshot::channel();
    let script = tokio::spawn(async move {
        first_connection(&server, closed_tx).await;
        let mut second = server.accept().await.unwrap();
        let (early, stream) = first_request(&mut second, true).await;
        answer(&mut second, stream).await;
        early
    });
    let client = client(None);
    client.get(&url).send().await.unwrap().bytes().await.unwrap();
    closed.await.unwrap();
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.attempts().len(), 1);
    resp.bytes().await.unwrap();
    assert!(script.await.unwrap(), "the GET went before the server's SETTINGS");
}

/// A POST on the same kind of new connection waits for the server's
/// SETTINGS: if the connection dies before them, nothing was sent.
#[tokio::test]
async fn a_post_waits_for_the_servers_settings() {
    let server = ScriptServer::bind().await.unwrap().with_timeout(PATIENCE);
    let url = format!("{}/", server.url());
    let (closed_tx, closed) = tokio::sync::oneshot::channel();
    let script = tokio::spawn(async move {
        first_connection(&server, closed_tx).await;
        let mut second = server.accept().await.unwrap();
        let (early, stream) = first_request(&mut second, false).await;
        answer(&mut second, stream).await;
        early
    });
    let client = client(None);
    client.get(&url).send().await.unwrap().bytes().await.unwrap();
    closed.await.unwrap();
    client.post(&url).body("order").send().await.unwrap().bytes().await.unwrap();
    assert!(!script.await.unwrap(), "the POST waited for the server's SETTINGS");
}

/// The first h2c connection to an origin waits even for a GET: prior
/// knowledge is the caller's word, and a server that is not HTTP/2 then
/// fails the connection with nothing sent.
#[tokio::test]
async fn the_first_h2c_connection_waits() {
    let server = ScriptServer::bind().await.unwrap().with_timeout(PATIENCE);
    let url = format!("{}/", server.url());
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        let (early, stream) = first_request(&mut conn, false).await;
        answer(&mut conn, stream).await;
        early
    });
    client(None).get(&url).send().await.unwrap().bytes().await.unwrap();
    assert!(!script.await.unwrap());
}

/// `Never`: even a POST on a first h2c connection goes at once.
#[tokio::test]
async fn never_sends_everything_at_once() {
    let server = ScriptServer::bind().await.unwrap().with_timeout(PATIENCE);
    let url = format!("{}/", server.url());
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        let (early, stream) = first_request(&mut conn, true).await;
        answer(&mut conn, stream).await;
        early
    });
    client(Some(SettingsWait::Never)).post(&url).body("order").send().await.unwrap().bytes().await.unwrap();
    assert!(script.await.unwrap());
}

/// `Always`: a GET on a new connection to a known origin waits too.
#[tokio::test]
async fn always_waits_even_for_a_get() {
    let server = ScriptServer::bind().await.unwrap().with_timeout(PATIENCE);
    let url = format!("{}/", server.url());
    let (closed_tx, closed) = tokio::sync::oneshot::channel();
    let script = tokio::spawn(async move {
        first_connection(&server, closed_tx).await;
        let mut second = server.accept().await.unwrap();
        let (early, stream) = first_request(&mut second, false).await;
        answer(&mut second, stream).await;
        early
    });
    let client = client(Some(SettingsWait::Always));
    client.get(&url).send().await.unwrap().bytes().await.unwrap();
    closed.await.unwrap();
    client.get(&url).send().await.unwrap().bytes().await.unwrap();
    assert!(!script.await.unwrap());
}

/// A new connection that dies before the server's SETTINGS, with a GET
/// sent early on it: the GET's outcome is unknown (MaybeProcessed), so it
/// is sent again once, on a new connection, and that one (and every other
/// for `SettingsWait::WAIT_AFTER_LOSS`) waits for the server's SETTINGS.
#[tokio::test]
async fn after_a_connection_lost_before_its_settings_every_request_waits() {
    let server = ScriptServer::bind().await.unwrap().with_timeout(PATIENCE);
    let url = format!("{}/", server.url());
    let (closed_tx, closed) = tokio::sync::oneshot::channel();
    let script = tokio::spawn(async move {
        first_connection(&server, closed_tx).await;
        // Taken, never answered (no SETTINGS): reset once the GET is in.
        let mut lost = server.accept().await.unwrap();
        lost.recv_preface().await.unwrap();
        let early = first_headers(&mut lost).await.is_some();
        lost.reset().unwrap();
        let mut third = server.accept().await.unwrap();
        let (then_early, stream) = first_request(&mut third, false).await;
        answer(&mut third, stream).await;
        (early, then_early)
    });
    let client = client(None);
    client.get(&url).send().await.unwrap().bytes().await.unwrap();
    closed.await.unwrap();
    let resp = client.get(&url).send().await.unwrap();
    let attempts = resp.attempts().to_vec();
    resp.bytes().await.unwrap();
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert_eq!(attempts[0].processing, Some(Processing::MaybeProcessed), "{attempts:#?}");
    let (early, then_early) = script.await.unwrap();
    assert!(early, "the GET went early on the connection that was lost");
    assert!(!then_early, "after the loss, the retry waited for the server's SETTINGS");
}

/// The race of the next two tests. A POST opens a new connection and waits
/// for the server's SETTINGS; a GET goes early on that connection. Then the
/// script's `then` gets the server, that connection (read up to the GET's
/// HEADERS) and the GET's stream, and plays the server's side from there.
/// Returns how the POST and the GET ended (their attempts, after reading
/// the body) and the GET's stream.
async fn post_opens_get_goes_early<F, Fut>(
    client: Client,
    then: F,
) -> (Result<usize, baton::Error>, Result<usize, baton::Error>, u32)
where
    F: FnOnce(ScriptServer, ScriptConn, u32) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let server = ScriptServer::bind().await.unwrap().with_timeout(PATIENCE);
    let url = format!("{}/", server.url());
    let (closed_tx, closed) = tokio::sync::oneshot::channel();
    let (open_tx, open) = tokio::sync::oneshot::channel();
    let script = tokio::spawn(async move {
        first_connection(&server, closed_tx).await;
        // The POST's connection: the GET goes on it before our SETTINGS.
        let mut second = server.accept().await.unwrap();
        second.recv_preface().await.unwrap();
        open_tx.send(()).unwrap();
        let get = first_headers(&mut second).await.expect("the GET, before the client closed");
        then(server, second, get).await;
        get
    });
    async fn attempts(sent: Result<baton::Response, baton::Error>) -> Result<usize, baton::Error> {
        let resp = sent?;
        let n = resp.attempts().len();
        resp.bytes().await?;
        Ok(n)
    }
    client.get(&url).send().await.unwrap().bytes().await.unwrap();
    closed.await.unwrap();
    let post = tokio::spawn({
        let (client, url) = (client.clone(), url.clone());
        async move { attempts(client.post(&url).body("order").send().await).await }
    });
    open.await.unwrap();
    let get = attempts(client.get(&url).send().await).await;
    (post.await.unwrap(), get, script.await.unwrap())
}

/// The server's SETTINGS, its answer to the early GET and its GOAWAY (it
/// rotates the connection, as nginx does after `keepalive_requests`) arrive
/// in one read, so the connection has drained and closed before the POST
/// looks. The server took the connection up and used it: for the POST that
/// is a connection found full, not a failed connect. It opens the next one
/// without spending an attempt (it used to fail that attempt as "closed the
/// connection right after its HTTP/2 preface", and with it the request once
/// its attempts ran out: S14).
#[tokio::test]
async fn a_connection_used_up_by_early_requests_is_not_a_failed_attempt_for_its_dialer() {
    let (post, get, stream) = post_opens_get_goes_early(client(None), |server, mut second, get| async move {
        let answer = second.headers(get, &[(":status", "200")], true);
        let go_away = baton_lab::script::frames::go_away(get, baton_lab::script::Reason::NO_ERROR);
        second.send_all(&[Frame::Settings(Settings::default()), answer, go_away]).await.unwrap();
        // The client closes the drained connection; the POST comes on the
        // next one.
        second.expect_eof().await.unwrap();
        let mut third = server.accept().await.unwrap();
        serve_one(&mut third).await;
    })
    .await;
    assert_eq!(get.unwrap(), 1);
    assert_eq!(post.unwrap(), 1, "the POST spent no attempt on the used-up connection");
    assert_eq!(stream, 1, "the GET went early, on stream 1");
}

/// The same race, but the server sends the connection away without taking
/// anything (GOAWAY with last stream id 0, as Node does on shutdown): it
/// served nobody, so for the POST that opened it this is a failed connect,
/// which spends an attempt (here the only one) rather than being looked
/// past: a server that does this to every connection must meet the attempt
/// cap and the back-off, not a dialer opening connections in a loop.
#[tokio::test]
async fn a_connection_sent_away_unserved_is_a_failed_attempt_for_its_dialer() {
    let client = Client::builder()
        .http2_prior_knowledge()
        .connect_timeout(PATIENCE)
        .retry(RetryPolicy::default().max_attempts(1))
        .build()
        .unwrap();
    let (post, get, stream) = post_opens_get_goes_early(client, |_, mut second, _| async move {
        let go_away = baton_lab::script::frames::go_away(0, baton_lab::script::Reason::NO_ERROR);
        second.send_all(&[Frame::Settings(Settings::default()), go_away]).await.unwrap();
        second.expect_eof().await.unwrap();
    })
    .await;
    let get = get.unwrap_err();
    assert_eq!(get.processing(), Some(Processing::NotProcessed), "{get}");
    let post = post.unwrap_err();
    assert!(post.is_connect(), "{post}");
    assert!(post.to_string().contains("right after its HTTP/2 preface"), "{post}");
    assert_eq!(stream, 1, "the GET went early, on stream 1");
}
