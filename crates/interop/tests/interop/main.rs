//! The interop suite: baton against nginx, h2o, nghttpd, Apache httpd with
//! mod_http2, Node.js's http2 and hyper, each started on 127.0.0.1 with its
//! own private config and stopped by the test.
//!
//! Per server: the matrix (every case of `baton_interop::cases` over h2c,
//! h2 over TLS and HTTP/1.1, where the server speaks it), `Expect:
//! 100-continue` on its own, and the server's own ways of shedding
//! connections under a load of 3,000 requests at concurrency 64, where every
//! failure must be one DESIGN.md §3 requires.
//!
//! `rtt.rs` runs nginx's churn and reloads again at a 20 ms round trip,
//! through the lab's fault proxy.
//!
//! Each line of the matrix is printed as `MATRIX server | protocol | case |
//! verdict` and each shedding run as `SHED ...`; both are also appended to
//! `$CARGO_TARGET_TMPDIR/interop-matrix.txt`. A missing server prints
//! `SKIPPED: <server> not installed`, or fails the test when
//! `BATON_INTEROP_REQUIRE=1`.

mod apache;
mod bugs;
mod common;
mod h2o;
mod hyper;
mod hyper_server;
mod nghttpd;
mod nginx;
mod node;
mod rtt;
