//! baton's interop suite: real servers started in private prefixes on
//! 127.0.0.1, the cases every server is asked (see [`cases`]), and the load
//! generator for the connection-shedding runs (see [`load`]).
//!
//! One module per server launcher; each picks free ports on 127.0.0.1,
//! writes its config into its own scratch directory, waits until the server
//! accepts connections, and stops it (and removes the directory) on drop:
//!
//! | module | server | protocols |
//! |---|---|---|
//! | [`nginx`] | nginx from apt | h2c, h2 over TLS, HTTP/1.1 |
//! | [`h2o`] | h2o from apt (with mruby) | h2c, h2 over TLS, HTTP/1.1 |
//! | [`nghttpd`] | nghttpd from apt's nghttp2-server | h2c, h2 over TLS |
//! | [`apache`] | apache2 with mod_http2, run in the foreground | h2c, h2 over TLS, HTTP/1.1 |
//! | [`node`] | Node.js's built-in `http2` (`node/server.js`) | h2c, h2 over TLS, HTTP/1.1 |
//! | [`grpc_go`] | grpc-go's health service (`grpc-go/server.go`), built with apt's Go | h2c |
//!
//! hyper's server runs in-process, so it lives with the tests
//! (`tests/interop/hyper_server.rs`), as a dev-dependency.
//!
//! Every server serves the same routes ([`content`]): two static files, an
//! echo of the request body, a response with a trailer, and a response with
//! large header fields.
//!
//! A missing server binary makes a test print `SKIPPED: <server> not
//! installed` and pass, unless `BATON_INTEROP_REQUIRE=1`, when it fails
//! ([`require`]).

pub mod apache;
pub mod cases;
pub mod certs;
pub mod content;
pub mod grpc_go;
pub mod h2o;
pub mod load;
pub mod nghttpd;
pub mod nginx;
pub mod node;
pub mod process;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use certs::Certs;

/// The protocols of the interop matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// HTTP/2 over cleartext TCP with prior knowledge (RFC 9113 §3.3).
    H2c,
    /// HTTP/2 over TLS, negotiated with ALPN `h2`.
    H2Tls,
    /// HTTP/1.1 over cleartext TCP.
    Http1,
}

impl Proto {
    /// Every protocol, in matrix order.
    pub const ALL: [Self; 3] = [Self::H2c, Self::H2Tls, Self::Http1];

    /// The HTTP version a response over this protocol must carry.
    pub fn version(self) -> http::Version {
        match self {
            Self::H2c | Self::H2Tls => http::Version::HTTP_2,
            Self::Http1 => http::Version::HTTP_11,
        }
    }

    /// A client that speaks this protocol and trusts `certs`' CA (and only
    /// it). Every request is bounded by `timeout`.
    ///
    /// # Errors
    /// When baton rejects the configuration (the CA does not parse).
    pub fn client(self, certs: &Certs, timeout: Duration) -> Result<baton::Client, baton::Error> {
        let builder = baton::Client::builder().timeout(timeout).connect_timeout(Duration::from_secs(5));
        let builder = match self {
            Self::H2c => builder.http2_prior_knowledge(),
            Self::H2Tls => builder.add_root_certificate(certs.ca_der.clone()).tls_built_in_roots(false),
            Self::Http1 => builder.http1_only(),
        };
        builder.build()
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::H2c => "h2c",
            Self::H2Tls => "h2 TLS",
            Self::Http1 => "http/1.1",
        })
    }
}

/// Where a server listens, per protocol (`None`: it does not speak it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// HTTP/2 with prior knowledge, cleartext.
    pub h2c: Option<SocketAddr>,
    /// TLS, with ALPN offering at least `h2`.
    pub tls: Option<SocketAddr>,
    /// HTTP/1.1, cleartext.
    pub h1: Option<SocketAddr>,
}

impl Endpoints {
    /// The base URL (no trailing slash) for `proto`, if the server speaks it.
    pub fn base(&self, proto: Proto) -> Option<String> {
        match proto {
            Proto::H2c => self.h2c.map(|a| format!("http://{a}")),
            Proto::H2Tls => self.tls.map(|a| format!("https://{a}")),
            Proto::Http1 => self.h1.map(|a| format!("http://{a}")),
        }
    }
}

/// The environment variable that turns a missing server into a failure.
pub const REQUIRE_ENV: &str = "BATON_INTEROP_REQUIRE";

/// Whether missing servers must fail the suite (`BATON_INTEROP_REQUIRE=1`).
pub fn servers_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// `binary` when `server` is installed. Otherwise prints `SKIPPED: <server>
/// not installed` and returns `None` — or, with `BATON_INTEROP_REQUIRE=1`,
/// panics (this is test support: a required server that is missing must
/// fail the run).
///
/// # Panics
/// When the binary is missing and `BATON_INTEROP_REQUIRE=1`.
pub fn require(server: &str, binary: Option<PathBuf>) -> Option<PathBuf> {
    match binary {
        Some(b) => Some(b),
        None if servers_required() => {
            panic!("{server} not installed, and {REQUIRE_ENV}=1 says the interop suite must run it")
        }
        None => {
            println!("SKIPPED: {server} not installed");
            None
        }
    }
}
