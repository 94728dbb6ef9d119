//! Child-process plumbing shared by the launchers: finding binaries, free
//! ports, scratch directories, waiting for a listener, signals, and a child
//! that is stopped on drop.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a server gets to start listening.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);

/// The executable `name`, searched in `PATH`, then `/usr/sbin` and `/sbin`
/// (where Debian puts nginx, nghttpd and apache2).
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A port on 127.0.0.1 that was free a moment ago.
///
/// # Errors
/// When no socket can be bound.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `127.0.0.1:port`.
pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A new, empty directory under the system's temp dir, named after
/// `server`, this process and a counter.
///
/// # Errors
/// When the directory cannot be created.
pub fn scratch_dir(server: &str) -> io::Result<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("baton-interop-{server}-{}-{n}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Whether this process runs as root (servers then need a `user` line).
pub fn is_root() -> bool {
    // `id -u` rather than libc: the workspace forbids unsafe code.
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Sends `signal` (a name such as `TERM`, `HUP`, `USR1`) to `pid` with
/// `kill(1)`.
///
/// # Errors
/// When `kill` cannot run or reports failure (no such process).
pub fn signal(pid: u32, signal: &str) -> io::Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if status.success() { Ok(()) } else { Err(io::Error::other(format!("kill -{signal} {pid}: {status}"))) }
}

/// Waits until every address in `addrs` accepts a TCP connection, failing
/// early when `child` exits. `log` is read for the error message.
///
/// # Errors
/// When the child exits first or the deadline passes.
pub fn wait_listening(name: &str, child: &mut Child, addrs: &[SocketAddr], log: &Path) -> io::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    let mut pending: Vec<SocketAddr> = addrs.to_vec();
    loop {
        pending.retain(|a| TcpStream::connect_timeout(a, Duration::from_millis(200)).is_err());
        if pending.is_empty() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            return Err(io::Error::other(format!("{name} exited with {status}: {}", read_log(log))));
        }
        if Instant::now() > deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{name} did not listen on {pending:?} within {START_TIMEOUT:?}: {}", read_log(log)),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The last 4 KiB of a log file, or an empty string.
pub fn read_log(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(4096);
    let start = (start..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
    text.get(start..).unwrap_or_default().to_owned()
}

/// A server process, stopped on drop: `stop_signal` first, SIGKILL after
/// `grace`. Its scratch directory, if any, is removed afterwards.
#[derive(Debug)]
pub struct Supervised {
    name: String,
    child: Child,
    stop_signal: &'static str,
    grace: Duration,
    dir: Option<PathBuf>,
}

impl Supervised {
    /// Supervises `child`. `dir` is removed on drop.
    pub fn new(name: &str, child: Child, stop_signal: &'static str, dir: Option<PathBuf>) -> Self {
        Self { name: name.to_owned(), child, stop_signal, grace: Duration::from_secs(5), dir }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child, for [`wait_listening`].
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The server's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the process has exited (and is reaped).
    pub fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` to the process.
    ///
    /// # Errors
    /// See [`signal`].
    pub fn signal(&self, name: &str) -> io::Result<()> {
        signal(self.child.id(), name)
    }

    /// Waits up to `limit` for the process to exit; true if it did.
    pub fn wait_exit(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.has_exited() {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops the process now (as on drop), keeping the directory.
    pub fn stop(&mut self) {
        if !self.has_exited() {
            let _ = signal(self.child.id(), self.stop_signal);
            if !self.wait_exit(self.grace) {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Opens (creating) `path` for a child's stdout or stderr.
///
/// # Errors
/// When the file cannot be opened.
pub fn log_file(path: &Path) -> io::Result<Stdio> {
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    Ok(Stdio::from(file))
}
