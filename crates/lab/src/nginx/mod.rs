//! nginx from the system's packages, started as a child process in a private
//! prefix on 127.0.0.1: the real server that baton's tests, the interop
//! suite and the benchmarks (`bench/run`, through the `baton-nginx` binary)
//! measure against. One launcher, one [`NginxOptions`]: the listeners (h2c,
//! HTTP/1.1, TLS, each with its own `keepalive_requests`), the workers, and
//! the [`Site`] every listener serves ([`BytesSite`] unless told otherwise).
//! Stopped, and its prefix removed, on drop.
//!
//! ```no_run
//! use baton_lab::nginx::{Nginx, NginxOptions, Protocol};
//!
//! # fn main() -> std::io::Result<()> {
//! let nginx = Nginx::start(&NginxOptions::new(Protocol::H2c).keepalive_requests(100))?;
//! println!("nginx {:?} at {}", nginx.version(), nginx.url("/bytes/100"));
//! nginx.reload()?; // old workers drain their connections with GOAWAY
//! # Ok(())
//! # }
//! ```

mod config;
mod options;
mod site;

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub use options::{Listener, NginxOptions, Protocol, TlsIdentity};
pub use site::{BytesSite, Site};

/// How long nginx gets to listen on every port.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// How long `nginx -s stop` gets before the master is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A running nginx.
#[derive(Debug)]
pub struct Nginx {
    binary: PathBuf,
    prefix: PathBuf,
    conf: PathBuf,
    child: Child,
    listeners: Vec<Listener>,
    addrs: Vec<SocketAddr>,
    version: (u32, u32, u32),
}

impl Nginx {
    /// The nginx binary, if installed (`PATH`, then `/usr/sbin` and `/sbin`,
    /// where Debian puts it).
    pub fn find() -> Option<PathBuf> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
            .map(|dir| dir.join("nginx"))
            .find(|p| p.is_file())
    }

    /// Starts nginx with `options` and waits until every listener accepts
    /// connections.
    ///
    /// # Errors
    /// When nginx is missing (`NotFound`), the options ask for TLS without
    /// an identity or for no listener at all (`InvalidInput`), nginx fails
    /// to start (with its error log), or it does not listen within 15 s.
    pub fn start(options: &NginxOptions) -> io::Result<Self> {
        if options.listeners.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "nginx needs at least one listener"));
        }
        let tls = options.listeners.iter().any(|l| l.protocol == Protocol::H2Tls);
        if tls && options.tls.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a TLS listener needs NginxOptions::tls",
            ));
        }
        let binary =
            Self::find().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "nginx not installed"))?;
        let version = binary_version(&binary)?;
        let prefix = scratch_dir()?;
        std::fs::create_dir_all(prefix.join("logs"))?;
        std::fs::create_dir_all(prefix.join("html"))?;
        options.site.write_files(&prefix.join("html"))?;
        if let Some(identity) = &options.tls {
            std::fs::write(prefix.join(config::CERT_FILE), &identity.cert_pem)?;
            std::fs::write(prefix.join(config::KEY_FILE), &identity.key_pem)?;
        }
        if let Some(ca) = &options.client_ca_pem {
            std::fs::write(prefix.join(config::CLIENT_CA_FILE), ca)?;
        }
        let addrs = options.listeners.iter().map(|l| free_port(l.ip)).collect::<io::Result<Vec<_>>>()?;
        let conf = prefix.join("nginx.conf");
        std::fs::write(&conf, config::render(&prefix, options, &addrs, version, is_root()))?;
        let log = prefix.join("logs/error.log");
        let stderr = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        let child = Command::new(&binary)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()?;
        // From here on, dropping `nginx` stops it and removes the prefix.
        let mut nginx =
            Self { binary, prefix, conf, child, listeners: options.listeners.clone(), addrs, version };
        nginx.wait_ready()?;
        Ok(nginx)
    }

    /// Where the first listener listens.
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Where each listener listens, in the order of
    /// [`NginxOptions::listeners`].
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Where the first listener for `protocol` listens, if there is one.
    pub fn endpoint(&self, protocol: Protocol) -> Option<SocketAddr> {
        self.listeners.iter().zip(&self.addrs).find(|(l, _)| l.protocol == protocol).map(|(_, a)| *a)
    }

    /// `http://127.0.0.1:PORT{path}` for the first listener (`https` when it
    /// is TLS).
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.listeners[0].protocol.scheme(), self.addrs[0])
    }

    /// The Unix domain socket of the first listener for `protocol`, with
    /// [`NginxOptions::unix_sockets`].
    pub fn unix_socket(&self, protocol: Protocol) -> Option<PathBuf> {
        let index = self.listeners.iter().position(|l| l.protocol == protocol)?;
        let path = config::unix_socket(&self.prefix, index);
        path.exists().then_some(path)
    }

    /// `nginx -v`'s version.
    pub fn version(&self) -> (u32, u32, u32) {
        self.version
    }

    /// The master process's id (its workers are its children).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `nginx -s reload`: new workers take new connections, the old ones
    /// drain theirs with GOAWAY and exit.
    ///
    /// # Errors
    /// When the signal cannot be sent.
    pub fn reload(&self) -> io::Result<()> {
        self.signal("reload")
    }

    /// The access log's path (written only with
    /// [`NginxOptions::access_log`]): one line per request, `ID STATUS
    /// METHOD`, `-` for a request without `x-request-id`.
    pub fn access_log(&self) -> PathBuf {
        self.prefix.join(config::ACCESS_LOG)
    }

    /// The error log so far (its last 4 KiB).
    pub fn error_log(&self) -> String {
        let text = std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default();
        let start = text.len().saturating_sub(4096);
        let start = (start..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
        text[start..].to_owned()
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut pending = self.addrs.clone();
        loop {
            pending.retain(|a| TcpStream::connect_timeout(a, Duration::from_millis(200)).is_err());
            if pending.is_empty() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!("nginx exited with {status}: {}", self.error_log())));
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "nginx did not listen on {pending:?} within {START_TIMEOUT:?}: {}",
                        self.error_log()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `nginx -p PREFIX -c CONF -s WHAT` (reload, quit, stop): the signal
    /// goes to the master named in the prefix's pid file.
    fn signal(&self, what: &str) -> io::Result<()> {
        let status = Command::new(&self.binary)
            .arg("-p")
            .arg(&self.prefix)
            .arg("-c")
            .arg(&self.conf)
            .args(["-s", what])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if status.success() { Ok(()) } else { Err(io::Error::other(format!("nginx -s {what}: {status}"))) }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // `-s stop` signals the master, which takes its workers down with
        // it; killing the master alone would orphan the workers.
        let _ = self.signal("stop");
        let deadline = Instant::now() + STOP_TIMEOUT;
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.prefix);
    }
}

/// The version an nginx binary reports with `-v`, as (major, minor, patch).
fn binary_version(binary: &Path) -> io::Result<(u32, u32, u32)> {
    let out = Command::new(binary).arg("-v").output()?;
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    parse_version(&text).ok_or_else(|| io::Error::other(format!("cannot read nginx's version from {text:?}")))
}

/// `nginx version: nginx/1.22.1` → (1, 22, 1).
fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let v = text.split("nginx/").nth(1)?.split_whitespace().next()?;
    let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next().flatten().unwrap_or(0)))
}

/// A new, empty directory under the system's temp dir for one nginx.
fn scratch_dir() -> io::Result<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("baton-nginx-{}-{n}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A port of `ip` that was free a moment ago.
fn free_port(ip: std::net::IpAddr) -> io::Result<SocketAddr> {
    TcpListener::bind(SocketAddr::new(ip, 0))?.local_addr()
}

fn is_root() -> bool {
    // `id -u` avoids libc: the lab forbids unsafe code.
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("nginx version: nginx/1.22.1\n"), Some((1, 22, 1)));
        assert_eq!(parse_version("nginx version: nginx/1.25 (x)"), Some((1, 25, 0)));
        assert_eq!(parse_version("openresty/1.2"), None);
    }

    #[test]
    fn tls_without_an_identity_is_refused_before_anything_starts() {
        let err = Nginx::start(&NginxOptions::new(Protocol::H2Tls)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let none = NginxOptions { listeners: Vec::new(), ..NginxOptions::default() };
        assert_eq!(Nginx::start(&none).unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }
}
