//! The interop cases: one request (or exchange) each, checked for status,
//! protocol version, body bytes, trailers and header fields.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http_body::Frame;

use crate::Proto;
use crate::content::{self, LARGE, SMALL};

/// Chunks of the streamed upload.
pub const STREAM_CHUNKS: usize = 16;
/// Bytes per chunk of the streamed upload (16 × 64 KiB = 1 MiB, beyond
/// the 256 KiB replay buffer).
pub const STREAM_CHUNK: usize = 64 << 10;
/// The body sent with `Expect: 100-continue`.
pub const EXPECT_BODY: usize = 64 << 10;

/// One cell's question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// GET of the 100-byte file.
    GetSmall,
    /// GET of the 1 MiB file.
    GetLarge,
    /// POST of 100 bytes to the echo route.
    PostSmall,
    /// POST of 1 MiB to the echo route.
    PostLarge,
    /// POST of a 1 MiB body streamed in 16 chunks (`Body::wrap`, length
    /// unknown: chunked over HTTP/1.1) to the echo route.
    StreamedUpload,
    /// GET of a response that ends with a trailer field (`TE: trailers`).
    Trailers,
    /// GET of a response with 10 × 3,000-byte header fields.
    LargeHeaders,
    /// POST of 64 KiB with `Expect: 100-continue` to the echo route.
    Expect100Continue,
}

impl Case {
    /// Every case, in matrix order.
    pub const ALL: [Self; 8] = [
        Self::GetSmall,
        Self::GetLarge,
        Self::PostSmall,
        Self::PostLarge,
        Self::StreamedUpload,
        Self::Trailers,
        Self::LargeHeaders,
        Self::Expect100Continue,
    ];

    /// Short name for the matrix.
    pub fn name(self) -> &'static str {
        match self {
            Self::GetSmall => "GET 100 B",
            Self::GetLarge => "GET 1 MiB",
            Self::PostSmall => "POST 100 B",
            Self::PostLarge => "POST 1 MiB",
            Self::StreamedUpload => "streamed upload 1 MiB",
            Self::Trailers => "response trailers",
            Self::LargeHeaders => "large response headers",
            Self::Expect100Continue => "Expect: 100-continue",
        }
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The case passed; the detail says what was checked.
    Pass(String),
    /// The case failed.
    Fail(String),
    /// The server cannot do this; the reason says why.
    NotApplicable(String),
    /// Known to fail for a reason outside the server (a client bug or a
    /// missing client feature); run by an `#[ignore]`d test instead.
    Ignored(String),
}

impl Verdict {
    /// `pass`, `FAIL`, `n/a` or `ignored`, with the detail.
    pub fn cell(&self) -> String {
        match self {
            Self::Pass(d) => format!("pass ({d})"),
            Self::Fail(d) => format!("FAIL: {d}"),
            Self::NotApplicable(d) => format!("n/a ({d})"),
            Self::Ignored(d) => format!("ignored ({d})"),
        }
    }
}

/// Runs `case` against `base` (scheme and authority, no trailing slash) with
/// a client speaking `proto`, bounded by `limit`.
pub async fn run(client: &baton::Client, base: &str, proto: Proto, case: Case, limit: Duration) -> Verdict {
    match tokio::time::timeout(limit, exchange(client, base, proto, case)).await {
        Ok(Ok(detail)) => Verdict::Pass(detail),
        Ok(Err(e)) => Verdict::Fail(e),
        Err(_) => Verdict::Fail(format!("no answer within {limit:?}")),
    }
}

fn e(what: &'static str) -> impl Fn(baton::Error) -> String {
    move |err| format!("{what}: {err}")
}

/// POSTs `sent` to the echo route (with `Expect: 100-continue` when asked)
/// and checks that the response echoes it exactly.
async fn post_echo(
    client: &baton::Client,
    base: &str,
    proto: Proto,
    sent: Vec<u8>,
    expect_continue: bool,
) -> Result<Bytes, String> {
    let mut req = client
        .post(format!("{base}{}", content::PATH_ECHO))
        .header("content-type", "application/octet-stream");
    if expect_continue {
        req = req.header("expect", "100-continue");
    }
    let resp = req.body(sent.clone()).send().await.map_err(e("POST"))?;
    check_head(&resp, proto)?;
    let body = resp.bytes().await.map_err(e("body"))?;
    check_body(&body, &sent)?;
    Ok(body)
}

async fn exchange(client: &baton::Client, base: &str, proto: Proto, case: Case) -> Result<String, String> {
    match case {
        Case::GetSmall | Case::GetLarge => {
            let (path, len) = if case == Case::GetSmall {
                (content::PATH_SMALL, SMALL)
            } else {
                (content::PATH_LARGE, LARGE)
            };
            let resp = client.get(format!("{base}{path}")).send().await.map_err(e("GET"))?;
            check_head(&resp, proto)?;
            let body = resp.bytes().await.map_err(e("body"))?;
            check_body(&body, &content::pattern(len))?;
            Ok(format!("{} B", body.len()))
        }
        Case::PostSmall | Case::PostLarge => {
            let len = if case == Case::PostSmall { SMALL } else { LARGE };
            let body = post_echo(client, base, proto, content::upload(len), false).await?;
            Ok(format!("{} B echoed", body.len()))
        }
        Case::StreamedUpload => {
            let sent = content::upload(STREAM_CHUNKS * STREAM_CHUNK);
            let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(2);
            let chunks: Vec<Bytes> = sent.chunks(STREAM_CHUNK).map(Bytes::copy_from_slice).collect();
            let producer = tokio::spawn(async move {
                for chunk in chunks {
                    if tx.send(chunk).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            });
            let result = async {
                let resp = client
                    .post(format!("{base}{}", content::PATH_ECHO))
                    .header("content-type", "application/octet-stream")
                    .body(baton::Body::wrap(ChannelBody(rx)))
                    .send()
                    .await
                    .map_err(e("POST"))?;
                check_head(&resp, proto)?;
                let body = resp.bytes().await.map_err(e("body"))?;
                check_body(&body, &sent)?;
                Ok(format!("{STREAM_CHUNKS} × {} KiB echoed", STREAM_CHUNK >> 10))
            }
            .await;
            producer.abort();
            result
        }
        Case::Trailers => {
            let mut resp = client
                .get(format!("{base}{}", content::PATH_TRAILERS))
                .header("te", "trailers")
                .send()
                .await
                .map_err(e("GET"))?;
            check_head(&resp, proto)?;
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(e("body"))? {
                body.extend_from_slice(&chunk);
            }
            check_body(&body, &content::pattern(SMALL))?;
            let trailers = resp.trailers().ok_or("no trailers received")?;
            let got = trailers
                .get(content::TRAILER_NAME)
                .ok_or_else(|| format!("trailers without {}: {trailers:?}", content::TRAILER_NAME))?;
            if got != content::TRAILER_VALUE {
                return Err(format!("trailer {}: {got:?}", content::TRAILER_NAME));
            }
            Ok(format!("{}: {}", content::TRAILER_NAME, content::TRAILER_VALUE))
        }
        Case::LargeHeaders => {
            let resp =
                client.get(format!("{base}{}", content::PATH_HEADERS)).send().await.map_err(e("GET"))?;
            check_head(&resp, proto)?;
            let mut total = 0;
            for i in 0..content::BIG_HEADERS {
                let (name, value) = content::big_header(i);
                let got = resp.headers().get(&name).ok_or_else(|| format!("{name} missing"))?;
                if got.as_bytes() != value.as_bytes() {
                    return Err(format!("{name}: {} bytes, not the {} sent", got.len(), value.len()));
                }
                total += name.len() + value.len();
            }
            resp.bytes().await.map_err(e("body"))?;
            Ok(format!("{} fields, {total} B", content::BIG_HEADERS))
        }
        Case::Expect100Continue => {
            // baton holds the body for up to a second (RFC 9110 §10.1.1):
            // a second or more means the server never said 100 (Continue).
            let started = std::time::Instant::now();
            let body = post_echo(client, base, proto, content::upload(EXPECT_BODY), true).await?;
            let took = started.elapsed();
            let answer = if took >= Duration::from_secs(1) {
                "no 100, body after the 1 s wait"
            } else {
                "body after 100 Continue"
            };
            Ok(format!("{} KiB echoed, {answer} ({} ms)", body.len() >> 10, took.as_millis()))
        }
    }
}

fn check_head(resp: &baton::Response, proto: Proto) -> Result<(), String> {
    if resp.status() != StatusCode::OK {
        return Err(format!("status {}", resp.status()));
    }
    if resp.version() != proto.version() {
        return Err(format!("spoke {:?}, not {:?}", resp.version(), proto.version()));
    }
    Ok(())
}

fn check_body(got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        return Ok(());
    }
    let first = got.iter().zip(want).position(|(a, b)| a != b);
    Err(format!("body of {} bytes, expected {} (first difference at {first:?})", got.len(), want.len()))
}

/// A streaming request body fed by a channel: length unknown to baton.
pub struct ChannelBody(pub tokio::sync::mpsc::Receiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// One server's matrix: rows of (protocol, case, verdict), printed as a
/// table and appended to `$CARGO_TARGET_TMPDIR/interop-matrix.txt` by the
/// tests.
#[derive(Debug, Default, Clone)]
pub struct Matrix {
    /// The server's name.
    pub server: String,
    /// Every cell.
    pub rows: Vec<(Proto, Case, Verdict)>,
}

impl Matrix {
    /// An empty matrix for `server`.
    pub fn new(server: &str) -> Self {
        Self { server: server.to_owned(), rows: Vec::new() }
    }

    /// Adds a cell.
    pub fn push(&mut self, proto: Proto, case: Case, verdict: Verdict) {
        self.rows.push((proto, case, verdict));
    }

    /// The failed cells.
    pub fn failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|(_, _, v)| matches!(v, Verdict::Fail(_)))
            .map(|(p, c, v)| format!("{} {p} {c}: {}", self.server, v.cell()))
            .collect()
    }

    /// One line per cell: `MATRIX server | protocol | case | verdict`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (proto, case, verdict) in &self.rows {
            out.push_str(&format!("MATRIX {} | {proto} | {case} | {}\n", self.server, verdict.cell()));
        }
        out
    }
}
