//! A TCP fault proxy: real network conditions on one machine.
//!
//! Loopback has no latency, so the races of a real network (a GOAWAY
//! crossing a request for 20 ms) are rare on it, and these machines have
//! no `netem`. The proxy sits between a client and an upstream server on
//! 127.0.0.1 and applies, per direction and scriptable over time
//! ([`Plan`]): latency with jitter that never reorders bytes, a bandwidth
//! cap, a reset or a FIN after N bytes or at a time, a blackhole, and a
//! pause. Plans are given per connection or for all of them, and can be
//! changed, or faults applied to open connections, at run time through a
//! [`ProxyHandle`]. It counts bytes and connections ([`ProxyStats`],
//! [`ConnectionStats`]) so tests can assert what happened.
//!
//! ```text
//!  client ──► listener ──► [reader ─ queue ─ writer] ──► upstream   (client to server)
//!         ◄──            ◄── [writer ─ queue ─ reader] ◄──           (server to client)
//! ```
//!
//! - `plan.rs`: what a connection is put through ([`Plan`], [`Step`],
//!   [`Trigger`], [`Fault`]), and which connections ([`Connections`]);
//! - `pump.rs`: one direction: the reader stamps each chunk with its
//!   delivery time and fires byte triggers at their exact byte; the writer
//!   delivers at that time, paced by the rate cap and held by pauses;
//! - `link.rs`: a direction's conditions as they stand, and the jitter;
//! - `control.rs`: one connection's switches, shared with the handle;
//! - `connection.rs`: the upstream connect, both directions, the timed
//!   steps, how a connection ends; `reset.rs`: a RST that follows exactly
//!   the bytes delivered;
//! - `listener.rs`: accepting, planning and the books; `parse.rs`: the
//!   text forms the command line takes (`10ms`, `64KiB`, `1MB/s`).
//!
//! What it does not do: the TCP handshake is not delayed (the kernel
//! completes it before the proxy accepts), so a connect costs no round
//! trip; the proxy's own kernel acknowledges what it receives, so a
//! blackhole is seen by applications, never by TCP keep-alive or
//! retransmission timers; latency applies to chunks as read, not packets.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use baton_lab::proxy::{Connections, Direction, Directions, Fault, Plan, Proxy, ProxyOptions, Trigger};
//!
//! let upstream = "127.0.0.1:8080".parse().unwrap();
//! let ms = Duration::from_millis;
//! // A 20 ms round trip with jitter, for every connection.
//! let proxy = Proxy::start(
//!     ProxyOptions::new(upstream).plan(Plan::new().delay(Directions::Both, ms(10), ms(2))),
//! )
//! .await?;
//! // The 3rd connection is reset after the server sent it 10 KiB.
//! proxy.add_plan(
//!     Connections::Nth(3),
//!     Plan::new().on(Trigger::Bytes(Direction::ServerToClient, 10 * 1024), Directions::Both, Fault::Reset),
//! );
//! let url = format!("http://{}/", proxy.addr());
//! // ... send requests to `url` ...
//! // Later: every open connection goes silent, as behind a load balancer
//! // that dropped its flows.
//! proxy.apply(Connections::All, Directions::Both, Fault::Blackhole);
//! println!("{}", proxy.stats());
//! proxy.stop().await;
//! # Ok(())
//! # }
//! ```

mod connection;
mod control;
mod link;
mod listener;
mod parse;
mod plan;
mod pump;
mod reset;
mod stats;

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use parse::{Amount, ParseError, parse_bytes, parse_duration};
pub use plan::{Connections, Direction, Directions, Fault, Plan, Rate, Step, Trigger};
pub use stats::{ConnectionStats, End, Flow, Party, ProxyStats};

use connection::Setup;
use listener::{Books, Planner, Shared};

/// How to start a [`Proxy`].
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// Where to listen; port 0 picks a free one. Only loopback is sensible.
    pub listen: SocketAddr,
    /// The server every connection is forwarded to.
    pub upstream: SocketAddr,
    /// The plan of every connection (more can be added per connection with
    /// [`ProxyHandle::add_plan`]).
    pub plan: Plan,
    /// Seeds the jitter, so a run can be replayed.
    pub seed: u64,
    /// The most bytes the proxy holds per direction of a connection (read,
    /// not yet delivered): beyond it, it stops reading and the sender's
    /// buffers fill, as behind a slow link. 4 MiB by default, about 200 ms
    /// of a 160 Mbit/s link.
    pub buffer: usize,
}

impl ProxyOptions {
    /// 127.0.0.1 on a free port, forwarding to `upstream`, no faults.
    pub fn new(upstream: SocketAddr) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            upstream,
            plan: Plan::new(),
            seed: 0x5eed,
            buffer: 4 << 20,
        }
    }

    /// Every connection's plan.
    #[must_use]
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plan = plan;
        self
    }

    /// The jitter's seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// A running fault proxy. It dereferences to its [`ProxyHandle`] (clone
/// that to steer the proxy from another task). Dropping it without
/// [`Proxy::stop`] aborts its tasks.
#[derive(Debug)]
pub struct Proxy {
    handle: ProxyHandle,
    shutdown: watch::Sender<bool>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Binds and starts forwarding.
    ///
    /// # Errors
    /// When binding fails.
    pub async fn start(options: ProxyOptions) -> io::Result<Self> {
        let listener = TcpListener::bind(options.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            addr,
            upstream: options.upstream,
            setup: Setup { buffer: options.buffer, seed: options.seed },
            planner: Mutex::new(Planner::Rules { base: options.plan, rules: Vec::new() }),
            books: Mutex::new(Books::default()),
            ended: watch::Sender::new(0),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let accept = tokio::spawn(listener::accept_loop(listener, shared.clone(), shutdown_rx));
        Ok(Self { handle: ProxyHandle { shared }, shutdown, accept: Some(accept) })
    }

    /// A handle that steers this proxy from anywhere.
    pub fn handle(&self) -> ProxyHandle {
        self.handle.clone()
    }

    /// Stops accepting, drops every connection (their sockets close) and
    /// waits for the tasks.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(accept) = self.accept.take() {
            let _ = accept.await;
        }
    }
}

impl Deref for Proxy {
    type Target = ProxyHandle;

    fn deref(&self) -> &ProxyHandle {
        &self.handle
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
    }
}

/// Steers a running proxy: the plans of new connections, faults on open
/// ones, and the counts.
#[derive(Clone)]
pub struct ProxyHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ProxyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyHandle").field("addr", &self.shared.addr).finish_non_exhaustive()
    }
}

impl ProxyHandle {
    /// Where the proxy listens: clients connect here.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Where it forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.shared.upstream
    }

    /// `http://ADDR{path}` through the proxy.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.shared.addr)
    }

    /// Replaces the plan of every later connection (the per-connection
    /// plans added with [`ProxyHandle::add_plan`] stay).
    pub fn set_plan(&self, plan: Plan) {
        let mut planner = self.shared.planner();
        match &mut *planner {
            Planner::Rules { base, .. } => *base = plan,
            Planner::Function(_) => *planner = Planner::Rules { base: plan, rules: Vec::new() },
        }
    }

    /// Adds `plan`'s steps to those of the later connections `which` picks
    /// (by accept order: `Connections::Nth(3)` is the third the proxy
    /// accepts, whenever this is called).
    pub fn add_plan(&self, which: Connections, plan: Plan) {
        let mut planner = self.shared.planner();
        match &mut *planner {
            Planner::Rules { rules, .. } => rules.push((which, plan)),
            Planner::Function(_) => {
                *planner = Planner::Rules { base: Plan::new(), rules: vec![(which, plan)] };
            }
        }
    }

    /// Every later connection gets the plan `f` gives for its ordinal (1
    /// for the first the proxy accepted), instead of the plans set so far:
    /// for plans that vary, as a soak's do.
    pub fn set_planner(&self, f: impl Fn(u64) -> Plan + Send + Sync + 'static) {
        *self.shared.planner() = Planner::Function(Arc::new(f));
    }

    /// Applies `fault` now to `directions` of the open connections `which`
    /// picks: it takes effect at once on what they have not delivered yet
    /// (a FIN follows what was read). Returns how many connections it hit.
    pub fn apply(&self, which: Connections, directions: Directions, fault: Fault) -> usize {
        let books = self.shared.books();
        let mut hit = 0;
        for control in books.open.values().filter(|c| which.matches(c.ordinal)) {
            control.apply(directions, fault, None);
            hit += 1;
        }
        hit
    }

    /// The totals; closed connections counted when they ended.
    pub fn stats(&self) -> ProxyStats {
        let books = self.shared.books();
        let mut stats = books.totals;
        stats.open = books.open.len() as u64;
        for control in books.open.values() {
            let c = control.snapshot();
            stats.bytes_to_server += c.client_to_server.delivered;
            stats.bytes_to_client += c.server_to_client.delivered;
        }
        stats
    }

    /// Connection `ordinal`, open or among the last
    /// 4096 closed.
    pub fn connection(&self, ordinal: u64) -> Option<ConnectionStats> {
        let books = self.shared.books();
        match books.open.get(&ordinal) {
            Some(control) => Some(control.snapshot()),
            None => books.closed.iter().find(|c| c.ordinal == ordinal).copied(),
        }
    }

    /// The open connections and the last 4096 closed, by ordinal.
    pub fn connections(&self) -> Vec<ConnectionStats> {
        let books = self.shared.books();
        let mut all: Vec<ConnectionStats> = books.closed.iter().copied().collect();
        all.extend(books.open.values().map(|c| c.snapshot()));
        all.sort_by_key(|c| c.ordinal);
        all
    }

    /// Waits until connection `ordinal` has ended, and says how.
    pub async fn ended(&self, ordinal: u64) -> ConnectionStats {
        let mut ended = self.shared.ended.subscribe();
        loop {
            ended.borrow_and_update();
            if let Some(c) = self.connection(ordinal).filter(|c| c.end.is_some())
                && !self.shared.books().open.contains_key(&ordinal)
            {
                return c;
            }
            if ended.changed().await.is_err() {
                // The proxy is gone; nothing more will end.
                std::future::pending::<()>().await;
            }
        }
    }
}
