//! grpc-go's server (`grpc-go/server.go` in this crate: the health service
//! with `MaxConnectionAge`, `MaxConnectionIdle` and keep-alive enforcement
//! set per run), built in GOPATH mode against Debian's
//! `golang-google-grpc-dev` (no module proxy is reachable) and cached in a
//! directory the caller names, then started on a port it picks itself and
//! prints.

use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::process::{self, Supervised};

/// The server's source.
pub const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/grpc-go/server.go");

/// Where Debian's Go packages put their sources (GOPATH mode).
const DEBIAN_GOPATH: &str = "/usr/share/gocode";

/// The server's keep-alive settings; `None` leaves a setting off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `MaxConnectionAge` and `MaxConnectionAgeGrace`.
    pub max_age: Option<(Duration, Duration)>,
    /// `MaxConnectionIdle`.
    pub max_idle: Option<Duration>,
    /// `EnforcementPolicy{MinTime, PermitWithoutStream}`.
    pub min_ping: Option<(Duration, bool)>,
    /// `MaxConcurrentStreams` (SETTINGS_MAX_CONCURRENT_STREAMS; streams
    /// past it are reset with REFUSED_STREAM).
    pub max_streams: Option<u32>,
}

/// Builds the server into `cache` (once; a rebuild when the source is
/// newer) and returns the binary. `NotFound` when `go` or grpc-go's
/// sources are missing.
///
/// # Errors
/// As above, or when the build fails (its output is in the error).
pub fn build(cache: &Path) -> io::Result<PathBuf> {
    let go = process::find_binary("go").ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "go"))?;
    if !Path::new(DEBIAN_GOPATH).join("src/google.golang.org/grpc/server.go").is_file() {
        return Err(io::Error::new(io::ErrorKind::NotFound, "golang-google-grpc-dev"));
    }
    let root = cache.join("grpc-go");
    let binary = root.join("server");
    let source_time = std::fs::metadata(SOURCE)?.modified()?;
    if std::fs::metadata(&binary).and_then(|m| m.modified()).is_ok_and(|t| t >= source_time) {
        return Ok(binary);
    }
    // GOPATH mode wants the package under $GOPATH/src.
    let package = root.join("src/batongrpc");
    std::fs::create_dir_all(&package)?;
    std::fs::copy(SOURCE, package.join("server.go"))?;
    let gopath =
        std::env::join_paths([root.clone(), PathBuf::from(DEBIAN_GOPATH)]).map_err(io::Error::other)?;
    let out = Command::new(go)
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(&package)
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath)
        .env("GOCACHE", root.join("cache"))
        .env("GOFLAGS", "")
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "go build failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(binary)
}

/// A running grpc-go server; stopped on drop.
#[derive(Debug)]
pub struct GrpcGo {
    port: u16,
    process: Supervised,
}

impl GrpcGo {
    /// Starts `binary` (from [`build`]) with `options` and waits for the
    /// port it prints.
    ///
    /// # Errors
    /// When it fails to start or prints no port in time.
    pub fn start(binary: &Path, options: Options) -> io::Result<Self> {
        let dir = process::scratch_dir("grpc-go")?;
        let ms = |d: Duration| format!("{}ms", d.as_millis());
        let mut cmd = Command::new(binary);
        if let Some((age, grace)) = options.max_age {
            cmd.arg(format!("-max-age={}", ms(age))).arg(format!("-max-age-grace={}", ms(grace)));
        }
        if let Some(idle) = options.max_idle {
            cmd.arg(format!("-max-idle={}", ms(idle)));
        }
        if let Some((min, permit)) = options.min_ping {
            cmd.arg(format!("-min-ping={}", ms(min))).arg(format!("-permit-idle-pings={permit}"));
        }
        if let Some(n) = options.max_streams {
            cmd.arg(format!("-max-streams={n}"));
        }
        let log = dir.join("grpc-go.log");
        let mut child =
            cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(process::log_file(&log)?).spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| io::Error::other("no stdout"))?;
        let process = Supervised::new("grpc-go", child, "TERM", Some(dir));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = line.strip_prefix("LISTENING ").and_then(|p| p.trim().parse::<u16>().ok())
                {
                    let _ = tx.send(port);
                }
            }
        });
        let port = rx.recv_timeout(process::START_TIMEOUT).map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("grpc-go printed no port: {}", process::read_log(&log)),
            )
        })?;
        Ok(Self { port, process })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server process.
    pub fn process(&mut self) -> &mut Supervised {
        &mut self.process
    }
}
