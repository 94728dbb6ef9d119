//! The soak's three origins, served at once, and what each processed:
//!
//! 1. nginx over h2c with `keepalive_requests 100` (a GOAWAY every hundred
//!    requests per connection), reloaded every few seconds (every
//!    connection drains with GOAWAY, new workers take over);
//! 2. the lab over h2c, cycling through the GOAWAY scenarios of
//!    DESIGN.md §7 (each for a few seconds; a connection keeps the scenario
//!    it was accepted under);
//! 3. nginx over TLS behind the fault proxy, whose connections are reset
//!    mid-response or mid-request, or blackholed (then reset later, as a
//!    balancer that dropped the flow finally does).
//!
//! What each processed comes from the servers themselves: nginx's access
//! log (`x-request-id` per line), the lab's ledger (taken every second, so
//! the lab's memory does not grow with the run).

use std::io::{self, BufRead};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baton::Reason;
use baton_lab::nginx::{Listener, Nginx, NginxOptions, Protocol, TlsIdentity};
use baton_lab::proxy::{Direction, Directions, Fault, Plan, Proxy, ProxyOptions, Trigger};
use baton_lab::tls::TestCertificate;
use baton_lab::{Lab, LabOptions, Scenario};
use tokio::task::JoinHandle;

/// Which origin a request goes to: its number decides, in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Which {
    Reloading,
    Lab,
    Faulty,
}

impl Which {
    pub(super) const ALL: [Self; 3] = [Self::Reloading, Self::Lab, Self::Faulty];

    pub(super) fn of(n: u64) -> Self {
        Self::ALL[(n % 3) as usize]
    }

    pub(super) fn index(self) -> usize {
        match self {
            Self::Reloading => 0,
            Self::Lab => 1,
            Self::Faulty => 2,
        }
    }

    pub(super) fn describe(self) -> &'static str {
        match self {
            Self::Reloading => "nginx h2c, keepalive_requests 100, reloaded",
            Self::Lab => "lab h2c, cycling GOAWAY scenarios",
            Self::Faulty => "nginx TLS behind the fault proxy",
        }
    }
}

/// The lab's scenarios in the order the soak cycles through them: every
/// one that closes connections with a GOAWAY (S2/S9, reloads, the double
/// GOAWAYs of Envoy, gRPC and h2o, Go's, ALB's idle close, GOAWAY then
/// RST, error codes, a GOAWAY with the socket left open, a slow drain).
/// `NginxReload` is driven by [`Lab::reload`] when its turn comes.
pub(super) fn cycle() -> Vec<Scenario> {
    let s = Duration::from_secs;
    vec![
        Scenario::NginxRotate { requests: 100 },
        Scenario::NginxReload { after: 0 },
        Scenario::EnvoyDrain { after: 100, ack_timeout: s(1) },
        Scenario::GrpcMaxAge { max_age: s(1), grace: s(1) },
        Scenario::H2oShutdown { after: 100, delay: s(1) },
        Scenario::GoShutdown { after: 100 },
        Scenario::AlbIdle { after: 1, idle: Duration::from_millis(50) },
        Scenario::GoawayThenRst { after: 50 },
        Scenario::GoawayError { after: 50, code: Reason::ENHANCE_YOUR_CALM },
        Scenario::GoawayError { after: 50, code: Reason::INTERNAL_ERROR },
        Scenario::SilentGoaway { after: 50 },
        Scenario::SlowDrain { after: 50 },
    ]
}

/// The fault proxy's plan for its `ordinal`-th connection to origin 3:
/// three in eight meet a fault, at a point drawn from the ordinal.
pub(super) fn fault_plan(ordinal: u64) -> Plan {
    let r = mix(ordinal);
    match ordinal % 8 {
        // Reset once the server has sent this much: in its TLS handshake,
        // or in the middle of its responses.
        2 => Plan::new().on(
            Trigger::Bytes(Direction::ServerToClient, 500 + r % 60_000),
            Directions::Both,
            Fault::Reset,
        ),
        // Reset once the client has sent this much: in its requests.
        4 => Plan::new().on(
            Trigger::Bytes(Direction::ClientToServer, 200 + r % 20_000),
            Directions::Both,
            Fault::Reset,
        ),
        // Silent from a moment on, both ways; reset 15 s later (by then
        // the client's keep-alive has given up on it).
        6 => {
            let at = Duration::from_millis(200 + r % 3_000);
            Plan::new().on(Trigger::At(at), Directions::Both, Fault::Blackhole).on(
                Trigger::At(at + Duration::from_secs(15)),
                Directions::Both,
                Fault::Reset,
            )
        }
        _ => Plan::new(),
    }
}

/// splitmix64: a well-spread number from the ordinal, so the faults vary
/// and a run can be replayed.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The three origins, running.
pub(super) struct Origins {
    reloading: Arc<Nginx>,
    lab: Arc<Lab>,
    faulty: Nginx,
    proxy: Proxy,
    cert: TestCertificate,
    /// What the lab processed, by request number (taken from its ledger).
    lab_counts: Arc<Mutex<Vec<u8>>>,
    tasks: Vec<JoinHandle<()>>,
    reloads: Arc<std::sync::atomic::AtomicU64>,
}

impl Origins {
    /// Starts them: `requests` bounds the request numbers the books keep.
    pub(super) async fn start(requests: usize) -> Result<Self, String> {
        let cert = TestCertificate::generate().map_err(|e| format!("certificate: {e}"))?;
        let mut reloading = NginxOptions::new(Protocol::H2c).keepalive_requests(100);
        reloading.access_log = true;
        let reloading = Nginx::start(&reloading).map_err(|e| format!("nginx: {e}"))?;
        let mut faulty = NginxOptions::new(Protocol::H2Tls);
        // 200 requests a connection: enough for a fault to meet requests in
        // flight, few enough that many connections meet one.
        faulty.listeners = vec![Listener { keepalive_requests: 200, ..Listener::new(Protocol::H2Tls) }];
        faulty.tls =
            Some(TlsIdentity { cert_pem: cert.cert_pem.clone(), key_pem: cert.key_pem().to_owned() });
        faulty.access_log = true;
        let faulty = Nginx::start(&faulty).map_err(|e| format!("nginx: {e}"))?;
        let proxy =
            Proxy::start(ProxyOptions::new(faulty.addr())).await.map_err(|e| format!("proxy: {e}"))?;
        proxy.set_planner(fault_plan);
        let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.map_err(|e| format!("lab: {e}"))?;
        Ok(Self {
            reloading: Arc::new(reloading),
            lab: Arc::new(lab),
            faulty,
            proxy,
            cert,
            lab_counts: Arc::new(Mutex::new(vec![0; requests])),
            tasks: Vec::new(),
            reloads: Arc::default(),
        })
    }

    /// The base URL of each origin, as [`Which::index`] orders them.
    pub(super) fn bases(&self) -> [String; 3] {
        [
            format!("http://{}", self.reloading.addr()),
            self.lab.url(""),
            format!("https://{}", self.proxy.addr()),
        ]
    }

    /// The certificate origin 3 presents (DER).
    pub(super) fn certificate(&self) -> Vec<u8> {
        self.cert.cert.to_vec()
    }

    /// Starts what changes the origins during the run: nginx's reloads
    /// every `reload_every`, the lab's next scenario every
    /// `scenario_every`, and the taking of the lab's ledger every second.
    pub(super) fn churn(&mut self, reload_every: Duration, scenario_every: Duration) {
        let (nginx, reloads) = (self.reloading.clone(), self.reloads.clone());
        self.tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(reload_every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if nginx.reload().is_ok() {
                    reloads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
        let lab = self.lab.clone();
        self.tasks.push(tokio::spawn(async move {
            for scenario in cycle().into_iter().cycle() {
                lab.set_scenario(scenario);
                if matches!(scenario, Scenario::NginxReload { .. }) {
                    lab.reload();
                }
                tokio::time::sleep(scenario_every).await;
            }
        }));
        let (lab, counts) = (self.lab.clone(), self.lab_counts.clone());
        self.tasks.push(tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                take_ledger(&lab, &counts);
            }
        }));
    }

    /// nginx reloads so far.
    pub(super) fn reloads(&self) -> u64 {
        self.reloads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The fault proxy's totals.
    pub(super) fn proxy_stats(&self) -> baton_lab::proxy::ProxyStats {
        self.proxy.stats()
    }

    /// The lab's totals.
    pub(super) fn lab_stats(&self) -> baton_lab::LedgerStats {
        self.lab.ledger().stats()
    }

    /// Stops the churn; waits (up to `patience`) for the proxy's and the
    /// lab's connections to end, which the client's shutdown began.
    pub(super) async fn settle(&mut self, patience: Duration) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        let deadline = tokio::time::Instant::now() + patience;
        while self.proxy.stats().open > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How often each origin processed each request: `[nginx 1, lab, nginx 3]`,
    /// by request number. nginx is stopped first, so its logs are whole.
    pub(super) async fn processed(self, requests: usize) -> Result<[Vec<u8>; 3], String> {
        let Self { reloading, lab, faulty, proxy, lab_counts, .. } = self;
        proxy.stop().await;
        take_ledger(&lab, &lab_counts);
        if let Ok(lab) = Arc::try_unwrap(lab) {
            lab.stop().await;
        }
        let lab_counts = std::mem::take(&mut *lab_counts.lock().unwrap_or_else(|e| e.into_inner()));
        // Its reload task is gone: this is the last holder.
        let first =
            read_access_log(&reloading.access_log(), requests).map_err(|e| format!("nginx 1's log: {e}"))?;
        let third =
            read_access_log(&faulty.access_log(), requests).map_err(|e| format!("nginx 3's log: {e}"))?;
        drop((reloading, faulty));
        Ok([first, lab_counts, third])
    }
}

/// Moves the lab's per-id counts into `counts`.
fn take_ledger(lab: &Lab, counts: &Mutex<Vec<u8>>) {
    let taken = lab.ledger().take_counts();
    let mut counts = counts.lock().unwrap_or_else(|e| e.into_inner());
    for (id, n) in taken {
        if let Some(c) = id.parse::<usize>().ok().and_then(|i| counts.get_mut(i)) {
            *c = c.saturating_add(u8::try_from(n).unwrap_or(u8::MAX));
        }
    }
}

/// Counts the access log's lines by request number (`ID STATUS METHOD`).
fn read_access_log(path: &Path, requests: usize) -> io::Result<Vec<u8>> {
    let mut counts = vec![0u8; requests];
    let file = std::fs::File::open(path)?;
    for line in io::BufReader::new(file).lines() {
        let line = line?;
        let id = line.split(' ').next().and_then(|id| id.parse::<usize>().ok());
        if let Some(c) = id.and_then(|i| counts.get_mut(i)) {
            *c = c.saturating_add(1);
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_in_eight_connections_meet_a_fault() {
        let faulty = (1..=800).filter(|&n| !fault_plan(n).is_empty()).count();
        assert_eq!(faulty, 300);
        assert_eq!(fault_plan(6).steps().len(), 2, "a blackhole, then a reset");
    }

    #[test]
    fn requests_go_to_each_origin_in_turn() {
        assert_eq!(
            [0, 1, 2, 3].map(Which::of),
            [Which::Reloading, Which::Lab, Which::Faulty, Which::Reloading]
        );
    }

    #[test]
    fn the_cycle_holds_every_goaway_scenario_once() {
        let names: Vec<&str> = cycle().iter().map(Scenario::name).collect();
        for name in
            ["nginx-rotate", "nginx-reload", "envoy-drain", "grpc-max-age", "h2o-shutdown", "goaway-then-rst"]
        {
            assert!(names.contains(&name), "{name}");
        }
    }

    #[test]
    fn access_log_lines_count_by_id() {
        let dir = std::env::temp_dir().join(format!("baton-soak-log-{}", std::process::id()));
        std::fs::write(&dir, "0 200 GET\n2 200 POST\n2 499 POST\n- 200 GET\n99 200 GET\n").unwrap();
        let counts = read_access_log(&dir, 4).unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(counts, [1, 0, 2, 0]);
    }
}
