//! The run every worker shares: the client, the request to repeat, and the
//! schedule that hands out request numbers until the run is over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use baton::{Body, Client};
use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::Args;
use super::tally::Latencies;

/// A request start handed to a worker.
pub(super) struct Start {
    /// The open-loop schedule slipped: this request starts more than
    /// [`LATE`] after its time because every worker was busy.
    pub(super) late: bool,
    /// When the open-loop schedule wanted it to start: its latency counts
    /// from there, so that the wait for a free worker is counted too (wrk2's
    /// "coordinated omission" correction). `None` in a closed loop.
    pub(super) due: Option<Instant>,
}

/// Slack before an open-loop start counts as late (the timer's resolution).
const LATE: Duration = Duration::from_millis(1);

pub(super) struct Plan {
    pub(super) client: Client,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    /// Requests to send; `None` with `--duration`.
    pub(super) total: Option<u64>,
    pub(super) duration: Option<Duration>,
    /// Workers stop here, aborting what is in flight (`--duration`).
    pub(super) deadline: Option<Instant>,
    /// Seconds between two starts (`--rate`).
    interval: Option<f64>,
    start: Instant,
    /// The next request number.
    next: AtomicU64,
    /// Set once by Ctrl-C; `stop` wakes open-loop workers waiting their turn.
    interrupted: AtomicBool,
    stop: Notify,
    /// Live counts for the progress line, kept only when it is shown.
    pub(super) progress: bool,
    pub(super) done: AtomicU64,
    pub(super) failed: AtomicU64,
    /// Every worker's latencies.
    pub(super) latencies: Arc<Latencies>,
}

impl Plan {
    /// Checks every input and builds the client; nothing is sent. The
    /// schedule starts now.
    pub(super) fn new(args: &Args, progress: bool) -> Result<Self, String> {
        let body = match args.data.as_deref().map(crate::flags::data).transpose()? {
            Some(data) => Bytes::from(data),
            None => Bytes::new(),
        };
        let method = match (&args.method, &args.data) {
            (Some(m), _) => Method::from_bytes(m.as_bytes()).map_err(|_| format!("invalid method {m:?}"))?,
            (None, Some(_)) => Method::POST,
            (None, None) => Method::GET,
        };
        // As h2load: no redirects followed, no Accept-Encoding, the bytes
        // as they come (the load is what the command line says).
        let mut builder = Client::builder()
            .max_connections_per_origin(args.connections as usize)
            .redirect(baton::redirect::Policy::none())
            .no_gzip()
            .no_brotli()
            .no_zstd()
            .no_deflate();
        if let Some(t) = args.timeout {
            builder = builder.timeout(Duration::from_secs_f64(t));
        }
        let client = args.connect.apply(builder).build().map_err(|e| e.to_string())?;
        // The client's own builder checks the URL and headers, with its
        // messages; the checked parts are then reused by every request.
        let mut request = client.request(method.clone(), &args.url);
        // No default headers: the load is what the command line says.
        for (name, value) in crate::headers::request_headers(&[], &args.headers)? {
            request = request.header(&name, &value);
        }
        let (parts, _empty) = request.build().map_err(|e| e.to_string())?.into_parts();
        let duration = args.duration.map(Duration::from_secs_f64);
        let start = Instant::now();
        Ok(Self {
            client,
            method,
            uri: parts.uri,
            headers: parts.headers,
            body,
            total: duration.is_none().then_some(args.requests),
            duration,
            deadline: duration.map(|d| start + d),
            interval: args.rate.map(|r| 1.0 / r),
            start,
            next: AtomicU64::new(0),
            interrupted: AtomicBool::new(false),
            stop: Notify::new(),
            progress,
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            latencies: Latencies::new(),
        })
    }

    /// One request, ready for [`Client::execute`]: clones of the checked
    /// parts, which share their buffers.
    pub(super) fn request(&self) -> http::Request<Body> {
        let mut request = http::Request::new(Body::from(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }

    /// The next request to start, once its time has come (open loop);
    /// `None` when the run is over.
    pub(super) async fn next(&self) -> Option<Start> {
        if self.interrupted.load(Ordering::Relaxed) {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if self.total.is_some_and(|n| i >= n) {
            return None;
        }
        let Some(interval) = self.interval else {
            // Closed loop: the deadline, if any, aborts the worker itself.
            return Some(Start { late: false, due: None });
        };
        let due = self.start + Duration::from_secs_f64(i as f64 * interval);
        if self.deadline.is_some_and(|d| due >= d) {
            return None;
        }
        let now = Instant::now();
        if due > now {
            let stopped = self.stop.notified();
            tokio::pin!(stopped);
            stopped.as_mut().enable();
            if self.interrupted.load(Ordering::Relaxed) {
                return None;
            }
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                () = stopped => return None,
            }
        }
        Some(Start { late: now > due + LATE, due: Some(due) })
    }

    /// Time since the start; with `--duration`, no more than the duration.
    pub(super) fn elapsed(&self) -> Duration {
        let elapsed = self.start.elapsed();
        self.duration.map_or(elapsed, |d| elapsed.min(d))
    }

    pub(super) fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    /// Resolves once Ctrl-C was pressed.
    pub(super) async fn stopped(&self) {
        loop {
            let stopped = self.stop.notified();
            tokio::pin!(stopped);
            // Listening before looking, so no notification is missed.
            stopped.as_mut().enable();
            if self.interrupted() {
                return;
            }
            stopped.await;
        }
    }
}

/// The first Ctrl-C ends the run, aborting the requests in flight (the
/// report is still printed); a second one exits at once. The handler is in
/// place when this returns, before any request starts: a Ctrl-C from then
/// on never meets the default action, which would kill the run unreported.
pub(super) fn interrupt_on_ctrl_c(plan: Arc<Plan>) -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut interrupts = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        let mut next = async || match &mut interrupts {
            Some(signal) => signal.recv().await.is_some(),
            None => false,
        };
        #[cfg(not(unix))]
        let next = async || tokio::signal::ctrl_c().await.is_ok();
        if !next().await {
            return;
        }
        plan.interrupted.store(true, Ordering::Relaxed);
        plan.stop.notify_waiters();
        if next().await {
            std::process::exit(130);
        }
    }
}
