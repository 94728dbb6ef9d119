//! What a scenario makes one HTTP/1.1 connection do, decided per request
//! (counts are per connection, 1-based: request `n` is the n-th on it).
//! HTTP/2-only scenarios serve normally here.

use tokio::sync::watch;

use crate::scenario::{DisconnectPoint, Scenario};

/// Before reading request `n`'s head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Idle {
    /// Read and serve it.
    Serve,
    /// Close gracefully now (`nginx-reload` on an idle connection).
    Close,
    /// Drop the connection now (`disconnect at=before-head`).
    Drop,
    /// Drop it when the next request's first bytes arrive (`keepalive-race`).
    DropOnArrival,
}

/// After request `n`'s head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Head {
    /// Read the body and process it.
    Process,
    /// Drop the connection now (`disconnect at=after-head`).
    Drop,
    /// Read part of the body, then drop (`disconnect at=mid-request-body`).
    DropMidBody,
}

/// How to answer request `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Reply {
    /// Close the connection after this response.
    pub(super) close: bool,
    /// Say so with `Connection: close` (RFC 9112 §9.6).
    pub(super) announce: bool,
    /// Write the head and about half the body, then drop the connection
    /// (`disconnect at=mid-response`).
    pub(super) cut: bool,
}

/// The scenario as one connection sees it.
#[derive(Debug)]
pub(super) struct Policy {
    scenario: Scenario,
    /// Reload notifications, for `nginx-reload` only.
    reload: Option<watch::Receiver<u64>>,
}

impl Policy {
    /// The policy for a connection accepted now: reloads before this
    /// moment do not concern it (it belongs to the "new workers").
    pub(super) fn new(scenario: &Scenario, reload: &watch::Sender<u64>) -> Self {
        let reload = matches!(scenario, Scenario::NginxReload { .. }).then(|| reload.subscribe());
        Self { scenario: *scenario, reload }
    }

    /// The reload notifications to watch while idle.
    pub(super) fn reload(&mut self) -> Option<&mut watch::Receiver<u64>> {
        self.reload.as_mut()
    }

    /// True once a reload happened since the connection was accepted.
    fn reloaded(&self) -> bool {
        self.reload.as_ref().is_some_and(|r| r.has_changed().unwrap_or(false))
    }

    /// Before request `n`; `buffered` when some of it was already read (a
    /// connection with a request under way is busy, not idle).
    pub(super) fn idle(&self, n: u32, buffered: bool) -> Idle {
        match self.scenario {
            Scenario::NginxReload { .. } if !buffered && self.reloaded() => Idle::Close,
            Scenario::Disconnect { at: DisconnectPoint::BeforeHead, after } if n >= after => Idle::Drop,
            Scenario::KeepaliveRace { requests } if n > requests => Idle::DropOnArrival,
            _ => Idle::Serve,
        }
    }

    /// After request `n`'s head.
    pub(super) fn head(&self, n: u32) -> Head {
        match self.scenario {
            Scenario::Disconnect { at: DisconnectPoint::AfterHead, after } if n == after => Head::Drop,
            Scenario::Disconnect { at: DisconnectPoint::MidRequestBody, after } if n == after => {
                Head::DropMidBody
            }
            _ => Head::Process,
        }
    }

    /// The answer to request `n`, decided just before its head is written;
    /// `persist` when the client (and the response framing) allow the
    /// connection to continue.
    pub(super) fn reply(&self, n: u32, persist: bool) -> Reply {
        let mut reply = match self.scenario {
            Scenario::NginxRotate { requests } if n >= requests => {
                Reply { close: true, announce: true, cut: false }
            }
            Scenario::ConnectionClose { requests, header } if n >= requests => {
                Reply { close: true, announce: header, cut: false }
            }
            Scenario::NginxReload { .. } if self.reloaded() => {
                Reply { close: true, announce: true, cut: false }
            }
            Scenario::Disconnect { at: DisconnectPoint::MidResponse, after } if n == after => {
                Reply { close: true, announce: false, cut: true }
            }
            _ => Reply::default(),
        };
        if !persist && !reply.cut {
            // RFC 9112 §9.6: close after the response, and say so.
            reply.close = true;
            reply.announce = true;
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(s: Scenario) -> (Policy, watch::Sender<u64>) {
        let tx = watch::Sender::new(0);
        (Policy::new(&s, &tx), tx)
    }

    const KEEP: Reply = Reply { close: false, announce: false, cut: false };
    const CLOSE: Reply = Reply { close: true, announce: true, cut: false };

    #[test]
    fn normal_and_http2_only_scenarios_serve() {
        for s in [Scenario::Normal, Scenario::GoShutdown { after: 1 }, Scenario::Http11Required] {
            let (p, _) = policy(s);
            for n in 1..5 {
                assert_eq!(
                    (p.idle(n, false), p.head(n), p.reply(n, true)),
                    (Idle::Serve, Head::Process, KEEP)
                );
            }
            assert_eq!(p.reply(1, false), CLOSE);
        }
    }

    #[test]
    fn closing_scenarios_close_on_their_request() {
        let (p, _) = policy(Scenario::NginxRotate { requests: 2 });
        assert_eq!((p.reply(1, true), p.reply(2, true)), (KEEP, CLOSE));
        let (p, _) = policy(Scenario::ConnectionClose { requests: 2, header: false });
        assert_eq!(p.reply(2, true), Reply { close: true, announce: false, cut: false });
        assert_eq!(p.reply(2, false), CLOSE);
        let (p, _) = policy(Scenario::KeepaliveRace { requests: 2 });
        assert_eq!((p.idle(2, false), p.idle(3, false)), (Idle::Serve, Idle::DropOnArrival));
    }

    #[test]
    fn disconnects_happen_where_told() {
        let at = |at| policy(Scenario::Disconnect { at, after: 2 }).0;
        let p = at(DisconnectPoint::BeforeHead);
        assert_eq!((p.idle(1, false), p.idle(2, false)), (Idle::Serve, Idle::Drop));
        let p = at(DisconnectPoint::AfterHead);
        assert_eq!((p.head(1), p.head(2)), (Head::Process, Head::Drop));
        let p = at(DisconnectPoint::MidRequestBody);
        assert_eq!(p.head(2), Head::DropMidBody);
        let p = at(DisconnectPoint::MidResponse);
        assert_eq!(p.reply(1, true), KEEP);
        assert!(p.reply(2, true).cut);
    }

    #[test]
    fn reload_closes_idle_connections_and_announces_on_busy_ones() {
        let (p, tx) = policy(Scenario::NginxReload { after: 0 });
        assert_eq!((p.idle(1, false), p.reply(1, true)), (Idle::Serve, KEEP));
        tx.send_modify(|g| *g += 1);
        assert_eq!((p.idle(2, false), p.idle(2, true), p.reply(2, true)), (Idle::Close, Idle::Serve, CLOSE));
        // A connection accepted after the reload is a new worker's.
        let p = Policy::new(&Scenario::NginxReload { after: 0 }, &tx);
        assert_eq!((p.idle(1, false), p.reply(1, true)), (Idle::Serve, KEEP));
    }
}
