//! What the proxy does to a connection: a [`Plan`] is a list of [`Step`]s,
//! each a [`Fault`] that takes effect on some [`Directions`] when its
//! [`Trigger`] is reached (at a time, or after a number of bytes).

use std::fmt;
use std::num::NonZeroU64;
use std::time::Duration;

/// One way through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// What the client sends, towards the upstream server.
    ClientToServer,
    /// What the server sends, towards the client.
    ServerToClient,
}

impl Direction {
    /// Both, client to server first.
    pub const BOTH: [Self; 2] = [Self::ClientToServer, Self::ServerToClient];

    /// 0 for client to server, 1 for server to client (an index into
    /// per-direction arrays).
    pub(crate) fn index(self) -> usize {
        match self {
            Self::ClientToServer => 0,
            Self::ServerToClient => 1,
        }
    }

    /// The other way.
    pub fn reverse(self) -> Self {
        match self {
            Self::ClientToServer => Self::ServerToClient,
            Self::ServerToClient => Self::ClientToServer,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ClientToServer => "client to server",
            Self::ServerToClient => "server to client",
        })
    }
}

/// The directions a [`Fault`] applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Directions {
    /// Only this one.
    One(Direction),
    /// Both ways.
    Both,
}

impl Directions {
    /// Whether `d` is one of them.
    pub fn contains(self, d: Direction) -> bool {
        match self {
            Self::One(one) => one == d,
            Self::Both => true,
        }
    }

    /// Each of them, client to server first.
    pub fn iter(self) -> impl Iterator<Item = Direction> {
        Direction::BOTH.into_iter().filter(move |&d| self.contains(d))
    }
}

impl From<Direction> for Directions {
    fn from(d: Direction) -> Self {
        Self::One(d)
    }
}

impl fmt::Display for Directions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::One(d) => d.fmt(f),
            Self::Both => f.write_str("both ways"),
        }
    }
}

/// A bandwidth cap in bytes per second (never zero: a link that carries
/// nothing is a [`Fault::Blackhole`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate(NonZeroU64);

impl Rate {
    /// `bytes` per second; `None` for 0.
    pub fn bytes_per_second(bytes: u64) -> Option<Self> {
        NonZeroU64::new(bytes).map(Self)
    }

    /// Bytes per second.
    pub fn get(self) -> u64 {
        self.0.get()
    }

    /// How long `bytes` take at this rate.
    pub(crate) fn time_for(self, bytes: usize) -> Duration {
        Duration::from_secs_f64(bytes as f64 / self.0.get() as f64)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", bytesize::ByteSize(self.get()).display().si())
    }
}

/// When a [`Step`] takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// This long after the proxy accepted the connection (`Duration::ZERO`:
    /// before the first byte is forwarded).
    At(Duration),
    /// Once exactly this many bytes have entered the proxy in this
    /// direction: the proxy never reads past a byte trigger before it has
    /// fired, so what comes before the boundary is treated as before, and
    /// what comes after it meets the fault.
    Bytes(Direction, u64),
}

impl Trigger {
    /// From the first byte on.
    pub const START: Self = Self::At(Duration::ZERO);
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::At(t) if t.is_zero() => f.write_str("from the start"),
            Self::At(t) => write!(f, "at {}", humantime::format_duration(*t)),
            Self::Bytes(d, n) => write!(f, "after {} {d}", bytesize::ByteSize(*n)),
        }
    }
}

/// A network condition or event, applied to the [`Directions`] of its
/// [`Step`].
///
/// Ordering: a fault whose trigger is a byte count takes effect exactly at
/// that byte of the trigger's direction: in that direction, what entered
/// the proxy before is delivered as it would have been, then the fault. A
/// fault at a time (or applied through a [`ProxyHandle`](super::ProxyHandle))
/// takes effect at once on whatever has not been delivered yet, except a
/// [`Fault::Fin`], which always follows the bytes already read (a FIN
/// cannot overtake data on a TCP stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Each chunk is delivered `latency` ± `jitter` (uniformly, at least
    /// zero) after it entered the proxy, and never before the chunk read
    /// before it: jitter never reorders bytes. Applies to bytes read from
    /// then on.
    Delay {
        /// The one-way delay.
        latency: Duration,
        /// The largest departure from it, either side.
        jitter: Duration,
    },
    /// A bandwidth cap (`None` lifts it): bytes leave at most at this rate,
    /// paced in pieces of a hundredth of a second's worth.
    Rate(Option<Rate>),
    /// Stop reading: both sockets stay open, nothing more is forwarded,
    /// nothing is answered. What the proxy had already read is still
    /// delivered. The sender's kernel buffers fill and then its writes
    /// block, as they do when a load balancer drops a flow silently and no
    /// acknowledgement comes back; unlike such a drop, the proxy's kernel
    /// still acknowledges what fits in its receive buffer and answers TCP
    /// keep-alive probes, so only the application (an HTTP/2 PING, a read
    /// timeout) can notice. Reading and discarding would be further from
    /// it: the sender's writes would never block.
    Blackhole,
    /// Ends a [`Fault::Blackhole`] or a [`Fault::Pause`]: forwarding goes
    /// on with everything held, in order.
    Resume,
    /// Deliver nothing for this long, then everything held, in order and
    /// late. The proxy keeps reading meanwhile (up to its buffer).
    Pause(Duration),
    /// The receiving side reads end of stream (a FIN) after what was
    /// forwarded before; the proxy then stops reading from the sender in
    /// that direction. The other direction goes on (a half-close) unless
    /// the step names both.
    Fin,
    /// Resets the whole connection: both sockets are closed with SO_LINGER
    /// 0, so each peer gets a RST (ECONNRESET) once it has read what the
    /// proxy had written to it. What the proxy still held is dropped.
    Reset,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Delay { latency, jitter } if jitter.is_zero() => {
                write!(f, "latency {}", humantime::format_duration(*latency))
            }
            Self::Delay { latency, jitter } => write!(
                f,
                "latency {} ±{}",
                humantime::format_duration(*latency),
                humantime::format_duration(*jitter)
            ),
            Self::Rate(Some(r)) => write!(f, "rate {r}"),
            Self::Rate(None) => f.write_str("no rate cap"),
            Self::Blackhole => f.write_str("blackhole"),
            Self::Resume => f.write_str("resume"),
            Self::Pause(d) => write!(f, "pause {}", humantime::format_duration(*d)),
            Self::Fin => f.write_str("FIN"),
            Self::Reset => f.write_str("reset"),
        }
    }
}

/// One line of a [`Plan`]: `fault` on `directions` when `trigger` is
/// reached. Each step fires once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Step {
    /// When.
    pub trigger: Trigger,
    /// Where ([`Fault::Reset`] always takes the whole connection).
    pub directions: Directions,
    /// What.
    pub fault: Fault,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fault {
            Fault::Reset => write!(f, "{} {}", self.fault, self.trigger),
            _ => write!(f, "{} {} {}", self.fault, self.directions, self.trigger),
        }
    }
}

/// What happens to one connection, as a list of steps. The empty plan
/// forwards everything at once.
///
/// ```
/// use std::time::Duration;
/// use baton_lab::proxy::{Direction, Directions, Fault, Plan, Trigger};
///
/// let ms = Duration::from_millis;
/// // 10 ms ± 2 ms each way (a 20 ms round trip), then a reset once the
/// // server has sent 10 KiB.
/// let plan = Plan::new()
///     .delay(Directions::Both, ms(10), ms(2))
///     .on(Trigger::Bytes(Direction::ServerToClient, 10 * 1024), Directions::Both, Fault::Reset);
/// assert_eq!(plan.to_string(), "latency 10ms ±2ms both ways from the start; reset after 10.0 KiB server to client");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Plan {
    steps: Vec<Step>,
}

impl Plan {
    /// Forwards everything at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a step.
    #[must_use]
    pub fn on(mut self, trigger: Trigger, directions: Directions, fault: Fault) -> Self {
        self.steps.push(Step { trigger, directions, fault });
        self
    }

    /// From the start, `latency` ± `jitter` on `directions`.
    #[must_use]
    pub fn delay(self, directions: Directions, latency: Duration, jitter: Duration) -> Self {
        self.on(Trigger::START, directions, Fault::Delay { latency, jitter })
    }

    /// From the start, at most `rate` on `directions`.
    #[must_use]
    pub fn rate(self, directions: Directions, rate: Rate) -> Self {
        self.on(Trigger::START, directions, Fault::Rate(Some(rate)))
    }

    /// This plan's steps, then `other`'s.
    #[must_use]
    pub fn and(mut self, other: &Self) -> Self {
        self.steps.extend_from_slice(&other.steps);
        self
    }

    /// The steps, in the order given.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// True when the plan does nothing.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("no faults");
        }
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            step.fmt(f)?;
        }
        Ok(())
    }
}

/// Which connections a plan or a fault is for, by the order the proxy
/// accepted them in (the first is 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Connections {
    /// Every connection.
    All,
    /// Only the n-th.
    Nth(u64),
    /// The n-th, 2n-th, 3n-th, ...
    Every(u64),
}

impl Connections {
    /// Whether connection `ordinal` (1-based) is one of them.
    pub fn matches(self, ordinal: u64) -> bool {
        match self {
            Self::All => true,
            Self::Nth(n) => ordinal == n,
            Self::Every(n) => n > 0 && ordinal.is_multiple_of(n),
        }
    }
}

impl fmt::Display for Connections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("every connection"),
            Self::Nth(n) => write!(f, "connection {n}"),
            Self::Every(n) => write!(f, "every {n}th connection"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_match_by_ordinal() {
        assert!(Connections::All.matches(7));
        assert!(Connections::Nth(3).matches(3) && !Connections::Nth(3).matches(4));
        let every = Connections::Every(3);
        assert_eq!((1..=9).filter(|&n| every.matches(n)).collect::<Vec<_>>(), [3, 6, 9]);
        assert!(!Connections::Every(0).matches(0));
    }

    #[test]
    fn plans_read_as_sentences() {
        let plan = Plan::new()
            .rate(Direction::ServerToClient.into(), Rate::bytes_per_second(1_000_000).unwrap())
            .on(Trigger::At(Duration::from_secs(5)), Directions::Both, Fault::Blackhole)
            .on(Trigger::Bytes(Direction::ClientToServer, 100), Direction::ServerToClient.into(), Fault::Fin);
        assert_eq!(
            plan.to_string(),
            "rate 1.0 MB/s server to client from the start; blackhole both ways at 5s; \
             FIN server to client after 100 B client to server"
        );
        assert_eq!(Plan::new().to_string(), "no faults");
    }
}
