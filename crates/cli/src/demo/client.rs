//! A scenario through the baton client: the shared [`Tally`], plus what
//! only baton can tell — retries, and whether each failure carries the
//! verdict DESIGN.md §7 requires.

use baton::{Body, Client, Processing};
use baton_lab::REQUEST_ID_HEADER;

use super::cases::{Allowed, Case};
use super::drive::{Outcome, REQUEST_TIMEOUT, drive};
use super::mix::{OneShot, Payload, Req};
use super::network::Network;
use super::tally::Tally;

/// One scenario's row for the baton client.
#[derive(Debug)]
pub(super) struct Row {
    pub(super) id: &'static str,
    pub(super) what: &'static str,
    pub(super) tally: Tally,
    /// Succeeded after more than one attempt.
    pub(super) retried: usize,
    pub(super) failed_as_required: usize,
    /// Failures the scenario does not allow, and requests processed twice.
    pub(super) unexpected: Vec<String>,
}

fn allowed(allowed: &[Allowed], o: &Outcome<baton::Error>, e: &baton::Error) -> bool {
    allowed.iter().any(|a| allowed_one(*a, o, e))
}

fn allowed_one(allowed: Allowed, o: &Outcome<baton::Error>, e: &baton::Error) -> bool {
    match allowed {
        Allowed::PostMaybeProcessed => o.post && e.processing() == Some(Processing::MaybeProcessed),
        Allowed::ResponseStarted => e.processing() == Some(Processing::ResponseStarted),
        Allowed::RetriesExhausted => {
            e.is_retries_exhausted() && e.processing().is_some_and(Processing::is_safe_to_retry)
        }
        Allowed::NotReplayable => {
            e.processing() == Some(Processing::NotProcessed) && e.to_string().contains("not replayable")
        }
    }
}

/// Runs `case` through a baton client against a fresh lab, over `network`.
pub(super) async fn run_case(case: &Case, network: Network) -> Result<Row, String> {
    let lab = network.start(case).await?;
    let mut builder = Client::builder().timeout(REQUEST_TIMEOUT);
    builder = if case.http1 { builder.http1_only() } else { builder.http2_prior_knowledge() };
    if case.one_connection {
        builder = builder.max_connections_per_origin(1);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let outcomes = drive(case, &lab.url(case.path), |req| send(client.clone(), req)).await;
    let tally = Tally::count(&outcomes, lab.ledger());
    lab.stop().await;
    let mut row = Row {
        id: case.id,
        what: case.what,
        tally,
        retried: 0,
        failed_as_required: 0,
        unexpected: Vec::new(),
    };
    for o in &outcomes {
        match &o.result {
            Ok(attempts) => row.retried += usize::from(*attempts > 1),
            Err(e) if allowed(case.allowed, o, e) => row.failed_as_required += 1,
            Err(e) => row.unexpected.push(format!("{}: {e}", o.id)),
        }
    }
    for (id, count) in &row.tally.twice {
        row.unexpected.push(format!("{id}: processed {count} times"));
    }
    Ok(row)
}

async fn send(client: Client, req: Req) -> Result<usize, baton::Error> {
    let mut request = client.request(req.method, &req.url).header(REQUEST_ID_HEADER, &req.id);
    request = match req.payload {
        Payload::None => request,
        Payload::OneShot => request.body(Body::wrap(OneShot::new())),
        other => request.body(other.bytes().unwrap_or_default()),
    };
    let resp = request.send().await?;
    let attempts = resp.attempts().len();
    resp.bytes().await?;
    Ok(attempts)
}
