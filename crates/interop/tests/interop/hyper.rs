//! hyper's server, in-process: the matrix, `Expect: 100-continue`, and
//! graceful shutdown of every open connection, five times during a load.

use baton_interop::Proto;
use baton_interop::cases::Case;
use baton_interop::load::LoadSpec;

use crate::common::{self, MATRIX_CASES};
use crate::hyper_server::HyperServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_matrix() {
    let certs = common::certs();
    let server = HyperServer::start(&certs).await.expect("hyper server starts");
    common::matrix("hyper", server.endpoints(), &certs, &MATRIX_CASES, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_expect_100_continue() {
    let certs = common::certs();
    let server = HyperServer::start(&certs).await.expect("hyper server starts");
    common::matrix("hyper", server.endpoints(), &certs, &[Case::Expect100Continue], &[]).await;
}

async fn graceful_shutdowns(proto: Proto) {
    let certs = common::certs();
    let server = std::sync::Arc::new(std::sync::Mutex::new(
        HyperServer::start(&certs).await.expect("hyper server starts"),
    ));
    let base = server.lock().unwrap().endpoints().base(proto).unwrap();
    let client = common::load_client(proto, &certs);
    let spec = LoadSpec::default();
    let name = format!("hyper {proto} 5 graceful shutdowns");
    let report = common::shed(&name, &client, &base, spec, false, |progress| {
        let server = server.clone();
        async move {
            for at in common::points(spec, 5) {
                progress.reached(at).await;
                server.lock().unwrap().rotate();
            }
        }
    })
    .await;
    let server = server.lock().unwrap();
    assert_eq!(server.rotations(), 5);
    println!("hyper {proto}: {} connections accepted", server.accepted());
    if proto != Proto::Http1 {
        assert!(report.stats.go_aways_total() >= 5, "{:?}", report.stats);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_h2c_graceful_shutdown() {
    graceful_shutdowns(Proto::H2c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_h2_tls_graceful_shutdown() {
    graceful_shutdowns(Proto::H2Tls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_http1_graceful_shutdown() {
    graceful_shutdowns(Proto::Http1).await;
}
