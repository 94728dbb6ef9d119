//! Helpers shared by the `baton` binary's tests.

pub(crate) mod json;
