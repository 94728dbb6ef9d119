//! nghttpd (nghttp2-server from apt): an HTTP/2-only static file server.
//! One process per protocol: `--no-tls` for h2c, and one with the key and
//! certificate for h2 over TLS. `--echo-upload` answers every POST with its
//! body; `--trailer` adds the trailer field to every response with a body.
//! It has no HTTP/1.1 (only the h2c Upgrade) and no way to add response
//! header fields.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::content;
use crate::process::{self, Supervised};
use crate::{Certs, Endpoints};

/// The nghttpd binary, if installed.
pub fn find() -> Option<PathBuf> {
    process::find_binary("nghttpd")
}

/// The two nghttpd processes; stopped on drop.
#[derive(Debug)]
pub struct Nghttpd {
    endpoints: Endpoints,
    h2c_server: Supervised,
    tls_server: Supervised,
    dir: PathBuf,
}

impl Nghttpd {
    /// Starts both and waits until they accept.
    ///
    /// # Errors
    /// When nghttpd is missing, fails to start, or does not listen in time.
    pub fn start(certs: &Certs) -> io::Result<Self> {
        let binary =
            find().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "nghttpd not installed"))?;
        let dir = process::scratch_dir("nghttpd")?;
        let htdocs = dir.join("htdocs");
        content::write_static_files(&htdocs)?;
        let files = certs.write(&dir)?;
        let h2c_port = process::free_port()?;
        let tls_port = process::free_port()?;
        let h2c = spawn(&binary, &htdocs, &dir.join("h2c.log"), h2c_port, None)?;
        let tls = spawn(&binary, &htdocs, &dir.join("tls.log"), tls_port, Some((&files.key, &files.cert)))?;
        let endpoints = Endpoints {
            h2c: Some(process::loopback(h2c_port)),
            tls: Some(process::loopback(tls_port)),
            h1: None,
        };
        let mut me = Self { endpoints, h2c_server: h2c, tls_server: tls, dir };
        let (h2c_addr, tls_addr) = (process::loopback(h2c_port), process::loopback(tls_port));
        process::wait_listening(
            "nghttpd --no-tls",
            me.h2c_server.child_mut(),
            &[h2c_addr],
            &me.dir.join("h2c.log"),
        )?;
        process::wait_listening(
            "nghttpd (TLS)",
            me.tls_server.child_mut(),
            &[tls_addr],
            &me.dir.join("tls.log"),
        )?;
        Ok(me)
    }

    /// Where it listens.
    pub fn endpoints(&self) -> Endpoints {
        self.endpoints
    }
}

impl Drop for Nghttpd {
    fn drop(&mut self) {
        self.h2c_server.stop();
        self.tls_server.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn(
    binary: &Path,
    htdocs: &Path,
    log: &Path,
    port: u16,
    tls: Option<(&Path, &Path)>,
) -> io::Result<Supervised> {
    let mut cmd = Command::new(binary);
    cmd.arg("--address=127.0.0.1")
        .arg(format!("--htdocs={}", htdocs.display()))
        .arg("--echo-upload")
        .arg(format!("--trailer={}: {}", content::TRAILER_NAME, content::TRAILER_VALUE));
    match tls {
        Some((key, cert)) => cmd.arg(port.to_string()).arg(key).arg(cert),
        None => cmd.arg("--no-tls").arg(port.to_string()),
    };
    let child =
        cmd.stdin(Stdio::null()).stdout(process::log_file(log)?).stderr(process::log_file(log)?).spawn()?;
    Ok(Supervised::new("nghttpd", child, "TERM", None))
}
