//! h2o: the matrix, `Expect: 100-continue`, and graceful restarts (a new h2o
//! on the same socket, SIGTERM to the old one) during a load.

use std::sync::{Arc, Mutex};

use baton_interop::cases::Case;
use baton_interop::h2o::{self, GracefulH2o, H2o};
use baton_interop::load::LoadSpec;
use baton_interop::{Proto, require};

use crate::common::{self, MATRIX_CASES, not_applicable};

const NO_TRAILERS: &str = "h2o 2.2 cannot send a response trailer from its config or mruby";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2o_matrix() {
    let certs = common::certs();
    if require("h2o", h2o::find()).is_none() {
        return;
    }
    let server = H2o::start(&certs).expect("h2o starts");
    let skips = [not_applicable(None, Case::Trailers, NO_TRAILERS)];
    common::matrix("h2o", server.endpoints(), &certs, &MATRIX_CASES, &skips).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2o_expect_100_continue() {
    let certs = common::certs();
    if require("h2o", h2o::find()).is_none() {
        return;
    }
    let server = H2o::start(&certs).expect("h2o starts");
    common::matrix("h2o", server.endpoints(), &certs, &[Case::Expect100Continue], &[]).await;
}

/// Three graceful restarts during the run.
async fn graceful_restarts(proto: Proto) {
    let certs = common::certs();
    if require("h2o", h2o::find()).is_none() {
        return;
    }
    let server = GracefulH2o::start(proto == Proto::H2Tls, &certs).expect("h2o starts");
    let addr = server.addr().unwrap();
    let base = match proto {
        Proto::H2Tls => format!("https://{addr}"),
        _ => format!("http://{addr}"),
    };
    let server = Arc::new(Mutex::new(server));
    let client = common::load_client(proto, &certs);
    let spec = LoadSpec { requests: 5_000, ..LoadSpec::default() };
    let name = format!("h2o {proto} 3 graceful restarts");
    let report = common::shed(&name, &client, &base, spec, false, |progress| {
        let server = server.clone();
        async move {
            for at in common::points(spec, 3) {
                // Start the next h2o first (it takes a moment), so that the
                // old one is told to go exactly at the point.
                let next = server.clone();
                tokio::task::spawn_blocking(move || next.lock().unwrap().prepare())
                    .await
                    .unwrap()
                    .expect("the next h2o starts");
                progress.reached(at).await;
                server.lock().unwrap().switch().expect("SIGTERM to the old h2o");
            }
        }
    })
    .await;
    let mut server = server.lock().unwrap();
    assert_eq!(server.restarts(), 3);
    if proto != Proto::Http1 {
        assert!(report.stats.go_aways_total() >= 2, "{:?}", report.stats);
    }
    println!("h2o {proto}: {} of 3 old instances drained and exited by themselves", server.drained());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2o_h2c_graceful_restarts() {
    graceful_restarts(Proto::H2c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2o_h2_tls_graceful_restarts() {
    graceful_restarts(Proto::H2Tls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2o_http1_graceful_restarts() {
    graceful_restarts(Proto::Http1).await;
}
