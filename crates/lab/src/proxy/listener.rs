//! The proxy's listener: accepts on 127.0.0.1, gives each connection its
//! plan, and keeps the books (open connections, the recently closed ones,
//! and the totals).

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::connection::{self, Setup};
use super::control::Control;
use super::plan::{Connections, Plan};
use super::stats::{ConnectionStats, End, Party, ProxyStats};

/// How many closed connections the proxy remembers one by one (the totals
/// count them all): a long soak must not grow the proxy's memory.
pub(crate) const CLOSED_KEPT: usize = 4096;

/// A function from a connection's ordinal to its plan.
pub(crate) type PlanFn = Arc<dyn Fn(u64) -> Plan + Send + Sync>;

/// How new connections get their plans.
pub(crate) enum Planner {
    /// The base plan, plus the steps of every matching rule.
    Rules { base: Plan, rules: Vec<(Connections, Plan)> },
    /// Whatever the function says.
    Function(PlanFn),
}

impl Planner {
    fn plan(&self, ordinal: u64) -> Plan {
        match self {
            Self::Rules { base, rules } => rules
                .iter()
                .filter(|(which, _)| which.matches(ordinal))
                .fold(base.clone(), |plan, (_, more)| plan.and(more)),
            Self::Function(f) => f(ordinal),
        }
    }
}

impl std::fmt::Debug for Planner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rules { base, rules } => {
                f.debug_struct("Rules").field("base", base).field("rules", rules).finish()
            }
            Self::Function(_) => f.write_str("Function(..)"),
        }
    }
}

/// The books.
#[derive(Debug, Default)]
pub(crate) struct Books {
    pub(crate) open: BTreeMap<u64, Arc<Control>>,
    pub(crate) closed: VecDeque<ConnectionStats>,
    pub(crate) totals: ProxyStats,
}

/// What the listener, the connections and the handles share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) addr: SocketAddr,
    pub(crate) upstream: SocketAddr,
    pub(crate) setup: Setup,
    pub(crate) planner: Mutex<Planner>,
    pub(crate) books: Mutex<Books>,
    /// Bumped each time a connection ends.
    pub(crate) ended: watch::Sender<u64>,
}

impl Shared {
    pub(crate) fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn planner(&self) -> MutexGuard<'_, Planner> {
        self.planner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves a connection from open to closed and counts how it ended.
    fn close(&self, ordinal: u64) {
        let mut books = self.books();
        let Some(control) = books.open.remove(&ordinal) else { return };
        control.set_end(End::Stopped);
        let stats = control.snapshot();
        let totals = &mut books.totals;
        totals.closed += 1;
        totals.bytes_to_server += stats.client_to_server.delivered;
        totals.bytes_to_client += stats.server_to_client.delivered;
        match stats.end {
            Some(End::Reset(Party::Fault)) => totals.reset_by_fault += 1,
            Some(End::Reset(_)) => totals.reset_by_peer += 1,
            Some(End::UpstreamUnreachable) => totals.upstream_unreachable += 1,
            _ => {}
        }
        if books.closed.len() == CLOSED_KEPT {
            books.closed.pop_front();
        }
        books.closed.push_back(stats);
        drop(books);
        self.ended.send_modify(|n| *n += 1);
    }
}

/// Takes a connection off the open list when its task ends, however it
/// ends (aborted by a stop included).
struct Registered {
    shared: Arc<Shared>,
    ordinal: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.shared.close(self.ordinal);
    }
}

/// Accepts until `shutdown` turns true, then drops every connection.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let Ok((client, _)) = accepted else {
            // Out of descriptors, most likely: let connections end instead
            // of spinning on the error.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let ordinal = {
            let mut books = shared.books();
            books.totals.accepted += 1;
            books.totals.accepted
        };
        let plan = shared.planner().plan(ordinal);
        let (control, queues) = Control::new(ordinal);
        let control = Arc::new(control);
        shared.books().open.insert(ordinal, control.clone());
        let registered = Registered { shared: shared.clone(), ordinal };
        let (upstream, setup) = (shared.upstream, shared.setup);
        connections.spawn(async move {
            let _registered = registered;
            connection::serve(client, upstream, control, queues, plan, setup).await;
        });
    }
    connections.shutdown().await;
}
