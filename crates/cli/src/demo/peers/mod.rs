//! `baton demo --peers` (built with `--features peers`): every scenario's
//! request mix also through hyper-util's legacy client and reqwest, each
//! against a fresh lab, counted by the same [`Tally`] as baton.
//!
//! The peers give no verdicts, so a failure cannot be told "as required"
//! or not; their rows show what the caller sees (failed) beside what the
//! lab's ledger saw (failed but processed, processed twice).

mod hyper_client;
pub(super) mod report;
mod reqwest_client;

use std::collections::HashMap;

use super::cases::Case;
use super::drive::{Outcome, REQUEST_TIMEOUT};
use super::network::Network;
use super::tally::Tally;

/// The clients run beside baton.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Peer {
    /// `hyper_util::client::legacy::Client`.
    HyperUtil,
    /// `reqwest::Client`.
    Reqwest,
}

impl Peer {
    pub(super) const ALL: [Self; 2] = [Self::HyperUtil, Self::Reqwest];

    pub(super) fn name(self) -> &'static str {
        match self {
            Self::HyperUtil => "hyper-util",
            Self::Reqwest => "reqwest",
        }
    }
}

/// One scenario through one peer.
#[derive(Debug)]
pub(super) struct PeerRow {
    pub(super) id: &'static str,
    pub(super) peer: Peer,
    pub(super) tally: Tally,
    /// Error messages (URLs left out) with how often each occurred, most
    /// frequent first.
    pub(super) errors: Vec<(String, usize)>,
}

/// Runs `case` through `peer` against a fresh lab, over `network`: HTTP/2 prior knowledge
/// (h2c), or HTTP/1.1 where the scenario is an HTTP/1.1 one.
pub(super) async fn run_case(case: &Case, peer: Peer, network: Network) -> Result<PeerRow, String> {
    let lab = network.start(case).await?;
    let url = lab.url(case.path);
    let outcomes = match peer {
        Peer::HyperUtil => hyper_client::run(case, &url).await,
        Peer::Reqwest => reqwest_client::run(case, &url).await?,
    };
    let tally = Tally::count(&outcomes, lab.ledger());
    lab.stop().await;
    Ok(PeerRow { id: case.id, peer, tally, errors: errors(&outcomes) })
}

/// A client of `peer` for `baton demo --blackhole`, with its defaults.
pub(super) fn blackhole_sender(peer: Peer, http1: bool) -> Result<super::blackhole::Sender, String> {
    match peer {
        Peer::HyperUtil => Ok(hyper_client::sender(http1)),
        Peer::Reqwest => reqwest_client::sender(http1),
    }
}

/// Bounds one request by [`REQUEST_TIMEOUT`], as baton's own timeout does.
async fn bounded(send: impl Future<Output = Result<usize, String>>) -> Result<usize, String> {
    tokio::time::timeout(REQUEST_TIMEOUT, send)
        .await
        .unwrap_or_else(|_| Err(format!("timeout: no response within {REQUEST_TIMEOUT:?}")))
}

/// The whole error chain, `a: b: c`, so the h2 or I/O reason shows.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

/// The distinct error messages of a run, counted, without the URLs (the
/// lab's port and path differ from run to run).
fn errors(outcomes: &[Outcome<String>]) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for o in outcomes {
        if let Err(e) = &o.result {
            *counts.entry(without_urls(e)).or_insert(0) += 1;
        }
    }
    let mut list: Vec<_> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list
}

fn without_urls(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("http://") {
        out.push_str(&rest[..at]);
        out.push_str("URL");
        let after = &rest[at..];
        rest = &after[after.find([')', ' ']).unwrap_or(after.len())..];
    }
    out.push_str(rest);
    out
}
