//! tinyproxy (Debian's `tinyproxy`): an HTTP/1.1 forward proxy that also
//! opens CONNECT tunnels, to any port (the configuration has no
//! `ConnectPort`), optionally behind Basic auth.

use std::io;
use std::net::SocketAddr;
use std::process::Command;

use super::Credentials;
use super::daemon::{self, Daemon};

/// A running tinyproxy on 127.0.0.1.
#[derive(Debug)]
pub struct Tinyproxy {
    daemon: Daemon,
    credentials: Option<Credentials>,
}

impl Tinyproxy {
    /// True when the `tinyproxy` binary is installed.
    pub fn installed() -> bool {
        daemon::find("tinyproxy").is_some()
    }

    /// Starts tinyproxy on a free port, asking for `credentials` (Basic
    /// `Proxy-Authorization`) when given.
    ///
    /// # Errors
    /// When tinyproxy is missing (`NotFound`), fails to start (with its
    /// log), or does not listen within 10 s.
    pub fn start(credentials: Option<Credentials>) -> io::Result<Self> {
        let binary = daemon::find("tinyproxy")
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "tinyproxy not installed"))?;
        let dir = daemon::scratch_dir("tinyproxy")?;
        let addr = daemon::free_port()?;
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 512\nLogLevel Warning\n\
             Allow 127.0.0.1\nDisableViaHeader Yes\nPidFile \"{dir}/tinyproxy.pid\"\n",
            port = addr.port(),
            dir = dir.display(),
        );
        if let Some(c) = &credentials {
            conf.push_str(&format!("BasicAuth {} {}\n", c.user, c.password));
        }
        let path = dir.join("tinyproxy.conf");
        std::fs::write(&path, conf)?;
        let mut command = Command::new(binary);
        // -d: in the foreground, logging to stderr.
        command.arg("-d").arg("-c").arg(&path);
        Ok(Self { daemon: Daemon::spawn(command, dir, addr)?, credentials })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.daemon.addr
    }

    /// `http://127.0.0.1:PORT`, with the credentials as userinfo when it
    /// has some.
    pub fn url(&self) -> String {
        match &self.credentials {
            Some(c) => format!("http://{}:{}@{}", c.user, c.password, self.daemon.addr),
            None => format!("http://{}", self.daemon.addr),
        }
    }

    /// Its log so far (warnings and errors).
    pub fn log(&self) -> String {
        self.daemon.log()
    }

    /// Its scratch directory.
    pub fn dir(&self) -> &std::path::Path {
        self.daemon.dir()
    }
}
