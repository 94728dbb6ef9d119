//! Helpers shared by the peer and throughput tests: finding and running the
//! external tools (h2load, curl, nghttp, nginx) with a hard time limit, and
//! reading h2load's summary.

#![allow(dead_code)] // Each test binary uses its own subset.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The full path of `tool` on `PATH`, like `which`.
pub(crate) fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(tool)).find(|p| p.is_file())
}

/// `which`, printing a note when the tool is missing so the skip is visible.
pub(crate) fn tool_or_skip(tool: &str, what: &str) -> Option<PathBuf> {
    let found = which(tool);
    if found.is_none() {
        println!("SKIP {what}: {tool} is not installed");
    }
    found
}

/// What a tool printed and how it ended.
#[derive(Debug)]
pub(crate) struct ToolOutput {
    /// `None` when it was killed at the time limit.
    pub(crate) status: Option<ExitStatus>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl ToolOutput {
    pub(crate) fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// Waits for `child` until `limit`, killing it (by its own id) when the
/// limit passes. `None` means it was killed.
pub(crate) fn wait_or_kill(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `program args` to completion or until `limit` (then kills it),
/// collecting its output. Blocking: call from `spawn_blocking` in async code.
pub(crate) fn run_tool_blocking(program: &Path, args: &[String], limit: Duration) -> ToolOutput {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let status = wait_or_kill(&mut child, limit);
    ToolOutput { status, stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() }
}

/// [`run_tool_blocking`] on the blocking pool.
pub(crate) async fn run_tool(program: &Path, args: Vec<String>, limit: Duration) -> ToolOutput {
    let program = program.to_path_buf();
    tokio::task::spawn_blocking(move || run_tool_blocking(&program, &args, limit)).await.unwrap()
}

/// h2load's "requests:" summary line, parsed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct H2loadRequests {
    pub(crate) total: u64,
    pub(crate) started: u64,
    pub(crate) done: u64,
    pub(crate) succeeded: u64,
    pub(crate) failed: u64,
    pub(crate) errored: u64,
    pub(crate) timeout: u64,
}

/// The "requests: 20000 total, 20000 started, ..." line of h2load's output.
pub(crate) fn h2load_requests_line(stdout: &str) -> Option<&str> {
    stdout.lines().find(|l| l.starts_with("requests:"))
}

/// Parses h2load's "requests:" line.
pub(crate) fn parse_h2load_requests(stdout: &str) -> Option<H2loadRequests> {
    let line = h2load_requests_line(stdout)?.trim_start_matches("requests:");
    let mut r = H2loadRequests::default();
    for part in line.split(',') {
        let mut words = part.split_whitespace();
        let n: u64 = words.next()?.parse().ok()?;
        match words.next()? {
            "total" => r.total = n,
            "started" => r.started = n,
            "done" => r.done = n,
            "succeeded" => r.succeeded = n,
            "failed" => r.failed = n,
            "errored" => r.errored = n,
            "timeout" => r.timeout = n,
            _ => {}
        }
    }
    Some(r)
}

/// req/s from h2load's "finished in 1.23s, 81234.56 req/s, 9.1MB/s" line.
pub(crate) fn parse_h2load_rps(stdout: &str) -> Option<f64> {
    let line = stdout.lines().find(|l| l.starts_with("finished in"))?;
    line.split(',').find_map(|part| part.trim().strip_suffix(" req/s")?.trim().parse().ok())
}

/// A fresh path in the system temp dir, unique to this process and call.
pub(crate) fn temp_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("baton-lab-test-{}-{n}-{name}", std::process::id()))
}

#[test]
fn h2load_output_parses() {
    let out = "finished in 500.46ms, 39963.23 req/s, 4.73MB/s\n\
               requests: 20000 total, 20000 started, 19990 done, 19980 succeeded, 20 failed, 10 errored, 0 timeout\n";
    assert_eq!(parse_h2load_rps(out), Some(39963.23));
    let r = parse_h2load_requests(out).unwrap();
    assert_eq!((r.total, r.done, r.succeeded, r.failed, r.errored), (20000, 19990, 19980, 20, 10));
}
