//! The load of the shedding runs: a fixed number of GETs and POSTs at a
//! fixed concurrency while the server sheds connections, every outcome
//! counted, and every failure classified against DESIGN.md §3.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use baton::{Processing, RetryReason};
use http::StatusCode;
use tokio::sync::Semaphore;

use crate::content;

/// The size of a shedding run.
#[derive(Debug, Clone, Copy)]
pub struct LoadSpec {
    /// Requests in all.
    pub requests: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Every `post_every`-th request is a POST of a small body to the echo
    /// route (no Idempotency-Key); the rest GET the small file.
    pub post_every: usize,
}

impl Default for LoadSpec {
    fn default() -> Self {
        Self { requests: 3_000, concurrency: 64, post_every: 4 }
    }
}

/// How many requests have finished, for the task that sheds connections
/// to wait on.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicUsize>);

impl Progress {
    /// Finished requests so far.
    pub fn done(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Waits until at least `n` requests have finished.
    pub async fn reached(&self, n: usize) {
        while self.done() < n {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn finish_one(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// A failed request.
#[derive(Debug, Clone)]
pub struct Failure {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The verdict, when the failure had one.
    pub processing: Option<Processing>,
    /// The error, with every attempt of the journal.
    pub message: String,
}

/// Every request's outcome.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// What ran.
    pub name: String,
    /// Requests sent.
    pub requests: usize,
    /// Of which POSTs.
    pub posts: usize,
    /// Requests answered 200 with the right body.
    pub ok: usize,
    /// Failures DESIGN.md §3 requires: a POST whose outcome is unknown
    /// (`MaybeProcessed`, rule 2), a response cut after it started
    /// (`ResponseStarted`, rule 3), or an idempotent request whose one
    /// retry after an unknown outcome failed the same way (rule 2).
    pub required: Vec<Failure>,
    /// Requests the server provably did not process (`NotSent` /
    /// `NotProcessed`) that ran out of attempts (DESIGN.md §3 rule 6: the
    /// attempt cap, default 4). Allowed by the design, but only expected
    /// when the server sheds faster than the client can move requests.
    pub capped: Vec<Failure>,
    /// Every other failure: each one is a bug (in the client or server).
    pub unexpected: Vec<Failure>,
    /// Every distinct GOAWAY last_stream_id the requests' attempts saw.
    pub go_away_ids: std::collections::BTreeSet<u32>,
    /// The client's counters after the run.
    pub stats: baton::Stats,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl LoadReport {
    /// One line: counts, GOAWAYs, connections, retries.
    pub fn summary(&self) -> String {
        let mut required = std::collections::BTreeMap::<String, usize>::new();
        for f in &self.required {
            let verdict = f.processing.map_or("-".to_owned(), |p| p.to_string());
            *required.entry(format!("{} {verdict}", f.method)).or_default() += 1;
        }
        format!(
            "SHED {}: {} requests ({} POST), {} ok, {} failed as DESIGN.md §3 requires {:?}, {} attempt cap (rule 6), {} unexpected; \
             GOAWAYs {:?} (last_stream_id seen: {}), connections opened {}, streams refused {}, retries {:?}, failures by verdict {:?}; {:.2?}",
            self.name,
            self.requests,
            self.posts,
            self.ok,
            self.required.len(),
            required,
            self.capped.len(),
            self.unexpected.len(),
            self.stats.go_aways,
            self.go_away_ids_text(),
            self.stats.connections_opened,
            self.stats.streams_refused,
            self.stats.retries,
            self.stats.failures,
            self.elapsed,
        )
    }

    /// The distinct GOAWAY last_stream_ids seen, the first 8 and a count.
    pub fn go_away_ids_text(&self) -> String {
        let first: Vec<String> = self.go_away_ids.iter().take(8).map(u32::to_string).collect();
        let more = self.go_away_ids.len().saturating_sub(8);
        if more > 0 { format!("{} and {more} more", first.join(", ")) } else { first.join(", ") }
    }

    /// The first few unexpected failures, for an assertion message.
    pub fn unexpected_sample(&self) -> String {
        sample(&self.unexpected, 5)
    }
}

/// The first `n` of `failures`, one per line.
pub fn sample(failures: &[Failure], n: usize) -> String {
    failures.iter().take(n).map(|f| format!("{} {}", f.method, f.message)).collect::<Vec<_>>().join("\n")
}

/// How a failed request is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// DESIGN.md §3 rules 2 and 3 require it.
    Required,
    /// Out of attempts (rule 6) although provably not processed.
    Capped,
    /// Anything else.
    Unexpected,
}

/// Classifies a failed request (`post`: a POST without Idempotency-Key).
pub fn classify(post: bool, error: &baton::Error) -> Class {
    if required_by_design(post, error) {
        Class::Required
    } else if error.is_retries_exhausted() && error.processing().is_some_and(Processing::is_safe_to_retry) {
        Class::Capped
    } else {
        Class::Unexpected
    }
}

fn go_away_ids(attempts: &[baton::Attempt]) -> impl Iterator<Item = u32> + '_ {
    attempts.iter().filter_map(|a| a.go_away.as_ref()).map(|g| g.last_stream_id.value())
}

/// Whether DESIGN.md §3 requires `error` to reach the caller of a request
/// (`post`: a POST without Idempotency-Key, so not idempotent).
pub fn required_by_design(post: bool, error: &baton::Error) -> bool {
    match error.processing() {
        // Rule 3: a response that started is never retried.
        Some(Processing::ResponseStarted) => true,
        // Rule 2: an unknown outcome is retried once, and only when the
        // request is idempotent.
        Some(Processing::MaybeProcessed) => {
            post || error.attempts().iter().any(|a| a.retried == Some(RetryReason::Idempotent))
        }
        _ => false,
    }
}

/// Sends `spec.requests` requests to `base` with `client`, at most
/// `spec.concurrency` at once, counting each finished one in `progress`.
/// Every request is bounded by the client's own timeout; the caller bounds
/// the run.
pub async fn run(
    name: &str,
    client: &baton::Client,
    base: &str,
    spec: LoadSpec,
    progress: &Progress,
) -> LoadReport {
    let start = Instant::now();
    let limit = Arc::new(Semaphore::new(spec.concurrency.max(1)));
    let small = Arc::new(content::pattern(content::SMALL));
    let sent = Arc::new(content::upload(content::SMALL));
    let mut tasks = Vec::with_capacity(spec.requests);
    let mut posts = 0;
    for i in 0..spec.requests {
        let Ok(permit) = limit.clone().acquire_owned().await else { break };
        let post = spec.post_every > 0 && i % spec.post_every == spec.post_every - 1;
        posts += usize::from(post);
        let client = client.clone();
        let progress = progress.clone();
        let (small, sent) = (small.clone(), sent.clone());
        let url = if post {
            format!("{base}{}", content::PATH_ECHO)
        } else {
            format!("{base}{}", content::PATH_SMALL)
        };
        tasks.push(tokio::spawn(async move {
            let method = if post { "POST" } else { "GET" };
            let request = if post { client.post(&url).body(sent.to_vec()) } else { client.get(&url) };
            let want: &[u8] = if post { &sent } else { &small };
            let mut ids = Vec::new();
            let result = async {
                let resp = request.send().await?;
                ids.extend(go_away_ids(resp.attempts()));
                let status = resp.status();
                let body = resp.bytes().await?;
                Ok::<_, baton::Error>((status, body))
            }
            .await;
            if let Err(e) = &result {
                ids.extend(go_away_ids(e.attempts()));
            }
            progress.finish_one();
            drop(permit);
            let outcome = match result {
                Ok((StatusCode::OK, body)) if body.as_ref() == want => Ok(()),
                Ok((status, body)) => Err((
                    Class::Unexpected,
                    Failure {
                        method,
                        processing: None,
                        message: format!(
                            "status {status}, {} body bytes (want 200, {})",
                            body.len(),
                            want.len()
                        ),
                    },
                )),
                Err(e) => {
                    let journal: Vec<String> = e.attempts().iter().map(ToString::to_string).collect();
                    Err((
                        classify(post, &e),
                        Failure {
                            method,
                            processing: e.processing(),
                            message: format!("{e} [{}]", journal.join(" | ")),
                        },
                    ))
                }
            };
            (ids, outcome)
        }));
    }
    let mut report = LoadReport {
        name: name.to_owned(),
        requests: tasks.len(),
        posts,
        ok: 0,
        required: Vec::new(),
        capped: Vec::new(),
        unexpected: Vec::new(),
        go_away_ids: std::collections::BTreeSet::new(),
        stats: baton::Stats::default(),
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let task = task.await.map(|(ids, outcome)| {
            report.go_away_ids.extend(ids);
            outcome
        });
        match task {
            Ok(Ok(())) => report.ok += 1,
            Ok(Err((Class::Required, f))) => report.required.push(f),
            Ok(Err((Class::Capped, f))) => report.capped.push(f),
            Ok(Err((Class::Unexpected, f))) => report.unexpected.push(f),
            Err(join) => report.unexpected.push(Failure {
                method: "?",
                processing: None,
                message: format!("request task failed: {join}"),
            }),
        }
    }
    report.stats = client.stats();
    report.elapsed = start.elapsed();
    report
}
