//! `baton demo --blackhole`: how long a request takes to fail, or to be
//! retried elsewhere, when its connection goes silent, as behind a load
//! balancer that dropped the flow. Each client runs with its defaults, no
//! timeout of ours: what is measured is what the client does by itself.
//!
//! The cases:
//! - `h2 in flight`: an HTTP/2 (h2c) connection carries a GET and a POST
//!   waiting on a slow route when it goes silent;
//! - `h2 idle`: an idle pooled HTTP/2 connection goes silent, then the next
//!   GET is sent (it reuses the connection);
//! - `h1 idle`: the same over HTTP/1.1;
//! - with `--kernel`, also `h2 idle long` and `h1 idle long`: the connection
//!   goes silent, and the next GET comes after `--idle-long` (what TCP
//!   keep-alive is for).
//!
//! Two kinds of silence. The lab's fault proxy stops forwarding (its
//! `Blackhole`): the proxy's kernel still acknowledges every segment and
//! answers TCP keep-alive probes, so only the application can notice. With
//! `--kernel` (root, in a private network namespace: `unshare -n`),
//! iptables drops the connection's packets both ways, as a dropped flow
//! does: TCP's retransmission and keep-alive timers then see it too.
//!
//! Each request's outcome is timed from the moment of the blackhole; a
//! request still waiting at `--limit` is reported as such. The retry (if
//! any) goes to a new connection, which is not blackholed.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_lab::proxy::{Connections, Directions, Fault, Proxy, ProxyOptions};
use baton_lab::{Lab, LabOptions, Scenario};
use http::Method;

/// What one request ended with: `Ok` with a line for a success, `Err` with
/// the error's line.
pub(super) type Sent = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;

/// Sends one request (method, URL) through a client that lives as long as
/// this.
pub(super) type Sender = Arc<dyn Fn(Method, String) -> Sent + Send + Sync>;

/// The options of a blackhole run.
#[derive(Debug, Clone, Copy)]
pub(super) struct Options {
    pub(super) peers: bool,
    pub(super) kernel: bool,
    pub(super) limit: Duration,
    pub(super) idle_long: Duration,
}

/// The shapes of the measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    H2InFlight,
    H2Idle,
    H1Idle,
    H2IdleLong,
    H1IdleLong,
}

impl Shape {
    fn http1(self) -> bool {
        matches!(self, Self::H1Idle | Self::H1IdleLong)
    }

    fn name(self) -> &'static str {
        match self {
            Self::H2InFlight => "h2 in flight",
            Self::H2Idle => "h2 idle",
            Self::H1Idle => "h1 idle",
            Self::H2IdleLong => "h2 idle long",
            Self::H1IdleLong => "h1 idle long",
        }
    }
}

/// The clients measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Baton,
    /// baton with `http2_keep_alive_interval(None)` and `tcp_keepalive(None)`:
    /// what it did before it had either.
    BatonWithoutKeepalive,
    #[cfg(feature = "peers")]
    Peer(super::peers::Peer),
}

impl Who {
    fn name(self) -> &'static str {
        match self {
            Self::Baton => "baton",
            Self::BatonWithoutKeepalive => "baton, no keep-alives",
            #[cfg(feature = "peers")]
            Self::Peer(p) => p.name(),
        }
    }

    fn sender(self, http1: bool) -> Result<Sender, String> {
        match self {
            Self::Baton => baton_sender(baton::Client::builder(), http1),
            Self::BatonWithoutKeepalive => baton_sender(
                baton::Client::builder().http2_keep_alive_interval(None).tcp_keepalive(None),
                http1,
            ),
            #[cfg(feature = "peers")]
            Self::Peer(p) => super::peers::blackhole_sender(p, http1),
        }
    }
}

/// One request's fate, timed from the blackhole.
struct Fate {
    what: &'static str,
    after: Duration,
    result: Option<Result<String, String>>,
}

impl fmt::Display for Fate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.after.as_secs_f64();
        match &self.result {
            None => write!(f, "{}: still waiting after {secs:.1} s", self.what),
            Some(Ok(ok)) => write!(f, "{}: {secs:.1} s, {ok}", self.what),
            Some(Err(e)) => write!(f, "{}: {secs:.1} s, failed: {e}", self.what),
        }
    }
}

pub(super) async fn run(options: Options) -> ExitCode {
    if options.kernel
        && let Err(e) = kernel::check()
    {
        eprintln!("baton demo --blackhole --kernel: {e}");
        return ExitCode::from(2);
    }
    let clients: Vec<Who> =
        [Who::Baton, Who::BatonWithoutKeepalive].into_iter().chain(peers(options.peers)).collect();
    let mut shapes = vec![Shape::H2InFlight, Shape::H2Idle, Shape::H1Idle];
    if options.kernel {
        shapes.extend([Shape::H2IdleLong, Shape::H1IdleLong]);
    }
    let kind = if options.kernel { "kernel (iptables DROP)" } else { "proxy (stops forwarding)" };
    println!("blackhole: {kind}; each client with its defaults; limit {:?}", options.limit);
    let mut failed = false;
    for shape in shapes {
        for &who in &clients {
            match measure(shape, who, options).await {
                Ok(fates) => {
                    let line: Vec<String> = fates.iter().map(ToString::to_string).collect();
                    println!("{:<13} {:<22} {}", shape.name(), who.name(), line.join("; "));
                }
                Err(e) => {
                    failed = true;
                    println!("{:<13} {:<22} could not measure: {e}", shape.name(), who.name());
                }
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// hyper-util and reqwest, when asked for (and built in).
#[cfg(feature = "peers")]
fn peers(wanted: bool) -> Vec<Who> {
    if wanted { super::peers::Peer::ALL.map(Who::Peer).to_vec() } else { Vec::new() }
}

#[cfg(not(feature = "peers"))]
fn peers(_wanted: bool) -> Vec<Who> {
    Vec::new()
}

/// One shape through one client, against a fresh lab.
async fn measure(shape: Shape, who: Who, options: Options) -> Result<Vec<Fate>, String> {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.map_err(|e| format!("lab: {e}"))?;
    let proxy = if options.kernel {
        None
    } else {
        Some(Proxy::start(ProxyOptions::new(lab.addr())).await.map_err(|e| format!("proxy: {e}"))?)
    };
    let base = match &proxy {
        Some(p) => p.url(""),
        None => lab.url(""),
    };
    let send = who.sender(shape.http1())?;
    // A first request opens the connection and leaves it pooled.
    match tokio::time::timeout(Duration::from_secs(5), send(Method::GET, format!("{base}/bytes/100"))).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("the first request failed: {e}")),
        Err(_) => return Err("the first request timed out".into()),
    }
    // The kernel's rules, when they are the blackhole, are lifted when
    // dropped.
    let silence = || -> Result<Option<kernel::Rules>, String> {
        match &proxy {
            Some(p) => {
                let hit = p.apply(Connections::All, Directions::Both, Fault::Blackhole);
                if hit == 0 { Err("no connection to blackhole".into()) } else { Ok(None) }
            }
            None => kernel::Rules::drop_connections_to(lab.addr().port()).map(Some),
        }
    };
    let requests: Vec<(&'static str, Method, String)>;
    let silenced;
    let since;
    match shape {
        Shape::H2InFlight => {
            // Both wait on a slow route, so they are in flight when the
            // connection goes silent.
            requests = vec![
                ("GET", Method::GET, format!("{base}/delay/300")),
                ("POST", Method::POST, format!("{base}/delay/300")),
            ];
            let running = spawn_all(&send, &requests);
            tokio::time::sleep(Duration::from_millis(100)).await;
            silenced = silence()?;
            since = Instant::now();
            let fates = collect(&requests, running, since, options.limit).await;
            drop(silenced);
            finish(proxy, lab).await;
            return Ok(fates);
        }
        Shape::H2Idle | Shape::H1Idle => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            silenced = silence()?;
            since = Instant::now();
        }
        Shape::H2IdleLong | Shape::H1IdleLong => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            silenced = silence()?;
            since = Instant::now();
            tokio::time::sleep(options.idle_long).await;
        }
    }
    requests = vec![("GET", Method::GET, format!("{base}/bytes/100"))];
    let running = spawn_all(&send, &requests);
    let fates = collect(&requests, running, since, options.limit).await;
    drop(silenced);
    finish(proxy, lab).await;
    Ok(fates)
}

/// A request running, with the moment it ended.
type Running = tokio::task::JoinHandle<(Result<String, String>, Instant)>;

fn spawn_all(send: &Sender, requests: &[(&'static str, Method, String)]) -> Vec<Running> {
    requests
        .iter()
        .map(|(_, method, url)| {
            let sending = send(method.clone(), url.clone());
            tokio::spawn(async move { (sending.await, Instant::now()) })
        })
        .collect()
}

async fn collect(
    requests: &[(&'static str, Method, String)],
    running: Vec<Running>,
    since: Instant,
    limit: Duration,
) -> Vec<Fate> {
    let deadline = tokio::time::Instant::from_std(since + limit);
    let mut fates = Vec::new();
    for ((what, _, _), mut task) in requests.iter().zip(running) {
        let fate = tokio::select! {
            joined = &mut task => match joined {
                Ok((result, at)) => Fate { what, after: at.saturating_duration_since(since), result: Some(result) },
                Err(e) => Fate { what, after: since.elapsed(), result: Some(Err(format!("task: {e}"))) },
            },
            () = tokio::time::sleep_until(deadline) => {
                task.abort();
                Fate { what, after: since.elapsed(), result: None }
            }
        };
        fates.push(fate);
    }
    fates
}

async fn finish(proxy: Option<Proxy>, lab: Lab) {
    if let Some(p) = proxy {
        p.stop().await;
    }
    lab.stop().await;
}

fn baton_sender(builder: baton::ClientBuilder, http1: bool) -> Result<Sender, String> {
    let builder = if http1 { builder.http1_only() } else { builder.http2_prior_knowledge() };
    let client = builder.build().map_err(|e| e.to_string())?;
    Ok(Arc::new(move |method: Method, url: String| {
        let client = client.clone();
        Box::pin(async move {
            let mut request = client.request(method.clone(), &url);
            if method == Method::POST {
                request = request.body("post");
            }
            let response = request.send().await.map_err(|e| one_line(&e))?;
            let (status, attempts) = (response.status(), response.attempts().len());
            response.bytes().await.map_err(|e| one_line(&e))?;
            Ok(format!("{} after {attempts} attempt(s)", status.as_u16()))
        }) as Sent
    }))
}

/// An error's verdict and first line.
fn one_line(e: &baton::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    match e.processing() {
        Some(p) => format!("{p:?}, {first}"),
        None => first.to_owned(),
    }
}

/// Kernel blackholes: iptables rules that drop one connection's packets.
mod kernel {
    use std::process::Command;

    /// Refuses to touch the firewall of the machine's own network
    /// namespace: only a private one (`unshare -n`), whose only interface
    /// is loopback, is ours to change.
    pub(super) fn check() -> Result<(), String> {
        // /proc/self/net/dev lists this process's namespace's interfaces
        // (/sys/class/net may be the host's, mounted from outside).
        let dev = std::fs::read_to_string("/proc/self/net/dev")
            .map_err(|e| format!("cannot list network interfaces: {e}"))?;
        let interfaces: Vec<String> =
            dev.lines().skip(2).filter_map(|l| l.split(':').next()).map(|n| n.trim().to_owned()).collect();
        if interfaces.iter().any(|name| name != "lo") {
            return Err(format!(
                "refusing to change the firewall of a network namespace with interfaces {interfaces:?}; \
                 run inside a private one: unshare -n sh -c 'ip link set lo up && baton demo --blackhole --kernel'"
            ));
        }
        let status =
            Command::new("iptables").args(["-L", "-n"]).output().map_err(|e| format!("iptables: {e}"))?;
        if !status.status.success() {
            return Err(format!("iptables -L failed: {}", String::from_utf8_lossy(&status.stderr)));
        }
        Ok(())
    }

    /// Rules added; removed when dropped.
    pub(super) struct Rules(Vec<Vec<String>>);

    impl Rules {
        /// Drops, both ways, the packets of every established connection
        /// to 127.0.0.1:`port` (the client's, and so the lab's side too).
        pub(super) fn drop_connections_to(port: u16) -> Result<Self, String> {
            let mut rules = Vec::new();
            for client_port in established_to(port)? {
                for (sport, dport) in [(client_port, port), (port, client_port)] {
                    let rule = vec![
                        "OUTPUT".to_owned(),
                        "-p".into(),
                        "tcp".into(),
                        "--sport".into(),
                        sport.to_string(),
                        "--dport".into(),
                        dport.to_string(),
                        "-j".into(),
                        "DROP".into(),
                    ];
                    iptables("-I", &rule)?;
                    rules.push(rule);
                }
            }
            if rules.is_empty() {
                return Err(format!("no established connection to port {port}"));
            }
            Ok(Self(rules))
        }
    }

    impl Drop for Rules {
        fn drop(&mut self) {
            for rule in &self.0 {
                let _ = iptables("-D", rule);
            }
        }
    }

    fn iptables(op: &str, rule: &[String]) -> Result<(), String> {
        let out =
            Command::new("iptables").arg(op).args(rule).output().map_err(|e| format!("iptables: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("iptables {op} {}: {}", rule.join(" "), String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// The local ports of established IPv4 connections whose remote port
    /// is `port` (/proc/net/tcp: hex `addr:port` pairs, state 01).
    fn established_to(port: u16) -> Result<Vec<u16>, String> {
        let table = std::fs::read_to_string("/proc/net/tcp").map_err(|e| format!("/proc/net/tcp: {e}"))?;
        let mut ports = Vec::new();
        for line in table.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(state)) = (fields.get(1), fields.get(2), fields.get(3))
            else {
                continue;
            };
            let port_of = |a: &str| a.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
            if *state == "01"
                && port_of(remote) == Some(port)
                && let Some(p) = port_of(local)
            {
                ports.push(p);
            }
        }
        Ok(ports)
    }
}
