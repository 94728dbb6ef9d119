//! The scenarios' hooks into the HTTP/2 connection: where each real server's
//! shutdown behaviour departs from the plain protocol. Every hook is a no-op
//! for `Scenario::Normal`.

use tokio::sync::watch;
use tokio::time::Instant;

use baton_proto::h2::frame::{GoAway, Ping, Reason, Settings, StreamId};

use super::conn::{MAX_CONCURRENT, ServerConn};
use crate::context::ConnInfo;
use crate::scenario::{DisconnectPoint, Scenario};

/// PING payload of the drain probe between the two GOAWAYs.
const DRAIN_PING: [u8; 8] = *b"drain-me";

/// What to do once a GOAWAY'd connection has no stream left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Then {
    /// FIN with a lingering close.
    Close,
    /// Nothing: the socket stays open (silent-goaway).
    StayOpen,
}

/// A second GOAWAY that is still to come (double GOAWAY, RFC 9113 §6.8).
#[derive(Debug, Clone, Copy)]
enum Second {
    /// After the ACK of our PING, or at the deadline.
    OnPingAck(Instant),
    /// At the deadline.
    At(Instant),
}

#[derive(Debug)]
pub(super) struct Behaviour {
    scenario: Scenario,
    reload: Option<watch::Receiver<u64>>,
    pub(super) client_went_away: bool,
    /// The lowest last_stream_id we have sent; HEADERS above it are ignored.
    go_away_last: Option<StreamId>,
    then: Option<Then>,
    second: Option<Second>,
    /// gRPC: connection age limit, then the grace deadline.
    age_at: Option<Instant>,
    grace_at: Option<Instant>,
    /// ALB: idle deadline.
    idle_at: Option<Instant>,
    /// The concurrency limit now enforced (max-streams-shrink).
    limit: u32,
    /// disconnect at=mid-request-body: the stream to cut at its first DATA.
    cut_body: Option<StreamId>,
}

impl Behaviour {
    pub(super) fn new(scenario: &Scenario, max_concurrent: Option<u32>, _info: ConnInfo) -> Self {
        let limit = match scenario {
            Scenario::MaxStreamsShrink { initial, .. } => *initial,
            _ => max_concurrent.unwrap_or(MAX_CONCURRENT),
        };
        Self {
            scenario: *scenario,
            reload: None,
            client_went_away: false,
            go_away_last: None,
            then: None,
            second: None,
            age_at: None,
            grace_at: None,
            idle_at: None,
            limit,
            cut_body: None,
        }
    }

    pub(super) fn initial_max_concurrent(&self) -> u32 {
        self.limit
    }

    pub(super) fn watches_reload(&self) -> bool {
        self.reload.is_some()
    }

    /// Resolves when the server is reloaded.
    pub(super) async fn reloaded(&mut self) {
        match self.reload.as_mut() {
            Some(rx) => {
                if rx.changed().await.is_err() {
                    self.reload = None;
                }
            }
            None => std::future::pending().await,
        }
    }

    pub(super) fn deadline(&self) -> Option<Instant> {
        let second = self.second.map(|s| match s {
            Second::OnPingAck(at) | Second::At(at) => at,
        });
        [second, self.age_at, self.grace_at, self.idle_at].into_iter().flatten().min()
    }
}

impl ServerConn {
    /// Sends GOAWAY (never raising an id already sent, §6.8) and records it.
    fn go_away(&mut self, last: StreamId, code: Reason, then: Then) {
        let last = self.behaviour.go_away_last.map_or(last, |prev| prev.min(last));
        GoAway { last_stream_id: last, error_code: code, debug_data: bytes::Bytes::new() }
            .encode(&mut self.buf);
        self.shared.ledger.go_away();
        self.behaviour.go_away_last = Some(last);
        self.behaviour.then = Some(then);
    }

    /// The first of two GOAWAYs: 2^31-1, nothing refused yet.
    fn first_go_away(&mut self, second: Second) {
        GoAway {
            last_stream_id: StreamId::MAX,
            error_code: Reason::NO_ERROR,
            debug_data: bytes::Bytes::new(),
        }
        .encode(&mut self.buf);
        self.shared.ledger.go_away();
        if let Second::OnPingAck(_) = second {
            Ping { ack: false, payload: DRAIN_PING }.encode(&mut self.buf);
        }
        self.behaviour.second = Some(second);
    }

    fn second_go_away(&mut self) {
        self.behaviour.second = None;
        self.go_away(self.highest, Reason::NO_ERROR, Then::Close);
        if self.streams.is_empty() {
            self.close_gracefully();
        }
    }

    pub(super) fn behaviour_on_start(&mut self) {
        let now = Instant::now();
        match self.behaviour.scenario {
            Scenario::NodeClose { connections } if self.info.ordinal <= u64::from(connections) => {
                // Node's session.close(): GOAWAY with last_stream_id 0.
                self.go_away(StreamId::ZERO, Reason::NO_ERROR, Then::Close);
                self.close_gracefully();
            }
            Scenario::GrpcMaxAge { max_age, .. } => self.behaviour.age_at = Some(now + max_age),
            Scenario::NginxReload { .. } => self.behaviour.reload = Some(self.shared.reload.subscribe()),
            Scenario::Disconnect { at: DisconnectPoint::BeforeHead, after: 1 } => self.close_gracefully(),
            _ => {}
        }
    }

    /// Decides whether a new stream is served. `false` means it was refused
    /// or ignored here. `request_id` is the request's `x-request-id`.
    pub(super) fn behaviour_admit(
        &mut self,
        id: StreamId,
        end_stream: bool,
        request_id: Option<&str>,
    ) -> bool {
        self.behaviour.idle_at = None;
        // §6.8: streams above the last_stream_id we sent are ignored.
        if self.behaviour.go_away_last.is_some_and(|last| id > last) || self.lingering.is_some() {
            self.shared.ledger.ignored();
            return false;
        }
        // RFC 9113 §5.1.2: a stream beyond the advertised
        // SETTINGS_MAX_CONCURRENT_STREAMS is refused (REFUSED_STREAM).
        if self.streams.len() as u32 >= self.behaviour.limit {
            self.refuse(id);
            // A refused stream is not a request the server handled, so it
            // does not count towards the scenario's triggers.
            self.requests -= 1;
            return false;
        }
        let n = self.requests;
        match self.behaviour.scenario {
            Scenario::Http11Required => {
                self.go_away(StreamId::ZERO, Reason::HTTP_1_1_REQUIRED, Then::Close);
                self.shared.ledger.ignored();
                self.close_gracefully();
                return false;
            }
            Scenario::RefusedStream { every, above } => {
                // A request that carries an id is refused by the every-N-th
                // rule once at most: otherwise its retries could land on
                // N-th streams again and, by chance, use up its attempts.
                // (S14 is the scenario for the attempt cap.)
                let nth = every > 0
                    && n.is_multiple_of(every)
                    && request_id.is_none_or(|r| self.shared.ledger.first_refusal(r));
                let over = above > 0 && self.streams.len() as u32 >= above;
                if nth || over {
                    self.refuse(id);
                    return false;
                }
            }
            Scenario::Disconnect { at, after } if n == after => match at {
                DisconnectPoint::AfterHead | DisconnectPoint::BeforeHead => {
                    self.shared.ledger.ignored();
                    self.disconnect_now();
                    return false;
                }
                DisconnectPoint::MidRequestBody if end_stream => {
                    self.shared.ledger.ignored();
                    self.disconnect_now();
                    return false;
                }
                DisconnectPoint::MidRequestBody => self.behaviour.cut_body = Some(id),
                DisconnectPoint::MidResponse => {}
            },
            Scenario::GoawayThenRst { after } if n == after => {
                self.go_away(id, Reason::NO_ERROR, Then::Close);
                // Everything not yet answered is dropped unprocessed.
                for _ in 0..=self.streams.len() {
                    self.shared.ledger.ignored();
                }
                self.streams.clear();
                self.abort = true;
                return false;
            }
            Scenario::NginxRotate { requests } if n == requests => {
                self.go_away(id, Reason::NO_ERROR, Then::Close);
            }
            Scenario::GoShutdown { after } | Scenario::SlowDrain { after } if n == after => {
                self.go_away(id, Reason::NO_ERROR, Then::Close);
            }
            Scenario::SilentGoaway { after } if n == after => {
                self.go_away(id, Reason::NO_ERROR, Then::StayOpen);
            }
            Scenario::GoawayError { after, code } if n == after => self.go_away(id, code, Then::Close),
            Scenario::EnvoyDrain { after, ack_timeout } if n == after => {
                self.first_go_away(Second::OnPingAck(Instant::now() + ack_timeout));
            }
            Scenario::H2oShutdown { after, delay } if n == after => {
                self.first_go_away(Second::At(Instant::now() + delay));
            }
            Scenario::MaxStreamsShrink { shrunk, after, .. } if n == after => {
                Settings { max_concurrent_streams: Some(shrunk), ..Settings::default() }
                    .encode(&mut self.buf);
                self.behaviour.limit = shrunk;
            }
            _ => {}
        }
        true
    }

    fn refuse(&mut self, id: StreamId) {
        // RFC 9113 §8.7: REFUSED_STREAM means "not processed at all".
        baton_proto::h2::frame::RstStream { stream_id: id, reason: Reason::REFUSED_STREAM }
            .encode(&mut self.buf);
        self.shared.ledger.refused();
    }

    /// Marks the triggering stream of `disconnect at=mid-response`.
    pub(super) fn behaviour_after_admit(&mut self, id: StreamId) {
        if let Scenario::Disconnect { at: DisconnectPoint::MidResponse, after } = self.behaviour.scenario
            && self.requests == after
            && let Some(st) = self.streams.get_mut(&id)
        {
            st.cut_after = Some(0);
        }
    }

    /// `disconnect` (no GOAWAY): FIN now, but after the responses already
    /// made for earlier streams (as far as the flow-control windows allow).
    /// `pack` writes nothing once the connection lingers, so without this the
    /// streams read in the same batch as the trigger lost their bodies.
    fn disconnect_now(&mut self) {
        self.pack();
        self.close_gracefully();
    }

    /// Request body bytes arrived; true when the connection was cut.
    pub(super) fn behaviour_on_body(&mut self, id: StreamId, _received: usize) -> bool {
        if self.behaviour.cut_body == Some(id) {
            self.shared.ledger.ignored();
            self.streams.remove(&id);
            self.disconnect_now();
            return true;
        }
        false
    }

    /// No stream is left open.
    pub(super) fn behaviour_on_idle(&mut self) {
        if self.behaviour.client_went_away {
            return self.close_gracefully();
        }
        if self.behaviour.second.is_none() {
            match self.behaviour.then {
                Some(Then::Close) => return self.close_gracefully(),
                Some(Then::StayOpen) | None => {}
            }
        }
        match self.behaviour.scenario {
            Scenario::AlbIdle { after, idle } if self.requests >= after => {
                self.behaviour.idle_at = Some(Instant::now() + idle);
            }
            Scenario::Disconnect { at: DisconnectPoint::BeforeHead, after } if self.requests + 1 == after => {
                self.close_gracefully();
            }
            _ => {}
        }
    }

    pub(super) fn behaviour_on_settings_ack(&mut self) {}

    pub(super) fn behaviour_on_ping_ack(&mut self, payload: [u8; 8]) {
        if payload == DRAIN_PING && matches!(self.behaviour.second, Some(Second::OnPingAck(_))) {
            self.second_go_away();
        }
    }

    pub(super) fn on_timer(&mut self) {
        let now = Instant::now();
        let due = |at: Option<Instant>| at.is_some_and(|t| t <= now);
        let second_due = match self.behaviour.second {
            Some(Second::OnPingAck(at) | Second::At(at)) => at <= now,
            None => false,
        };
        if second_due {
            self.second_go_away();
        }
        if due(self.behaviour.age_at) {
            self.behaviour.age_at = None;
            if let Scenario::GrpcMaxAge { grace, .. } = self.behaviour.scenario {
                self.first_go_away(Second::OnPingAck(now + std::time::Duration::from_secs(1)));
                self.behaviour.grace_at = Some(now + grace);
            }
        }
        if due(self.behaviour.grace_at) {
            // MAX_CONNECTION_AGE_GRACE is over: whatever is open is cut.
            self.behaviour.grace_at = None;
            self.close_gracefully();
        }
        if due(self.behaviour.idle_at) {
            self.behaviour.idle_at = None;
            if self.streams.is_empty() {
                self.go_away(self.highest, Reason::NO_ERROR, Then::Close);
                self.close_gracefully();
            }
        }
    }

    pub(super) fn on_reload(&mut self) {
        if self.behaviour.go_away_last.is_none() {
            self.go_away(self.highest, Reason::NO_ERROR, Then::Close);
            if self.streams.is_empty() {
                self.close_gracefully();
            }
        }
    }
}
