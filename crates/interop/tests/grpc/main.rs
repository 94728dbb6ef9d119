//! gRPC over baton: tonic's client half (`tonic::client::Grpc`, the code
//! its generated clients are made of, and tonic-health's generated
//! `HealthClient`) with a `baton::Client` as its transport.
//!
//! - `tonic_server.rs`: against a tonic server in the test process, every
//!   call shape, statuses in trailers, `grpc-timeout`, cancellation, and
//!   the retry rules for `POST`s (the `baton::Idempotent` extension, the
//!   replay buffer).
//! - `grpc_go.rs`: against grpc-go (Debian's `golang-google-grpc-dev`)
//!   rotating connections with `MaxConnectionAge`, closing idle ones, and
//!   enforcing its keep-alive policy; tonic's own `Channel` beside baton in
//!   the same runs, its failures printed (not asserted). Lines are printed
//!   as `GRPC server | behaviour | call | client | calls | failed`. When Go
//!   or grpc-go is missing these print `SKIPPED` and pass, unless
//!   `BATON_INTEROP_REQUIRE=1`.

mod echo;
mod grpc_go;
mod proxy;
mod tonic_server;
