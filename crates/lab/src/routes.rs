//! The routes tests and benchmarks need, independent of the protocol: each
//! request becomes a [`Plan`] that the HTTP/2 and HTTP/1.1 handlers write out.
//! [`ROUTES`] lists them (`baton lab --help` prints it); every route accepts
//! `?delay=<ms>` to wait before the response head ([`DELAY_NOTE`]).

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// Every route [`plan`] knows, as `(path, response)`, for `--help` and docs.
pub const ROUTES: &[(&str, &str)] = &[
    ("/bytes/<n>", "200 with n bytes of body"),
    ("/echo", "200 echoing the request body; x-received-bytes counts it"),
    ("/delay/<ms>", "200 \"ok\" after ms milliseconds"),
    ("/stream/<n>?chunk=<c>&interval=<ms>", "n bytes in c-byte chunks, one every ms"),
    ("/trailers", "200, a small body, then trailers x-checksum and x-status"),
    ("/headers/<n>", "200 with about n bytes of response headers"),
    ("anything else", "200 \"ok\""),
];

/// What every route in [`ROUTES`] also takes.
pub const DELAY_NOTE: &str = "Every route takes ?delay=<ms>: wait that long before the response head.";

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

fn query_param(query: &str, key: &str) -> Option<u64> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.parse().ok()).flatten()
    })
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
    let arg: Option<u64> = segments.next().and_then(|a| a.parse().ok());
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
    plan
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
