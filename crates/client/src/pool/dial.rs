//! Opening a connection for the pool: the transport, then for HTTP/2 the
//! wait for the server's SETTINGS (its preface), with what each way of
//! failing means for a retry. Where the client's [`SettingsWait`] lets
//! requests go before the preface, the connection joins the pool at once,
//! for those requests only (`settings_wait.rs`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::Instant;

use baton_proto::h2 as proto;

use super::origins::{OriginPool, Speaks};
use crate::conn::h1::H1Conn;
use crate::conn::h2::{self, H2Handle};
use crate::conn::shutdown::Shutdown;
use crate::connect::{Connector, Protocol, Transport};
use crate::error::{Error, Kind};
use crate::origin::Origin;
use crate::settings_wait::SettingsWait;
use crate::spread::Spread;
use crate::stats::Counters;
use crate::timeouts::TimeoutKind;

/// What a new connection needs from the pool.
pub(super) struct Dial<'a> {
    pub(super) connector: &'a Connector,
    pub(super) idle_timeout: Duration,
    pub(super) h2_config: &'a proto::Config,
    pub(super) settings_wait: SettingsWait,
    pub(super) stats: &'a Arc<Counters>,
    /// Counts the new connection's task; once the client is shutting down,
    /// a connection that opens late is told so at once.
    pub(super) shutdown: &'a Arc<Shutdown>,
    /// How streams are spread (`spread.rs`).
    pub(super) spread: Spread,
}

/// A new connection.
pub(super) enum Opened {
    H1(H1Conn),
    /// Running, with the server's SETTINGS in, and in the origin's pool;
    /// or already rotated by the server after serving the requests that
    /// went on it early (then found closed, and looked past).
    H2(H2Handle),
}

impl Dial<'_> {
    pub(super) async fn open(
        &self,
        origin: &Origin,
        op: &OriginPool,
        force_h1: bool,
        id: u64,
        early: bool,
    ) -> Result<Opened, Error> {
        let shared = op.shared.clone();
        let on_rejection = Box::new(move |why| shared.tls_rejected(id, why));
        // The addresses of the origin's open connections: a new one goes
        // to the least used first.
        let busy: Vec<SocketAddr> =
            op.lock().h2.iter().filter(|h| h.is_open()).filter_map(H2Handle::peer).collect();
        let Transport { io, protocol, forward, tls_version, peer } =
            self.connector.connect(origin, force_h1, on_rejection, &busy).await?;
        self.stats.connection_opened();
        tracing::debug!(connection = id, %origin, ?protocol, "connection opened");
        if protocol == Protocol::H1 {
            let mut conn = H1Conn::spawn(id, io, forward, self.idle_timeout, self.shutdown.start());
            conn.tls_version = tls_version;
            return Ok(Opened::H1(conn));
        }
        let mut config = self.h2_config.clone();
        // Slower after a server complained of too many PINGs.
        config.keepalive_interval = op.shared.keepalive_interval(config.keepalive_interval);
        let known = op.shared.max_streams.load(Ordering::Acquire);
        if known > 0 {
            config.initial_max_concurrent_streams = u32::try_from(known).unwrap_or(u32::MAX);
        }
        let mut handle =
            h2::spawn(io, id, config, op.shared.clone(), self.stats.clone(), self.shutdown.start());
        handle.tls_version = tls_version;
        let retire_at =
            self.spread.age_limit(crate::retry::jitter()).and_then(|a| Instant::now().checked_add(a));
        handle.set_peer(peer, retire_at);
        if let Some(deadline) = self.shutdown.deadline() {
            handle.shutdown(deadline);
        }
        // RFC 9113 §3.4 lets streams go right after the client's preface;
        // the policy says for which requests, and when: a server known to
        // speak HTTP/2 (ALPN said h2, or an earlier connection got its
        // SETTINGS; h2c prior knowledge to a server that is not HTTP/2 is
        // then a connect error, with nothing sent), and no connection to
        // the origin closed before its preface of late.
        let h2_known = origin.tls || known > 0;
        let lost = op.shared.lost_before_preface_within(SettingsWait::WAIT_AFTER_LOSS);
        let pooled_early = self.settings_wait.early_connection(h2_known, lost);
        if pooled_early {
            handle.allow_early();
            Self::pool(op, &handle);
            if early {
                return Ok(Opened::H2(handle));
            }
        }
        // The connection counts once the server's preface arrived (see
        // `H2Shared::ready`); a connection that dies first is a connect
        // error, and nothing was sent on it.
        let limit = self.connector.connect_timeout;
        let ready = tokio::time::timeout(limit, handle.ready()).await;
        if pooled_early && !matches!(ready, Ok(Ok(()))) {
            // Early requests may still hold it: it closes, and they fail
            // with its cause.
            handle.shutdown(Instant::now());
        }
        // The server refused the connection at the TLS layer after the
        // handshake (a rejected client certificate, TLS 1.3): a new
        // connection would meet the same refusal, so not `transient`.
        if let (Ok(Err(_)), Some(why)) = (&ready, op.shared.tls_rejection(id)) {
            return Err(Error::new(Kind::Connect, format!("TLS with {origin} failed: {why}")).tls());
        }
        match ready {
            Ok(Ok(())) => {}
            // The server took the connection up, served requests that went
            // on it early, and rotated it (GOAWAY(NO_ERROR) with a last
            // stream id above 0, then the last stream done: RFC 9113 §6.8)
            // before this request looked: the connection was found full,
            // not a failure to connect, and nothing of this request was
            // sent. `connect`'s caller finds it closed and looks again,
            // without spending an attempt. Only an orderly rotation after
            // serving others: a server that breaks, refuses or sends away
            // (last stream id 0) every new connection still fails the
            // attempt, and so meets the attempt cap and the back-off.
            Ok(Err(h2::NotReady {
                cause: Some(proto::CloseCause::Drained),
                after_settings: true,
                served: true,
            })) if self.shutdown.deadline().is_none() => {
                tracing::debug!(connection = id, %origin, "connection used up by early requests before this one");
                return Ok(Opened::H2(handle));
            }
            Ok(Err(h2::NotReady { cause, after_settings, .. })) => {
                let said = |what: &str| match &cause {
                    Some(cause) => format!("{origin} {what}: {cause}"),
                    None => format!("{origin} {what}"),
                };
                let closed = if after_settings {
                    "closed the connection right after its HTTP/2 preface"
                } else {
                    "closed the connection before its HTTP/2 preface"
                };
                return Err(match &cause {
                    // The engine's own SETTINGS timer (RFC 9113 §6.5.3) ran
                    // out first: the server said nothing.
                    Some(
                        proto::CloseCause::Timeout(_)
                        | proto::CloseCause::Violation(proto::Violation::SettingsNotAcknowledged),
                    ) => Error::timeout(TimeoutKind::Connect, said("sent no HTTP/2 SETTINGS in time")),
                    // What the server sent broke HTTP/2 (it answered in
                    // HTTP/1.x, or its first frame was not SETTINGS, §3.4):
                    // a new connection would get the same.
                    Some(proto::CloseCause::Violation(v)) => {
                        Error::new(Kind::Connect, said(closed)).with_violation(v.clone())
                    }
                    // A close or a reset: maybe a listener going away, worth
                    // another try.
                    _ => Error::new(Kind::Connect, said(closed)).transient(),
                });
            }
            Err(_) => {
                return Err(Error::timeout(
                    TimeoutKind::Connect,
                    format!("{origin} sent no HTTP/2 SETTINGS within {limit:?}"),
                ));
            }
        }
        if !pooled_early {
            Self::pool(op, &handle);
        }
        // Those waiting for a stream that may not go early can now.
        op.shared.notify.notify_waiters();
        Ok(Opened::H2(handle))
    }

    /// Offers `handle` to the origin's requests.
    fn pool(op: &OriginPool, handle: &H2Handle) {
        let mut st = op.lock();
        st.speaks = Speaks::H2;
        st.h2.push(handle.clone());
        drop(st);
        op.shared.notify.notify_waiters();
    }
}
