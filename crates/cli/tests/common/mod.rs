//! Helpers shared by the `baton` binary's tests: its JSON reports, typed.
#![allow(dead_code)] // Each test binary uses its own subset.

pub(crate) mod bench_report;
pub(crate) mod demo_report;

use serde::de::DeserializeOwned;

/// Parses `text` as one JSON value of type `T` (serde_json: RFC 8259,
/// strictly, nothing after it but whitespace); panics on anything else.
pub(crate) fn parse<T: DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e} in {text}"))
}
