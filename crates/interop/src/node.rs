//! Node.js's built-in `http2` (and `http` for cleartext HTTP/1.1), from the
//! script `node/server.js` in this crate, on three ports it picks itself and
//! prints. See the script for its routes and its shedding modes
//! (`session.close()`, `session.goaway()`).

use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use crate::process::{self, Supervised};
use crate::{Certs, Endpoints};

/// The server script.
pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/node/server.js");

/// The node binary, if installed.
pub fn find() -> Option<PathBuf> {
    process::find_binary("node").or_else(|| process::find_binary("nodejs"))
}

/// How the HTTP/2 sessions are shed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shed {
    /// Never.
    #[default]
    None,
    /// `session.close()` after `every` streams, and every
    /// `fresh_every`-th new session closed at once (GOAWAY(0)).
    Close {
        /// Streams per session before `close()`.
        every: u32,
        /// Every how many new sessions one is closed before any stream.
        fresh_every: u32,
    },
    /// `session.goaway()` after `every` streams, socket left open.
    GoAway {
        /// Streams per session before `goaway()`.
        every: u32,
    },
}

/// A running node server; killed on drop.
#[derive(Debug)]
pub struct Node {
    endpoints: Endpoints,
    process: Supervised,
    dir: PathBuf,
}

impl Node {
    /// Starts `node server.js` and waits for the ports it prints.
    ///
    /// # Errors
    /// When node is missing, fails to start, or prints no ports in time.
    pub fn start(shed: Shed, certs: &Certs) -> io::Result<Self> {
        let binary = find().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "node not installed"))?;
        let dir = process::scratch_dir("node")?;
        let files = certs.write(&dir)?;
        let shed = match shed {
            Shed::None => String::new(),
            Shed::Close { every, fresh_every } => {
                format!(r#","shed":"close","every":{every},"closeFreshEvery":{fresh_every}"#)
            }
            Shed::GoAway { every } => format!(r#","shed":"goaway","every":{every}"#),
        };
        let config = format!(
            r#"{{"cert":"{}","key":"{}"{shed}}}"#,
            files.cert.display().to_string().replace('\\', "\\\\"),
            files.key.display().to_string().replace('\\', "\\\\"),
        );
        let log = dir.join("node.log");
        let mut child = Command::new(&binary)
            .arg(SCRIPT)
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(process::log_file(&log)?)
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| io::Error::other("no stdout"))?;
        let mut process = Supervised::new("node", child, "TERM", None);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let mut reader = BufReader::new(stdout);
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining, so the script never blocks on a full pipe.
            let _ = io::copy(&mut reader, &mut io::sink());
        });
        let line = rx.recv_timeout(process::START_TIMEOUT).unwrap_or_default();
        let port = |name: &str| -> Option<u16> {
            line.split_whitespace().find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
        };
        let (Some(h2c), Some(tls), Some(h1)) = (port("h2c"), port("tls"), port("h1")) else {
            process.stop();
            return Err(io::Error::other(format!("node printed {line:?}: {}", process::read_log(&log))));
        };
        let endpoints = Endpoints {
            h2c: Some(process::loopback(h2c)),
            tls: Some(process::loopback(tls)),
            h1: Some(process::loopback(h1)),
        };
        Ok(Self { endpoints, process, dir })
    }

    /// Where it listens.
    pub fn endpoints(&self) -> Endpoints {
        self.endpoints
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.process.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
