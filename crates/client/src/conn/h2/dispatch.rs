//! The engine's events, handed to their requests and to the pool: response
//! heads and bodies to their callers, failures with their journal, SETTINGS
//! and GOAWAY to the pool, and the streams-per-connection budget's evidence.

use std::sync::atomic::Ordering;

use http::Version;
use tokio::sync::oneshot;

use baton_proto::h2::{self as proto, ConnectionState, Event, FailureCause, Reason, StreamFailure, StreamId};

use super::command::H2Release;
use super::driver::{Driver, now};
use super::pump::Upload;
use crate::conn::{BodyEvent, BodySender, Outcome, ResponseParts, body_channel};
use crate::failure::{AttemptFailure, Cause};
use crate::journal::Phase;

impl Driver {
    /// Hands the engine's events to their streams and the pool. Returns how
    /// many callers it woke with their response head, their failure, or
    /// their body's end where the end itself woke them: each may be about to
    /// send its next request. (A reader woken by the body's last data, with
    /// the end queued behind it, is not counted: the driver's yield rule was
    /// measured so, see `driver.rs`.)
    pub(super) fn dispatch_events(&mut self) -> usize {
        // The engine's state reaches the pool before any caller hears of
        // its stream's failure: a retry leased on the caller's thread must
        // not find this connection still taking streams.
        self.publish_state();
        let mut woken = 0;
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::ResponseReceived { stream_id, head } => {
                    woken += 1;
                    self.on_response(stream_id, head);
                }
                Event::DataReceived { stream_id, data } => {
                    let n = data.len();
                    let delivered = self
                        .streams
                        .get(&stream_id)
                        .and_then(|c| c.body_tx.as_ref())
                        .is_some_and(|tx| tx.send(BodyEvent::Data(data)));
                    if !delivered {
                        // Nobody will read it: give the window back and stop
                        // the stream.
                        self.conn.release_capacity(stream_id, n);
                        self.abandon(stream_id);
                    }
                }
                Event::TrailersReceived { stream_id, trailers } => {
                    if let Some(tx) = self.streams.get(&stream_id).and_then(|c| c.body_tx.as_ref()) {
                        tx.send(BodyEvent::Trailers(Box::new(trailers)));
                    }
                }
                Event::StreamEnded { stream_id } => {
                    if let Some(ctx) = self.streams.remove(&stream_id) {
                        self.keep_upload(stream_id, ctx.writable);
                        // The slot is free before the reader hears the end:
                        // told first, a reader on another worker could send
                        // its next request in between, find this connection
                        // full, and open another.
                        self.stream_done(true);
                        // The end of a body whose head came in this same turn
                        // wakes nobody: its caller was woken above.
                        if let Some(tx) = ctx.body_tx {
                            woken += usize::from(tx.send_waking(BodyEvent::End) == Some(true));
                        }
                    }
                }
                Event::StreamFailed(f) => {
                    woken += 1;
                    self.on_failed(f);
                }
                Event::Writable { stream_id } => {
                    let writable = match self.streams.get(&stream_id) {
                        Some(c) => c.writable.as_ref(),
                        None => self.uploads.get(&stream_id),
                    };
                    if let Some(w) = writable {
                        w.writable();
                    }
                }
                Event::SettingsChanged { max_concurrent_streams } => {
                    tracing::debug!(connection = self.id, max_concurrent_streams, "server SETTINGS applied");
                    let origin = &self.shared.origin;
                    self.shared.max.store(max_concurrent_streams as usize, Ordering::Release);
                    origin.max_streams.store(max_concurrent_streams as usize, Ordering::Release);
                    self.shared.ready.store(true, Ordering::Release);
                    origin.notify.notify_waiters();
                }
                Event::GoAwayReceived(g) => {
                    tracing::info!(
                        connection = self.id,
                        last_stream_id = g.last_stream_id.value(),
                        error_code = %g.error_code,
                        debug_data = %String::from_utf8_lossy(&g.debug_data),
                        open_streams = self.streams.len(),
                        "GOAWAY received; connection draining"
                    );
                    self.stats.go_away(g.error_code);
                    // Whatever its code: a server that cuts every
                    // connection at the same count (ENHANCE_YOUR_CALM
                    // after N requests as much as nginx's NO_ERROR) has a
                    // per-connection limit worth rotating before (budget.rs).
                    let opened = self.shared.opened.load(Ordering::Acquire);
                    self.shared.origin.budget.observe(g.last_stream_id.value(), opened);
                    // gRPC's keep-alive enforcement: our PINGs came too
                    // often for this server (RFC 9113 §6.7 leaves PING's
                    // rate to the peers; gRPC counts strikes). The origin's
                    // next connections ping half as often.
                    if g.error_code == Reason::ENHANCE_YOUR_CALM && &g.debug_data[..] == b"too_many_pings" {
                        let doublings = self.shared.origin.too_many_pings();
                        tracing::warn!(
                            connection = self.id,
                            doublings,
                            "GOAWAY(ENHANCE_YOUR_CALM, too_many_pings): keep-alive PINGs to this origin back off"
                        );
                    }
                }
                Event::Closed(cause) => tracing::debug!(connection = self.id, %cause, "connection closed"),
                // The server answers the expectation after all (the engine
                // let the held body go).
                Event::InformationalReceived { head, .. } if head.status == http::StatusCode::CONTINUE => {
                    self.shared.origin.set_continue_ignored(false);
                }
                Event::ContinueTimeout { stream_id } => {
                    tracing::debug!(
                        connection = self.id,
                        stream_id = stream_id.value(),
                        "no answer to Expect: 100-continue; sending the body"
                    );
                    self.shared.origin.set_continue_ignored(true);
                }
                // PING answers (keep-alive is the engine's own) and events
                // of later engine versions need nothing here.
                _ => {}
            }
        }
        // A server's RST_STREAM after a complete response stops the
        // request side without an event (RFC 9113 §8.1): the engine forgets
        // the stream, and its pump is stopped.
        if !self.uploads.is_empty() {
            let conn = &self.conn;
            self.uploads.retain(|id, _| conn.stream_phase(*id).is_some());
        }
        // What the events led to (a retired connection, say).
        self.publish_state();
        woken
    }

    /// Publishes the engine's state (and, once closed, why) for the pool.
    pub(super) fn publish_state(&mut self) {
        let state = self.conn.state();
        if state == self.shared.state.load() {
            return;
        }
        if let (Some(cause), Ok(mut slot)) = (self.conn.close_cause(), self.shared.closed_by.lock()) {
            *slot = Some(cause.clone());
        }
        if state == ConnectionState::Closed && self.conn.peer_settings_received() {
            // Whoever waits for the preface learns it came before the end.
            self.shared.ready.store(true, Ordering::Release);
        }
        // And whether the server's GOAWAY said it took streams: published
        // with the state, not with the GOAWAY's event (handled later in
        // this turn), so that a dialer on another worker never sees the
        // close without it (`pool/dial.rs`).
        if self.conn.last_go_away().is_some_and(|g| g.last_stream_id.value() > 0) {
            self.shared.served.store(true, Ordering::Release);
        }
        // Closed or reset by the other end before its preface: a server
        // that did not take the connection up. The origin's next
        // connections wait for theirs (`settings_wait.rs`), the retries of
        // this one's requests included, which lease as soon as they hear.
        if state == ConnectionState::Closed
            && !self.conn.peer_settings_received()
            && matches!(
                self.conn.close_cause(),
                Some(proto::CloseCause::Eof | proto::CloseCause::Transport(_))
            )
        {
            self.shared.origin.lost_before_preface();
        }
        self.shared.set_state(state);
    }

    /// A stream opened on this connection is over, however it ended
    /// (`answered` when its response ended): its slot is free, and the
    /// connection may have carried its last.
    pub(super) fn stream_done(&mut self, answered: bool) {
        self.shared.unreserve();
        if self.conn.state() != ConnectionState::Closed {
            self.check_limit(answered);
        }
    }

    /// Every stream this connection may carry under the origin's learned
    /// limit is done: close the connection, which takes no more streams.
    /// When the last response ended, whether the server's GOAWAY came by
    /// then is evidence for the budget (and may disprove the limit, which
    /// keeps the connection open). A last stream that failed or was
    /// abandoned says nothing: the server's GOAWAY may have been on its way.
    fn check_limit(&mut self, answered: bool) {
        let budget = &self.shared.origin.budget;
        let carried = budget.limit().is_some_and(|l| self.shared.opened.load(Ordering::Acquire) >= l);
        // `active` counts requests reserved but still on their way here too.
        if self.shared.active.load(Ordering::Acquire) > 0 || !carried {
            return;
        }
        if answered {
            budget.carried(self.conn.last_go_away().is_some());
        }
        if budget.limit().is_some() {
            self.conn.go_away(Reason::NO_ERROR, now());
            // Published before the stream's caller hears of its end, so
            // that its next request does not lease this connection.
            self.publish_state();
        } else {
            // Forgotten: this connection can take streams again.
            self.shared.origin.notify.notify_waiters();
        }
    }

    /// The response to `id` is complete; its request side may not be. A
    /// streamed body still going on is left to finish (RFC 9113 §8.1): its
    /// pump stays reachable. (A body the engine refused after a final
    /// status other than 2xx ends with the engine's reset, and the stream
    /// is gone.)
    fn keep_upload(&mut self, id: StreamId, writable: Option<Upload>) {
        // The engine keeps a stream whose response is complete only while
        // its request side is still open.
        let sending = self.conn.stream_phase(id).is_some();
        if let Some(w) = writable.filter(|_| sending) {
            self.uploads.insert(id, w);
        }
    }

    fn on_response(&mut self, id: StreamId, head: proto::ResponseHead) {
        // The caller's future holds the client, hence the pool's handle:
        // a strong sender exists while anyone waits for this head.
        let Some(cmd_tx) = self.tx.upgrade() else { return self.abandon(id) };
        let Some(ctx) = self.streams.get_mut(&id) else { return };
        let Some(respond) = ctx.respond.take() else { return };
        let (tx, rx) = body_channel(H2Release { tx: cmd_tx, id, credit: self.credit.clone() });
        ctx.body_tx = Some(tx);
        let mut attempt = ctx.attempt.clone();
        attempt.phase = Phase::ResponseHead;
        attempt.body_sent = self.conn.stream_body_sent(id).unwrap_or(0);
        attempt.go_away = self.conn.last_go_away().cloned();
        let parts = ResponseParts {
            status: head.status,
            headers: head.headers,
            version: Version::HTTP_2,
            reason: None,
            body: rx,
            attempt,
        };
        if respond.send(Outcome::Response(Box::new(parts))).is_err() {
            self.abandon(id);
        }
    }

    fn on_failed(&mut self, f: StreamFailure) {
        let Some(ctx) = self.streams.remove(&f.stream_id) else { return };
        if let FailureCause::Violation(v) = &f.cause {
            // A server that broke a rule on one stream is not given the
            // next: the connection takes no new stream (our GOAWAY,
            // RFC 9113 §6.8), its other streams finish, and a retry goes to
            // a new connection. (A limit of ours it went past is no broken
            // rule: that connection goes on.)
            if v.breaks_rule() && self.conn.state() == ConnectionState::Open {
                tracing::info!(connection = self.id, stream_id = f.stream_id.value(), violation = %v, "server broke HTTP/2 on a stream; connection retired");
                self.conn.go_away(Reason::NO_ERROR, now());
                self.publish_state();
            }
        }
        if let FailureCause::Reset(reason) = &f.cause {
            tracing::info!(connection = self.id, stream_id = f.stream_id.value(), %reason, "RST_STREAM received");
            if *reason == Reason::REFUSED_STREAM {
                self.stats.refused();
            }
        }
        let mut attempt = ctx.attempt;
        attempt.phase = f.phase;
        attempt.body_sent = f.body_sent;
        attempt.error = Some(f.to_string());
        attempt.go_away = f.go_away;
        let failure =
            AttemptFailure::new(attempt, Cause::Stream(f.cause), f.processing, ctx.first_on_connection);
        // The slot is free before the caller hears (see `StreamEnded`): a
        // retry may take it.
        self.stream_done(false);
        Self::deliver_failure(ctx.respond, ctx.body_tx, failure);
    }

    /// Gives a failure to whoever waits for the stream: the caller of the
    /// response head, or the reader of the body.
    pub(super) fn deliver_failure(
        respond: Option<oneshot::Sender<Outcome>>,
        body_tx: Option<BodySender>,
        failure: AttemptFailure,
    ) {
        match (respond, body_tx) {
            (Some(respond), _) => {
                let _ = respond.send(Outcome::Failed(Box::new(failure)));
            }
            (None, Some(tx)) => {
                tx.send(BodyEvent::Failed(Box::new(failure)));
            }
            (None, None) => {}
        }
    }

    /// The caller is gone: reset the stream and free its slot.
    pub(super) fn abandon(&mut self, id: StreamId) {
        if self.streams.remove(&id).is_some() {
            self.conn.reset(id, Reason::CANCEL, now());
            self.stream_done(false);
        }
    }

    /// Resets streams whose caller stopped waiting (timeout or drop).
    pub(super) fn reap_abandoned(&mut self) {
        let gone: Vec<StreamId> = self
            .streams
            .iter()
            .filter(|(_, c)| c.respond.as_ref().is_some_and(oneshot::Sender::is_closed))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.abandon(id);
        }
    }
}
