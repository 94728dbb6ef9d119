//! `baton bench --json`'s report, typed: a member that is missing, unknown,
//! repeated or of the wrong type (a count that is negative or fractional, a
//! string for a number) fails the parse.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Index;

use serde::Deserialize;
use serde::de::{Deserializer, Error as _, MapAccess, Visitor};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Report {
    pub(crate) url: String,
    pub(crate) seconds: f64,
    pub(crate) requests: u64,
    pub(crate) succeeded: u64,
    pub(crate) failed: u64,
    pub(crate) aborted: u64,
    pub(crate) late: u64,
    pub(crate) interrupted: bool,
    pub(crate) req_per_s: f64,
    pub(crate) bytes: u64,
    pub(crate) bytes_per_s: f64,
    /// Present, and `null` when nothing succeeded.
    #[serde(deserialize_with = "Option::deserialize")]
    pub(crate) latency_us: Option<Latency>,
    pub(crate) histogram: Vec<Bucket>,
    pub(crate) status: Counts,
    pub(crate) protocols: Counts,
    pub(crate) failures: Vec<Failure>,
    pub(crate) goaways: u64,
    pub(crate) goaways_by_code: Vec<GoAwayCount>,
    pub(crate) retries: u64,
    pub(crate) retries_by_reason: Counts,
    pub(crate) connections: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Latency {
    pub(crate) min: u64,
    pub(crate) mean: u64,
    pub(crate) p50: u64,
    pub(crate) p90: u64,
    pub(crate) p99: u64,
    pub(crate) p99_9: u64,
    pub(crate) max: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Bucket {
    pub(crate) upto_us: u64,
    pub(crate) count: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Failure {
    pub(crate) verdict: String,
    pub(crate) kind: String,
    pub(crate) count: u64,
    pub(crate) example: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoAwayCount {
    pub(crate) code: u32,
    pub(crate) name: String,
    pub(crate) count: u64,
}

/// `{"name":count,...}` with distinct names (serde_json alone would keep
/// the last of a repeated one).
#[derive(Debug)]
pub(crate) struct Counts(pub(crate) BTreeMap<String, u64>);

impl Counts {
    pub(crate) fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// The count under `name`; panics when there is none.
impl Index<&str> for Counts {
    type Output = u64;

    fn index(&self, name: &str) -> &u64 {
        self.0.get(name).unwrap_or_else(|| panic!("no {name:?} in {self:?}"))
    }
}

impl<'de> Deserialize<'de> for Counts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Distinct;

        impl<'de> Visitor<'de> for Distinct {
            type Value = Counts;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of counts with distinct names")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Counts, A::Error> {
                let mut counts = BTreeMap::new();
                while let Some((name, count)) = map.next_entry::<String, u64>()? {
                    if counts.contains_key(&name) {
                        return Err(A::Error::custom(format_args!("{name:?} twice")));
                    }
                    counts.insert(name, count);
                }
                Ok(Counts(counts))
            }
        }

        deserializer.deserialize_map(Distinct)
    }
}
