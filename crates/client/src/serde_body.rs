//! Requests and responses through serde, as reqwest's: JSON bodies
//! (`json` feature), form bodies (`form`) and query strings (`query`).

#[cfg(feature = "query")]
use http::Uri;
#[cfg(any(feature = "json", feature = "form"))]
use http::header::{CONTENT_TYPE, HeaderValue};
use serde::Serialize;
#[cfg(feature = "json")]
use serde::de::DeserializeOwned;

use crate::error::Error;
#[cfg(feature = "json")]
use crate::error::Kind;
use crate::request::RequestBuilder;
#[cfg(feature = "json")]
use crate::response::Response;

impl RequestBuilder {
    /// The body is `json` serialized, with `Content-Type:
    /// application/json` unless the request has its own. Needs the `json`
    /// cargo feature.
    ///
    /// # Errors
    /// A value serde_json cannot serialize (a map with non-string keys) is
    /// an [`Error::is_builder`] error from [`send`](Self::send).
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let order = serde_json::json!({"item": 7, "quantity": 2});
    /// let request = client.post("https://example.com/orders").json(&order).build()?;
    /// assert_eq!(request.headers()["content-type"], "application/json");
    /// assert_eq!(request.body().size_hint(), Some(br#"{"item":7,"quantity":2}"#.len() as u64));
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[cfg(feature = "json")]
    pub fn json<T: Serialize + ?Sized>(self, json: &T) -> Self {
        let encoded = serde_json::to_vec(json)
            .map_err(|e| Error::builder("cannot serialize the JSON body").with_source(e));
        self.serialized(encoded, "application/json")
    }

    /// The body is `form` URL-encoded, with `Content-Type:
    /// application/x-www-form-urlencoded` unless the request has its own.
    /// Needs the `form` cargo feature.
    ///
    /// # Errors
    /// A value serde_urlencoded cannot encode (nested structures) is an
    /// [`Error::is_builder`] error from [`send`](Self::send).
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let request = client.post("https://example.com/login").form(&[("user", "ada"), ("lang", "en gb")]).build()?;
    /// assert_eq!(request.headers()["content-type"], "application/x-www-form-urlencoded");
    /// assert_eq!(request.body().size_hint(), Some("user=ada&lang=en+gb".len() as u64));
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[cfg(feature = "form")]
    pub fn form<T: Serialize + ?Sized>(self, form: &T) -> Self {
        let encoded = serde_urlencoded::to_string(form)
            .map(String::into_bytes)
            .map_err(|e| Error::builder("cannot encode the form body").with_source(e));
        self.serialized(encoded, "application/x-www-form-urlencoded")
    }

    /// Adds `query` URL-encoded to the URL's query string (after what it
    /// already has). Needs the `query` cargo feature.
    ///
    /// # Errors
    /// A value serde_urlencoded cannot encode is an [`Error::is_builder`]
    /// error from [`send`](Self::send).
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let request = client.get("https://example.com/search?lang=en").query(&[("q", "baton & co")]).build()?;
    /// assert_eq!(request.uri().query(), Some("lang=en&q=baton+%26+co"));
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[cfg(feature = "query")]
    pub fn query<T: Serialize + ?Sized>(mut self, query: &T) -> Self {
        let added = match serde_urlencoded::to_string(query) {
            Ok(added) => added,
            Err(e) => {
                self.error.get_or_insert(Error::builder("cannot encode the query").with_source(e));
                return self;
            }
        };
        if added.is_empty() {
            return self;
        }
        if let Ok((uri, origin)) = &self.target {
            // The same origin: only the query changes.
            self.target = with_query(uri, &added).map(|uri| (uri, origin.clone()));
        }
        self
    }

    #[cfg(any(feature = "json", feature = "form"))]
    fn serialized(mut self, encoded: Result<Vec<u8>, Error>, content_type: &'static str) -> Self {
        match encoded {
            Ok(bytes) => {
                if !self.headers.contains_key(CONTENT_TYPE) {
                    self.headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                }
                self.body = bytes.into();
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }
}

/// `uri` with `added` after its query.
#[cfg(feature = "query")]
fn with_query(uri: &Uri, added: &str) -> Result<Uri, Error> {
    let path = uri.path();
    let path_and_query = match uri.query() {
        Some(q) if !q.is_empty() => format!("{path}?{q}&{added}"),
        _ => format!("{path}?{added}"),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        path_and_query
            .parse()
            .map_err(|e| Error::builder("invalid query").with_source(http::Error::from(e)))?,
    );
    Uri::from_parts(parts).map_err(|e| Error::builder("invalid query").with_source(http::Error::from(e)))
}

#[cfg(feature = "json")]
impl Response {
    /// Reads the body to its end and deserializes it from JSON. Needs the
    /// `json` cargo feature.
    ///
    /// # Errors
    /// As [`bytes`](Self::bytes); a body that is not the JSON `T` expects
    /// is an [`Error::is_decode`] error.
    ///
    /// ```no_run
    /// #[derive(serde::Deserialize)]
    /// struct Item { id: u64, name: String }
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let item: Item = client.get("https://example.com/items/7").send().await?.json().await?;
    /// println!("{} {}", item.id, item.name);
    /// # Ok(()) }
    /// ```
    pub async fn json<T: DeserializeOwned>(self) -> Result<T, Error> {
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(Kind::Decode, format!("the response body is not the JSON expected: {e}"))
                .with_processing(crate::journal::Processing::ResponseStarted)
                .with_source(e)
        })
    }
}
