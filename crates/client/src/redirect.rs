//! Redirects (RFC 9110 §15.4): the [`Policy`] that decides whether to
//! follow one, and the rules for the next request, as browsers and reqwest
//! apply them.
//!
//! - Followed: 301, 302, 303, 307 and 308 with a `Location` that resolves
//!   (RFC 9110 §10.2.2, against the request's URL, RFC 3986 §5). Anything
//!   else, or a `Location` that does not parse, is the response.
//! - 303 (See Other) turns any method but HEAD into GET without a body
//!   (§15.4.4); 301 and 302 turn POST into GET without a body, as browsers
//!   do (§15.4.2, §15.4.3 allow it); 307 and 308 keep the method and the
//!   body (§15.4.8, §15.4.9), which must be replayable: an in-memory body,
//!   or a stream still within its replay buffer. When it is not, the
//!   redirect is the response.
//! - A request that loses its body loses the headers describing it
//!   (`Content-Type`, `Content-Length`, `Content-Encoding`,
//!   `Transfer-Encoding`), as tower-http does.
//! - To another origin (scheme, host or port), `Authorization`, `Cookie`,
//!   `Proxy-Authorization` and `Host` are not sent.
//! - `Referer` names the previous URL, without its userinfo and fragment,
//!   except from `https` to `http` (RFC 9110 §10.1.3), unless
//!   [`ClientBuilder::referer`](crate::ClientBuilder::referer) turns it off.
//! - Each hop is a request of its own for the retry policy (a hop that
//!   meets a GOAWAY is retried like any request), within the request's one
//!   total timeout; every attempt of every hop is in the journal, a
//!   followed redirect marked [`RetryReason::Redirect`](crate::RetryReason::Redirect).

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use http::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST, LOCATION,
    PROXY_AUTHORIZATION, REFERER, TRANSFER_ENCODING,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};

use crate::error::{BoxError, Error, Kind};
use crate::origin::Origin;

/// How many redirects [`Policy::default`] follows, as reqwest's.
const DEFAULT_LIMIT: usize = 10;

/// Whether a redirect is followed; given to
/// [`ClientBuilder::redirect`](crate::ClientBuilder::redirect).
///
/// - [`Policy::limited`]`(n)` follows up to `n` redirects in a chain and
///   fails the request with [`Error::is_redirect`] at the next one. The
///   default is `limited(10)`, as in reqwest.
/// - [`Policy::none`] follows none: a redirect is the response.
/// - [`Policy::custom`] decides each [`Hop`] with a function.
///
/// ```
/// use baton::redirect::Policy;
///
/// let client = baton::Client::builder().redirect(Policy::limited(3)).build()?;
/// # drop(client);
/// let client = baton::Client::builder().redirect(Policy::none()).build()?;
/// # drop(client);
/// # Ok::<(), baton::Error>(())
/// ```
#[derive(Clone)]
pub struct Policy {
    inner: Rule,
}

#[derive(Clone)]
enum Rule {
    Limit(usize),
    None,
    Custom(Arc<dyn Fn(Hop<'_>) -> Action + Send + Sync>),
}

/// A redirect the [`Policy`] decides on: its status, where it leads, and
/// the URLs the chain went through so far.
#[derive(Debug)]
pub struct Hop<'a> {
    status: StatusCode,
    next: &'a Uri,
    previous: &'a [Uri],
}

/// What a [`Policy`] decided for a [`Hop`]: made by [`Hop::follow`],
/// [`Hop::stop`] and [`Hop::error`].
#[derive(Debug)]
pub struct Action {
    inner: Decision,
}

#[derive(Debug)]
enum Decision {
    Follow,
    Stop,
    Error(BoxError),
}

impl Policy {
    /// Follows up to `max` redirects in a chain; the request fails with
    /// [`Error::is_redirect`] ("too many redirects") at the next. `limited(0)`
    /// fails at the first redirect, where [`none`](Self::none) returns it.
    ///
    /// ```
    /// let policy = baton::redirect::Policy::limited(5);
    /// # drop(policy);
    /// ```
    pub fn limited(max: usize) -> Self {
        Self { inner: Rule::Limit(max) }
    }

    /// Follows no redirect: the 3xx response is the response, as curl does
    /// without `-L` and as an httpx transport must.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), baton::Error> {
    /// let client = baton::Client::builder().redirect(baton::redirect::Policy::none()).build()?;
    /// let resp = client.get("http://example.com/moved").send().await?;
    /// if resp.status().is_redirection() {
    ///     println!("moved to {:?}", resp.headers().get(http::header::LOCATION));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn none() -> Self {
        Self { inner: Rule::None }
    }

    /// Decides each redirect with `policy`. It gets no limit of its own:
    /// count [`Hop::previous`] to stop loops.
    ///
    /// ```
    /// use baton::redirect::Policy;
    ///
    /// // Follow only within example.com, at most 5 times.
    /// let policy = Policy::custom(|hop| {
    ///     if hop.previous().len() > 5 {
    ///         hop.error("too many redirects")
    ///     } else if hop.url().host().is_some_and(|h| h.ends_with("example.com")) {
    ///         hop.follow()
    ///     } else {
    ///         hop.stop()
    ///     }
    /// });
    /// let client = baton::Client::builder().redirect(policy).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn custom<F>(policy: F) -> Self
    where
        F: Fn(Hop<'_>) -> Action + Send + Sync + 'static,
    {
        Self { inner: Rule::Custom(Arc::new(policy)) }
    }

    /// What this policy decides for `hop`; for a custom policy that builds
    /// on another.
    ///
    /// ```
    /// use baton::redirect::Policy;
    ///
    /// let logged = Policy::custom(|hop| {
    ///     eprintln!("{} to {}", hop.status(), hop.url());
    ///     Policy::default().redirect(hop)
    /// });
    /// # drop(logged);
    /// ```
    pub fn redirect(&self, hop: Hop<'_>) -> Action {
        match &self.inner {
            // `previous` holds the first URL too: `max` redirects followed
            // leave `max` + 1 URLs behind.
            Rule::Limit(max) if hop.previous.len() > *max => hop.error(TooManyRedirects(*max)),
            Rule::Limit(_) => hop.follow(),
            Rule::None => hop.stop(),
            Rule::Custom(policy) => policy(hop),
        }
    }

    /// Whether any redirect can be followed: `false` for [`none`](Self::none).
    pub(crate) fn follows(&self) -> bool {
        !matches!(self.inner, Rule::None)
    }
}

impl Default for Policy {
    /// [`limited(10)`](Self::limited), as reqwest.
    ///
    /// ```
    /// let policy = baton::redirect::Policy::default();
    /// assert_eq!(format!("{policy:?}"), "Policy::limited(10)");
    /// ```
    fn default() -> Self {
        Self::limited(DEFAULT_LIMIT)
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Rule::Limit(max) => write!(f, "Policy::limited({max})"),
            Rule::None => f.write_str("Policy::none()"),
            Rule::Custom(_) => f.write_str("Policy::custom(..)"),
        }
    }
}

impl Hop<'_> {
    /// The redirect's status: 301, 302, 303, 307 or 308.
    ///
    /// ```
    /// let policy = baton::redirect::Policy::custom(|hop| {
    ///     // Follow only the permanent ones.
    ///     if hop.status().as_u16() == 301 || hop.status().as_u16() == 308 { hop.follow() } else { hop.stop() }
    /// });
    /// # drop(policy);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Where the redirect leads: its `Location`, resolved against the URL
    /// it answered.
    ///
    /// ```
    /// let policy = baton::redirect::Policy::custom(|hop| {
    ///     if hop.url().scheme_str() == Some("https") { hop.follow() } else { hop.stop() }
    /// });
    /// # drop(policy);
    /// ```
    pub fn url(&self) -> &Uri {
        self.next
    }

    /// The URLs requested so far in this chain, the request's own first.
    ///
    /// ```
    /// let policy = baton::redirect::Policy::custom(|hop| {
    ///     if hop.previous().contains(hop.url()) { hop.error("redirect loop") } else { hop.follow() }
    /// });
    /// # drop(policy);
    /// ```
    pub fn previous(&self) -> &[Uri] {
        self.previous
    }

    /// Follow the redirect.
    ///
    /// ```
    /// let follow_all = baton::redirect::Policy::custom(|hop| hop.follow());
    /// # drop(follow_all);
    /// ```
    pub fn follow(self) -> Action {
        Action { inner: Decision::Follow }
    }

    /// Do not follow it: the redirect is the response.
    ///
    /// ```
    /// let follow_none = baton::redirect::Policy::custom(|hop| hop.stop());
    /// # drop(follow_none);
    /// ```
    pub fn stop(self) -> Action {
        Action { inner: Decision::Stop }
    }

    /// Fail the request with an [`Error::is_redirect`] error whose source
    /// is `error`.
    ///
    /// ```
    /// let no_http = baton::redirect::Policy::custom(|hop| {
    ///     if hop.url().scheme_str() == Some("http") { hop.error("refusing to leave https") } else { hop.follow() }
    /// });
    /// # drop(no_http);
    /// ```
    pub fn error(self, error: impl Into<BoxError>) -> Action {
        Action { inner: Decision::Error(error.into()) }
    }
}

/// The default policy's limit was reached.
#[derive(Debug)]
struct TooManyRedirects(usize);

impl fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "too many redirects (more than {})", self.0)
    }
}

impl StdError for TooManyRedirects {}

/// The statuses that redirect (RFC 9110 §15.4): 301, 302, 303, 307, 308.
/// 300 (Multiple Choices) leaves the choice to the user; 304 is a cache's
/// answer; 305 and 306 are deprecated.
pub(crate) fn redirects(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The method of the request after a `status` redirect of a `method`
/// request, and whether it keeps its body (see the module's rules).
pub(crate) fn method_after(status: StatusCode, method: &Method) -> (Method, bool) {
    match status.as_u16() {
        // RFC 9110 §15.4.4: "a user agent can perform a retrieval request
        // targeting that URI (a GET or HEAD request if using HTTP)".
        303 if *method == Method::HEAD => (Method::HEAD, false),
        303 => (Method::GET, false),
        // §15.4.2, §15.4.3: "For historical reasons, a user agent MAY change
        // the request method from POST to GET for the subsequent request";
        // every browser does.
        301 | 302 if *method == Method::POST => (Method::GET, false),
        _ => (method.clone(), true),
    }
}

/// Where a redirect with `headers`, answering a request to `current`,
/// leads: its `Location` resolved against `current` (RFC 9110 §10.2.2,
/// RFC 3986 §5.2), non-ASCII percent-encoded as UTF-8 (RFC 3987 §3.1), the
/// fragment dropped (it is never sent). `None` when there is none, or it
/// does not parse.
pub(crate) fn location(headers: &HeaderMap, current: &Uri) -> Option<Uri> {
    use iri_string::format::ToDedicatedString;
    use iri_string::types::{IriReferenceStr, UriAbsoluteStr, UriReferenceStr};

    let text = std::str::from_utf8(headers.get(LOCATION)?.as_bytes()).ok()?.trim();
    let reference = IriReferenceStr::new(text).ok()?.encode_to_uri().to_dedicated_string();
    let reference: &UriReferenceStr = reference.as_ref();
    let base = current.to_string();
    let base = UriAbsoluteStr::new(&base).ok()?;
    let resolved = reference.resolve_against(base).to_dedicated_string();
    let without_fragment = resolved.as_str().split('#').next().unwrap_or_default();
    without_fragment.parse().ok()
}

/// What the policy says of a redirect to `next` with `status`, `previous`
/// the URLs so far: follow (`Ok(true)`), the redirect is the response
/// (`Ok(false)`), or the error that ends the request.
pub(crate) fn decide(
    policy: &Policy,
    status: StatusCode,
    next: &Uri,
    previous: &[Uri],
) -> Result<bool, Error> {
    match policy.redirect(Hop { status, next, previous }).inner {
        Decision::Follow => {
            // Only http and https can be followed (reqwest says the same).
            match Origin::of(next) {
                Ok(_) => Ok(true),
                Err(e) => Err(Error::new(Kind::Redirect, format!("cannot follow the redirect to {next}"))
                    .with_source(e)),
            }
        }
        Decision::Stop => Ok(false),
        Decision::Error(e) => {
            Err(Error::new(Kind::Redirect, format!("redirect to {next} not followed: {e}")).with_source(e))
        }
    }
}

/// The headers of the next request, from those of the previous one to
/// `from`, going to `to`: without those describing a body it lost
/// (`body_kept` false), without credentials across origins, and with
/// `Referer` when `referer` is on.
pub(crate) fn rewrite_headers(headers: &mut HeaderMap, from: &Uri, to: &Uri, body_kept: bool, referer: bool) {
    if !body_kept {
        for name in [CONTENT_TYPE, CONTENT_LENGTH, CONTENT_ENCODING, TRANSFER_ENCODING] {
            headers.remove(name);
        }
    }
    let same_origin = match (Origin::of(from), Origin::of(to)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same_origin {
        // Credentials are for the origin they were given for (reqwest,
        // curl without --location-trusted); the Host is the old origin's.
        for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, HOST] {
            headers.remove(name);
        }
    }
    headers.remove(REFERER);
    if referer {
        if let Some(value) = referer_for(from, to) {
            headers.insert(REFERER, value);
        }
    }
}

/// `Referer` for a request to `to` made from `from`: `from` without
/// userinfo (RFC 9110 §10.1.3: "MUST NOT include the fragment and userinfo
/// components"); none from https to http ("SHOULD NOT send a Referer ...
/// if the referring resource was accessed with a secure protocol and the
/// request target has an origin differing from that of the referring
/// resource, unless the referring resource explicitly allows", which
/// browsers narrow to this downgrade).
fn referer_for(from: &Uri, to: &Uri) -> Option<HeaderValue> {
    if from.scheme_str() == Some("https") && to.scheme_str() == Some("http") {
        return None;
    }
    let authority = from.authority()?;
    let host = baton_proto::authority::host_port(authority);
    let path = from.path_and_query().map_or("/", |p| p.as_str());
    HeaderValue::try_from(format!("{}://{host}{path}", from.scheme_str()?)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    fn located(value: &str, current: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_bytes(value.as_bytes()).unwrap());
        location(&headers, &uri(current)).map(|u| u.to_string())
    }

    #[test]
    fn locations_resolve_as_rfc_3986_says() {
        let base = "http://a/b/c/d;p?q";
        // RFC 3986 §5.4.1's normal examples.
        for (reference, expected) in [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("../g", "http://a/b/g"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
        ] {
            assert_eq!(located(reference, base).as_deref(), Some(expected), "{reference}");
        }
        assert_eq!(
            located("https://127.0.0.2:8443/x?y#z", base).as_deref(),
            Some("https://127.0.0.2:8443/x?y")
        );
        assert_eq!(located("/caf\u{e9}", "http://a/").as_deref(), Some("http://a/caf%C3%A9"));
        assert_eq!(located("http://[not", base), None);
        assert_eq!(location(&HeaderMap::new(), &uri(base)), None);
    }

    #[test]
    fn methods_change_as_browsers_do() {
        let m = |status: u16, method: Method| method_after(StatusCode::from_u16(status).unwrap(), &method);
        assert_eq!(m(303, Method::POST), (Method::GET, false));
        assert_eq!(m(303, Method::PUT), (Method::GET, false));
        assert_eq!(m(303, Method::HEAD), (Method::HEAD, false));
        assert_eq!(m(301, Method::POST), (Method::GET, false));
        assert_eq!(m(302, Method::POST), (Method::GET, false));
        assert_eq!(m(302, Method::PUT), (Method::PUT, true));
        assert_eq!(m(307, Method::POST), (Method::POST, true));
        assert_eq!(m(308, Method::DELETE), (Method::DELETE, true));
        assert!([301, 302, 303, 307, 308].iter().all(|&s| redirects(StatusCode::from_u16(s).unwrap())));
        assert!([300, 304, 305, 306, 200].iter().all(|&s| !redirects(StatusCode::from_u16(s).unwrap())));
    }

    fn with(pairs: &[(http::header::HeaderName, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(n, v)| (n.clone(), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn credentials_stay_with_their_origin() {
        let sensitive = [(AUTHORIZATION, "Bearer t"), (COOKIE, "a=b"), (PROXY_AUTHORIZATION, "Basic x")];
        let mut same = with(&sensitive);
        rewrite_headers(&mut same, &uri("http://127.0.0.1:1/a"), &uri("http://127.0.0.1:1/b"), true, false);
        assert_eq!(same.len(), 3);
        for other in ["http://127.0.0.2:1/", "http://127.0.0.1:2/", "https://127.0.0.1:1/"] {
            let mut headers = with(&sensitive);
            headers.insert(HOST, HeaderValue::from_static("127.0.0.1:1"));
            rewrite_headers(&mut headers, &uri("http://127.0.0.1:1/a"), &uri(other), true, false);
            assert!(headers.is_empty(), "{other}: {headers:?}");
        }
    }

    #[test]
    fn a_body_lost_takes_its_headers_along() {
        let mut headers = with(&[(CONTENT_TYPE, "text/plain"), (CONTENT_LENGTH, "3"), (AUTHORIZATION, "x")]);
        rewrite_headers(&mut headers, &uri("http://a/"), &uri("http://a/b"), false, false);
        assert_eq!(headers.keys().collect::<Vec<_>>(), [&AUTHORIZATION]);
    }

    #[test]
    fn referer_names_the_previous_url_without_secrets_and_never_downgrades() {
        let mut headers = HeaderMap::new();
        rewrite_headers(&mut headers, &uri("http://u:p@a:8080/x?q"), &uri("http://b/"), true, true);
        assert_eq!(headers[REFERER], "http://a:8080/x?q");
        let mut headers = HeaderMap::new();
        rewrite_headers(&mut headers, &uri("https://a/x"), &uri("http://a/y"), true, true);
        assert!(!headers.contains_key(REFERER));
        let mut headers = with(&[(REFERER, "http://old/")]);
        rewrite_headers(&mut headers, &uri("https://a/x"), &uri("https://b/y"), true, false);
        assert!(!headers.contains_key(REFERER), "off: not even the caller's stale one");
    }

    #[test]
    fn the_limit_counts_redirects_followed() {
        let next = uri("http://a/next");
        let chain: Vec<Uri> = (0..=3).map(|i| uri(&format!("http://a/{i}"))).collect();
        let status = StatusCode::FOUND;
        let policy = Policy::limited(3);
        // Three redirects followed leave four URLs; the fourth redirect fails.
        assert!(decide(&policy, status, &next, &chain[..3]).unwrap());
        let err = decide(&policy, status, &next, &chain).unwrap_err();
        assert!(err.is_redirect() && err.to_string().contains("too many redirects"), "{err}");
        assert!(decide(&Policy::limited(0), status, &next, &chain[..1]).unwrap_err().is_redirect());
        assert!(!decide(&Policy::none(), status, &next, &chain[..1]).unwrap());
        let err = decide(&Policy::default(), status, &uri("ftp://a/"), &chain[..1]).unwrap_err();
        assert!(err.is_redirect(), "{err}");
        let custom =
            Policy::custom(|hop| if hop.status() == StatusCode::FOUND { hop.stop() } else { hop.follow() });
        assert!(!decide(&custom, status, &next, &chain[..1]).unwrap());
        assert!(decide(&custom, StatusCode::SEE_OTHER, &next, &chain[..1]).unwrap());
    }
}
