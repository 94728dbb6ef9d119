//! Helpers for tests on tokio's paused clock.
//!
//! With `start_paused`, tokio moves the clock to the next timer whenever the
//! runtime has nothing to run, even while bytes are in flight on a socket: a
//! connect, a handshake or a response still crossing the loopback could then
//! see a timer fire that real time would never have reached.
//! - [`Awake`] keeps a task yielding, so the runtime is never idle and the
//!   clock stands still; a test drops it once the only thing left to happen
//!   is the timeout under test, and the clock jumps straight to it.
//! - [`Ticker`], for tests where I/O and timers alternate without end: a
//!   task sleeping 1 ms in a loop, so each idle moment moves the clock by
//!   1 ms at most (a slow-motion real clock).
#![allow(dead_code)] // each test file uses what it needs

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Keeps the runtime busy (and the paused clock still) while it lives.
pub(crate) struct Awake(Arc<AtomicBool>);

pub(crate) fn stay_awake() -> Awake {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        while !flag.load(Ordering::Acquire) {
            tokio::task::yield_now().await;
        }
    });
    Awake(stop)
}

impl Drop for Awake {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Lets the paused clock advance 1 ms per idle moment, no more.
pub(crate) struct Ticker(tokio::task::JoinHandle<()>);

pub(crate) fn tick_slowly() -> Ticker {
    Ticker(tokio::spawn(async {
        loop {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }))
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A one-shot streamed body (not replayable once read past the replay
/// buffer): `count` chunks of `chunk` bytes.
pub(crate) fn one_shot(chunk: usize, count: usize) -> baton::Body {
    struct Chunks {
        chunk: bytes::Bytes,
        left: usize,
    }
    impl http_body::Body for Chunks {
        type Data = bytes::Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
            if self.left == 0 {
                return std::task::Poll::Ready(None);
            }
            self.left -= 1;
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(self.chunk.clone()))))
        }
    }
    baton::Body::wrap(Chunks { chunk: bytes::Bytes::from(vec![7u8; chunk]), left: count })
}

/// Reads the client's frames until the HEADERS of `stream` (skipping, e.g.,
/// the RST_STREAM of an abandoned stream).
pub(crate) async fn recv_headers_of(conn: &mut baton_lab::script::ScriptConn, stream: u32) {
    loop {
        match conn.recv_frame().await.unwrap().expect("client closed") {
            baton_lab::script::Frame::Headers(h) if h.stream_id.value() == stream => return,
            _ => {}
        }
    }
}

/// nginx with `options`, or `None` with a note when it is not installed
/// (a failure instead with `BATON_INTEROP_REQUIRE=1`, as CI sets it).
pub(crate) fn nginx_or_skip(options: &baton_lab::nginx::NginxOptions) -> Option<baton_lab::nginx::Nginx> {
    if baton_lab::nginx::Nginx::find().is_none() {
        assert!(
            std::env::var_os("BATON_INTEROP_REQUIRE").is_none_or(|v| v != "1"),
            "nginx is not installed and BATON_INTEROP_REQUIRE=1"
        );
        println!("skipped: nginx is not installed (apt-get install nginx)");
        return None;
    }
    Some(baton_lab::nginx::Nginx::start(options).expect("nginx starts"))
}

/// Debian's brotli filter for nginx (libnginx-mod-http-brotli-filter).
pub(crate) const BROTLI_MODULE: &str = "/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so";

/// What nginx serves to the surface tests (redirects, compression, the
/// request framing the tower::Service chose), on every listener:
///
/// - `/show`: the request as nginx saw it, one line: method, Content-Length,
///   Transfer-Encoding, Content-Type, Authorization, Cookie, Proxy-Authorization, Referer,
///   Host, Accept-Encoding.
/// - `/go/<status>?to=<url>`: `<status>` (301, 302, 303, 307, 308) with
///   `Location: <url>`, nginx's own `return`.
/// - `/text.txt`: [`baton_lab::routes::text`]`(TEXT_LEN)` as a static file,
///   with `gzip on` and, when the module is installed, `brotli on`; the
///   `X-Seen-AE` response header says which Accept-Encoding came.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SurfaceSite;

impl SurfaceSite {
    pub(crate) const TEXT_LEN: usize = 200_000;

    /// Whether this machine's nginx can load the brotli filter.
    pub(crate) fn brotli() -> bool {
        std::path::Path::new(BROTLI_MODULE).is_file()
    }
}

impl baton_lab::nginx::Site for SurfaceSite {
    fn write_files(&self, html: &std::path::Path) -> std::io::Result<()> {
        std::fs::write(html.join("text.txt"), baton_lab::routes::text(Self::TEXT_LEN))
    }

    fn main_directives(&self, _prefix: &std::path::Path) -> String {
        if Self::brotli() { format!("load_module {BROTLI_MODULE};\n") } else { String::new() }
    }

    fn http_directives(&self, _prefix: &std::path::Path) -> String {
        let mut out = String::from("    gzip on;\n    gzip_types text/plain;\n    gzip_min_length 0;\n");
        if Self::brotli() {
            out.push_str("    brotli on;\n    brotli_types text/plain;\n    brotli_min_length 0;\n");
        }
        out
    }

    fn locations(&self, prefix: &std::path::Path) -> String {
        let mut out = String::from(
            "        location = /show { default_type text/plain; return 200 \"$request_method cl=$content_length \
             te=$http_transfer_encoding ct=$content_type auth=$http_authorization cookie=$http_cookie \
             proxy=$http_proxy_authorization referer=$http_referer host=$http_host ae=$http_accept_encoding\\n\"; }\n",
        );
        for status in [301, 302, 303, 307, 308] {
            out.push_str(&format!("        location = /go/{status} {{ return {status} $arg_to; }}\n"));
        }
        out.push_str(&format!(
            "        location = /text.txt {{ root {}/html; default_type text/plain; \
             add_header X-Seen-AE \"$http_accept_encoding\" always; }}\n",
            prefix.display()
        ));
        out
    }
}
