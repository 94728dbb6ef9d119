//! The process's resident memory and open file descriptors, as Linux's
//! `/proc/self` reports them, sampled through a run.

use std::time::Duration;

/// One reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sample {
    /// Since the run started.
    pub(super) at: Duration,
    /// Requests finished by then.
    pub(super) done: u64,
    /// Resident set, bytes (`/proc/self/statm`'s second field).
    pub(super) rss: u64,
    /// Open descriptors (entries of `/proc/self/fd`).
    pub(super) fds: u64,
}

/// Reads both now; `None` where `/proc` does not say (not Linux).
pub(super) fn now(at: Duration, done: u64) -> Option<Sample> {
    Some(Sample { at, done, rss: rss()?, fds: fds()? })
}

fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // The page size is 4 KiB on every Linux this runs on (x86_64, aarch64
    // with 4 KiB pages); statm counts in pages.
    Some(pages * 4096)
}

fn fds() -> Option<u64> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as u64)
}

/// At most `n` samples, evenly chosen, the first and last kept: the curve
/// in a report.
pub(super) fn thin(samples: &[Sample], n: usize) -> Vec<Sample> {
    if samples.len() <= n || n < 2 {
        return samples.to_vec();
    }
    (0..n).map(|i| samples[i * (samples.len() - 1) / (n - 1)]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_descriptors() {
        let s = now(Duration::ZERO, 0).expect("Linux /proc");
        assert!(s.rss > 1 << 20, "{s:?}");
        assert!(s.fds >= 3, "{s:?}");
    }

    #[test]
    fn thinning_keeps_both_ends() {
        let all: Vec<Sample> =
            (0..100).map(|i| Sample { at: Duration::from_secs(i), done: i, rss: i, fds: i }).collect();
        let some = thin(&all, 5);
        assert_eq!(some.iter().map(|s| s.done).collect::<Vec<_>>(), [0, 24, 49, 74, 99]);
        assert_eq!(thin(&all[..3], 5).len(), 3);
    }
}
