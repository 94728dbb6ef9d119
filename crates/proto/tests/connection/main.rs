//! Deterministic tests of the client connection: a scripted server peer
//! and a harness that owns the clock and the wire (both from baton-testkit),
//! and one test per RFC rule or DESIGN.md scenario, a file per concern. No
//! sockets, no sleeps.

mod basics;
mod expect;
mod flow;
mod goaway;
mod keepalive;
mod limits;
mod stream_errors;
mod timers;
mod withdraw;

/// The default client config with `edit` applied (`Config` is
/// `#[non_exhaustive]`: outside baton-proto it has no struct literal).
fn config(edit: impl FnOnce(&mut baton_proto::h2::Config)) -> baton_proto::h2::Config {
    let mut config = baton_proto::h2::Config::default();
    edit(&mut config);
    config
}
