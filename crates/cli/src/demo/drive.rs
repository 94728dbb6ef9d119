//! Sending a scenario's requests, whatever the client: the same mix, the
//! same concurrency, the same pacing, and one [`Outcome`] per request.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::cases::{Case, Shape};
use super::mix::Req;

/// How long any client gets for one request, response body included.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// One request's fate, as the client reported it.
#[derive(Debug)]
pub(super) struct Outcome<E> {
    pub(super) id: String,
    pub(super) post: bool,
    pub(super) latency: Duration,
    /// Attempts the response took (1 for clients that do not say), or the
    /// client's error.
    pub(super) result: Result<usize, E>,
}

/// Sends `case.requests` requests to `url` through `send`, at most
/// `case.concurrency` at a time, and collects every outcome. `send` sends one
/// request, reads the response to its end, and returns the attempt count.
pub(super) async fn drive<E, F, Fut>(case: &Case, url: &str, send: F) -> Vec<Outcome<E>>
where
    E: Send + 'static,
    F: Fn(Req) -> Fut,
    Fut: Future<Output = Result<usize, E>> + Send + 'static,
{
    let limit = Arc::new(Semaphore::new(case.concurrency));
    let mut tasks = Vec::with_capacity(case.requests);
    for i in 0..case.requests {
        if case.shape == Shape::Paced && i > 0 {
            // Let the connection sit idle about as long as the server waits.
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        let Ok(permit) = limit.clone().acquire_owned().await else { break };
        let req = Req::nth(case, url, i);
        let (id, post) = (req.id.clone(), req.is_post());
        let sending = send(req);
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let result = sending.await;
            drop(permit);
            Outcome { id, post, latency: start.elapsed(), result }
        }));
    }
    let mut outcomes = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(o) = t.await {
            outcomes.push(o);
        }
    }
    outcomes
}
