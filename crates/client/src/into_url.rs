//! What a URL can be given as: [`IntoUrl`].

use http::Uri;

use crate::error::Error;

/// A URL for [`Client::get`](crate::Client::get) and its siblings: `&str`,
/// `String`, `&String`, `http::Uri` or `&Uri`, as reqwest's `IntoUrl`
/// (which takes `url::Url` where this takes `http::Uri`: `url`'s Unicode
/// tables need Rust 1.88, above this crate's 1.85; `url.as_str()` works).
/// Sealed: these are all there are. A bad URL (unparseable, not absolute,
/// not `http` or `https`) is an [`Error::is_builder`] error from
/// [`RequestBuilder::send`](crate::RequestBuilder::send) (or `build`),
/// before any I/O.
///
/// ```
/// let client = baton::Client::new();
/// let uri: http::Uri = "https://example.com/a".parse().unwrap();
/// let owned = String::from("https://example.com/b");
/// for request in [client.get(&uri), client.get(uri.clone()), client.get(&owned), client.get(owned.clone())] {
///     assert_eq!(request.build()?.uri().host(), Some("example.com"));
/// }
/// let err = client.get("http://exa mple.com/").build().unwrap_err();
/// assert!(err.is_builder());
/// # Ok::<(), baton::Error>(())
/// ```
pub trait IntoUrl: sealed::Sealed {
    /// The URL as an `http::Uri`, or the builder error that says why not.
    #[doc(hidden)]
    fn into_uri(self) -> Result<Uri, Error>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for &str {}
    impl Sealed for String {}
    impl Sealed for &String {}
    impl Sealed for http::Uri {}
    impl Sealed for &http::Uri {}
}

impl IntoUrl for &str {
    fn into_uri(self) -> Result<Uri, Error> {
        self.parse::<Uri>().map_err(|e| Error::builder(format!("invalid URL {self:?}")).with_source(e))
    }
}

impl IntoUrl for &String {
    fn into_uri(self) -> Result<Uri, Error> {
        self.as_str().into_uri()
    }
}

impl IntoUrl for String {
    fn into_uri(self) -> Result<Uri, Error> {
        self.as_str().into_uri()
    }
}

impl IntoUrl for Uri {
    fn into_uri(self) -> Result<Uri, Error> {
        Ok(self)
    }
}

impl IntoUrl for &Uri {
    fn into_uri(self) -> Result<Uri, Error> {
        Ok(self.clone())
    }
}
