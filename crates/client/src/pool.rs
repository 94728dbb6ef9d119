//! The connection pool (DESIGN.md §4): per origin, HTTP/2 connections
//! multiplexed up to the server's SETTINGS_MAX_CONCURRENT_STREAMS, more
//! connections when all are full, draining connections never given new
//! streams, and a replacement opened as soon as one starts draining.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use baton_proto::h2 as proto;

use crate::conn::h2::{self, H2Handle};
use crate::connect::{Connector, Origin, Protocol};
use crate::error::{Error, Kind};
use crate::stats::Counters;

/// A stream slot on a connection, reserved for one attempt.
pub(crate) struct Lease {
    pub(crate) handle: H2Handle,
    pub(crate) reused: bool,
}

#[derive(Default)]
struct OriginState {
    h2: Vec<H2Handle>,
    connecting: usize,
    /// The server said HTTP_1_1_REQUIRED (DESIGN.md §3 rule 5).
    http1: bool,
}

struct OriginPool {
    notify: Arc<Notify>,
    state: Mutex<OriginState>,
}

pub(crate) struct Pool {
    origins: Mutex<HashMap<Origin, Arc<OriginPool>>>,
    connector: Connector,
    h2_config: proto::Config,
    max_per_origin: usize,
    next_id: AtomicU64,
    stats: Arc<Counters>,
}

impl Pool {
    pub(crate) fn new(
        connector: Connector,
        h2_config: proto::Config,
        max_per_origin: usize,
        stats: Arc<Counters>,
    ) -> Self {
        Self {
            origins: Mutex::new(HashMap::new()),
            connector,
            h2_config,
            max_per_origin: max_per_origin.max(1),
            next_id: AtomicU64::new(1),
            stats,
        }
    }

    fn origin(&self, origin: &Origin) -> Arc<OriginPool> {
        let mut map = self.origins.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(origin.clone())
            .or_insert_with(|| {
                Arc::new(OriginPool {
                    notify: Arc::new(Notify::new()),
                    state: Mutex::new(OriginState::default()),
                })
            })
            .clone()
    }

    /// Remembers that `origin` wants HTTP/1.1.
    pub(crate) fn require_http1(&self, origin: &Origin) {
        let op = self.origin(origin);
        op.state.lock().unwrap_or_else(|e| e.into_inner()).http1 = true;
    }

    /// Reserves a stream slot for `origin`, opening a connection when every
    /// open one is full (up to `max_per_origin`), else waiting for a slot.
    pub(crate) async fn lease(&self, origin: &Origin) -> Result<Lease, Error> {
        let op = self.origin(origin);
        loop {
            let notified = op.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let connect = {
                let mut st = op.state.lock().unwrap_or_else(|e| e.into_inner());
                if st.http1 {
                    return Err(Error::new(
                        Kind::Connect,
                        format!(
                            "{origin} requires HTTP/1.1 (HTTP_1_1_REQUIRED), which this client does not speak yet"
                        ),
                    ));
                }
                st.h2.retain(|h| !h.is_closed());
                if let Some((handle, reused)) =
                    st.h2.iter().find_map(|h| h.try_reserve().map(|r| (h.clone(), r)))
                {
                    return Ok(Lease { handle, reused });
                }
                let open = st.h2.iter().filter(|h| h.is_open()).count();
                // One connection attempt at a time per origin; draining
                // connections do not count, so a GOAWAY opens the
                // replacement at once (make-before-break).
                let may_connect = st.connecting == 0 && open < self.max_per_origin;
                if may_connect {
                    st.connecting += 1;
                }
                may_connect
            };
            if connect {
                let result = self.connect(origin, &op.notify).await;
                let mut st = op.state.lock().unwrap_or_else(|e| e.into_inner());
                st.connecting -= 1;
                op.notify.notify_waiters();
                let handle = result?;
                let reserved = handle.try_reserve();
                st.h2.push(handle.clone());
                if let Some(reused) = reserved {
                    return Ok(Lease { handle, reused });
                }
                continue;
            }
            notified.await;
        }
    }

    async fn connect(&self, origin: &Origin, notify: &Arc<Notify>) -> Result<H2Handle, Error> {
        let (io, protocol) = self.connector.connect(origin, false).await?;
        if protocol != Protocol::H2 {
            return Err(Error::new(
                Kind::Connect,
                format!("{origin} speaks only HTTP/1.1, which this client does not speak yet"),
            ));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.stats.connection_opened();
        tracing::debug!(connection = id, %origin, "HTTP/2 connection opened");
        Ok(h2::spawn(io, id, self.h2_config.clone(), notify.clone(), self.stats.clone()))
    }
}
