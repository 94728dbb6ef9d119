//! What happens when a deadline passes.

use std::time::Instant;

use super::{Connection, ConnectionState};
use crate::h2::error::{CloseCause, Deadline};
use crate::h2::frame::StreamId;
use crate::h2::timer::Timer;
use crate::h2::violation::Violation;

impl Connection {
    /// Runs every timer that is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.state == ConnectionState::Closed {
            return;
        }
        if self.timers.is_expired(Timer::SettingsAck, now) {
            // RFC 9113 §6.5.3: "If the sender of a SETTINGS frame does not
            // receive an acknowledgment within a reasonable amount of time,
            // it MAY issue a connection error of type SETTINGS_TIMEOUT."
            self.timers.stop(Timer::SettingsAck);
            return self.connection_error(Violation::SettingsNotAcknowledged);
        }
        if self.timers.is_expired(Timer::KeepAlivePing, now) {
            self.keepalive_expired(now);
            if self.state == ConnectionState::Closed {
                return;
            }
        }
        if self.timers.is_expired(Timer::Idle, now) {
            self.timers.stop(Timer::Idle);
            if self.streams.is_empty() && self.state == ConnectionState::Open {
                self.close(CloseCause::Timeout(Deadline::Idle));
                return self.send_go_away(crate::h2::frame::Reason::NO_ERROR, bytes::Bytes::new());
            }
        }
        if self.timers.is_expired(Timer::GoAwayDrain, now) {
            return self.close(CloseCause::Timeout(Deadline::GoAwayDrain));
        }
        if self.timers.is_expired(Timer::ResetExpiry, now) {
            while self.reset_streams.front().is_some_and(|(_, at)| *at <= now) {
                self.reset_streams.pop_front();
            }
            match self.reset_streams.front() {
                Some((_, at)) => self.timers.set(Timer::ResetExpiry, *at),
                None => self.timers.stop(Timer::ResetExpiry),
            }
        }
        if self.timers.is_expired(Timer::SendStall, now) {
            self.expire_stalls(now);
        }
        if self.timers.is_expired(Timer::ContinueWait, now) {
            self.expire_holds(now);
        }
    }

    /// Fails streams whose body has waited on a zero window for longer than
    /// `send_stall_timeout` (DESIGN.md §6: a zero-window stall ends in an
    /// error, never a hang) and re-arms the timer for the next one.
    fn expire_stalls(&mut self, now: Instant) {
        self.timers.stop(Timer::SendStall);
        let Some(timeout) = self.config.send_stall_timeout else { return };
        let mut expired: Vec<StreamId> = Vec::new();
        let mut next: Option<Instant> = None;
        for s in self.streams.values() {
            if let Some(since) = s.stalled_since {
                let at = since + timeout;
                if at <= now {
                    expired.push(s.id);
                } else {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
            }
        }
        expired.sort_unstable();
        for id in expired {
            self.stream_error(id, Violation::SendWindowStalled);
        }
        if let Some(at) = next {
            self.timers.set(Timer::SendStall, at);
        }
    }
}
