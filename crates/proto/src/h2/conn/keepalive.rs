//! Keep-alive PINGs: how a connection that went silent is found dead.
//!
//! RFC 9113 §6.7 gives PING for "determining whether an idle connection is
//! still functional". A connection a load balancer dropped silently (a
//! blackhole) delivers nothing and reports no error: without a PING, its
//! requests wait for their own deadlines, and the pool keeps handing it out.
//! The policy, set by [`Config`](crate::h2::Config)'s `keepalive_*` fields:
//!
//! - **The clock is silence.** A PING goes out once nothing at all has
//!   arrived for `keepalive_interval`. Any byte from the server proves the
//!   connection alive, so it lifts an outstanding PING's deadline as its
//!   ACK would (as .NET's and Chrome's checks do: "any frame received"):
//!   an ACK stuck behind a large response must not end a healthy
//!   connection. A busy connection therefore never pings.
//! - **Only while streams are open**, unless `keepalive_while_idle`. An idle
//!   connection costs nothing; one that has been silent for longer than
//!   the interval gets its PING the moment a request opens a stream on it,
//!   with the request (Chrome checks a connection "at risk of loss" the
//!   same way before reusing it).
//! - **`keepalive_timeout` after a PING with nothing received**, the
//!   connection closes (`CloseCause::Timeout(Deadline::KeepAlive)`): its
//!   streams fail with their verdicts (`MaybeProcessed` once a head was
//!   written: no GOAWAY proves otherwise) and are retried as the rules allow.
//! - **Gentle with servers that count PINGs.** gRPC servers treat a PING
//!   that comes within 5 minutes of the previous one, with no HEADERS or
//!   DATA sent in between, as a strike, and after 2 strikes close the
//!   connection with GOAWAY(ENHANCE_YOUR_CALM, "too_many_pings") (gRPC's
//!   `doc/keepalive.md`: `MIN_RECV_PING_INTERVAL_WITHOUT_DATA` 5 min,
//!   `MAX_PING_STRIKES` 2; gRPC's own clients send at most
//!   `MAX_PINGS_WITHOUT_DATA` = 2). So after `keepalive_max_pings_without_data`
//!   PINGs with no HEADERS or DATA received, the interval becomes at least
//!   5 minutes (`QUIET_INTERVAL`): a silent long poll costs one strike, never three.

use std::time::{Duration, Instant};

use super::Connection;
use crate::h2::error::{CloseCause, Deadline};
use crate::h2::frame::Ping;
use crate::h2::timer::Timer;

/// The least time between keep-alive PINGs once
/// `keepalive_max_pings_without_data` went out with no HEADERS or DATA
/// received: gRPC's `GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS`
/// default, below which its servers count a strike.
pub(crate) const QUIET_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// Where the keep-alive stands.
#[derive(Debug)]
pub(super) struct KeepAlive {
    /// When bytes last arrived (the connection's start before any).
    last_received: Instant,
    /// Our last keep-alive PING's payload, until its ACK (which is then
    /// not reported as an event).
    unacked: Option<[u8; 8]>,
    /// While a keep-alive PING waits with nothing received since it went
    /// out: when the connection is declared dead.
    deadline: Option<Instant>,
    /// Keep-alive PINGs sent since HEADERS or DATA last arrived.
    without_data: u32,
    /// Makes each PING's payload unique.
    counter: u64,
}

impl KeepAlive {
    pub(super) fn new(now: Instant) -> Self {
        Self { last_received: now, unacked: None, deadline: None, without_data: 0, counter: 0 }
    }
}

impl Connection {
    /// Bytes arrived: the connection is alive.
    pub(super) fn keepalive_heard(&mut self) {
        self.keepalive.last_received = self.now;
        self.keepalive.deadline = None;
        self.arm_keepalive();
    }

    /// HEADERS or DATA arrived: the server is doing more than answering
    /// PINGs.
    pub(super) fn keepalive_data(&mut self) {
        if self.keepalive.without_data > 0 {
            self.keepalive.without_data = 0;
            self.arm_keepalive();
        }
    }

    /// A PING ACK arrived; true when it answers our keep-alive PING (and is
    /// then not the application's business).
    pub(super) fn keepalive_acked(&mut self, payload: [u8; 8]) -> bool {
        if self.keepalive.unacked != Some(payload) {
            return false;
        }
        self.keepalive.unacked = None;
        self.keepalive.deadline = None;
        self.arm_keepalive();
        true
    }

    /// Sets the keep-alive timer: the outstanding PING's deadline, or when
    /// the next PING is due, or nothing (no interval configured, or an idle
    /// connection that is not pinged while idle). Called whenever one of
    /// those inputs changes: bytes received, an ACK, a stream opened or the
    /// last one gone.
    pub(super) fn arm_keepalive(&mut self) {
        if let Some(deadline) = self.keepalive.deadline {
            return self.timers.set(Timer::KeepAlivePing, deadline);
        }
        let Some(interval) = self.config.keepalive_interval else {
            return self.timers.stop(Timer::KeepAlivePing);
        };
        if self.streams.is_empty() && !self.config.keepalive_while_idle {
            return self.timers.stop(Timer::KeepAlivePing);
        }
        let max = self.config.keepalive_max_pings_without_data;
        let interval = if max > 0 && self.keepalive.without_data >= max {
            interval.max(QUIET_INTERVAL)
        } else {
            interval
        };
        self.timers.set(Timer::KeepAlivePing, self.keepalive.last_received + interval);
    }

    /// The keep-alive timer passed: the connection is dead if a PING went
    /// unanswered, otherwise a PING goes out.
    pub(super) fn keepalive_expired(&mut self, now: Instant) {
        self.timers.stop(Timer::KeepAlivePing);
        if self.keepalive.deadline.is_some_and(|d| d <= now) {
            return self.close(CloseCause::Timeout(Deadline::KeepAlive));
        }
        if self.streams.is_empty() && !self.config.keepalive_while_idle {
            return;
        }
        self.keepalive.counter += 1;
        let payload = self.keepalive.counter.to_be_bytes();
        Ping { ack: false, payload }.encode(&mut self.write_buf);
        self.keepalive.unacked = Some(payload);
        self.keepalive.deadline = Some(now + self.config.keepalive_timeout);
        self.keepalive.without_data += 1;
        self.arm_keepalive();
    }
}
