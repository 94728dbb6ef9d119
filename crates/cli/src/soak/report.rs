//! The soak's report: every request judged against its origin's books,
//! counted per origin; the client's and the servers' totals; the memory and
//! descriptor curve; and whether each bound held.

use std::collections::BTreeMap;

use baton::Processing;

use super::Run;
use super::origins::Which;
use super::outcome::{Judgement, Method, Outcomes, Tolerance, judge};
use super::sample::{self, Sample};

/// One origin's counts.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) requests: u64,
    pub(super) ok: u64,
    /// Succeeded, processed twice (rule 2's second try of an idempotent
    /// request).
    pub(super) rerun: u64,
    pub(super) failed_as_required: u64,
    /// Failures by verdict (any judgement).
    pub(super) by_verdict: BTreeMap<&'static str, u64>,
    pub(super) unexpected: u64,
    /// A few of them: request number, method, why.
    pub(super) examples: Vec<String>,
}

/// The limits a run must keep.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds {
    pub(super) rss_growth: u64,
    pub(super) fd_growth: u64,
}

fn verdict_name(p: Option<Processing>) -> &'static str {
    match p {
        Some(Processing::NotSent) => "not sent",
        Some(Processing::NotProcessed) => "not processed",
        Some(Processing::MaybeProcessed) => "maybe processed",
        Some(Processing::ResponseStarted) => "response started",
        None => "no verdict",
    }
}

/// Judges every request against what its origin processed.
pub(super) fn judge_all(outcomes: &Outcomes, processed: &[Vec<u8>; 3]) -> [Tally; 3] {
    let mut tallies: [Tally; 3] = Default::default();
    for n in 0..outcomes.len() {
        let which = Which::of(n as u64);
        let method = Method::of(n as u64);
        let tolerance = match which {
            Which::Reloading => Tolerance::Nothing,
            Which::Lab | Which::Faulty => Tolerance::Cuts,
        };
        let outcome = outcomes.get(n);
        let count = processed[which.index()].get(n).copied().map_or(0, u32::from);
        let t = &mut tallies[which.index()];
        t.requests += 1;
        if outcome.done() && !outcome.ok() {
            *t.by_verdict.entry(verdict_name(outcome.verdict())).or_insert(0) += 1;
        }
        match judge(outcome, method, count, tolerance) {
            Judgement::Ok => t.ok += 1,
            Judgement::OkRerun => {
                t.ok += 1;
                t.rerun += 1;
            }
            Judgement::FailedAsRequired => t.failed_as_required += 1,
            Judgement::Unexpected(why) => {
                t.unexpected += 1;
                if t.examples.len() < 5 {
                    t.examples.push(format!(
                        "#{n} {method:?}: {why} (verdict {}, {} attempt(s), processed {count}x)",
                        verdict_name(outcome.verdict()),
                        outcome.attempts()
                    ));
                }
            }
        }
    }
    tallies
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1u32 << 20)
}

/// Prints the report; true when every check held.
pub(super) fn print(run: &Run, tallies: &[Tally; 3], bounds: Bounds) -> bool {
    let secs = run.took.as_secs_f64();
    println!(
        "baton soak: {} requests at concurrency {} over three origins in {secs:.1} s ({:.0} requests/s)",
        run.requests,
        run.concurrency,
        run.requests as f64 / secs.max(f64::EPSILON)
    );
    println!(
        "\n{:<45} {:>9} {:>9} {:>6} {:>9} {:>10}  failures by verdict",
        "origin", "requests", "ok", "rerun", "required", "unexpected"
    );
    let mut all_good = true;
    for which in Which::ALL {
        let t = &tallies[which.index()];
        let verdicts: Vec<String> = t.by_verdict.iter().map(|(v, n)| format!("{v} {n}")).collect();
        println!(
            "{:<45} {:>9} {:>9} {:>6} {:>9} {:>10}  {}",
            which.describe(),
            t.requests,
            t.ok,
            t.rerun,
            t.failed_as_required,
            t.unexpected,
            if verdicts.is_empty() { "-".to_owned() } else { verdicts.join(", ") }
        );
        all_good &= t.unexpected == 0;
    }
    println!(
        "\n\"rerun\": idempotent requests processed twice, their first outcome unknown (rule 2); \
         \"required\": failures the rules demand, the server's books agreeing with the verdict."
    );
    for which in Which::ALL {
        let t = &tallies[which.index()];
        for e in &t.examples {
            println!("unexpected at {}: {e}", which.describe());
        }
        for e in run.errors[which.index()].iter().take(3) {
            println!("first errors at {}: {e}", which.describe());
        }
    }
    let s = &run.stats;
    println!(
        "\nclient: {} requests, {} connections opened, GOAWAYs {:?}, retries {:?}",
        s.requests, s.connections_opened, s.go_aways, s.retries
    );
    println!("nginx reloads: {}; lab: {:?}", run.reloads, run.lab);
    println!("fault proxy: {}", run.proxy);

    println!("\n{:>8} {:>10} {:>10} {:>6}", "time s", "done", "RSS MiB", "fds");
    let mut curve: Vec<Sample> = run.before.into_iter().collect();
    curve.extend(sample::thin(&run.samples, 24));
    curve.extend(run.after);
    for s in &curve {
        println!("{:>8.1} {:>10} {:>10.2} {:>6}", s.at.as_secs_f64(), s.done, mib(s.rss), s.fds);
    }
    println!("(first line: before the first request; last: after the client's shutdown)");

    // Memory: the run's end against its reading at 10% (pools, buffers and
    // runtime threads are made by then); a leak grows with the requests.
    let warm = run.samples.iter().find(|s| s.done * 10 >= run.requests);
    let end = run.samples.last();
    match (warm, end) {
        (Some(warm), Some(end)) => {
            let growth = end.rss.saturating_sub(warm.rss);
            let ok = growth <= bounds.rss_growth;
            println!(
                "resident memory: {:.2} MiB at 10% of the run, {:.2} MiB at its end: {:+.2} MiB (bound {:.0} MiB) {}",
                mib(warm.rss),
                mib(end.rss),
                mib(end.rss) - mib(warm.rss),
                mib(bounds.rss_growth),
                if ok { "ok" } else { "EXCEEDED" }
            );
            all_good &= ok;
        }
        _ => println!("resident memory: not sampled (a run shorter than its first reading, or no /proc)"),
    }
    match (run.before, run.after) {
        (Some(before), Some(after)) => {
            let ok = after.fds <= before.fds + bounds.fd_growth;
            println!(
                "open descriptors: {} before the first request, {} after the shutdown (bound +{}) {}",
                before.fds,
                after.fds,
                bounds.fd_growth,
                if ok { "ok" } else { "EXCEEDED" }
            );
            all_good &= ok;
        }
        _ => println!("open descriptors: not sampled (no /proc)"),
    }
    println!("{}", if all_good { "\nsoak: every check held" } else { "\nsoak: FAILED" });
    all_good
}
