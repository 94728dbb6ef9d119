//! TCP keep-alive on every connection the client opens, and the
//! retransmission bound that goes with it.
//!
//! A flow that a load balancer, NAT or firewall dropped without a word
//! delivers nothing and reports nothing. HTTP/2 finds out with its PING
//! (baton-proto's `conn/keepalive.rs`); HTTP/1.1 has no such frame, and
//! cannot tell a dead path from a slow server at the application level.
//! TCP can, because a dead path acknowledges nothing:
//!
//! - `SO_KEEPALIVE` probes a connection idle for `time`, every
//!   [`INTERVAL`], and ends it after [`RETRIES`] probes go unanswered: a
//!   pooled connection whose path died is closed (its task sees the error)
//!   before a request is handed to it. The probes also keep middleboxes'
//!   idle timers from expiring the flow in the first place (Chrome's
//!   reason, crbug.com/27400).
//! - `TCP_USER_TIMEOUT` (Linux) bounds how long written data may stay
//!   unacknowledged, which keep-alive does not cover (no probes while data
//!   waits for its ACK): without it, a request written on a connection
//!   that died a moment before waits for the kernel's retransmissions,
//!   about 15 minutes with Linux's `tcp_retries2` of 15. It is set to
//!   `time + INTERVAL × RETRIES`, the bound keep-alive gives an idle
//!   connection, so both states have the same. It also ends a connection
//!   whose peer keeps a zero window that long (Linux 5.11 and later): 30 s
//!   by default, as long as the client's own limit on a request body that
//!   makes no progress.
//!
//! Defaults, and others': 15 s idle, probes every 5 s, 3 of them, and a
//! 30 s user timeout. reqwest 0.12 has the same 15 s and 30 s (its probes
//! come every 15 s); Go probes from 15 s, every 15 s; curl from 60 s;
//! Chrome from 45 s. The proxy in baton-lab cannot show any of this: its
//! kernel acknowledges what it holds, as a live path does (`baton demo
//! --blackhole --kernel` drops packets with iptables instead).

use std::time::Duration;

use tokio::net::TcpStream;

/// Time between keep-alive probes once the first went out.
pub(crate) const INTERVAL: Duration = Duration::from_secs(5);

/// Unanswered probes before the connection is ended.
pub(crate) const RETRIES: u32 = 3;

/// Turns keep-alive on for `tcp` with probes after `time` idle, and bounds
/// unacknowledged data to the same total. Failures are logged and ignored:
/// the connection works without.
pub(crate) fn apply(tcp: &TcpStream, time: Duration) {
    let socket = socket2::SockRef::from(tcp);
    let keepalive = socket2::TcpKeepalive::new().with_time(time);
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "windows"
    ))]
    let keepalive = keepalive.with_interval(INTERVAL).with_retries(RETRIES);
    if let Err(e) = socket.set_tcp_keepalive(&keepalive) {
        tracing::debug!(error = %e, "cannot set TCP keep-alive");
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Err(e) = socket.set_tcp_user_timeout(Some(bound(time))) {
        tracing::debug!(error = %e, "cannot set TCP_USER_TIMEOUT");
    }
}

/// How long a dead connection lasts, idle or with data in flight: the idle
/// time, then every probe.
pub(crate) fn bound(time: Duration) -> Duration {
    time + INTERVAL * RETRIES
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options reach the socket, as the kernel reports them back.
    #[tokio::test]
    async fn keepalive_and_the_user_timeout_are_set() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tcp = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        apply(&tcp, Duration::from_secs(15));
        let socket = socket2::SockRef::from(&tcp);
        assert!(socket.keepalive().unwrap());
        #[cfg(target_os = "linux")]
        {
            assert_eq!(socket.tcp_keepalive_time().unwrap(), Duration::from_secs(15));
            assert_eq!(socket.tcp_keepalive_interval().unwrap(), INTERVAL);
            assert_eq!(socket.tcp_keepalive_retries().unwrap(), RETRIES);
            assert_eq!(socket.tcp_user_timeout().unwrap(), Some(Duration::from_secs(30)));
        }
    }
}
