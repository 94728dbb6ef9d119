//! `http::Version` for the `serde` feature, which `http` does not provide:
//! its text as `http` prints it (`"HTTP/1.1"`, `"HTTP/2.0"`).

use http::Version;
use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::Serializer;

/// The five versions `http` names, with the text its `Debug` prints.
const NAMES: [(Version, &str); 5] = [
    (Version::HTTP_09, "HTTP/0.9"),
    (Version::HTTP_10, "HTTP/1.0"),
    (Version::HTTP_11, "HTTP/1.1"),
    (Version::HTTP_2, "HTTP/2.0"),
    (Version::HTTP_3, "HTTP/3.0"),
];

pub(crate) fn serialize<S: Serializer>(version: &Version, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("{version:?}"))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Version, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    NAMES
        .iter()
        .find(|(_, name)| *name == text)
        .map(|(version, _)| *version)
        .ok_or_else(|| D::Error::custom(format_args!("unknown HTTP version {text:?}")))
}
