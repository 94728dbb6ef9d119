//! A child process that listens on one port of 127.0.0.1: found on `PATH`
//! (or `/usr/sbin`, `/usr/bin`), started in a scratch directory, waited for
//! until it accepts, killed and cleaned up on drop.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a daemon gets to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running daemon.
#[derive(Debug)]
pub(super) struct Daemon {
    child: Child,
    dir: PathBuf,
    pub(super) addr: SocketAddr,
    log: PathBuf,
}

/// The binary `name`, if installed.
pub(super) fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A new, empty directory for one daemon.
pub(super) fn scratch_dir(name: &str) -> io::Result<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("baton-{name}-{}-{n}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A port of 127.0.0.1 that was free a moment ago.
pub(super) fn free_port() -> io::Result<SocketAddr> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()
}

impl Daemon {
    /// Runs `command` (its output to `dir/log`), and waits until `addr`
    /// accepts connections.
    pub(super) fn spawn(mut command: Command, dir: PathBuf, addr: SocketAddr) -> io::Result<Self> {
        let log = dir.join("log");
        let out = std::fs::File::create(&log)?;
        let child =
            command.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out).current_dir(&dir).spawn()?;
        let mut daemon = Self { child, dir, addr, log };
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = daemon.child.try_wait()? {
                return Err(io::Error::other(format!("exited with {status}: {}", daemon.log())));
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("not listening on {addr} within {START_TIMEOUT:?}: {}", daemon.log()),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(daemon)
    }

    /// The daemon's output so far (its last 4 KiB).
    pub(super) fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(4096);
        let start = (start..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
        text[start..].to_owned()
    }

    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
