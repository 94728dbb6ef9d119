//! microsocks (Debian's `microsocks`): a SOCKS5 server (RFC 1928), with
//! RFC 1929's user name and password when given.

use std::io;
use std::net::SocketAddr;
use std::process::Command;

use super::Credentials;
use super::daemon::{self, Daemon};

/// A running microsocks on 127.0.0.1.
#[derive(Debug)]
pub struct Microsocks {
    daemon: Daemon,
    credentials: Option<Credentials>,
}

impl Microsocks {
    /// True when the `microsocks` binary is installed.
    pub fn installed() -> bool {
        daemon::find("microsocks").is_some()
    }

    /// Starts microsocks on a free port, asking for `credentials` when
    /// given.
    ///
    /// # Errors
    /// When microsocks is missing (`NotFound`), fails to start, or does
    /// not listen within 10 s.
    pub fn start(credentials: Option<Credentials>) -> io::Result<Self> {
        let binary = daemon::find("microsocks")
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "microsocks not installed"))?;
        let dir = daemon::scratch_dir("microsocks")?;
        let addr = daemon::free_port()?;
        let mut command = Command::new(binary);
        command.arg("-i").arg("127.0.0.1").arg("-p").arg(addr.port().to_string());
        if let Some(c) = &credentials {
            command.arg("-u").arg(&c.user).arg("-P").arg(&c.password);
        }
        Ok(Self { daemon: Daemon::spawn(command, dir, addr)?, credentials })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.daemon.addr
    }

    /// `socks5h://127.0.0.1:PORT` (names resolved by the proxy), with the
    /// credentials as userinfo when it has some.
    pub fn url(&self) -> String {
        match &self.credentials {
            Some(c) => format!("socks5h://{}:{}@{}", c.user, c.password, self.daemon.addr),
            None => format!("socks5h://{}", self.daemon.addr),
        }
    }

    /// Its output so far.
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}
