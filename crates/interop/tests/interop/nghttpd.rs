//! nghttpd: the matrix and `Expect: 100-continue` (HTTP/2 only). nghttpd
//! has no way to shed connections on demand, so no shedding run.

use baton_interop::cases::Case;
use baton_interop::nghttpd::{self, Nghttpd};
use baton_interop::require;

use crate::common::{self, MATRIX_CASES, not_applicable};

const NO_HEADERS: &str = "nghttpd has no option to add response header fields";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nghttpd_matrix() {
    let certs = common::certs();
    if require("nghttpd", nghttpd::find()).is_none() {
        return;
    }
    let server = Nghttpd::start(&certs).expect("nghttpd starts");
    let skips = [not_applicable(None, Case::LargeHeaders, NO_HEADERS)];
    common::matrix("nghttpd", server.endpoints(), &certs, &MATRIX_CASES, &skips).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nghttpd_expect_100_continue() {
    let certs = common::certs();
    if require("nghttpd", nghttpd::find()).is_none() {
        return;
    }
    let server = Nghttpd::start(&certs).expect("nghttpd starts");
    common::matrix("nghttpd", server.endpoints(), &certs, &[Case::Expect100Continue], &[]).await;
}
