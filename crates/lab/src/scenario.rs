//! Named, parameterised behaviours that replay how real servers end
//! connections (DESIGN.md §7). Each variant says which server does it, with
//! which frames in which order, citing RFC 9113.
//!
//! Counts such as `after` are per connection unless a variant says
//! otherwise: "after N" means the N-th request received on a connection
//! triggers the behaviour.

use std::fmt;
use std::time::Duration;

use baton_proto::h2::frame::Reason;

/// Where a `disconnect` cuts the connection (no GOAWAY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectPoint {
    /// After N-1 responses, before the N-th request head arrives.
    BeforeHead,
    /// Right after the N-th request head, before any processing.
    AfterHead,
    /// After part of the N-th request's body.
    MidRequestBody,
    /// After the N-th response head and part of its body.
    MidResponse,
}

impl DisconnectPoint {
    fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "before-head" => Self::BeforeHead,
            "after-head" => Self::AfterHead,
            "mid-request-body" => Self::MidRequestBody,
            "mid-response" => Self::MidResponse,
            _ => return Err(format!("unknown disconnect point {s:?}")),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::BeforeHead => "before-head",
            Self::AfterHead => "after-head",
            Self::MidRequestBody => "mid-request-body",
            Self::MidResponse => "mid-response",
        }
    }
}

/// One lab behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A correct HTTP/2 and HTTP/1.1 server: never sends GOAWAY on its own.
    Normal,
    /// nginx `keepalive_requests N` (default 1000). When the N-th request's
    /// HEADERS arrives, nginx queues GOAWAY(last_stream_id = that stream,
    /// NO_ERROR) before the remaining responses (RFC 9113 §6.8), answers
    /// every stream at or below it, ignores HEADERS above it, then closes
    /// with a lingering close (shutdown of writes, reading until the client
    /// closes or a timeout). HTTP/1.1: the N-th response carries
    /// `Connection: close`.
    NginxRotate {
        /// keepalive_requests.
        requests: u32,
    },
    /// nginx `-s reload`: when the server as a whole has received `after`
    /// requests (or [`crate::Lab::reload`] is called), every open connection
    /// gets GOAWAY(last stream received, NO_ERROR), finishes its streams and
    /// closes; new connections are served by the "new workers" as usual.
    NginxReload {
        /// Server-wide request count that triggers the reload (0: only on demand).
        after: u32,
    },
    /// Envoy drain (also h2o and gRPC servers): on the N-th request, GOAWAY
    /// (2^31-1, NO_ERROR) and a PING; when the PING's ACK arrives (or after
    /// `ack_timeout`), GOAWAY(last stream received, NO_ERROR) — the double
    /// GOAWAY of RFC 9113 §6.8. Streams at or below the second id finish;
    /// the connection closes when drained.
    EnvoyDrain {
        /// Triggering request.
        after: u32,
        /// How long to wait for the PING ACK.
        ack_timeout: Duration,
    },
    /// gRPC MAX_CONNECTION_AGE: once the connection is `max_age` old, the
    /// same double GOAWAY as Envoy; after `grace` more, the connection is
    /// closed whatever is still open.
    GrpcMaxAge {
        /// Connection age that triggers the drain.
        max_age: Duration,
        /// MAX_CONNECTION_AGE_GRACE.
        grace: Duration,
    },
    /// h2o graceful shutdown: on the N-th request GOAWAY(2^31-1, NO_ERROR),
    /// then after `delay` (h2o: one second) GOAWAY(last stream received);
    /// close when drained.
    H2oShutdown {
        /// Triggering request.
        after: u32,
        /// Time between the two GOAWAY frames.
        delay: Duration,
    },
    /// Go net/http `Server.Shutdown`: one GOAWAY(max stream id received,
    /// NO_ERROR), wait for the open streams, close.
    GoShutdown {
        /// Triggering request.
        after: u32,
    },
    /// Node.js `http2session.close()`: GOAWAY(0, NO_ERROR) right after the
    /// server preface on the first `connections` connections; every stream
    /// is ignored, the connection closes shortly after.
    NodeClose {
        /// How many connections get it (later ones are served normally).
        connections: u32,
    },
    /// AWS ALB idle timeout: after `after` requests have completed and the
    /// connection has been idle for `idle`, GOAWAY(last stream, NO_ERROR)
    /// and an immediate close — racing the client's next request.
    AlbIdle {
        /// Requests served before the idle close.
        after: u32,
        /// Idle time before GOAWAY.
        idle: Duration,
    },
    /// GOAWAY(last = N-th stream) then an immediate close with SO_LINGER 0,
    /// while the client's bytes are unread, so the kernel sends RST. The
    /// triggering request and streams whose requests were still incomplete
    /// are dropped unprocessed; streams already handed to a route (in the
    /// ledger as processed) lose their responses — the client cannot know
    /// which, which is what makes a POST here `MaybeProcessed`.
    GoawayThenRst {
        /// Triggering request.
        after: u32,
    },
    /// A close with no GOAWAY at all (RFC 9113 §6.8: the client must then
    /// assume any stream may have been processed).
    Disconnect {
        /// Where.
        at: DisconnectPoint,
        /// Which request.
        after: u32,
    },
    /// RST_STREAM(REFUSED_STREAM) (RFC 9113 §8.7: "the stream was not
    /// processed") on every `every`-th stream, and on any stream that would
    /// take the number of streams in progress above `above` (0: no limit).
    /// A request with an `x-request-id` is refused by the `every` rule once
    /// at most, so that its retries cannot, by chance, all be refused.
    RefusedStream {
        /// Refuse every N-th stream (0: never).
        every: u32,
        /// Refuse beyond this many concurrent streams (0: never).
        above: u32,
    },
    /// GOAWAY(last = N-th stream, `code`) — ENHANCE_YOUR_CALM or
    /// INTERNAL_ERROR — then finish the streams at or below and close.
    GoawayError {
        /// Triggering request.
        after: u32,
        /// The error code.
        code: Reason,
    },
    /// GOAWAY(0, HTTP_1_1_REQUIRED) (RFC 9113 §7) on every HTTP/2 connection's
    /// first request; HTTP/1.1 is served normally.
    Http11Required,
    /// SETTINGS_MAX_CONCURRENT_STREAMS starts at `initial`; on the N-th
    /// request a new SETTINGS lowers it to `shrunk`. Streams that arrive
    /// above the new limit are refused with REFUSED_STREAM (§5.1.2).
    MaxStreamsShrink {
        /// Advertised at first.
        initial: u32,
        /// Advertised after the trigger.
        shrunk: u32,
        /// Triggering request.
        after: u32,
    },
    /// GOAWAY(last = N-th stream), then the socket is left open forever and
    /// HEADERS above `last` are ignored: a client that waits for a close or
    /// a response hangs.
    SilentGoaway {
        /// Triggering request.
        after: u32,
    },
    /// GOAWAY(last = N-th stream) while long paced responses are streaming:
    /// they finish slowly, then the connection closes.
    SlowDrain {
        /// Triggering request.
        after: u32,
    },
    /// HTTP/1.1: after `requests` responses, the idle keep-alive connection
    /// is closed just as the next request arrives (its bytes unread, so the
    /// kernel answers with RST). HTTP/2 is served normally.
    KeepaliveRace {
        /// Responses before the race.
        requests: u32,
    },
    /// HTTP/1.1: close after `requests` responses; with `header` the last one
    /// says `Connection: close` (RFC 9112 §9.6), without it the server just
    /// closes. HTTP/2 is served normally.
    ConnectionClose {
        /// Responses per connection.
        requests: u32,
        /// Announce the close.
        header: bool,
    },
}

/// Every scenario name with a one-line description, for `--help`.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("normal", "well-behaved HTTP/2 and HTTP/1.1"),
    (
        "nginx-rotate",
        "keepalive_requests: GOAWAY(N) before the last responses, lingering close [requests=1000]",
    ),
    (
        "nginx-reload",
        "reload on SIGHUP, or after N requests server-wide: connections drain with GOAWAY [after=0 (SIGHUP only)]",
    ),
    ("envoy-drain", "GOAWAY(2^31-1)+PING, then GOAWAY(last) on the ACK [after=100 ack_timeout_ms=1000]"),
    ("grpc-max-age", "MAX_CONNECTION_AGE double GOAWAY [max_age_ms=1000 grace_ms=1000]"),
    ("h2o-shutdown", "GOAWAY(2^31-1), a delay, GOAWAY(last) [after=100 delay_ms=1000]"),
    ("go-shutdown", "one GOAWAY(max stream id), drain, close [after=100]"),
    ("node-close", "GOAWAY(0) on fresh connections [connections=1]"),
    ("alb-idle", "GOAWAY(last) and close after an idle period [after=1 idle_ms=50]"),
    ("goaway-then-rst", "GOAWAY(N) then close with RST, pending streams dropped [after=10]"),
    ("disconnect", "close without GOAWAY [at=after-head|before-head|mid-request-body|mid-response after=10]"),
    ("refused-stream", "RST_STREAM(REFUSED_STREAM) [every=2 above=0]"),
    ("goaway-error", "GOAWAY(N, code) [after=10 code=ENHANCE_YOUR_CALM|INTERNAL_ERROR]"),
    ("http11-required", "GOAWAY(0, HTTP_1_1_REQUIRED) on HTTP/2"),
    (
        "max-streams-shrink",
        "SETTINGS lowers MAX_CONCURRENT_STREAMS mid-flight [initial=100 shrunk=1 after=10]",
    ),
    ("silent-goaway", "GOAWAY(N), socket left open, later HEADERS ignored [after=10]"),
    ("slow-drain", "GOAWAY(N) while long responses stream [after=10]"),
    ("keepalive-race", "HTTP/1.1: idle keep-alive closed as the next request arrives [requests=1]"),
    ("connection-close", "HTTP/1.1: close after N responses [requests=1 header=true]"),
];

/// Reads `key` from `params` as a number, or `default`.
fn num(params: &[(String, String)], key: &str, default: u64) -> Result<u64, String> {
    match params.iter().find(|(k, _)| k == key) {
        Some((_, v)) => v.parse().map_err(|_| format!("parameter {key}={v:?} is not a number")),
        None => Ok(default),
    }
}

fn ms(params: &[(String, String)], key: &str, default: u64) -> Result<Duration, String> {
    num(params, key, default).map(Duration::from_millis)
}

fn count(params: &[(String, String)], key: &str, default: u32) -> Result<u32, String> {
    let n = num(params, key, u64::from(default))?;
    u32::try_from(n).map_err(|_| format!("parameter {key}={n} is too large"))
}

impl Scenario {
    /// Builds a scenario from its name and `key=value` parameters.
    ///
    /// # Errors
    /// An unknown name, an unknown parameter, or a value that does not parse.
    pub fn parse(name: &str, params: &[(String, String)]) -> Result<Self, String> {
        let p = params;
        let known: &[&str] = match name {
            "normal" | "http11-required" => &[],
            "nginx-rotate" | "keepalive-race" => &["requests"],
            "nginx-reload" | "go-shutdown" | "goaway-then-rst" | "silent-goaway" | "slow-drain" => &["after"],
            "envoy-drain" => &["after", "ack_timeout_ms"],
            "grpc-max-age" => &["max_age_ms", "grace_ms"],
            "h2o-shutdown" => &["after", "delay_ms"],
            "node-close" => &["connections"],
            "alb-idle" => &["after", "idle_ms"],
            "disconnect" => &["at", "after"],
            "refused-stream" => &["every", "above"],
            "goaway-error" => &["after", "code"],
            "max-streams-shrink" => &["initial", "shrunk", "after"],
            "connection-close" => &["requests", "header"],
            _ => return Err(format!("unknown scenario {name:?}")),
        };
        if let Some((k, _)) = p.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            return Err(format!("scenario {name} has no parameter {k:?} (it takes {known:?})"));
        }
        let text = |key: &str| p.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        Ok(match name {
            "normal" => Self::Normal,
            "http11-required" => Self::Http11Required,
            "nginx-rotate" => Self::NginxRotate { requests: count(p, "requests", 1000)?.max(1) },
            "nginx-reload" => Self::NginxReload { after: count(p, "after", 0)? },
            "envoy-drain" => Self::EnvoyDrain {
                after: count(p, "after", 100)?.max(1),
                ack_timeout: ms(p, "ack_timeout_ms", 1000)?,
            },
            "grpc-max-age" => {
                Self::GrpcMaxAge { max_age: ms(p, "max_age_ms", 1000)?, grace: ms(p, "grace_ms", 1000)? }
            }
            "h2o-shutdown" => {
                Self::H2oShutdown { after: count(p, "after", 100)?.max(1), delay: ms(p, "delay_ms", 1000)? }
            }
            "go-shutdown" => Self::GoShutdown { after: count(p, "after", 100)?.max(1) },
            "node-close" => Self::NodeClose { connections: count(p, "connections", 1)? },
            "alb-idle" => Self::AlbIdle { after: count(p, "after", 1)?, idle: ms(p, "idle_ms", 50)? },
            "goaway-then-rst" => Self::GoawayThenRst { after: count(p, "after", 10)?.max(1) },
            "disconnect" => Self::Disconnect {
                at: DisconnectPoint::parse(text("at").unwrap_or("after-head"))?,
                after: count(p, "after", 10)?.max(1),
            },
            "refused-stream" => {
                Self::RefusedStream { every: count(p, "every", 2)?, above: count(p, "above", 0)? }
            }
            "goaway-error" => Self::GoawayError {
                after: count(p, "after", 10)?.max(1),
                code: match text("code").unwrap_or("ENHANCE_YOUR_CALM") {
                    "ENHANCE_YOUR_CALM" => Reason::ENHANCE_YOUR_CALM,
                    "INTERNAL_ERROR" => Reason::INTERNAL_ERROR,
                    "PROTOCOL_ERROR" => Reason::PROTOCOL_ERROR,
                    "NO_ERROR" => Reason::NO_ERROR,
                    other => Reason::new(other.parse().map_err(|_| format!("unknown error code {other:?}"))?),
                },
            },
            "max-streams-shrink" => Self::MaxStreamsShrink {
                initial: count(p, "initial", 100)?,
                shrunk: count(p, "shrunk", 1)?,
                after: count(p, "after", 10)?.max(1),
            },
            "silent-goaway" => Self::SilentGoaway { after: count(p, "after", 10)?.max(1) },
            "slow-drain" => Self::SlowDrain { after: count(p, "after", 10)?.max(1) },
            "keepalive-race" => Self::KeepaliveRace { requests: count(p, "requests", 1)?.max(1) },
            "connection-close" => Self::ConnectionClose {
                requests: count(p, "requests", 1)?.max(1),
                header: match text("header").unwrap_or("true") {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    other => return Err(format!("header={other:?} is not a boolean")),
                },
            },
            _ => unreachable!("names were checked above"),
        })
    }

    /// The scenario's name, as [`Scenario::parse`] takes it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::NginxRotate { .. } => "nginx-rotate",
            Self::NginxReload { .. } => "nginx-reload",
            Self::EnvoyDrain { .. } => "envoy-drain",
            Self::GrpcMaxAge { .. } => "grpc-max-age",
            Self::H2oShutdown { .. } => "h2o-shutdown",
            Self::GoShutdown { .. } => "go-shutdown",
            Self::NodeClose { .. } => "node-close",
            Self::AlbIdle { .. } => "alb-idle",
            Self::GoawayThenRst { .. } => "goaway-then-rst",
            Self::Disconnect { .. } => "disconnect",
            Self::RefusedStream { .. } => "refused-stream",
            Self::GoawayError { .. } => "goaway-error",
            Self::Http11Required => "http11-required",
            Self::MaxStreamsShrink { .. } => "max-streams-shrink",
            Self::SilentGoaway { .. } => "silent-goaway",
            Self::SlowDrain { .. } => "slow-drain",
            Self::KeepaliveRace { .. } => "keepalive-race",
            Self::ConnectionClose { .. } => "connection-close",
        }
    }

    /// Every parameter as `(key, value)`, in the words [`Scenario::parse`]
    /// takes, so that the name and these parameters build this scenario again.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let ms = |d: &Duration| d.as_millis().to_string();
        match self {
            Self::Normal | Self::Http11Required => vec![],
            Self::NginxRotate { requests } | Self::KeepaliveRace { requests } => {
                vec![("requests", requests.to_string())]
            }
            Self::NginxReload { after }
            | Self::GoShutdown { after }
            | Self::GoawayThenRst { after }
            | Self::SilentGoaway { after }
            | Self::SlowDrain { after } => vec![("after", after.to_string())],
            Self::EnvoyDrain { after, ack_timeout } => {
                vec![("after", after.to_string()), ("ack_timeout_ms", ms(ack_timeout))]
            }
            Self::GrpcMaxAge { max_age, grace } => vec![("max_age_ms", ms(max_age)), ("grace_ms", ms(grace))],
            Self::H2oShutdown { after, delay } => vec![("after", after.to_string()), ("delay_ms", ms(delay))],
            Self::NodeClose { connections } => vec![("connections", connections.to_string())],
            Self::AlbIdle { after, idle } => vec![("after", after.to_string()), ("idle_ms", ms(idle))],
            Self::Disconnect { at, after } => {
                vec![("at", at.name().to_owned()), ("after", after.to_string())]
            }
            Self::RefusedStream { every, above } => {
                vec![("every", every.to_string()), ("above", above.to_string())]
            }
            Self::GoawayError { after, code } => vec![
                ("after", after.to_string()),
                ("code", code.name().map_or_else(|| code.code().to_string(), str::to_owned)),
            ],
            Self::MaxStreamsShrink { initial, shrunk, after } => vec![
                ("initial", initial.to_string()),
                ("shrunk", shrunk.to_string()),
                ("after", after.to_string()),
            ],
            Self::ConnectionClose { requests, header } => {
                vec![("requests", requests.to_string()), ("header", header.to_string())]
            }
        }
    }
}

/// The name and every parameter, as they are given on the command line:
/// `envoy-drain after=100 ack_timeout_ms=1000`.
impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        for (key, value) in self.params() {
            write!(f, " {key}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_listed_name_parses_with_defaults_and_round_trips() {
        for (name, _) in SCENARIOS {
            let s = Scenario::parse(name, &[]).unwrap();
            assert_eq!(s.name(), *name);
        }
    }

    /// What `baton lab` prints is what it takes: every scenario, with its
    /// defaults and with other values, parses back from its display.
    #[test]
    fn display_names_every_parameter_and_parses_back() {
        let mut scenarios: Vec<Scenario> =
            SCENARIOS.iter().map(|(name, _)| Scenario::parse(name, &[]).unwrap()).collect();
        scenarios.extend([
            Scenario::NginxReload { after: 0 },
            Scenario::EnvoyDrain { after: 3, ack_timeout: Duration::from_millis(25) },
            Scenario::Disconnect { at: DisconnectPoint::MidRequestBody, after: 2 },
            Scenario::GoawayError { after: 4, code: Reason::new(0xff) },
            Scenario::ConnectionClose { requests: 5, header: false },
        ]);
        for s in scenarios {
            let text = s.to_string();
            let mut words = text.split(' ');
            let name = words.next().unwrap();
            let params = words
                .map(|kv| kv.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).unwrap())
                .collect::<Vec<_>>();
            assert_eq!(Scenario::parse(name, &params), Ok(s), "{text}");
        }
        assert_eq!(Scenario::NginxReload { after: 0 }.to_string(), "nginx-reload after=0");
        assert_eq!(
            Scenario::GoawayError { after: 4, code: Reason::ENHANCE_YOUR_CALM }.to_string(),
            "goaway-error after=4 code=ENHANCE_YOUR_CALM"
        );
    }

    #[test]
    fn parameters_are_read_and_checked() {
        assert_eq!(
            Scenario::parse("nginx-rotate", &params(&[("requests", "100")])),
            Ok(Scenario::NginxRotate { requests: 100 })
        );
        assert_eq!(
            Scenario::parse("disconnect", &params(&[("at", "mid-response"), ("after", "3")])),
            Ok(Scenario::Disconnect { at: DisconnectPoint::MidResponse, after: 3 })
        );
        assert!(Scenario::parse("nginx-rotate", &params(&[("request", "1")])).is_err());
        assert!(Scenario::parse("nginx-rotate", &params(&[("requests", "x")])).is_err());
        assert!(Scenario::parse("nope", &[]).is_err());
        assert_eq!(
            Scenario::parse("goaway-error", &params(&[("code", "INTERNAL_ERROR")])),
            Ok(Scenario::GoawayError { after: 10, code: Reason::INTERNAL_ERROR })
        );
    }
}
