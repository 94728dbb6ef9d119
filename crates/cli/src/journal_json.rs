//! `baton get --json`: the response and its attempt journal as one JSON
//! object. Its shape is the command's own, not that of baton's `serde`
//! feature: texts as `baton get -v` prints them, the back-off in
//! milliseconds, the GOAWAY debug data as (lossy UTF-8) text.

use baton::Attempt;
use serde::Serialize;

/// A response and its journal: `{"status":…,"version":…,"body_bytes":…,"attempts":[…]}`.
pub(crate) fn response(
    status: u16,
    version: http::Version,
    body_bytes: usize,
    attempts: &[Attempt],
) -> serde_json::Result<String> {
    serde_json::to_string(&Response {
        status,
        version: format!("{version:?}"),
        body_bytes,
        attempts: attempts.iter().map(AttemptJson::new).collect(),
    })
}

#[derive(Serialize)]
struct Response<'a> {
    status: u16,
    version: String,
    body_bytes: usize,
    attempts: Vec<AttemptJson<'a>>,
}

/// One attempt; the texts are the `Display` forms.
#[derive(Serialize)]
struct AttemptJson<'a> {
    connection: u64,
    reused: bool,
    version: String,
    /// The TLS version negotiated ("TLS 1.3"); null over cleartext.
    tls_version: Option<String>,
    stream_id: Option<u32>,
    phase: String,
    body_sent: u64,
    go_away: Option<GoAwayJson>,
    error: Option<&'a str>,
    processing: Option<String>,
    retried: Option<String>,
    backoff_ms: u128,
    /// The response's status, for an attempt that got a response head.
    status: Option<u16>,
    /// Where a followed redirect led.
    redirected_to: Option<String>,
}

#[derive(Serialize)]
struct GoAwayJson {
    last_stream_id: u32,
    error_code: u32,
    debug_data: String,
}

impl<'a> AttemptJson<'a> {
    fn new(a: &'a Attempt) -> Self {
        Self {
            connection: a.connection_id,
            reused: a.reused,
            version: format!("{:?}", a.version),
            tls_version: a.tls_version.map(|v| v.to_string()),
            stream_id: a.stream_id.map(|id| id.value()),
            phase: a.phase.to_string(),
            body_sent: a.body_sent,
            go_away: a.go_away.as_ref().map(|g| GoAwayJson {
                last_stream_id: g.last_stream_id.value(),
                error_code: g.error_code.code(),
                debug_data: String::from_utf8_lossy(&g.debug_data).into_owned(),
            }),
            error: a.error.as_deref(),
            processing: a.processing.map(|p| p.to_string()),
            retried: a.retried.map(|r| r.to_string()),
            backoff_ms: a.backoff.as_millis(),
            status: a.status.map(|s| s.as_u16()),
            redirected_to: a.redirected_to.as_ref().map(ToString::to_string),
        }
    }
}
