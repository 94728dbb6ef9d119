//! What the scale harness (`src/bin/scale.rs`) reads of its own process:
//! resident set (now and peak, proc(5)), CPU time (getrusage(2)), and the
//! bytes the program holds on the heap, counted by [`CountingAlloc`] while
//! [`count_heap`] is on.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicI64 = AtomicI64::new(0);

/// The system allocator, counting the bytes allocated and not yet freed
/// while [`count_heap`] is on (off, each call costs one relaxed load).
/// Bytes freed while counting that were allocated before make the count go
/// down: read it as a difference between two points of one run.
pub struct CountingAlloc;

// SAFETY: every call is passed on unchanged to the system allocator; the
// counting only reads the layout.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Starts counting heap bytes (from zero at this point).
pub fn count_heap() {
    LIVE.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
}

/// Heap bytes allocated and not freed since [`count_heap`].
pub fn heap_bytes() -> i64 {
    LIVE.load(Ordering::Relaxed)
}

/// A field of /proc/self/status in kB (`VmRSS`, `VmHWM`), 0 if unreadable.
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The resident set now, in bytes.
pub fn rss_bytes() -> u64 {
    status_kb("VmRSS") * 1024
}

/// The peak resident set so far, in bytes.
pub fn peak_rss_bytes() -> u64 {
    status_kb("VmHWM") * 1024
}

/// User + system CPU time of the whole process so far, in seconds.
pub fn cpu_seconds() -> f64 {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF and a pointer to a live rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Raises this process's open-file limit to its hard limit (a server or
/// client with 10,000 sockets needs more than the usual 1,024).
pub fn raise_fd_limit() {
    // SAFETY: an all-zero rlimit is valid; getrlimit and setrlimit get a
    // pointer to a live one.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}
