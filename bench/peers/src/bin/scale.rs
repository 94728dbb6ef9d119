//! `scale <baton|hyper> SCENARIO ARGS...`: the scale section of issue 20,
//! the same scenario run on baton's library or on hyper-util's legacy
//! client, against the harness's own server (`src/serve.rs`, started here as
//! child processes: `scale serve PORTS MAX_STREAMS`) listening on as many
//! 127.0.0.1 ports as there are origins. Prints one JSON line of figures.
//!
//! Scenarios (on `#[tokio::main]`'s default runtime, one shared client):
//! - `idle h1|h2 N`: one request to each of N origins, then memory per idle
//!   pooled connection (resident set and heap growth over N);
//! - `streams N`: N requests held in flight on one HTTP/2 connection, then
//!   memory per in-flight stream;
//! - `lease h1|h2 K R`: K origins with a pooled connection each, then R
//!   requests one at a time to one origin, and R cycling over all K: wall
//!   and CPU time per request (the lease is what could grow with K);
//! - `load ORIGINS CONNS C N`: HTTP/2, C requests in flight (worker w sends
//!   to origin w % ORIGINS) until N are done, at most CONNS connections per
//!   origin (the server's SETTINGS_MAX_CONCURRENT_STREAMS is sized so CONNS
//!   are needed; hyper-util's legacy client keeps one HTTP/2 connection per
//!   origin, so it gets CONNS clients, worker w on client w % CONNS): req/s,
//!   CPU per request, peak RSS, failures, connections the server accepted.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use baton_bench_peers::measure;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

#[global_allocator]
static ALLOC: measure::CountingAlloc = measure::CountingAlloc;

const USAGE: &str = "scale <baton|hyper> <idle h1|h2 N | streams N | lease h1|h2 K R | load ORIGINS CONNS C N>\n       scale serve PORTS MAX_STREAMS";
/// Listeners per server process: with a connection each, well under the
/// usual 20,000 open files.
const PORTS_PER_SERVER: usize = 4_000;
/// Every scenario ends within this, or the harness exits with an error.
const LIMIT: Duration = Duration::from_secs(240);

fn usage() -> ! {
    eprintln!("usage: {USAGE}");
    std::process::exit(2);
}

fn num(s: &str) -> usize {
    s.parse().unwrap_or_else(|_| usage())
}

/// The servers: child processes of this one, `PORTS_PER_SERVER` origins
/// each.
struct Servers {
    children: Vec<(Child, ChildStdin, BufReader<std::process::ChildStdout>)>,
    ports: Vec<u16>,
}

impl Servers {
    fn start(origins: usize, max_streams: usize) -> Self {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("own path: {e}"));
        let mut children = Vec::new();
        let mut ports = Vec::new();
        let mut left = origins;
        while left > 0 {
            let n = left.min(PORTS_PER_SERVER);
            left -= n;
            let mut child = Command::new(&exe)
                .args(["serve", &n.to_string(), &max_streams.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("starting the server: {e}"));
            let stdin = child.stdin.take().unwrap_or_else(|| panic!("server stdin"));
            let mut stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("server stdout")));
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let Some(list) = line.trim().strip_prefix("ports") else {
                panic!("the server did not start: {line:?}");
            };
            ports.extend(list.split_whitespace().filter_map(|p| p.parse::<u16>().ok()));
            children.push((child, stdin, stdout));
        }
        assert_eq!(ports.len(), origins, "every listener bound");
        Self { children, ports }
    }

    /// Connections accepted so far and open now, over every server.
    fn connections(&mut self) -> (u64, u64) {
        let (mut accepted, mut open) = (0, 0);
        for (_, stdin, stdout) in &mut self.children {
            let _ = writeln!(stdin);
            let _ = stdin.flush();
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let f: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
            if let [a, o] = f[..] {
                accepted += a;
                open += o;
            }
        }
        (accepted, open)
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        for (mut child, stdin, _) in self.children.drain(..) {
            // The end of its stdin stops it; kill in case it hangs.
            drop(stdin);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One URL, as each client takes it.
struct Target {
    baton: Arc<str>,
    hyper: hyper::Uri,
}

impl Target {
    fn new(port: u16, path: &str) -> Self {
        let url = format!("http://127.0.0.1:{port}{path}");
        let hyper = url.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
        Self { baton: url.as_str().into(), hyper }
    }
}

/// The client under test.
enum Peer {
    Baton(baton::Client),
    /// One or more clients (see `load`); requests pick one by worker.
    Hyper(Vec<HyperClient<HttpConnector, Empty<Bytes>>>),
}

impl Peer {
    fn new(name: &str, h2: bool, conns_per_origin: usize) -> Self {
        match name {
            "baton" => {
                let b = baton::Client::builder().max_connections_per_origin(conns_per_origin);
                let b = if h2 { b.http2_prior_knowledge() } else { b.http1_only() };
                Peer::Baton(b.build().unwrap_or_else(|e| panic!("baton client: {e}")))
            }
            "hyper" => {
                let clients = if h2 { conns_per_origin } else { 1 };
                Peer::Hyper(
                    (0..clients)
                        .map(|_| {
                            let mut b = HyperClient::builder(TokioExecutor::new());
                            b.http2_only(h2);
                            b.build_http()
                        })
                        .collect(),
                )
            }
            _ => usage(),
        }
    }

    /// One GET, its whole body read; whether it got a 2xx and all of it.
    async fn get(&self, worker: usize, target: &Target) -> bool {
        match self {
            Peer::Baton(client) => match client.get(&*target.baton).send().await {
                Ok(resp) => resp.status().is_success() && resp.bytes().await.is_ok(),
                Err(_) => false,
            },
            Peer::Hyper(clients) => match clients[worker % clients.len()].get(target.hyper.clone()).await {
                Ok(resp) => resp.status().is_success() && resp.into_body().collect().await.is_ok(),
                Err(_) => false,
            },
        }
    }
}

/// One request to each target, `at_once` at a time; the failures.
async fn touch_all(
    peer: &Arc<Peer>,
    targets: &Arc<Vec<Target>>,
    range: std::ops::Range<usize>,
    at_once: usize,
) -> u64 {
    let mut failed = 0;
    let idx: Vec<usize> = range.collect();
    for chunk in idx.chunks(at_once) {
        let mut tasks = Vec::new();
        for &i in chunk {
            let (peer, targets) = (peer.clone(), targets.clone());
            tasks.push(tokio::spawn(async move { peer.get(i, &targets[i]).await }));
        }
        for t in tasks {
            if !matches!(t.await, Ok(true)) {
                failed += 1;
            }
        }
    }
    failed
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Settles what the last requests left behind (connections back in the
/// pool, tasks ended) before a memory reading.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn idle(name: &str, h2: bool, n: usize) -> String {
    let mut servers = Servers::start(n + 1, 100);
    let targets: Arc<Vec<Target>> = Arc::new(servers.ports.iter().map(|&p| Target::new(p, "/")).collect());
    let peer = Arc::new(Peer::new(name, h2, 1));
    // Origin 0 warms the client up: what every client has before its first
    // connection (runtime threads, the library's first-use state) is not
    // counted.
    let mut failed = touch_all(&peer, &targets, 0..1, 1).await;
    settle().await;
    let (rss0, _) = (measure::rss_bytes(), measure::count_heap());
    failed += touch_all(&peer, &targets, 1..n + 1, 50).await;
    settle().await;
    let (rss1, heap) = (measure::rss_bytes(), measure::heap_bytes());
    let (accepted, open) = servers.connections();
    format!(
        "{{\"rss_per_conn_bytes\":{:.0},\"heap_per_conn_bytes\":{:.0},\"connections\":{n},\"server_open\":{open},\"server_accepted\":{accepted},\"failed\":{failed}}}",
        (rss1 as f64 - rss0 as f64) / n as f64,
        heap as f64 / n as f64
    )
}

async fn streams(name: &str, n: usize) -> String {
    let mut servers = Servers::start(1, n + 100);
    let port = servers.ports[0];
    let peer = Arc::new(Peer::new(name, true, 1));
    // The connection is set up before the baseline.
    let mut failed = touch_all(&peer, &Arc::new(vec![Target::new(port, "/")]), 0..1, 1).await;
    settle().await;
    let hold = Arc::new(Target::new(port, "/hold/2000"));
    let (rss0, _) = (measure::rss_bytes(), measure::count_heap());
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (peer, hold) = (peer.clone(), hold.clone());
            tokio::spawn(async move { peer.get(i, &hold).await })
        })
        .collect();
    // Half way through the server's hold: every request sent, none answered.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (rss1, heap) = (measure::rss_bytes(), measure::heap_bytes());
    for t in tasks {
        if !matches!(t.await, Ok(true)) {
            failed += 1;
        }
    }
    let (accepted, _) = servers.connections();
    format!(
        "{{\"rss_per_stream_bytes\":{:.0},\"heap_per_stream_bytes\":{:.0},\"streams\":{n},\"server_accepted\":{accepted},\"failed\":{failed}}}",
        (rss1 as f64 - rss0 as f64) / n as f64,
        heap as f64 / n as f64
    )
}

/// `r` requests one at a time, the i-th to `targets[pick(i)]`: wall and
/// CPU µs per request.
async fn one_at_a_time(
    peer: &Peer,
    targets: &[Target],
    r: usize,
    pick: impl Fn(usize) -> usize,
) -> (f64, f64, u64) {
    let mut failed = 0;
    let (t0, c0) = (Instant::now(), measure::cpu_seconds());
    for i in 0..r {
        if !peer.get(0, &targets[pick(i)]).await {
            failed += 1;
        }
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), measure::cpu_seconds() - c0);
    (wall * 1e6 / r as f64, cpu * 1e6 / r as f64, failed)
}

async fn lease(name: &str, h2: bool, k: usize, r: usize) -> String {
    let mut servers = Servers::start(k, 100);
    let targets: Arc<Vec<Target>> = Arc::new(servers.ports.iter().map(|&p| Target::new(p, "/")).collect());
    let peer = Arc::new(Peer::new(name, h2, 1));
    let mut failed = touch_all(&peer, &targets, 0..k, 50).await;
    settle().await;
    let (before, _) = servers.connections();
    // Warm-up, then the measured runs.
    let (_, _, f) = one_at_a_time(&peer, &targets, r / 10 + 1, |_| 0).await;
    failed += f;
    let (one_wall, one_cpu, f) = one_at_a_time(&peer, &targets, r, |_| 0).await;
    failed += f;
    let (all_wall, all_cpu, f) = one_at_a_time(&peer, &targets, r, |i| i % k).await;
    failed += f;
    let (after, open) = servers.connections();
    format!(
        "{{\"origins\":{k},\"one_origin_us\":{one_wall:.1},\"one_origin_cpu_us\":{one_cpu:.1},\"every_origin_us\":{all_wall:.1},\"every_origin_cpu_us\":{all_cpu:.1},\"new_connections_while_timed\":{},\"server_open\":{open},\"failed\":{failed}}}",
        after - before
    )
}

async fn load(name: &str, origins: usize, conns: usize, c: usize, n: u64) -> String {
    // Enough streams per connection for C over ORIGINS × CONNS, no more.
    let max_streams = c.div_ceil(origins * conns);
    let mut servers = Servers::start(origins, max_streams);
    let targets: Arc<Vec<Target>> = Arc::new(servers.ports.iter().map(|&p| Target::new(p, "/")).collect());
    let peer = Arc::new(Peer::new(name, true, conns));
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let (t0, c0) = (Instant::now(), measure::cpu_seconds());
    let workers: Vec<_> = (0..c)
        .map(|w| {
            let (peer, targets, next, failed) = (peer.clone(), targets.clone(), next.clone(), failed.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    if !peer.get(w, &targets[w % targets.len()]).await {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), measure::cpu_seconds() - c0);
    let (accepted, _) = servers.connections();
    format!(
        "{{\"origins\":{origins},\"in_flight\":{c},\"requests\":{n},\"req_per_s\":{:.0},\"cpu_us_per_req\":{:.2},\"peak_rss_mb\":{:.1},\"failed\":{},\"server_accepted\":{accepted},\"max_streams\":{max_streams}}}",
        n as f64 / wall,
        cpu * 1e6 / n as f64,
        mb(measure::peak_rss_bytes()),
        failed.load(Ordering::Relaxed)
    )
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if let ["serve", ports, max_streams] = args[..] {
        let max_streams = u32::try_from(num(max_streams)).unwrap_or(u32::MAX);
        if let Err(e) = baton_bench_peers::serve::serve(num(ports), max_streams).await {
            eprintln!("scale serve: {e}");
            std::process::exit(1);
        }
        return;
    }
    measure::raise_fd_limit();
    let Some((&name, rest)) = args.split_first() else { usage() };
    let h2 = |p: &str| match p {
        "h2" => true,
        "h1" => false,
        _ => usage(),
    };
    let scenario = async {
        match *rest {
            ["idle", p, n] => idle(name, h2(p), num(n)).await,
            ["streams", n] => streams(name, num(n)).await,
            ["lease", p, k, r] => lease(name, h2(p), num(k), num(r)).await,
            ["load", o, conns, c, n] => load(name, num(o), num(conns), num(c), num(n) as u64).await,
            _ => usage(),
        }
    };
    match tokio::time::timeout(LIMIT, scenario).await {
        Ok(json) => println!("{json}"),
        Err(_) => {
            eprintln!("scale: {name} {rest:?} did not end within {LIMIT:?}");
            std::process::exit(1);
        }
    }
}
