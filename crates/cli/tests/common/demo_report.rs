//! `baton demo --json`'s report, typed: a member that is missing, unknown,
//! repeated or of the wrong type fails the parse.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Demo {
    pub(crate) scenarios: Vec<ScenarioRow>,
    /// Only under `--peers`.
    pub(crate) peers: Option<Vec<PeerRow>>,
}

/// One scenario through baton.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioRow {
    pub(crate) id: String,
    pub(crate) scenario: String,
    pub(crate) requests: u64,
    pub(crate) succeeded: u64,
    pub(crate) retried: u64,
    pub(crate) failed_as_required: u64,
    pub(crate) unexpected: Vec<String>,
    pub(crate) processed_twice: u64,
    pub(crate) rerun: u64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    pub(crate) failed: u64,
    pub(crate) failed_but_processed: u64,
    pub(crate) processed: u64,
}

/// One scenario through a peer client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeerRow {
    pub(crate) id: String,
    pub(crate) client: String,
    pub(crate) requests: u64,
    pub(crate) succeeded: u64,
    pub(crate) failed: u64,
    pub(crate) failed_but_processed: u64,
    pub(crate) processed: u64,
    pub(crate) processed_twice: u64,
    pub(crate) rerun: u64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    pub(crate) errors: Vec<ErrorCount>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ErrorCount {
    pub(crate) message: String,
    pub(crate) count: u64,
}

/// The counts every row has, whoever the client.
#[derive(Debug)]
pub(crate) struct Counted {
    pub(crate) requests: u64,
    pub(crate) succeeded: u64,
    pub(crate) failed: u64,
    pub(crate) failed_but_processed: u64,
    pub(crate) processed: u64,
    pub(crate) processed_twice: u64,
    pub(crate) rerun: u64,
}

impl ScenarioRow {
    pub(crate) fn counted(&self) -> Counted {
        Counted {
            requests: self.requests,
            succeeded: self.succeeded,
            failed: self.failed,
            failed_but_processed: self.failed_but_processed,
            processed: self.processed,
            processed_twice: self.processed_twice,
            rerun: self.rerun,
        }
    }
}

impl PeerRow {
    pub(crate) fn counted(&self) -> Counted {
        Counted {
            requests: self.requests,
            succeeded: self.succeeded,
            failed: self.failed,
            failed_but_processed: self.failed_but_processed,
            processed: self.processed,
            processed_twice: self.processed_twice,
            rerun: self.rerun,
        }
    }
}
