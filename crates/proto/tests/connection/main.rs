//! Deterministic tests of the client connection: a scripted server peer
//! and a harness that owns the clock and the wire (both from baton-testkit),
//! and one test per RFC rule or DESIGN.md scenario, a file per concern. No
//! sockets, no sleeps.

mod basics;
mod expect;
mod flow;
mod goaway;
mod limits;
mod timers;
mod withdraw;
