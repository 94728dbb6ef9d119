//! Apache httpd with mod_http2: the matrix, `Expect: 100-continue`, and
//! graceful restarts during a load.

use std::sync::{Arc, Mutex};

use baton_interop::apache::{self, Apache, ApacheOptions};
use baton_interop::cases::Case;
use baton_interop::load::LoadSpec;
use baton_interop::{Proto, require};

use crate::common::{self, MATRIX_CASES, not_applicable};

const NO_TRAILERS: &str = "no module shipped with apache2 sets response trailers from configuration (mod_http2 would send r->trailers_out)";

fn start(certs: &baton_interop::Certs) -> Option<Apache> {
    require("apache2 (with mod_http2)", apache::find())?;
    Some(Apache::start(ApacheOptions::default(), certs).expect("apache2 starts"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_matrix() {
    let certs = common::certs();
    let Some(server) = start(&certs) else { return };
    let skips = [not_applicable(None, Case::Trailers, NO_TRAILERS)];
    common::matrix("apache", server.endpoints(), &certs, &MATRIX_CASES, &skips).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_expect_100_continue() {
    let certs = common::certs();
    let Some(server) = start(&certs) else { return };
    common::matrix("apache", server.endpoints(), &certs, &[Case::Expect100Continue], &[]).await;
}

/// Two graceful restarts (SIGUSR1) during the run.
async fn graceful_restarts(proto: Proto) {
    let certs = common::certs();
    let Some(server) = start(&certs) else { return };
    let base = server.endpoints().base(proto).expect("apache serves every protocol");
    let server = Arc::new(Mutex::new(server));
    let client = common::load_client(proto, &certs);
    // A POST forks the CGI echo: one in 8, to keep the run short.
    let spec = LoadSpec { post_every: 8, ..LoadSpec::default() };
    let name = format!("apache {proto} 2 graceful restarts");
    let report = common::shed(&name, &client, &base, spec, false, |progress| {
        let server = server.clone();
        async move {
            for at in common::points(spec, 2) {
                progress.reached(at).await;
                let server = server.clone();
                tokio::task::spawn_blocking(move || server.lock().unwrap().graceful())
                    .await
                    .unwrap()
                    .expect("apache2 graceful restart");
            }
        }
    })
    .await;
    let server = server.lock().unwrap();
    assert_eq!(server.restarts(), 2);
    if proto != Proto::Http1 {
        assert!(report.stats.go_aways_total() >= 1, "{:?}", report.stats);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_h2c_graceful_restarts() {
    graceful_restarts(Proto::H2c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_h2_tls_graceful_restarts() {
    graceful_restarts(Proto::H2Tls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_http1_graceful_restarts() {
    graceful_restarts(Proto::Http1).await;
}
