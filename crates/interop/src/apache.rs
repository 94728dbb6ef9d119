//! Apache httpd (apache2 from apt) with mod_http2, run in the foreground
//! (`-DFOREGROUND`) from a private ServerRoot and config, with modules from
//! `/usr/lib/apache2/modules` and the event MPM (mod_http2 does not work
//! with prefork).
//!
//! One cleartext port speaks HTTP/1.1 and h2c (`Protocols h2c http/1.1`,
//! `H2Direct on`: prior knowledge); a TLS virtual host speaks h2 and
//! http/1.1 by ALPN. `/echo` is a CGI script under mod_cgi (the whole
//! request body, then the same bytes back), `/headers` mod_headers, and
//! [`PATH_REFLECT`] mod_reflector. No module shipped with apache2 can
//! put a field in `trailers_out` from configuration, so no trailers.
//!
//! [`Apache::graceful`] is `apachectl -k graceful` (SIGUSR1 to the parent):
//! the parent re-reads its config, old children finish their requests and
//! exit, mod_http2 sends GOAWAY on their connections, new children take new
//! connections.

use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::content;
use crate::process::{self, Supervised};
use crate::{Certs, Endpoints};

/// What the error log says once a graceful restart is done (AH00489).
const RESTART_LOGGED: &str = "resuming normal operations";

/// mod_reflector: the request body streamed back while it is read (a
/// full-duplex exchange), unlike `/echo`, which reads the whole body first.
/// Over HTTP/2 (mod_http2 2.4.71) it answers with an empty body, with curl
/// too, so only its HTTP/1.1 side is used.
pub const PATH_REFLECT: &str = "/reflect";

/// `/echo`: a CGI script that reads the whole request body into a file,
/// then sends it back (echoing while reading would deadlock the CGI pipes
/// on large bodies). mod_cgi rather than mod_cgid: mod_cgid's daemon
/// restarts with a graceful restart and answers 503 meanwhile.
const ECHO_CGI: &str = "#!/bin/sh\n\
    tmp=$(mktemp)\n\
    cat > \"$tmp\"\n\
    printf 'Content-Type: application/octet-stream\\r\\nContent-Length: %s\\r\\n\\r\\n' \"$(stat -c %s \"$tmp\")\"\n\
    cat \"$tmp\"\n\
    rm -f \"$tmp\"\n";

/// Where Debian keeps Apache's modules.
pub const MODULES: &str = "/usr/lib/apache2/modules";

const NEEDED: [(&str, &str); 11] = [
    ("cgi_module", "mod_cgi.so"),
    ("alias_module", "mod_alias.so"),
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("headers_module", "mod_headers.so"),
    ("reflector_module", "mod_reflector.so"),
    ("http2_module", "mod_http2.so"),
    ("socache_shmcb_module", "mod_socache_shmcb.so"),
    ("ssl_module", "mod_ssl.so"),
    ("mime_module", "mod_mime.so"),
    ("dir_module", "mod_dir.so"),
];

/// The apache2 binary, if it and the modules this suite loads are installed.
pub fn find() -> Option<PathBuf> {
    let binary = process::find_binary("apache2").or_else(|| process::find_binary("httpd"))?;
    NEEDED.iter().all(|(_, file)| Path::new(MODULES).join(file).is_file()).then_some(binary)
}

/// How to run Apache.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApacheOptions {
    /// `MaxKeepAliveRequests` (0: unlimited).
    pub max_keepalive_requests: u32,
}

/// A running Apache; stopped (SIGTERM to the parent, which takes its
/// children down) on drop.
#[derive(Debug)]
pub struct Apache {
    endpoints: Endpoints,
    dir: PathBuf,
    process: Option<Supervised>,
    generation: usize,
}

impl Apache {
    /// Starts Apache and waits until both ports accept.
    ///
    /// # Errors
    /// When Apache or a module is missing, it fails to start, or does not
    /// listen in time.
    pub fn start(options: ApacheOptions, certs: &Certs) -> io::Result<Self> {
        let binary =
            find().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "apache2 not installed"))?;
        let dir = process::scratch_dir("apache")?;
        std::fs::create_dir_all(dir.join("logs"))?;
        std::fs::create_dir_all(dir.join("run"))?;
        content::write_static_files(&dir.join("htdocs"))?;
        let files = certs.write(&dir)?;
        let plain = process::loopback(process::free_port()?);
        let tls = process::loopback(process::free_port()?);
        std::fs::create_dir_all(dir.join("cgi"))?;
        std::fs::write(dir.join("cgi/echo"), ECHO_CGI)?;
        std::fs::set_permissions(dir.join("cgi/echo"), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        let conf = dir.join("httpd.conf");
        std::fs::write(&conf, config(&dir, plain, tls, options, &files.cert, &files.key))?;
        let log = dir.join("logs/error.log");
        let child = Command::new(&binary)
            .arg("-d")
            .arg(&dir)
            .arg("-f")
            .arg(&conf)
            .arg("-DFOREGROUND")
            .stdin(Stdio::null())
            .stdout(process::log_file(&dir.join("logs/stdout.log"))?)
            .stderr(process::log_file(&dir.join("logs/stdout.log"))?)
            .spawn()?;
        let mut process = Supervised::new("apache2", child, "TERM", None);
        let ready = process::wait_listening("apache2", process.child_mut(), &[plain, tls], &log);
        let apache = Self {
            endpoints: Endpoints { h2c: Some(plain), tls: Some(tls), h1: Some(plain) },
            dir,
            process: Some(process),
            generation: 0,
        };
        ready.map_err(|e| io::Error::other(format!("{e}; stdout: {}", apache.log("stdout.log"))))?;
        Ok(apache)
    }

    /// Where it listens.
    pub fn endpoints(&self) -> Endpoints {
        self.endpoints
    }

    /// Graceful restart (SIGUSR1 to the parent). Waits until the error log
    /// says the restart happened (at most 10 s).
    ///
    /// # Errors
    /// When the signal cannot be sent or the restart is not logged in time.
    pub fn graceful(&mut self) -> io::Result<()> {
        let process = self.process.as_ref().ok_or_else(|| io::Error::other("apache2 stopped"))?;
        let before = self.log_all().matches(RESTART_LOGGED).count();
        process.signal("USR1")?;
        self.generation += 1;
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.log_all().matches(RESTART_LOGGED).count() <= before {
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "graceful restart not logged: {}",
                    self.log("error.log")
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Graceful restarts so far.
    pub fn restarts(&self) -> usize {
        self.generation
    }

    /// The last 4 KiB of a log file in `logs/`.
    pub fn log(&self, name: &str) -> String {
        process::read_log(&self.dir.join("logs").join(name))
    }

    fn log_all(&self) -> String {
        std::fs::read_to_string(self.dir.join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn config(
    dir: &Path,
    plain: SocketAddr,
    tls: SocketAddr,
    options: ApacheOptions,
    cert: &Path,
    key: &Path,
) -> String {
    let d = dir.display();
    let mut c = String::new();
    let _ = writeln!(c, "ServerRoot \"{d}\"\nServerName 127.0.0.1\nPidFile \"{d}/run/httpd.pid\"");
    let _ = writeln!(c, "DefaultRuntimeDir \"{d}/run\"\nErrorLog \"{d}/logs/error.log\"\nLogLevel notice");
    for (name, file) in NEEDED {
        let _ = writeln!(c, "LoadModule {name} {MODULES}/{file}");
    }
    if process::is_root() {
        c.push_str("User www-data\nGroup www-data\n");
    }
    let _ = writeln!(c, "Listen {plain}\nListen {tls}");
    c.push_str(
        "Protocols h2c http/1.1\n\
         H2Direct on\n\
         KeepAlive On\n\
         KeepAliveTimeout 5\n\
         StartServers 1\n\
         ServerLimit 4\n\
         ThreadsPerChild 64\n\
         MaxRequestWorkers 256\n\
         GracefulShutdownTimeout 10\n\
         TypesConfig /dev/null\n",
    );
    let _ = writeln!(c, "MaxKeepAliveRequests {}", options.max_keepalive_requests);
    let _ = writeln!(c, "SSLSessionCache \"shmcb:{d}/run/ssl_scache(512000)\"");
    let _ = writeln!(
        c,
        "DocumentRoot \"{d}/htdocs\"\n<Directory \"{d}/htdocs\">\n  Require all granted\n</Directory>"
    );
    let _ = writeln!(c, "ScriptAlias \"{}\" \"{d}/cgi/echo\"", content::PATH_ECHO);
    let _ = writeln!(c, "<Directory \"{d}/cgi\">\n  Require all granted\n</Directory>");
    let _ = writeln!(c, "<Location \"{PATH_REFLECT}\">\n  SetHandler reflector\n</Location>");
    let _ = writeln!(c, "<Location \"{}\">", content::PATH_HEADERS);
    for i in 0..content::BIG_HEADERS {
        let (name, value) = content::big_header(i);
        let _ = writeln!(c, "  Header always set {name} \"{value}\"");
    }
    c.push_str("</Location>\n");
    let _ = writeln!(
        c,
        "<VirtualHost {tls}>\n  SSLEngine on\n  SSLCertificateFile \"{}\"\n  SSLCertificateKeyFile \"{}\"\n  \
         Protocols h2 http/1.1\n</VirtualHost>",
        cert.display(),
        key.display()
    );
    c
}
