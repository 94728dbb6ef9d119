//! nginx from apt in a private prefix: h2c, h2 over TLS and HTTP/1.1 on
//! three ports of 127.0.0.1, with the routes of [`content`].
//!
//! nginx has no echo handler, so `/echo` proxies (over a unix socket, to
//! itself) a GET of a one-line template and `sub_filter` replaces the
//! template with `$request_body` — which proxying makes nginx read in full
//! into one memory buffer (`client_body_buffer_size 2m`,
//! `client_body_in_single_buffer on`). `/trailers` uses `add_trailer`
//! (which makes nginx send HTTP/1.1 responses chunked), `/headers`
//! `add_header`.
//!
//! [`Nginx::reload`] is `nginx -s reload`: new workers take new
//! connections, the old ones send GOAWAY and drain. `keepalive_requests`
//! makes nginx rotate every connection after that many requests.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::content;
use crate::process::{self, Supervised};
use crate::{Certs, Endpoints};

/// How to run nginx.
#[derive(Debug, Clone, Copy)]
pub struct NginxOptions {
    /// `keepalive_requests`.
    pub keepalive_requests: u32,
    /// `worker_processes`.
    pub workers: u32,
}

impl Default for NginxOptions {
    fn default() -> Self {
        Self { keepalive_requests: 1_000_000, workers: 1 }
    }
}

/// A running nginx; stopped (`-s stop`, then SIGKILL) on drop.
#[derive(Debug)]
pub struct Nginx {
    binary: PathBuf,
    prefix: PathBuf,
    conf: PathBuf,
    endpoints: Endpoints,
    process: Option<Supervised>,
}

impl Nginx {
    /// The nginx binary, if installed.
    pub fn find() -> Option<PathBuf> {
        process::find_binary("nginx")
    }

    /// Starts nginx with `options` and waits until every port accepts.
    ///
    /// # Errors
    /// When nginx is missing, fails to start, or does not listen in time.
    pub fn start(options: NginxOptions, certs: &Certs) -> io::Result<Self> {
        let binary =
            Self::find().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "nginx not installed"))?;
        let version = baton_lab::nginx::binary_version(&binary)?;
        let prefix = process::scratch_dir("nginx")?;
        std::fs::create_dir_all(prefix.join("logs"))?;
        content::write_static_files(&prefix.join("html"))?;
        std::fs::write(prefix.join("html/template"), "@@BODY@@")?;
        let files = certs.write(&prefix)?;
        let endpoints = Endpoints {
            h2c: Some(process::loopback(process::free_port()?)),
            tls: Some(process::loopback(process::free_port()?)),
            h1: Some(process::loopback(process::free_port()?)),
        };
        let conf = prefix.join("nginx.conf");
        std::fs::write(&conf, config(&prefix, &endpoints, options, version, &files.cert, &files.key))?;
        let log = prefix.join("logs/error.log");
        let child = Command::new(&binary)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(process::log_file(&log)?)
            .spawn()?;
        let mut supervised = Supervised::new("nginx", child, "QUIT", None);
        let addrs: Vec<SocketAddr> =
            [endpoints.h2c, endpoints.tls, endpoints.h1].into_iter().flatten().collect();
        let ready = process::wait_listening("nginx", supervised.child_mut(), &addrs, &log);
        let nginx = Self { binary, prefix, conf, endpoints, process: Some(supervised) };
        ready?;
        Ok(nginx)
    }

    /// Where it listens.
    pub fn endpoints(&self) -> Endpoints {
        self.endpoints
    }

    /// `nginx -s reload`.
    ///
    /// # Errors
    /// When the signal cannot be sent.
    pub fn reload(&self) -> io::Result<()> {
        self.signal("reload")
    }

    /// The error log so far (its last 4 KiB).
    pub fn error_log(&self) -> String {
        process::read_log(&self.prefix.join("logs/error.log"))
    }

    fn signal(&self, what: &str) -> io::Result<()> {
        baton_lab::nginx::signal(&self.binary, &self.prefix, &self.conf, what)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // `-s stop` reaches the master, which takes its workers with it;
        // SIGKILL on the master alone would orphan them.
        let _ = self.signal("stop");
        if let Some(mut p) = self.process.take() {
            p.wait_exit(std::time::Duration::from_secs(5));
            drop(p);
        }
        let _ = std::fs::remove_dir_all(&self.prefix);
    }
}

fn config(
    prefix: &Path,
    endpoints: &Endpoints,
    options: NginxOptions,
    version: (u32, u32, u32),
    cert: &Path,
    key: &Path,
) -> String {
    let p = prefix.display();
    let modern = version >= (1, 25, 1);
    // nginx 1.25.1 moved HTTP/2 from `listen ... http2` to `http2 on;`.
    let h2 = |addr: Option<SocketAddr>, ssl: &str| match addr {
        Some(a) if modern => format!("listen {a}{ssl};"),
        Some(a) => format!("listen {a}{ssl} http2;"),
        None => String::new(),
    };
    let http2_on = if modern { "http2 on;" } else { "" };
    let h1 = endpoints.h1.map(|a| format!("listen {a};")).unwrap_or_default();
    let mut big = String::new();
    for i in 0..content::BIG_HEADERS {
        let (name, value) = content::big_header(i);
        big.push_str(&format!("            add_header {name} \"{value}\";\n"));
    }
    let routes = format!(
        "        root {p}/html;\n\
         \x20       location /files/ {{ }}\n\
         \x20       location = {echo} {{\n\
         \x20           proxy_pass http://unix:{p}/internal.sock:/template;\n\
         \x20           proxy_method GET;\n\
         \x20           proxy_pass_request_body off;\n\
         \x20           proxy_set_header Content-Length \"\";\n\
         \x20           proxy_set_header Transfer-Encoding \"\";\n\
         \x20           proxy_set_header Expect \"\";\n\
         \x20           proxy_set_header Accept-Encoding \"\";\n\
         \x20           proxy_http_version 1.1;\n\
         \x20           sub_filter_types *;\n\
         \x20           sub_filter_once on;\n\
         \x20           sub_filter '@@BODY@@' '$request_body';\n\
         \x20       }}\n\
         \x20       location = {trailers} {{\n\
         \x20           add_trailer {tname} {tvalue};\n\
         \x20       }}\n\
         \x20       location = {headers} {{\n\
         {big}\
         \x20       }}\n",
        echo = content::PATH_ECHO,
        trailers = content::PATH_TRAILERS,
        headers = content::PATH_HEADERS,
        tname = content::TRAILER_NAME,
        tvalue = content::TRAILER_VALUE,
    );
    format!(
        "{head}\
         \x20   default_type application/octet-stream;\n\
         \x20   client_max_body_size 16m;\n\
         \x20   client_body_buffer_size 2m;\n\
         \x20   client_body_in_single_buffer on;\n\
         \x20   proxy_buffering off;\n\
         \x20   keepalive_requests {requests};\n\
         \x20   keepalive_timeout 60s;\n\
         \x20   ssl_certificate {cert};\n\
         \x20   ssl_certificate_key {key};\n\
         \x20   ssl_protocols TLSv1.2 TLSv1.3;\n\
         \x20   server {{\n\
         \x20       {h2c}\n\
         \x20       {tls}\n\
         \x20       {http2_on}\n\
         {routes}\
         \x20   }}\n\
         \x20   server {{\n\
         \x20       {h1}\n\
         {routes}\
         \x20   }}\n\
         \x20   server {{\n\
         \x20       listen unix:{p}/internal.sock;\n\
         \x20       root {p}/html;\n\
         \x20       location = /template {{ }}\n\
         \x20   }}\n\
         }}\n",
        head = baton_lab::nginx::config_head(prefix, options.workers),
        requests = options.keepalive_requests.max(1),
        cert = cert.display(),
        key = key.display(),
        h2c = h2(endpoints.h2c, ""),
        tls = h2(endpoints.tls, " ssl"),
    )
}
