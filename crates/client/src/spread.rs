//! Spreading an origin's HTTP/2 streams over several connections and the
//! addresses it resolves to ([`Spread`], a pool policy, off by default).
//!
//! One multiplexed connection is HTTP/2's design (RFC 9113 §9.1: "Clients
//! SHOULD NOT open more than one HTTP/2 connection to a given host and
//! port pair"), and baton's default. Behind a layer-4 load balancer, or a
//! name that resolves to several backends, one connection pins every
//! request to one backend for the connection's life, and a GOAWAY there
//! moves the whole load at once. gRPC's answer is `round_robin` over
//! several subchannels, with servers rotating connections
//! (`MaxConnectionAge`) so clients rebalance. [`Spread`] does the same in
//! the pool:
//!
//! - **N connections per origin**, each new stream on the least loaded
//!   connection that takes streams. The extra connections are opened in the
//!   background while requests go on the ones there are.
//! - **Every address**: a new connection goes to the address with the
//!   fewest of the origin's open connections, the others tried after it;
//!   with N at least the number of addresses, every backend gets one.
//! - **A client-side maximum age**, less up to a fifth at random (so a
//!   fleet's connections do not all rotate at once), rotated
//!   make-before-break: an old connection keeps taking streams until its
//!   successor is ready, then says GOAWAY(NO_ERROR) and finishes what it
//!   carries.
//! - A connection that drains (GOAWAY), is reset or dies takes no new
//!   streams from that moment: they go to the others at once, and its
//!   replacement is opened to the least used address.

use std::net::SocketAddr;
use std::time::Duration;

/// How an origin's HTTP/2 streams are spread over connections and
/// addresses; given to [`ClientBuilder::http2_spread`](crate::ClientBuilder::http2_spread).
/// The default, [`Spread::off`], is one connection per origin (more only
/// when the server's stream limit is reached) on the first address that
/// connects.
///
/// ```
/// use std::time::Duration;
///
/// let spread = baton::Spread::off().connections(3).max_connection_age(Duration::from_secs(300));
/// assert_eq!(spread.connection_count(), 3);
/// let client = baton::Client::builder().http2_prior_knowledge().http2_spread(spread).build()?;
/// # drop(client);
/// # Ok::<(), baton::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread {
    connections: usize,
    max_age: Option<Duration>,
}

impl Default for Spread {
    /// [`Spread::off`].
    fn default() -> Self {
        Self::off()
    }
}

impl Spread {
    /// One connection per origin, no client-side age: baton's default.
    ///
    /// ```
    /// assert_eq!(baton::Spread::off().connection_count(), 1);
    /// ```
    pub fn off() -> Self {
        Self { connections: 1, max_age: None }
    }

    /// Keep `n` HTTP/2 connections per origin (0 counts as 1), streams on
    /// the least loaded, connections spread over the origin's addresses.
    /// Raises [`max_connections_per_origin`](crate::ClientBuilder::max_connections_per_origin)
    /// to `n` when it is lower.
    ///
    /// ```
    /// assert_eq!(baton::Spread::off().connections(4).connection_count(), 4);
    /// assert_eq!(baton::Spread::off().connections(0).connection_count(), 1);
    /// ```
    pub fn connections(mut self, n: usize) -> Self {
        self.connections = n.max(1);
        self
    }

    /// Rotate each connection after `age` less up to a fifth at random,
    /// its successor ready before it stops taking streams.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let spread = baton::Spread::off().max_connection_age(Duration::from_secs(60));
    /// # drop(spread);
    /// ```
    pub fn max_connection_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// The connections kept per origin.
    ///
    /// ```
    /// assert_eq!(baton::Spread::default().connection_count(), 1);
    /// ```
    pub fn connection_count(&self) -> usize {
        self.connections
    }

    /// Whether this is [`Spread::off`]: the pool's single-connection path.
    pub(crate) fn is_off(&self) -> bool {
        *self == Self::off()
    }

    /// A new connection's age limit: the maximum, less up to a fifth.
    pub(crate) fn age_limit(&self, jitter: f64) -> Option<Duration> {
        self.max_age.map(|age| age.mul_f64(1.0 - 0.2 * jitter.clamp(0.0, 1.0)))
    }
}

/// `addrs` reordered for a new connection: the ones with the fewest of
/// `busy` (the addresses of the origin's open connections, one entry per
/// connection) first, the resolver's order kept among equals.
pub(crate) fn order(mut addrs: Vec<SocketAddr>, busy: &[SocketAddr]) -> Vec<SocketAddr> {
    if !busy.is_empty() {
        addrs.sort_by_key(|a| busy.iter().filter(|b| *b == a).count());
    }
    addrs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(last: u8) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, last], 8080))
    }

    #[test]
    fn new_connections_go_to_the_least_used_address() {
        let all = vec![addr(1), addr(2), addr(3)];
        assert_eq!(order(all.clone(), &[]), all);
        assert_eq!(order(all.clone(), &[addr(1)]), vec![addr(2), addr(3), addr(1)]);
        assert_eq!(order(all.clone(), &[addr(1), addr(2)]), vec![addr(3), addr(1), addr(2)]);
        assert_eq!(
            order(all.clone(), &[addr(1), addr(2), addr(3), addr(2)]),
            vec![addr(1), addr(3), addr(2)]
        );
    }

    #[test]
    fn ages_are_jittered_down_by_at_most_a_fifth() {
        let spread = Spread::off().max_connection_age(Duration::from_secs(100));
        assert_eq!(spread.age_limit(0.0), Some(Duration::from_secs(100)));
        assert_eq!(spread.age_limit(1.0), Some(Duration::from_secs(80)));
        assert_eq!(spread.age_limit(0.5), Some(Duration::from_secs(90)));
        assert_eq!(Spread::off().age_limit(0.5), None);
        assert!(!spread.is_off());
        assert!(Spread::off().connections(1).is_off());
    }
}
