//! The `http` types of the journal for the `serde` feature, which `http`
//! does not provide: each as text, the way `http` prints it.

/// `http::Version`: `"HTTP/1.1"`, `"HTTP/2.0"` (as its `Debug` prints it).
pub(crate) mod version {
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
}

/// An optional `http::StatusCode`: its number, or nothing.
pub(crate) mod status {
    use http::StatusCode;
    use serde::de::{Deserialize, Deserializer, Error as _};
    use serde::ser::Serializer;

    pub(crate) fn serialize<S: Serializer>(
        status: &Option<StatusCode>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match status {
            Some(status) => serializer.serialize_some(&status.as_u16()),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<StatusCode>, D::Error> {
        Option::<u16>::deserialize(deserializer)?
            .map(|code| StatusCode::from_u16(code).map_err(D::Error::custom))
            .transpose()
    }
}

/// An optional `http::Uri`: its text, or nothing.
pub(crate) mod uri {
    use http::Uri;
    use serde::de::{Deserialize, Deserializer, Error as _};
    use serde::ser::Serializer;

    pub(crate) fn serialize<S: Serializer>(uri: &Option<Uri>, serializer: S) -> Result<S::Ok, S::Error> {
        match uri {
            Some(uri) => serializer.serialize_some(&uri.to_string()),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Uri>, D::Error> {
        Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)?
            .map(|text| text.parse::<Uri>().map_err(D::Error::custom))
            .transpose()
    }
}
