//! h2o from apt (2.2, built with mruby) with a private YAML config.
//!
//! [`H2o::start`] binds its own ports: one cleartext port that speaks
//! HTTP/1.1 and HTTP/2 with prior knowledge, and one TLS port (ALPN `h2`,
//! `http/1.1`). `/echo` and `/headers` are mruby handlers; h2o 2.2 has no
//! way to send a response trailer from its config or from mruby.
//!
//! [`GracefulH2o`] is h2o's own graceful restart, done the way
//! Server::Starter does it: the listening socket belongs to this process and
//! is handed to each h2o as fd 3 named by `SERVER_STARTER_PORT` (passed as
//! stdin to `sh`, which moves it: no unsafe fd juggling). A restart starts a new h2o on the same
//! socket, then sends the old one SIGTERM: it stops accepting, sends
//! GOAWAY(2^31-1), a second GOAWAY with the real last stream id a second
//! later, finishes what it has and exits. No connection is ever refused.

use std::fmt::Write as _;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::content;
use crate::process::{self, Supervised};
use crate::{Certs, Endpoints};

/// The h2o binary, if installed.
pub fn find() -> Option<PathBuf> {
    process::find_binary("h2o")
}

/// A running h2o with its own ports; stopped on drop.
#[derive(Debug)]
pub struct H2o {
    endpoints: Endpoints,
    process: Supervised,
}

impl H2o {
    /// Starts h2o and waits until both ports accept.
    ///
    /// # Errors
    /// When h2o is missing, fails to start, or does not listen in time.
    pub fn start(certs: &Certs) -> io::Result<Self> {
        let binary = find().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "h2o not installed"))?;
        let dir = process::scratch_dir("h2o")?;
        let plain = process::loopback(process::free_port()?);
        let tls = process::loopback(process::free_port()?);
        let conf = write_config(&dir, certs, &[(plain, false), (tls, true)])?;
        let log = dir.join("error.log");
        let child = Command::new(&binary)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(process::log_file(&log)?)
            .stderr(process::log_file(&log)?)
            .spawn()?;
        let mut process = Supervised::new("h2o", child, "TERM", Some(dir));
        process::wait_listening("h2o", process.child_mut(), &[plain, tls], &log)?;
        Ok(Self { endpoints: Endpoints { h2c: Some(plain), tls: Some(tls), h1: Some(plain) }, process })
    }

    /// Where it listens.
    pub fn endpoints(&self) -> Endpoints {
        self.endpoints
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }
}

/// h2o on a listening socket this process owns, restarted gracefully on
/// demand. Every instance is stopped on drop.
#[derive(Debug)]
pub struct GracefulH2o {
    binary: PathBuf,
    listener: TcpListener,
    tls: bool,
    certs: Certs,
    current: Supervised,
    next: Option<Supervised>,
    draining: Vec<Supervised>,
    restarts: usize,
}

impl GracefulH2o {
    /// Binds a port on 127.0.0.1 and starts the first h2o on it, speaking
    /// TLS (ALPN h2, http/1.1) when `tls`, else HTTP/1.1 and h2c.
    ///
    /// # Errors
    /// When h2o is missing or does not start.
    pub fn start(tls: bool, certs: &Certs) -> io::Result<Self> {
        let binary = find().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "h2o not installed"))?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let current = spawn_on(&binary, &listener, tls, certs)?;
        Ok(Self {
            binary,
            listener,
            tls,
            certs: certs.clone(),
            current,
            next: None,
            draining: Vec::new(),
            restarts: 0,
        })
    }

    /// Where it listens.
    ///
    /// # Errors
    /// When the socket's address cannot be read.
    pub fn addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Starts a new h2o on the same socket, then SIGTERMs the old one,
    /// which drains its connections and exits by itself.
    ///
    /// # Errors
    /// When the new h2o does not start (the old one is then kept).
    pub fn restart(&mut self) -> io::Result<()> {
        self.prepare()?;
        self.switch()
    }

    /// The first half of [`restart`](Self::restart): starts the next h2o on
    /// the same socket (both now accept), so that [`switch`](Self::switch)
    /// can be timed precisely.
    ///
    /// # Errors
    /// When the new h2o does not start.
    pub fn prepare(&mut self) -> io::Result<()> {
        if self.next.is_none() {
            self.next = Some(spawn_on(&self.binary, &self.listener, self.tls, &self.certs)?);
        }
        Ok(())
    }

    /// The second half of [`restart`](Self::restart): SIGTERM to the
    /// current h2o, the prepared one takes over.
    ///
    /// # Errors
    /// When nothing was prepared or the signal cannot be sent.
    pub fn switch(&mut self) -> io::Result<()> {
        let next = self.next.take().ok_or_else(|| io::Error::other("no h2o prepared"))?;
        let old = std::mem::replace(&mut self.current, next);
        old.signal("TERM")?;
        self.draining.push(old);
        self.restarts += 1;
        Ok(())
    }

    /// Restarts so far.
    pub fn restarts(&self) -> usize {
        self.restarts
    }

    /// How many of the old instances exited by themselves after draining.
    pub fn drained(&mut self) -> usize {
        self.draining.iter_mut().map(Supervised::has_exited).filter(|&exited| exited).count()
    }
}

fn spawn_on(binary: &Path, listener: &TcpListener, tls: bool, certs: &Certs) -> io::Result<Supervised> {
    let addr = listener.local_addr()?;
    let dir = process::scratch_dir("h2o")?;
    let conf = write_config(&dir, certs, &[(addr, tls)])?;
    let log = dir.join("error.log");
    // The socket reaches the shell as its stdin; the shell moves it to fd 3
    // (h2o puts a pipe of its own on fd 0) and execs h2o, which finds it
    // through `SERVER_STARTER_PORT`, as under Server::Starter.
    let socket = OwnedFd::from(listener.try_clone()?);
    let child = Command::new("sh")
        .arg("-c")
        .arg("exec 3<&0 </dev/null; exec \"$0\" -c \"$1\"")
        .arg(binary)
        .arg(&conf)
        .env("SERVER_STARTER_PORT", format!("{addr}=3"))
        .stdin(Stdio::from(socket))
        .stdout(process::log_file(&log)?)
        .stderr(process::log_file(&log)?)
        .spawn()?;
    let mut process = Supervised::new("h2o", child, "TERM", Some(dir.clone()));
    // Another h2o may be accepting on the same socket, so a connection
    // proves nothing: h2o logs when it is ready.
    let deadline = Instant::now() + process::START_TIMEOUT;
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("ready to serve requests") {
        if process.has_exited() || Instant::now() > deadline {
            return Err(io::Error::other(format!("h2o did not start: {}", process::read_log(&log))));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(process)
}

fn write_config(dir: &Path, certs: &Certs, listeners: &[(SocketAddr, bool)]) -> io::Result<PathBuf> {
    content::write_static_files(&dir.join("htdocs"))?;
    let files = certs.write(dir)?;
    let mut yaml = String::new();
    if process::is_root() {
        // h2o writes its pid file after dropping privileges, into this
        // root-owned directory.
        yaml.push_str("user: root\n");
    }
    let d = dir.display();
    let _ = writeln!(yaml, "pid-file: {d}/h2o.pid\nerror-log: {d}/error.log\nnum-threads: 1");
    // Keep-alive connections idle at a graceful shutdown are closed when
    // this runs out; the default (10 s) would only slow the drain.
    yaml.push_str("http1-request-timeout: 5\n");
    for (addr, tls) in listeners {
        let _ = writeln!(yaml, "listen:\n  host: {}\n  port: {}", addr.ip(), addr.port());
        if *tls {
            let _ = writeln!(
                yaml,
                "  ssl:\n    certificate-file: {}\n    key-file: {}\n    minimum-version: TLSv1.2",
                files.cert.display(),
                files.key.display()
            );
        }
    }
    let mut big = String::new();
    for i in 0..content::BIG_HEADERS {
        let (name, value) = content::big_header(i);
        let _ = write!(big, "\"{name}\" => \"{value}\", ");
    }
    let _ = write!(
        yaml,
        "hosts:\n\
         \x20 default:\n\
         \x20   paths:\n\
         \x20     \"{echo}\":\n\
         \x20       mruby.handler: |\n\
         \x20         Proc.new do |env|\n\
         \x20           input = env[\"rack.input\"]\n\
         \x20           body = input ? input.read : \"\"\n\
         \x20           [200, {{\"content-type\" => \"application/octet-stream\"}}, [body]]\n\
         \x20         end\n\
         \x20     \"{headers}\":\n\
         \x20       mruby.handler: |\n\
         \x20         Proc.new do |env|\n\
         \x20           [200, {{{big}\"content-type\" => \"text/plain\"}}, [\"ok\"]]\n\
         \x20         end\n\
         \x20     \"/\":\n\
         \x20       file.dir: {d}/htdocs\n",
        echo = content::PATH_ECHO,
        headers = content::PATH_HEADERS,
    );
    let conf = dir.join("h2o.conf");
    std::fs::write(&conf, yaml)?;
    Ok(conf)
}
