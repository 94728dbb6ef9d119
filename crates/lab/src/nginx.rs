//! nginx from the system's packages, started as a child process in a private
//! prefix on 127.0.0.1 — the real server that baton's tests and benchmarks
//! measure against. Stopped (and its prefix removed) on drop.
//!
//! Routes: `/bytes/100` and `/bytes/65536` (static files of that size), and
//! everything else answers `200 ok` to any method (`return 200`), which
//! lets POST and PUT through.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How to run nginx.
#[derive(Debug, Clone)]
pub struct NginxOptions {
    /// Serve HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1.
    pub http2: bool,
    /// `keepalive_requests`: requests per connection before nginx rotates it.
    pub keepalive_requests: u32,
    /// `worker_processes`.
    pub workers: u32,
}

impl Default for NginxOptions {
    fn default() -> Self {
        Self { http2: true, keepalive_requests: 1_000_000, workers: 1 }
    }
}

/// A running nginx.
#[derive(Debug)]
pub struct Nginx {
    binary: PathBuf,
    prefix: PathBuf,
    conf: PathBuf,
    child: Child,
    addr: SocketAddr,
    version: (u32, u32, u32),
}

/// The body sizes served as static files under `/bytes/`.
pub const STATIC_SIZES: [usize; 2] = [100, 65_536];

impl Nginx {
    /// The nginx binary, if installed (`PATH`, then `/usr/sbin`).
    pub fn find() -> Option<PathBuf> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
            .map(|dir| dir.join("nginx"))
            .find(|p| p.is_file())
    }

    /// Starts nginx and waits until it accepts connections.
    ///
    /// # Errors
    /// When nginx is missing, fails to start, or does not listen within 10 s.
    pub fn start(options: &NginxOptions) -> io::Result<Self> {
        let binary =
            Self::find().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "nginx not installed"))?;
        let version = binary_version(&binary)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let prefix = std::env::temp_dir().join(format!("baton-nginx-{}-{port}", std::process::id()));
        std::fs::create_dir_all(prefix.join("logs"))?;
        std::fs::create_dir_all(prefix.join("html/bytes"))?;
        for size in STATIC_SIZES {
            std::fs::write(prefix.join(format!("html/bytes/{size}")), vec![b'x'; size])?;
        }
        let conf = prefix.join("nginx.conf");
        std::fs::write(&conf, config(&prefix, addr, options, version))?;
        let child = Command::new(&binary)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(prefix.join("logs/error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut nginx = Self { binary, prefix, conf, child, addr, version };
        nginx.wait_ready()?;
        Ok(nginx)
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `nginx -v`'s version.
    pub fn version(&self) -> (u32, u32, u32) {
        self.version
    }

    /// `nginx -s reload`: new workers take new connections, the old ones
    /// drain theirs with GOAWAY and exit.
    ///
    /// # Errors
    /// When the signal cannot be sent.
    pub fn reload(&self) -> io::Result<()> {
        signal(&self.binary, &self.prefix, &self.conf, "reload")
    }

    /// The error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect(self.addr).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!("nginx exited with {status}: {}", self.error_log())));
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "nginx did not start listening"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // `-s stop` signals the master, which takes its workers down with
        // it; killing the master alone would orphan the workers.
        let _ = signal(&self.binary, &self.prefix, &self.conf, "stop");
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.prefix);
    }
}

/// The version an nginx binary reports with `-v`, as (major, minor, patch).
///
/// # Errors
/// When the binary cannot run or its output names no version.
pub fn binary_version(binary: &Path) -> io::Result<(u32, u32, u32)> {
    let out = Command::new(binary).arg("-v").output()?;
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let parsed = text.split("nginx/").nth(1).and_then(|v| v.split_whitespace().next()).and_then(|v| {
        let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
        Some((parts.next()??, parts.next()??, parts.next().flatten().unwrap_or(0)))
    });
    parsed.ok_or_else(|| io::Error::other(format!("cannot read nginx's version from {text:?}")))
}

fn config(prefix: &Path, addr: SocketAddr, options: &NginxOptions, version: (u32, u32, u32)) -> String {
    let p = prefix.display();
    // nginx 1.25.1 moved HTTP/2 from `listen ... http2` to `http2 on;`.
    let listen = match (options.http2, version >= (1, 25, 1)) {
        (false, _) => format!("listen {addr};"),
        (true, true) => format!("listen {addr};\n        http2 on;"),
        (true, false) => format!("listen {addr} http2;"),
    };
    format!(
        "{head}\
         \x20   keepalive_requests {requests};\n\
         \x20   keepalive_timeout 60s;\n\
         \x20   server {{\n\
         \x20       {listen}\n\
         \x20       location /bytes/ {{ root {p}/html; }}\n\
         \x20       location / {{ return 200 \"ok\\n\"; }}\n\
         \x20   }}\n\
         }}\n",
        head = config_head(prefix, options.workers),
        requests = options.keepalive_requests.max(1),
    )
}

/// The start of a private `nginx.conf` for `prefix`: the main context
/// (`workers` worker processes, no daemon, pid file and error log inside
/// the prefix, `user root` when run as root) and the opening of the `http`
/// block (no access log, every temp path inside the prefix). The caller
/// adds its own `http` directives and servers, then closes the block.
pub fn config_head(prefix: &Path, workers: u32) -> String {
    let p = prefix.display();
    let user = if is_root() { "user root;\n" } else { "" };
    format!(
        "{user}worker_processes {workers};\n\
         daemon off;\n\
         pid {p}/nginx.pid;\n\
         error_log {p}/logs/error.log warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n\
         \x20   access_log off;\n\
         \x20   client_body_temp_path {p}/client_body;\n\
         \x20   proxy_temp_path {p}/proxy;\n\
         \x20   fastcgi_temp_path {p}/fastcgi;\n\
         \x20   uwsgi_temp_path {p}/uwsgi;\n\
         \x20   scgi_temp_path {p}/scgi;\n",
        workers = workers.max(1),
    )
}

/// `nginx -p PREFIX -c CONF -s WHAT` (reload, quit, stop): the signal goes
/// to the master named in the prefix's pid file.
///
/// # Errors
/// When nginx cannot run or reports a failure.
pub fn signal(binary: &Path, prefix: &Path, conf: &Path, what: &str) -> io::Result<()> {
    let status = Command::new(binary)
        .arg("-p")
        .arg(prefix)
        .arg("-c")
        .arg(conf)
        .args(["-s", what])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if status.success() { Ok(()) } else { Err(io::Error::other(format!("nginx -s {what}: {status}"))) }
}

fn is_root() -> bool {
    // `id -u` avoids libc: the lab forbids unsafe code.
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}
