//! The connection's timers: an enum indexing a fixed array. The engine never
//! reads a clock; the caller asks `poll_timeout` and calls `handle_timeout`.

use std::time::Instant;

/// One kind of deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// No open stream for `idle_timeout`.
    Idle = 0,
    /// Time to send a keep-alive PING, or (while one is out) its deadline.
    KeepAlivePing = 1,
    /// Our SETTINGS must be acknowledged by then (RFC 9113 §6.5.3).
    SettingsAck = 2,
    /// After our GOAWAY, the remaining streams must be done by then.
    GoAwayDrain = 3,
    /// The oldest remembered reset stream can be forgotten.
    ResetExpiry = 4,
    /// A stream with queued body has waited on a zero window since then.
    SendStall = 5,
    /// The earliest deadline of a body held for `100 (Continue)`.
    ContinueWait = 6,
}

const COUNT: usize = 7;

/// Deadlines by [`Timer`].
#[derive(Debug, Default, Clone)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; COUNT],
}

impl Timer {
    /// Every timer, to stop them all.
    pub(crate) const ALL: [Self; COUNT] = [
        Self::Idle,
        Self::KeepAlivePing,
        Self::SettingsAck,
        Self::GoAwayDrain,
        Self::ResetExpiry,
        Self::SendStall,
        Self::ContinueWait,
    ];
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.data[timer as usize] = None;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.data[timer as usize]
    }

    pub(crate) fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }

    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.data.iter().filter_map(|&t| t).min()
    }
}
