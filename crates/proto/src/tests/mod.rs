//! Deterministic tests of the client connection: a scripted server peer,
//! a harness that owns the clock and the wire, and one test per RFC rule or
//! DESIGN.md scenario. No sockets, no sleeps.

mod harness;
mod peer;

mod basics;
mod expect;
mod flow;
mod goaway;
mod limits;
mod stream_errors;
mod timers;
mod withdraw;
