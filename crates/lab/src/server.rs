//! The lab server: accept loop, TLS with ALPN, protocol detection for
//! plaintext (HTTP/2 prior knowledge vs HTTP/1.1), and shutdown.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::context::{ConnInfo, Shared};
use crate::ledger::Ledger;
use crate::scenario::Scenario;
use crate::tls::TestCertificate;
use crate::{h1, h2};

/// How to start a [`Lab`].
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// Where to listen; port 0 picks a free one. Only loopback is sensible.
    pub listen: SocketAddr,
    /// The behaviour.
    pub scenario: Scenario,
    /// Serve TLS (ALPN h2 and http/1.1) with a fresh self-signed certificate
    /// instead of plaintext.
    pub tls: bool,
    /// SETTINGS_MAX_CONCURRENT_STREAMS to advertise (and enforce with
    /// REFUSED_STREAM) on HTTP/2 connections; the default is 128.
    pub max_concurrent_streams: Option<u32>,
}

impl LabOptions {
    /// Plaintext on 127.0.0.1 with a free port.
    pub fn new(scenario: Scenario) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario,
            tls: false,
            max_concurrent_streams: None,
        }
    }

    /// Advertises (and enforces) this SETTINGS_MAX_CONCURRENT_STREAMS.
    pub fn max_concurrent_streams(mut self, n: u32) -> Self {
        self.max_concurrent_streams = Some(n);
        self
    }

    /// The same, over TLS.
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }
}

/// A running lab server. Dropping it without [`Lab::stop`] aborts its tasks.
#[derive(Debug)]
pub struct Lab {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    accept: Option<JoinHandle<()>>,
    cert: Option<TestCertificate>,
}

impl Lab {
    /// Binds and starts serving.
    ///
    /// # Errors
    /// When binding fails or the TLS setup fails.
    pub async fn start(options: LabOptions) -> io::Result<Self> {
        let listener = TcpListener::bind(options.listen).await?;
        let addr = listener.local_addr()?;
        let (cert, acceptor) = if options.tls {
            let cert = TestCertificate::generate().map_err(io::Error::other)?;
            let config = cert.server_config(&[b"h2", b"http/1.1"]).map_err(io::Error::other)?;
            (Some(cert), Some(TlsAcceptor::from(config)))
        } else {
            (None, None)
        };
        let shared = Arc::new(Shared {
            scenario: std::sync::RwLock::new(options.scenario),
            max_concurrent_streams: options.max_concurrent_streams,
            ledger: Ledger::default(),
            requests: AtomicU64::new(0),
            reload: watch::Sender::new(0),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, shared.clone(), acceptor, shutdown_rx));
        Ok(Self { addr, shared, shutdown, accept: Some(accept), cert })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://` (or `https://` with TLS) URL of `path` on this lab.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.cert.is_some() { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// What the lab processed, refused and ignored, by request id.
    pub fn ledger(&self) -> &Ledger {
        &self.shared.ledger
    }

    /// The TLS certificate clients should trust, when serving TLS.
    pub fn certificate(&self) -> Option<&TestCertificate> {
        self.cert.as_ref()
    }

    /// One line for a person: the scenario with its parameters, the URL,
    /// and how to connect.
    /// `baton-lab: nginx-reload after=0 on http://127.0.0.1:8080/ (plaintext: HTTP/2 prior knowledge or HTTP/1.1)`
    pub fn banner(&self) -> String {
        let transport = if self.cert.is_some() {
            "TLS with ALPN h2 or http/1.1, self-signed"
        } else {
            "plaintext: HTTP/2 prior knowledge or HTTP/1.1"
        };
        let streams = match self.shared.max_concurrent_streams {
            Some(n) => format!(", max_concurrent_streams {n}"),
            None => String::new(),
        };
        format!("baton-lab: {} on {} ({transport}{streams})", self.shared.scenario(), self.url("/"))
    }

    /// The scenario connections accepted from now on are served with.
    pub fn scenario(&self) -> Scenario {
        self.shared.scenario()
    }

    /// Serves connections accepted from now on with `scenario`; open
    /// connections keep the one they were accepted under. (A soak cycles
    /// one origin through every way of closing connections.)
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// use baton_lab::{Lab, LabOptions, Scenario};
    ///
    /// let lab = Lab::start(LabOptions::new(Scenario::Normal)).await?;
    /// lab.set_scenario(Scenario::NginxRotate { requests: 100 });
    /// assert_eq!(lab.scenario(), Scenario::NginxRotate { requests: 100 });
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_scenario(&self, scenario: Scenario) {
        *self.shared.scenario.write().unwrap_or_else(|e| e.into_inner()) = scenario;
    }

    /// Triggers an `nginx-reload` drain of every open connection now.
    pub fn reload(&self) {
        self.shared.reload.send_modify(|g| *g += 1);
    }

    /// Stops accepting, closes every connection and waits for the tasks.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(accept) = self.accept.take() {
            let _ = accept.await;
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    acceptor: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let mut ordinal = 0;
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                ordinal += 1;
                shared.ledger.connection();
                let info = ConnInfo { ordinal, scenario: shared.scenario() };
                connections.spawn(serve_connection(tcp, shared.clone(), acceptor.clone(), info));
            }
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(
    tcp: TcpStream,
    shared: Arc<Shared>,
    acceptor: Option<TlsAcceptor>,
    info: ConnInfo,
) {
    let _ = tcp.set_nodelay(true);
    if let Scenario::GoawayThenRst { .. } = info.scenario {
        // SO_LINGER 0: close() sends RST instead of FIN.
        let _ = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
    }
    let result = match acceptor {
        Some(acceptor) => match acceptor.accept(tcp).await {
            Ok(tls) => {
                let is_h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                if is_h2 { h2::serve(tls, shared, info).await } else { h1::serve(tls, shared, info).await }
            }
            Err(e) => Err(e),
        },
        None => match sniff_preface(&tcp).await {
            Ok(true) => h2::serve(tcp, shared, info).await,
            Ok(false) => h1::serve(tcp, shared, info).await,
            Err(e) => Err(e),
        },
    };
    // Peers closing on us is business as usual for a fault-injection server.
    let _ = result;
}

/// True when the client starts with the HTTP/2 preface (prior knowledge,
/// RFC 9113 §3.3), false for anything else (HTTP/1.1).
async fn sniff_preface(tcp: &TcpStream) -> io::Result<bool> {
    let preface = baton_proto::h2::PREFACE;
    let mut buf = [0u8; 24];
    loop {
        let n = tcp.peek(&mut buf).await?;
        if n == 0 || !preface.starts_with(&buf[..n]) {
            return Ok(false);
        }
        if n >= preface.len() {
            return Ok(true);
        }
        // A partial preface: wait for the rest.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Serves `options` until Ctrl-C: prints what it serves where (and where
/// the TLS certificate was written), then the ledger's counters at the end.
/// With `nginx-reload`, SIGHUP reloads, as it does nginx. This is what the
/// `baton-lab` binary and `baton lab` run.
///
/// # Errors
/// When the lab cannot start.
pub async fn serve_until_ctrl_c(options: LabOptions) -> io::Result<()> {
    let lab = Lab::start(options).await?;
    let reloads = reload_on_sighup(&lab);
    println!("{}", lab.banner());
    if let Some(cert) = lab.certificate() {
        let path = std::env::temp_dir().join(format!("baton-lab-{}.pem", lab.addr().port()));
        match std::fs::write(&path, &cert.cert_pem) {
            Ok(()) => println!("certificate: {}", path.display()),
            Err(e) => eprintln!("baton-lab: cannot write the certificate: {e}"),
        }
    }
    if reloads.is_some() {
        println!("reload: kill -HUP {}", std::process::id());
    }
    let _ = tokio::signal::ctrl_c().await;
    if let Some(task) = reloads {
        task.abort();
    }
    let stats = lab.ledger().stats();
    println!(
        "processed {} refused {} ignored {} connections {} GOAWAYs {}",
        stats.processed, stats.refused, stats.ignored, stats.connections, stats.go_aways
    );
    lab.stop().await;
    Ok(())
}

/// Under `nginx-reload`, a task that reloads the lab on each SIGHUP, as
/// nginx reloads on it (`nginx -s reload` sends it); without it `after=0`
/// ("only on demand") could never fire outside a test. The handler is in
/// place when this returns.
fn reload_on_sighup(lab: &Lab) -> Option<JoinHandle<()>> {
    if !matches!(lab.shared.scenario(), Scenario::NginxReload { .. }) {
        return None;
    }
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hangup) => {
                let shared = lab.shared.clone();
                Some(tokio::spawn(async move {
                    while hangup.recv().await.is_some() {
                        shared.reload.send_modify(|g| *g += 1);
                        // Not `println!`: a closed stdout must not end
                        // the reloads.
                        let _ =
                            io::Write::write_all(&mut io::stdout(), b"reloaded: open connections drain\n");
                    }
                }))
            }
            Err(e) => {
                eprintln!("baton-lab: no reload on SIGHUP: {e}");
                None
            }
        }
    }
    #[cfg(not(unix))]
    None
}

/// Splits `key=value` arguments into scenario parameters.
///
/// # Errors
/// An argument without `=`.
pub fn parse_params(args: &[String]) -> Result<Vec<(String, String)>, String> {
    args.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
            None => Err(format!("expected KEY=VALUE, got {kv:?}")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn banner_tells_scenario_parameters_address_and_transport() {
        let lab = Lab::start(LabOptions::new(Scenario::NginxReload { after: 0 }).max_concurrent_streams(10))
            .await
            .unwrap();
        assert_eq!(
            lab.banner(),
            format!(
                "baton-lab: nginx-reload after=0 on http://{}/ (plaintext: HTTP/2 prior knowledge or HTTP/1.1, max_concurrent_streams 10)",
                lab.addr()
            )
        );
        lab.stop().await;
        let lab = Lab::start(LabOptions::new(Scenario::Normal).tls()).await.unwrap();
        assert_eq!(
            lab.banner(),
            format!(
                "baton-lab: normal on https://{}/ (TLS with ALPN h2 or http/1.1, self-signed)",
                lab.addr()
            )
        );
        lab.stop().await;
    }
}
