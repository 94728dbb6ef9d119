//! The routes tests and benchmarks need, independent of the protocol: each
//! request becomes a [`Plan`] that the HTTP/2 and HTTP/1.1 handlers write out.
//! [`ROUTES`] lists them (`baton lab --help` prints it); every route accepts
//! `?delay=<ms>` to wait before the response head, and the ones with a
//! whole body `?encoding=<coding>` to compress it ([`DELAY_NOTE`]).

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, LOCATION};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::coding::Coding;

/// Every route [`plan`] knows, as `(path, response)`, for `--help` and docs.
pub const ROUTES: &[(&str, &str)] = &[
    ("/bytes/<n>", "200 with n bytes of body"),
    ("/echo", "200 echoing the request body; x-received-bytes counts it"),
    ("/delay/<ms>", "200 \"ok\" after ms milliseconds"),
    ("/stream/<n>?chunk=<c>&interval=<ms>", "n bytes in c-byte chunks, one every ms"),
    ("/trailers", "200, a small body, then trailers x-checksum and x-status"),
    ("/headers/<n>", "200 with about n bytes of response headers"),
    ("/text/<n>", "200 with n bytes of text (numbered lines), compressible"),
    ("/redirect/<status>/<target>", "<status> with Location <target> (absolute, or /<target>), query kept"),
    ("anything else", "200 \"ok\""),
];

/// What every route in [`ROUTES`] also takes.
pub const DELAY_NOTE: &str = "Every route takes ?delay=<ms>: wait that long before the response head. \
     Routes with a whole body take ?encoding=gzip|deflate|br|zstd: the body compressed, with \
     Content-Encoding; ?label=<coding> sets Content-Encoding without compressing (a body that \
     does not decode).";

/// Largest body the fixed-body routes serve from the shared buffer.
const FILL_SIZE: usize = 16 << 20;

/// How a response body is produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanBody {
    /// All at once.
    Full(Bytes),
    /// `count` chunks, one every `interval`.
    Paced {
        /// One chunk.
        chunk: Bytes,
        /// How many chunks.
        count: usize,
        /// The pause before each chunk after the first.
        interval: Duration,
    },
}

impl PlanBody {
    /// The total body length.
    pub fn len(&self) -> usize {
        match self {
            Self::Full(b) => b.len(),
            Self::Paced { chunk, count, .. } => chunk.len() * count,
        }
    }

    /// True for an empty body.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A response to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Status code.
    pub status: StatusCode,
    /// Response headers (content-length is added by the writer for `Full`).
    pub headers: HeaderMap,
    /// The body.
    pub body: PlanBody,
    /// Trailers after the body.
    pub trailers: Option<HeaderMap>,
    /// Wait this long before the head.
    pub delay: Duration,
}

/// `n` bytes of body, sliced from one shared buffer (no copy per response).
pub fn fill(n: usize) -> Bytes {
    static FILL: OnceLock<Bytes> = OnceLock::new();
    let fill = FILL.get_or_init(|| Bytes::from(vec![b'x'; FILL_SIZE]));
    if n <= FILL_SIZE { fill.slice(..n) } else { Bytes::from(vec![b'x'; n]) }
}

/// `n` bytes of text: numbered lines, the same for every `n` up to its
/// length, compressible as real text is (about 4:1 with gzip).
pub fn text(n: usize) -> Bytes {
    let mut out = Vec::with_capacity(n + 32);
    let mut i = 0u64;
    while out.len() < n {
        out.extend_from_slice(
            format!("line {i}: the quick brown fox jumps over the lazy dog {}\n", i * 7919 % 10007)
                .as_bytes(),
        );
        i += 1;
    }
    out.truncate(n);
    Bytes::from(out)
}

fn query_param(query: &str, key: &str) -> Option<u64> {
    query_text(query, key).and_then(|v| v.parse().ok())
}

fn query_text<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then_some(v)
    })
}

/// The key the [`Ledger`](crate::Ledger) counts a request to `path` under,
/// for its `x-request-id` `id`: the id, or for a redirect route the id
/// marked as such, so that a redirect and the request it leads to (with the
/// same id) are each counted once, not as one request processed twice.
pub fn ledger_id<'a>(path: &str, id: Option<&'a str>) -> Option<std::borrow::Cow<'a, str>> {
    let id = id?;
    Some(if path.starts_with("/redirect/") { format!("{id} (redirect)").into() } else { id.into() })
}

/// The plan for a request to `path` (path and query) with `body`.
pub fn plan(path: &str, body: &Bytes) -> Plan {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut plan = Plan {
        status: StatusCode::OK,
        headers: HeaderMap::new(),
        body: PlanBody::Full(Bytes::from_static(b"ok")),
        trailers: None,
        delay: Duration::from_millis(query_param(query, "delay").unwrap_or(0)),
    };
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let route = segments.next().unwrap_or("");
    let rest = segments.next();
    let arg: Option<u64> = rest.and_then(|a| a.parse().ok());
    if route == "redirect" {
        redirect(&mut plan, rest.unwrap_or(""), query);
        return plan;
    }
    match (route, arg) {
        ("bytes", Some(n)) => plan.body = PlanBody::Full(fill(n as usize)),
        ("echo", _) => {
            plan.headers.insert("x-received-bytes", HeaderValue::from(body.len()));
            plan.body = PlanBody::Full(body.clone());
        }
        ("delay", Some(ms)) => plan.delay = Duration::from_millis(ms),
        ("stream", Some(n)) => {
            let chunk = query_param(query, "chunk").unwrap_or(1024).max(1) as usize;
            let interval = Duration::from_millis(query_param(query, "interval").unwrap_or(10));
            let count = (n as usize).div_ceil(chunk);
            plan.body = PlanBody::Paced { chunk: fill(chunk.min(n as usize)), count, interval };
        }
        ("trailers", _) => {
            plan.body = PlanBody::Full(Bytes::from_static(b"body with trailers"));
            let mut t = HeaderMap::new();
            t.insert("x-checksum", HeaderValue::from_static("abc123"));
            t.insert("x-status", HeaderValue::from_static("done"));
            plan.trailers = Some(t);
        }
        ("text", Some(n)) => plan.body = PlanBody::Full(text(n as usize)),
        ("headers", Some(n)) => {
            // Headers of 100-byte values until about n bytes are reached.
            let value = HeaderValue::from_bytes(&[b'h'; 100]).unwrap_or(HeaderValue::from_static("h"));
            for i in 0..(n as usize).div_ceil(100) {
                if let Ok(name) = HeaderName::from_bytes(format!("x-large-{i}").as_bytes()) {
                    plan.headers.insert(name, value.clone());
                }
            }
        }
        _ => {}
    }
    if let PlanBody::Full(body) = &plan.body {
        if let Some(coding) = query_text(query, "encoding").and_then(Coding::parse) {
            plan.body = PlanBody::Full(coding.encode(body));
            plan.headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
        } else if let Some(label) = query_text(query, "label").and_then(|l| HeaderValue::from_str(l).ok()) {
            plan.headers.insert(CONTENT_ENCODING, label);
        }
    }
    plan
}

/// `/redirect/<status>/<target>?<query>`: `<status>` (a 3xx; 302 when it
/// is not one) with `Location: <target>?<query>`, `<target>` as it is when
/// absolute (`http://`, `https://`), else made a path (`/<target>`).
fn redirect(plan: &mut Plan, rest: &str, query: &str) {
    let (status, target) = rest.split_once('/').unwrap_or((rest, ""));
    plan.status = status
        .parse::<u16>()
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .filter(StatusCode::is_redirection)
        .unwrap_or(StatusCode::FOUND);
    let mut location = if target.starts_with("http://") || target.starts_with("https://") {
        String::new()
    } else {
        "/".to_owned()
    };
    location.push_str(target);
    if !query.is_empty() {
        location.push('?');
        location.push_str(query);
    }
    if let Ok(value) = HeaderValue::from_str(&location) {
        plan.headers.insert(LOCATION, value);
    }
    plan.body = PlanBody::Full(Bytes::from(format!("redirecting to {location}\n")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_produce_their_plans() {
        assert_eq!(plan("/bytes/100", &Bytes::new()).body.len(), 100);
        let echo = plan("/echo", &Bytes::from_static(b"abc"));
        assert_eq!(echo.body, PlanBody::Full(Bytes::from_static(b"abc")));
        assert_eq!(echo.headers["x-received-bytes"], "3");
        assert_eq!(plan("/delay/250", &Bytes::new()).delay, Duration::from_millis(250));
        assert_eq!(plan("/bytes/5?delay=7", &Bytes::new()).delay, Duration::from_millis(7));
        let s = plan("/stream/10000?chunk=1000&interval=5", &Bytes::new());
        assert_eq!(s.body.len(), 10_000);
        assert!(matches!(s.body, PlanBody::Paced { count: 10, .. }));
        assert!(plan("/trailers", &Bytes::new()).trailers.is_some());
        let h = plan("/headers/10000", &Bytes::new());
        let size: usize = h.headers.iter().map(|(n, v)| n.as_str().len() + v.len()).sum();
        assert!(size >= 10_000, "{size}");
        assert_eq!(plan("/anything", &Bytes::new()).body, PlanBody::Full(Bytes::from_static(b"ok")));
        assert_eq!(plan("/text/1000", &Bytes::new()).body, PlanBody::Full(text(1000)));
        assert_eq!(text(1000).len(), 1000);
        assert_eq!(&text(2000)[..1000], &text(1000)[..], "shorter texts are prefixes of longer ones");
    }

    #[test]
    fn redirects_say_where_to_go() {
        let r = plan("/redirect/307/http://127.0.0.2:8080/echo", &Bytes::new());
        assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(r.headers[LOCATION], "http://127.0.0.2:8080/echo");
        let r = plan("/redirect/303/redirect/301/bytes/10?encoding=gzip", &Bytes::new());
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.headers[LOCATION], "/redirect/301/bytes/10?encoding=gzip");
        assert!(!r.headers.contains_key(CONTENT_ENCODING), "a redirect is not compressed");
        assert_eq!(plan("/redirect/200/x", &Bytes::new()).status, StatusCode::FOUND);
        assert_eq!(ledger_id("/redirect/302/x", Some("a")).as_deref(), Some("a (redirect)"));
        assert_eq!(ledger_id("/x", Some("a")).as_deref(), Some("a"));
        assert_eq!(ledger_id("/x", None), None);
    }

    #[test]
    fn bodies_are_compressed_or_labelled_on_request() {
        let p = plan("/text/5000?encoding=gzip", &Bytes::new());
        assert_eq!(p.headers[CONTENT_ENCODING], "gzip");
        assert_eq!(p.body, PlanBody::Full(Coding::Gzip.encode(&text(5000))));
        let p = plan("/bytes/100?label=zstd", &Bytes::new());
        assert_eq!((p.headers[CONTENT_ENCODING].as_bytes(), p.body.len()), (&b"zstd"[..], 100));
        let p = plan("/stream/100?encoding=gzip", &Bytes::new());
        assert!(!p.headers.contains_key(CONTENT_ENCODING), "paced bodies are sent as they are");
    }

    /// The list `--help` prints is the list `plan` serves: each listed path
    /// (with 5 for every `<...>`) gets something other than the fallback.
    #[test]
    fn every_listed_route_is_served() {
        let fallback = plan("/", &Bytes::new());
        for (path, _) in ROUTES.iter().filter(|(path, _)| path.starts_with('/')) {
            let concrete: String = path
                .split('<')
                .enumerate()
                .map(
                    |(i, part)| {
                        if i == 0 { part } else { part.split_once('>').map_or(part, |(_, rest)| rest) }
                    },
                )
                .collect::<Vec<_>>()
                .join("5");
            assert_ne!(plan(&concrete, &Bytes::new()), fallback, "{path} ({concrete}) is not a route");
        }
        assert!(ROUTES.iter().any(|(path, _)| path.starts_with("/trailers")));
    }

    #[test]
    fn large_fixed_bodies_work() {
        assert_eq!(fill(FILL_SIZE + 1).len(), FILL_SIZE + 1);
    }
}
