//! Happy eyeballs (RFC 8305): the addresses a name resolved to, IPv6 and
//! IPv4 interleaved (§4), connected to in a race where each attempt gets a
//! head start of [`ATTEMPT_DELAY`] over the next (§5), the first to connect
//! wins and the others are dropped, which closes their sockets.
//!
//! The race is generic over how one address is connected to, so its timing
//! is tested on tokio's paused clock with a fake connector; `connect.rs`
//! gives it real TCP.

use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use tokio::time::{Instant, Sleep, Timeout};

/// RFC 8305 §5's recommended Connection Attempt Delay.
pub(crate) const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// Reorders `addrs` as RFC 8305 §4 says: families alternate, starting with
/// the family of the resolver's first address (its preference, RFC 6724),
/// each family keeping its own order.
pub(crate) fn interleave(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else { return addrs };
    let first_v6 = first.is_ipv6();
    let (mut lead, mut other): (Vec<_>, Vec<_>) = addrs.into_iter().partition(|a| a.is_ipv6() == first_v6);
    let mut out = Vec::with_capacity(lead.len() + other.len());
    let (mut lead, mut other) = (lead.drain(..), other.drain(..));
    loop {
        match (lead.next(), other.next()) {
            (None, None) => return out,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
}

/// Why no address connected: each one tried, with its failure.
#[derive(Debug)]
pub(crate) struct Failed(pub(crate) Vec<(SocketAddr, io::Error)>);

/// Races `connect` over `addrs` (already in order): the first starts at
/// once, each next one `delay` after the previous started, or at once when
/// an attempt fails. Each attempt is abandoned after
/// `per_address`. Returns the first connection and its address; the other
/// attempts are dropped. The caller bounds the whole race.
pub(crate) async fn race<T, F, C>(
    addrs: &[SocketAddr],
    delay: Duration,
    per_address: Duration,
    mut connect: C,
) -> Result<(T, SocketAddr), Failed>
where
    C: FnMut(SocketAddr) -> F,
    F: Future<Output = io::Result<T>>,
{
    let mut running: Vec<(SocketAddr, Pin<Box<Timeout<F>>>)> = Vec::new();
    let mut failed = Vec::new();
    let mut next = 0;
    let mut head_start: Pin<Box<Sleep>> = Box::pin(tokio::time::sleep(Duration::ZERO));
    poll_fn(|cx| {
        loop {
            // An attempt that failed gives its head start to the next one.
            let mut failed_now = false;
            let mut i = 0;
            while i < running.len() {
                let (addr, attempt) = &mut running[i];
                let addr = *addr;
                match attempt.as_mut().poll(cx) {
                    Poll::Pending => i += 1,
                    Poll::Ready(Ok(Ok(conn))) => return Poll::Ready(Ok((conn, addr))),
                    Poll::Ready(Ok(Err(e))) => {
                        failed.push((addr, e));
                        drop(running.swap_remove(i));
                        failed_now = true;
                    }
                    Poll::Ready(Err(_)) => {
                        let e = io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("timed out after {per_address:?}"),
                        );
                        failed.push((addr, e));
                        drop(running.swap_remove(i));
                        failed_now = true;
                    }
                }
            }
            let Some(&addr) = addrs.get(next) else {
                if running.is_empty() {
                    return Poll::Ready(Err(Failed(std::mem::take(&mut failed))));
                }
                return Poll::Pending;
            };
            // §5: the next attempt waits for the delay, unless an attempt
            // just failed (as Apple's and Chrome's do: the delay is there to
            // give an attempt that may still succeed a head start).
            if !failed_now && !running.is_empty() && head_start.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            next += 1;
            running.push((addr, Box::pin(tokio::time::timeout(per_address, connect(addr)))));
            head_start.as_mut().reset(Instant::now() + delay);
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn families_alternate_from_the_first() {
        let got =
            interleave(vec![a("[::1]:1"), a("[::2]:1"), a("[::3]:1"), a("10.0.0.1:1"), a("10.0.0.2:1")]);
        assert_eq!(got, vec![a("[::1]:1"), a("10.0.0.1:1"), a("[::2]:1"), a("10.0.0.2:1"), a("[::3]:1")]);
        let got = interleave(vec![a("10.0.0.1:1"), a("10.0.0.2:1"), a("[::1]:1")]);
        assert_eq!(got, vec![a("10.0.0.1:1"), a("[::1]:1"), a("10.0.0.2:1")]);
        assert_eq!(interleave(vec![]), vec![]);
    }

    /// What the fake connector does for an address.
    #[derive(Clone, Copy)]
    enum Fake {
        /// Connects after this long.
        After(Duration),
        /// Refused after this long.
        RefusedAfter(Duration),
        /// Never answers (a blackhole).
        Never,
    }

    /// A connection attempt that counts itself dropped.
    struct Attempt {
        dropped: Arc<AtomicUsize>,
    }

    impl Drop for Attempt {
        fn drop(&mut self) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Races over `plan`, returning the winner, when it won, the start
    /// time of each attempt, and how many attempts (won or not) were dropped.
    async fn run(
        plan: &[(&str, Fake)],
        per_address: Duration,
    ) -> (Result<SocketAddr, Vec<(SocketAddr, String)>>, Duration, Vec<(SocketAddr, Duration)>, usize) {
        let start = Instant::now();
        let dropped = Arc::new(AtomicUsize::new(0));
        let started = std::sync::Mutex::new(Vec::new());
        let addrs: Vec<SocketAddr> = plan.iter().map(|(s, _)| a(s)).collect();
        let result = race(&addrs, ATTEMPT_DELAY, per_address, |addr| {
            started.lock().unwrap().push((addr, start.elapsed()));
            let fake = plan.iter().find(|(s, _)| a(s) == addr).unwrap().1;
            let guard = Attempt { dropped: dropped.clone() };
            async move {
                let _guard = guard;
                match fake {
                    Fake::After(d) => {
                        tokio::time::sleep(d).await;
                        Ok(Attempt { dropped: Arc::new(AtomicUsize::new(0)) })
                    }
                    Fake::RefusedAfter(d) => {
                        tokio::time::sleep(d).await;
                        Err(io::Error::from(io::ErrorKind::ConnectionRefused))
                    }
                    Fake::Never => std::future::pending().await,
                }
            }
        })
        .await;
        let elapsed = start.elapsed();
        let result = result.map(|(_, addr)| addr).map_err(|Failed(f)| {
            f.into_iter().map(|(addr, e)| (addr, e.kind().to_string())).collect::<Vec<_>>()
        });
        let started = started.into_inner().unwrap();
        (result, elapsed, started, dropped.load(Ordering::Relaxed))
    }

    const LONG: Duration = Duration::from_secs(30);

    #[tokio::test(start_paused = true)]
    async fn a_blackholed_ipv6_loses_to_ipv4_after_the_delay() {
        let (won, at, started, dropped) =
            run(&[("[::1]:80", Fake::Never), ("127.0.0.1:80", Fake::After(Duration::from_millis(10)))], LONG)
                .await;
        assert_eq!(won, Ok(a("127.0.0.1:80")));
        assert_eq!(at, Duration::from_millis(260));
        assert_eq!(started, vec![(a("[::1]:80"), Duration::ZERO), (a("127.0.0.1:80"), ATTEMPT_DELAY)]);
        // Both attempts' futures are gone: the loser (its socket closed) and the winner's.
        assert_eq!(dropped, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fast_first_address_never_starts_the_second() {
        let (won, at, started, _) = run(
            &[("[::1]:80", Fake::After(Duration::from_millis(249))), ("127.0.0.1:80", Fake::Never)],
            LONG,
        )
        .await;
        assert_eq!(won, Ok(a("[::1]:80")));
        assert_eq!(at, Duration::from_millis(249));
        assert_eq!(started.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_first_address_still_wins_when_it_connects_first() {
        // The second starts at 250 ms and would take 200 more; the first
        // answers at 300 ms and wins.
        let (won, at, started, _) = run(
            &[
                ("[::1]:80", Fake::After(Duration::from_millis(300))),
                ("127.0.0.1:80", Fake::After(Duration::from_millis(200))),
            ],
            LONG,
        )
        .await;
        assert_eq!(won, Ok(a("[::1]:80")));
        assert_eq!(at, Duration::from_millis(300));
        assert_eq!(started.len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_starts_the_next_at_once() {
        let (won, at, started, _) = run(
            &[
                ("[::1]:80", Fake::RefusedAfter(Duration::from_millis(5))),
                ("127.0.0.1:80", Fake::RefusedAfter(Duration::from_millis(5))),
                ("[::2]:80", Fake::After(Duration::from_millis(5))),
            ],
            LONG,
        )
        .await;
        assert_eq!(won, Ok(a("[::2]:80")));
        assert_eq!(at, Duration::from_millis(15));
        let times: Vec<Duration> = started.iter().map(|s| s.1).collect();
        assert_eq!(times, vec![Duration::ZERO, Duration::from_millis(5), Duration::from_millis(10)]);
    }

    #[tokio::test(start_paused = true)]
    async fn every_failure_is_reported_with_its_address() {
        let (won, at, started, dropped) = run(
            &[
                ("[::1]:80", Fake::Never),
                ("127.0.0.1:80", Fake::RefusedAfter(Duration::from_millis(1))),
                ("10.0.0.1:80", Fake::Never),
            ],
            Duration::from_secs(2),
        )
        .await;
        // ::1 at 0, 127.0.0.1 at 250 (refused at 251), 10.0.0.1 at once
        // then; the per-address limit ends ::1 at 2 s and 10.0.0.1 at
        // 2.251 s.
        assert_eq!(at, Duration::from_millis(2251), "{started:?}");
        let failed = won.unwrap_err();
        assert_eq!(
            failed,
            vec![
                (a("127.0.0.1:80"), io::Error::from(io::ErrorKind::ConnectionRefused).kind().to_string()),
                (a("[::1]:80"), io::ErrorKind::TimedOut.to_string()),
                (a("10.0.0.1:80"), io::ErrorKind::TimedOut.to_string()),
            ]
        );
        assert_eq!(dropped, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn no_address_fails_at_once() {
        let (won, at, started, _) = run(&[], LONG).await;
        assert_eq!(won, Err(vec![]));
        assert_eq!(at, Duration::ZERO);
        assert!(started.is_empty());
    }
}
