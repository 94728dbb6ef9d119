//! What every server's tests share: the matrix runner, the shedding runner,
//! and the report file.

use std::future::Future;
use std::io::Write as _;
use std::time::Duration;

use baton_interop::cases::{self, Case, Matrix, Verdict};
use baton_interop::load::{self, LoadReport, LoadSpec, Progress};
use baton_interop::{Certs, Endpoints, Proto};

/// One case's bound.
pub(crate) const CASE_LIMIT: Duration = Duration::from_secs(30);
/// One request's bound in the shedding runs (the client's own timeout).
pub(crate) const REQUEST_LIMIT: Duration = Duration::from_secs(20);
/// One whole test's bound.
pub(crate) const TEST_LIMIT: Duration = Duration::from_secs(150);

/// The matrix's cases, `Expect: 100-continue` aside (it has its own tests,
/// so that it can be ignored on its own).
pub(crate) const MATRIX_CASES: [Case; 7] = [
    Case::GetSmall,
    Case::GetLarge,
    Case::PostSmall,
    Case::PostLarge,
    Case::StreamedUpload,
    Case::Trailers,
    Case::LargeHeaders,
];

/// A cell that is not run: `proto` `None` means every protocol.
pub(crate) struct Skip {
    pub(crate) proto: Option<Proto>,
    pub(crate) case: Case,
    pub(crate) verdict: Verdict,
}

/// A cell the server cannot do.
pub(crate) fn not_applicable(proto: Option<Proto>, case: Case, why: &str) -> Skip {
    Skip { proto, case, verdict: Verdict::NotApplicable(why.to_owned()) }
}

pub(crate) fn certs() -> Certs {
    Certs::generate().expect("certificates")
}

/// Runs `cases` on every protocol `endpoints` has, except `skips`, and
/// reports and asserts the matrix (no `FAIL` cell).
pub(crate) async fn matrix(
    server: &str,
    endpoints: Endpoints,
    certs: &Certs,
    cases: &[Case],
    skips: &[Skip],
) -> Matrix {
    let mut matrix = Matrix::new(server);
    for proto in Proto::ALL {
        let Some(base) = endpoints.base(proto) else {
            for &case in cases {
                matrix.push(proto, case, Verdict::NotApplicable(format!("{server} does not serve {proto}")));
            }
            continue;
        };
        let client = proto.client(certs, CASE_LIMIT).expect("client");
        for &case in cases {
            let skip = skips.iter().find(|s| s.case == case && s.proto.is_none_or(|p| p == proto));
            let verdict = match skip {
                Some(s) => s.verdict.clone(),
                None => cases::run(&client, &base, proto, case, CASE_LIMIT).await,
            };
            matrix.push(proto, case, verdict);
        }
    }
    let text = matrix.render();
    print!("{text}");
    record(&text);
    let failures = matrix.failures();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    matrix
}

/// Appends `text` to `$CARGO_TARGET_TMPDIR/interop-matrix.txt`, the
/// collected matrix and shedding counts of the last runs.
pub(crate) fn record(text: &str) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-matrix.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = f.write_all(text.as_bytes());
    }
}

/// A client for a shedding run over `proto`.
pub(crate) fn load_client(proto: Proto, certs: &Certs) -> baton::Client {
    proto.client(certs, REQUEST_LIMIT).expect("client")
}

/// Runs the load against `base` while `shed` (given the progress) sheds
/// connections; bounded by [`TEST_LIMIT`]. Prints and records the summary,
/// and asserts that every failure is one DESIGN.md §3 requires — and, with
/// `allow_capped`, the attempt cap of rule 6 on requests that were provably
/// not processed.
pub(crate) async fn shed<F, Fut>(
    name: &str,
    client: &baton::Client,
    base: &str,
    spec: LoadSpec,
    allow_capped: bool,
    shed: F,
) -> LoadReport
where
    F: FnOnce(Progress) -> Fut,
    Fut: Future<Output = ()>,
{
    let progress = Progress::default();
    let run = async {
        let (report, ()) =
            tokio::join!(load::run(name, client, base, spec, &progress), shed(progress.clone()));
        report
    };
    let report = tokio::time::timeout(TEST_LIMIT, run).await.unwrap_or_else(|_| panic!("{name}: hung"));
    let line = report.summary();
    println!("{line}");
    record(&format!("{line}\n"));
    for (what, failures) in [("required", &report.required), ("attempt cap", &report.capped)] {
        if !failures.is_empty() {
            println!("{name}: first {what} failures:\n{}", load::sample(failures, 2));
        }
    }
    assert_eq!(report.requests, spec.requests, "{name}: not every request ran");
    let failed = report.required.len() + report.capped.len() + report.unexpected.len();
    assert_eq!(report.ok + failed, report.requests);
    assert!(
        allow_capped || report.capped.is_empty(),
        "{name}: attempt cap:\n{}",
        load::sample(&report.capped, 5)
    );
    assert!(report.unexpected.is_empty(), "{name}: unexpected failures:\n{}", report.unexpected_sample());
    for f in &report.required {
        // The verdicts DESIGN.md §3 allows to reach the caller here.
        assert!(
            matches!(
                f.processing,
                Some(baton::Processing::MaybeProcessed | baton::Processing::ResponseStarted)
            ),
            "{name}: {f:?}"
        );
    }
    report
}

/// The points (in finished requests) at which to shed: `n` evenly spaced
/// inside the run.
pub(crate) fn points(spec: LoadSpec, n: usize) -> Vec<usize> {
    (1..=n).map(|i| spec.requests * i / (n + 1)).collect()
}
