//! The lab's HTTP/2 throughput next to nginx's, measured by the same h2load
//! in the same run: `h2load -n 100000 -c 1 -m 64` against `/bytes/100` on
//! nginx (from apt, private prefix, one worker, h2c prior knowledge) and on
//! the lab (normal scenario). The lab must reach half of nginx.
//!
//! Ignored by default; needs nginx and h2load and a release build:
//!
//! ```text
//! cargo test -p baton-lab --release --test throughput -- --ignored --nocapture
//! ```

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use baton_lab::{Lab, LabOptions, Scenario};

use common::{parse_h2load_requests, parse_h2load_rps, run_tool, temp_path, tool_or_skip, wait_or_kill};

const REQUESTS: &str = "100000";
const BODY_LEN: usize = 100;
/// Rounds of (nginx, lab); the best of each counts.
const ROUNDS: usize = 3;
const H2LOAD_LIMIT: Duration = Duration::from_secs(60);

/// nginx's version from `nginx -v` ("nginx version: nginx/1.22.1").
fn nginx_version(nginx: &Path) -> Option<(u32, u32, u32)> {
    let out = Command::new(nginx).arg("-v").output().ok()?;
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let version = text.split("nginx/").nth(1)?.split_whitespace().next()?;
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next().flatten().unwrap_or(0)))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// nginx running as our child in a private prefix; stopped (and the prefix
/// removed) on drop, even when the test fails.
struct Nginx {
    binary: PathBuf,
    prefix: PathBuf,
    child: Child,
    addr: SocketAddr,
}

impl Nginx {
    fn start(binary: &Path) -> Self {
        let version = nginx_version(binary).expect("nginx -v");
        // nginx 1.25.1 moved h2 from `listen ... http2` to `http2 on;`.
        let new_syntax = version >= (1, 25, 1);
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let prefix = temp_path("nginx");
        std::fs::create_dir_all(prefix.join("logs")).unwrap();
        let p = prefix.display();
        let listen = if new_syntax {
            format!("listen {addr};\n        http2 on;")
        } else {
            format!("listen {addr} http2;")
        };
        let body = "x".repeat(BODY_LEN);
        let conf = format!(
            "worker_processes 1;\n\
             daemon off;\n\
             pid {p}/nginx.pid;\n\
             error_log {p}/logs/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n\
             \x20   access_log off;\n\
             \x20   client_body_temp_path {p}/client_body;\n\
             \x20   proxy_temp_path {p}/proxy;\n\
             \x20   fastcgi_temp_path {p}/fastcgi;\n\
             \x20   uwsgi_temp_path {p}/uwsgi;\n\
             \x20   scgi_temp_path {p}/scgi;\n\
             \x20   keepalive_requests 1000000;\n\
             \x20   server {{\n\
             \x20       {listen}\n\
             \x20       location = /bytes/{BODY_LEN} {{ return 200 \"{body}\"; }}\n\
             \x20   }}\n\
             }}\n"
        );
        let conf_path = prefix.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(binary)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(prefix.join("logs/error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut nginx = Self { binary: binary.to_path_buf(), prefix, child, addr };
        nginx.wait_ready(version);
        nginx
    }

    fn wait_ready(&mut self, version: (u32, u32, u32)) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect(self.addr).is_ok() {
                println!("nginx {version:?} listening on {} (prefix {})", self.addr, self.prefix.display());
                return;
            }
            let log = std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default();
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nginx exited with {status}:\n{log}");
            }
            assert!(Instant::now() < deadline, "nginx did not start listening on {}:\n{log}", self.addr);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // `-s stop` signals the master (from our pid file), which takes its
        // worker down with it; killing the master alone would orphan the worker.
        let _ = Command::new(&self.binary)
            .arg("-p")
            .arg(&self.prefix)
            .arg("-c")
            .arg(self.prefix.join("nginx.conf"))
            .args(["-s", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if wait_or_kill(&mut self.child, Duration::from_secs(5)).is_none() {
            eprintln!("nginx did not stop in time and was killed");
        }
        let _ = std::fs::remove_dir_all(&self.prefix);
    }
}

/// One `h2load -n 100000 -c 1 -m 64` run: req/s.
async fn h2load_rps(h2load: &Path, url: String, what: &str) -> f64 {
    let args = ["-n", REQUESTS, "-c", "1", "-m", "64"].iter().map(|s| (*s).to_owned()).chain([url]).collect();
    let out = run_tool(h2load, args, H2LOAD_LIMIT).await;
    assert!(out.success(), "h2load against {what}: {:?}\n{}\n{}", out.status, out.stdout, out.stderr);
    let requests = parse_h2load_requests(&out.stdout).expect("h2load requests: line");
    let total: u64 = REQUESTS.parse().unwrap();
    assert_eq!(
        (requests.succeeded, requests.failed, requests.errored),
        (total, 0, 0),
        "{what}: {requests:?}"
    );
    let rps = parse_h2load_rps(&out.stdout).expect("h2load finished-in line");
    let finished = out.stdout.lines().find(|l| l.starts_with("finished in")).unwrap_or("");
    println!("  {what:<6} {finished}");
    rps
}

/// The lab runs on this test's runtime: one worker thread, like nginx's one
/// worker process, so each server gets one core and h2load has the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
#[ignore = "needs nginx and h2load; run: cargo test -p baton-lab --release --test throughput -- --ignored --nocapture"]
async fn lab_reaches_half_of_nginx() {
    let Some(h2load) = tool_or_skip("h2load", "throughput") else { return };
    let Some(nginx_bin) = tool_or_skip("nginx", "throughput") else { return };
    let nginx = Nginx::start(&nginx_bin);
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let path = format!("/bytes/{BODY_LEN}");

    // Warm-up, then alternate so both see the same machine state.
    let _ = h2load_rps(&h2load, nginx.url(&path), "nginx").await;
    let _ = h2load_rps(&h2load, lab.url(&path), "lab").await;
    let (mut best_nginx, mut best_lab) = (0.0_f64, 0.0_f64);
    for round in 1..=ROUNDS {
        println!("round {round}:");
        best_nginx = best_nginx.max(h2load_rps(&h2load, nginx.url(&path), "nginx").await);
        best_lab = best_lab.max(h2load_rps(&h2load, lab.url(&path), "lab").await);
    }
    let processed = lab.ledger().stats().processed;
    lab.stop().await;
    drop(nginx);

    let ratio = best_lab / best_nginx;
    println!(
        "h2load -n {REQUESTS} -c 1 -m 64, GET {path}, best of {ROUNDS}: nginx {best_nginx:.0} req/s, \
         lab {best_lab:.0} req/s, lab/nginx = {:.0}%",
        ratio * 100.0
    );
    assert_eq!(processed, (ROUNDS as u64 + 1) * REQUESTS.parse::<u64>().unwrap());
    if cfg!(debug_assertions) {
        println!("debug build: the 50% bar applies to release builds only (add --release)");
    } else {
        assert!(ratio >= 0.5, "the lab reaches only {:.0}% of nginx", ratio * 100.0);
    }
}
