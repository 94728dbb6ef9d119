//! nginx: the matrix, `Expect: 100-continue`, and shedding by
//! `keepalive_requests` with `nginx -s reload` during the run.

use baton_interop::cases::Case;
use baton_interop::load::LoadSpec;
use baton_interop::nginx::{self, Nginx, NginxOptions};
use baton_interop::{Proto, require};

use crate::common::{self, MATRIX_CASES};

fn start(options: &NginxOptions) -> Option<Nginx> {
    require("nginx", Nginx::find())?;
    Some(Nginx::start(options).expect("nginx starts"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_matrix() {
    let certs = common::certs();
    let Some(nginx) = start(&nginx::options(&certs)) else { return };
    common::matrix("nginx", nginx::endpoints(&nginx), &certs, &MATRIX_CASES, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_expect_100_continue() {
    let certs = common::certs();
    let Some(nginx) = start(&nginx::options(&certs)) else { return };
    common::matrix("nginx", nginx::endpoints(&nginx), &certs, &[Case::Expect100Continue], &[]).await;
}

/// `keepalive_requests` rotates every connection after that many requests
/// (GOAWAY, then a lingering close), and two reloads replace the workers
/// mid-run (GOAWAY on every connection of the old ones). `allow_capped`:
/// see `common::shed`.
async fn keepalive_and_reloads(proto: Proto, keepalive_requests: u32, allow_capped: bool) {
    let certs = common::certs();
    let Some(nginx) = start(&nginx::options(&certs).keepalive_requests(keepalive_requests)) else { return };
    let base = nginx::endpoints(&nginx).base(proto).expect("nginx serves every protocol");
    let client = common::load_client(proto, &certs);
    let spec = LoadSpec::default();
    let name = format!("nginx {proto} keepalive_requests={keepalive_requests} + 2 reloads");
    let nginx = &nginx;
    let report = common::shed(&name, &client, &base, spec, allow_capped, |progress| async move {
        for at in common::points(spec, 2) {
            progress.reached(at).await;
            nginx.reload().expect("nginx -s reload");
        }
    })
    .await;
    let stats = &report.stats;
    match proto {
        Proto::Http1 => {
            assert!(stats.connections_opened as usize >= spec.requests / keepalive_requests as usize / 2)
        }
        _ => assert!(
            stats.go_aways_total() as usize >= spec.requests / keepalive_requests as usize / 2,
            "{stats:?}"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_h2c_keepalive_requests_and_reloads() {
    keepalive_and_reloads(Proto::H2c, 100, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_h2_tls_keepalive_requests_and_reloads() {
    keepalive_and_reloads(Proto::H2Tls, 100, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_http1_keepalive_requests_and_reloads() {
    keepalive_and_reloads(Proto::Http1, 10, false).await;
}

/// `keepalive_requests 50`, below the 64 requests in flight: nginx answers
/// the first 50 streams of each connection and says GOAWAY(99) while the
/// client already has up to 64 streams open on it, so 14 of every 64 are
/// refused — and their retry lands on the next connection, which does the
/// same. A request refused on 4 connections in a row reaches its attempt cap
/// (DESIGN.md §3 rule 6) with the verdict `NotProcessed`: allowed, and
/// counted as such; any other failure fails the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_h2c_keepalive_requests_below_concurrency() {
    keepalive_and_reloads(Proto::H2c, 50, true).await;
}
