//! The live progress line on stderr, rewritten in place ten times a second.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::plan::Plan;

/// Runs until aborted.
pub(super) async fn show(plan: Arc<Plan>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let done = plan.done.load(Ordering::Relaxed);
        let failed = plan.failed.load(Ordering::Relaxed);
        let elapsed = plan.elapsed().as_secs_f64();
        let rate = if elapsed > 0.0 { done as f64 / elapsed } else { 0.0 };
        let so_far = match (plan.total, plan.duration) {
            (Some(n), _) => format!("{done}/{n} requests ({:.0} %)", percent(done as f64, n as f64)),
            (None, Some(d)) => format!(
                "{elapsed:.1}/{:.1} s ({:.0} %), {done} requests",
                d.as_secs_f64(),
                percent(elapsed, d.as_secs_f64())
            ),
            (None, None) => format!("{done} requests"),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{so_far}, {rate:.0} req/s, {failed} failed");
        let _ = err.flush();
    }
}

/// Erases the progress line.
pub(super) fn clear() {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[K");
    let _ = err.flush();
}

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { (part / whole * 100.0).min(100.0) } else { 100.0 }
}
