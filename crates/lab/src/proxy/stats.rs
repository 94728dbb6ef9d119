//! What the proxy counts, so tests can assert what happened: per
//! connection, bytes read and delivered each way and how the connection
//! ended; over the proxy, connections and injected faults.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::plan::Direction;

/// Who ended a connection with a reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// The client reset (or vanished from) its side; the proxy passed the
    /// reset on to the server.
    Client,
    /// The server did; the proxy passed it on to the client.
    Server,
    /// A [`Fault::Reset`](super::Fault::Reset) of the plan or the handle.
    Fault,
}

/// How a proxied connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum End {
    /// Both directions ended with a FIN delivered (the peers' own closes,
    /// or injected ones).
    Closed,
    /// Reset: both sockets closed with SO_LINGER 0.
    Reset(Party),
    /// The upstream server refused the proxy's connection; the client's
    /// connection was reset.
    UpstreamUnreachable,
    /// The proxy was stopped with the connection open.
    Stopped,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("closed"),
            Self::Reset(Party::Client) => f.write_str("reset by the client"),
            Self::Reset(Party::Server) => f.write_str("reset by the server"),
            Self::Reset(Party::Fault) => f.write_str("reset by the plan"),
            Self::UpstreamUnreachable => f.write_str("upstream unreachable"),
            Self::Stopped => f.write_str("proxy stopped"),
        }
    }
}

/// One direction of one connection, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flow {
    /// Bytes the proxy read from the sender.
    pub read: u64,
    /// Bytes the proxy wrote to the receiver (accepted by its socket).
    pub delivered: u64,
    /// Whether the receiver was sent a FIN.
    pub fin: bool,
}

/// One connection, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionStats {
    /// 1 for the first connection the proxy accepted, and so on.
    pub ordinal: u64,
    /// What the client sent.
    pub client_to_server: Flow,
    /// What the server sent.
    pub server_to_client: Flow,
    /// How it ended; `None` while it is open.
    pub end: Option<End>,
}

impl ConnectionStats {
    /// The flow of direction `d`.
    pub fn flow(&self, d: Direction) -> Flow {
        match d {
            Direction::ClientToServer => self.client_to_server,
            Direction::ServerToClient => self.server_to_client,
        }
    }
}

/// The whole proxy, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted.
    pub accepted: u64,
    /// Of which still open.
    pub open: u64,
    /// Connections that ended by each [`End`].
    pub closed: u64,
    /// Reset by a fault of the plan or the handle.
    pub reset_by_fault: u64,
    /// Reset by the client or the server (passed on).
    pub reset_by_peer: u64,
    /// Not forwarded: the upstream refused the proxy.
    pub upstream_unreachable: u64,
    /// Bytes delivered to the server, over every connection.
    pub bytes_to_server: u64,
    /// Bytes delivered to the client, over every connection.
    pub bytes_to_client: u64,
}

impl fmt::Display for ProxyStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "connections {} (open {}, closed {}, reset by a fault {}, reset by a peer {}, upstream unreachable {}); \
             bytes to the server {}, to the client {}",
            self.accepted,
            self.open,
            self.closed,
            self.reset_by_fault,
            self.reset_by_peer,
            self.upstream_unreachable,
            self.bytes_to_server,
            self.bytes_to_client
        )
    }
}

/// The live counters of one direction.
#[derive(Debug, Default)]
pub(crate) struct FlowCounters {
    pub(crate) read: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) fin: AtomicBool,
}

impl FlowCounters {
    pub(crate) fn snapshot(&self) -> Flow {
        Flow {
            read: self.read.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            fin: self.fin.load(Ordering::Relaxed),
        }
    }
}
