//! One of the `-c` workers: sends the plan's request again and again, one at
//! a time, and tallies what happened.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use baton::{Error, Response};

use super::plan::Plan;
use super::tally::Tally;

/// Runs until the plan says the run is over. The end of `--duration` and
/// Ctrl-C stop the whole loop at once, aborting the request in flight (a
/// server that never answers must not hold the report back); each is one
/// timer or one registration for the whole run, nothing per request.
pub(super) async fn run(plan: Arc<Plan>) -> Tally {
    let mut tally = Tally::new(plan.latencies.clone());
    let finished = {
        let until = async {
            match plan.deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = work(&plan, &mut tally) => true,
            () = plan.stopped() => false,
            () = until => false,
        }
    };
    if !finished && tally.in_flight {
        tally.in_flight = false;
        tally.aborted += 1;
    }
    tally
}

async fn work(plan: &Plan, tally: &mut Tally) {
    while let Some(start) = plan.next().await {
        tally.late += u64::from(start.late);
        tally.in_flight = true;
        let started = start.due.map_or_else(Instant::now, tokio::time::Instant::into_std);
        // The request goes straight into the client's future (no local of
        // its own kept beside that future while it runs).
        let result = match plan.client.execute(plan.request()).await {
            Ok(mut response) => {
                let bytes = read_body(&mut response).await;
                bytes.map(|bytes| (response.status(), response.version(), bytes))
            }
            Err(e) => Err(e),
        };
        let micros = started.elapsed().as_micros();
        tally.in_flight = false;
        match result {
            Ok((status, version, bytes)) => {
                tally.success(u64::try_from(micros).unwrap_or(u64::MAX), status, version, bytes);
            }
            Err(e) => {
                tally.failure(&e);
                if plan.progress {
                    plan.failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if plan.progress {
            plan.done.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Reads the whole body, counting the bytes without keeping them.
async fn read_body(response: &mut Response) -> Result<u64, Error> {
    let mut bytes = 0;
    while let Some(chunk) = response.chunk().await? {
        bytes += chunk.len() as u64;
    }
    Ok(bytes)
}
