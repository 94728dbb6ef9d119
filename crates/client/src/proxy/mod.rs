//! Proxies: which requests go through one ([`Proxy`], [`NoProxy`], and the
//! environment as curl reads it, `env.rs`), and how a connection gets
//! through it (`tunnel.rs` for HTTP CONNECT, `socks.rs` for SOCKS5).
//!
//! How each kind carries each protocol:
//!
//! | proxy           | `http://`, HTTP/1.1               | `http://`, h2c prior knowledge | `https://` (ALPN h2 or http/1.1) |
//! |-----------------|-----------------------------------|--------------------------------|----------------------------------|
//! | `http://`       | forwarded: absolute-form targets  | CONNECT tunnel                 | CONNECT tunnel, TLS inside       |
//! | `https://`      | the same, over TLS to the proxy   | the same, over TLS             | the same, TLS in TLS             |
//! | `socks5://`     | SOCKS5 CONNECT (names resolved here) | the same                   | the same, TLS inside             |
//! | `socks5h://`    | SOCKS5 CONNECT (names sent to the proxy) | the same               | the same, TLS inside             |
//!
//! HTTP/2 cannot be forwarded by an HTTP/1.1 proxy (RFC 9113 §3.3's prior
//! knowledge is between the client and the server it talks to, and a
//! forward proxy speaks HTTP/1.1 to both sides), so h2c goes through a
//! CONNECT tunnel, where the proxy only relays bytes.

mod builder;
mod env;
mod no_proxy;
pub(crate) mod socks;
pub(crate) mod tunnel;

use std::fmt;

use base64::Engine as _;
use http::HeaderValue;
use http::Uri;

pub use no_proxy::NoProxy;

use crate::error::Error;
use crate::origin::Origin;

/// Which requests a [`Proxy`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intercept {
    Http,
    Https,
    All,
}

/// How the client talks to the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// HTTP/1.1 over TCP.
    Http,
    /// HTTP/1.1 over TLS to the proxy itself.
    Https,
    /// SOCKS5 (RFC 1928); `remote_dns` sends the host name to the proxy
    /// (`socks5h`) instead of resolving it here (`socks5`).
    Socks5 { remote_dns: bool },
}

/// Where a proxy is and how to log in to it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) scheme: Scheme,
    /// The host, without brackets.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// User name and password: Basic `Proxy-Authorization` for an HTTP
    /// proxy (RFC 9110 §11.7.1), RFC 1929's sub-negotiation for SOCKS5.
    pub(crate) auth: Option<(String, String)>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the password.
        write!(f, "{self}")?;
        if let Some((user, _)) = &self.auth {
            write!(f, " (as {user})")?;
        }
        Ok(())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Socks5 { remote_dns: false } => "socks5",
            Scheme::Socks5 { remote_dns: true } => "socks5h",
        };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

impl Target {
    /// A proxy URL as curl takes it: a scheme of `http`, `https`, `socks5`
    /// or `socks5h` (none means `http`), a host, a port (default 1080 for
    /// SOCKS, 443 for `https`, 80 for `http`), and userinfo as the
    /// credentials, percent-decoded.
    fn parse(url: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::builder(format!("invalid proxy URL {url:?}: {why}"));
        let with_scheme = if url.contains("://") { url.to_owned() } else { format!("http://{url}") };
        let uri: Uri = with_scheme.parse().map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
        let scheme = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            Some("socks5") => Scheme::Socks5 { remote_dns: false },
            Some("socks5h") => Scheme::Socks5 { remote_dns: true },
            Some(other) => return Err(bad(&format!("unsupported scheme {other:?}"))),
            None => return Err(bad("no scheme")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = match authority.port() {
            Some(port) => {
                port.as_str().parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(|| bad("invalid port"))?
            }
            None => match scheme {
                Scheme::Http => 80,
                Scheme::Https => 443,
                Scheme::Socks5 { .. } => 1080,
            },
        };
        let auth = authority.as_str().rsplit_once('@').map(|(userinfo, _)| {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            (percent_decode(user), percent_decode(pass))
        });
        Ok(Self { scheme, host, port, auth })
    }

    /// The `Proxy-Authorization` field for an HTTP proxy with credentials.
    pub(crate) fn basic_auth(&self) -> Option<HeaderValue> {
        let (user, pass) = self.auth.as_ref()?;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        let mut value = HeaderValue::try_from(format!("Basic {token}")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

/// `%XX` sequences decoded, the rest kept; invalid UTF-8 is replaced.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A proxy for some of the client's requests, for
/// [`ClientBuilder::proxy`](crate::ClientBuilder::proxy). Its URL's scheme
/// says how the client talks to it: `http://` (the default), `https://`
/// (TLS to the proxy), `socks5://` (names resolved by the client) or
/// `socks5h://` (names resolved by the proxy). Credentials come from the
/// URL's userinfo or [`basic_auth`](Self::basic_auth).
///
/// ```
/// use baton::{NoProxy, Proxy};
///
/// let corporate = Proxy::all("http://proxy.corp.example:3128")?
///     .basic_auth("build-bot", "s3cret")
///     .no_proxy(NoProxy::from_string("localhost,.corp.example,10.0.0.0/8"));
/// let client = baton::Client::builder().proxy(corporate).build()?;
/// # drop(client);
/// # Ok::<(), baton::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Proxy {
    intercept: Intercept,
    target: Target,
    no_proxy: Option<NoProxy>,
}

impl Proxy {
    /// A proxy for `http://` URLs only.
    ///
    /// # Errors
    /// An [`Error::is_builder`] error for a URL that is not a proxy URL.
    ///
    /// ```
    /// let proxy = baton::Proxy::http("http://127.0.0.1:3128")?;
    /// # drop(proxy);
    /// assert!(baton::Proxy::http("ftp://127.0.0.1").unwrap_err().is_builder());
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn http(url: &str) -> Result<Self, Error> {
        Self::new(Intercept::Http, url)
    }

    /// A proxy for `https://` URLs only (through a CONNECT tunnel, or SOCKS).
    ///
    /// # Errors
    /// An [`Error::is_builder`] error for a URL that is not a proxy URL.
    ///
    /// ```
    /// let proxy = baton::Proxy::https("socks5h://127.0.0.1:1080")?;
    /// # drop(proxy);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn https(url: &str) -> Result<Self, Error> {
        Self::new(Intercept::Https, url)
    }

    /// A proxy for every URL.
    ///
    /// # Errors
    /// An [`Error::is_builder`] error for a URL that is not a proxy URL.
    ///
    /// ```
    /// let proxy = baton::Proxy::all("https://user:pa%20ss@proxy.example:8443")?;
    /// # drop(proxy);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn all(url: &str) -> Result<Self, Error> {
        Self::new(Intercept::All, url)
    }

    /// The proxies the environment names, as a client built without
    /// [`ClientBuilder::proxy`](crate::ClientBuilder::proxy) reads them
    /// (see there), each with the environment's `NO_PROXY`: for a program
    /// that adjusts them (curl's `--noproxy` replaces `NO_PROXY`) before
    /// handing them to the builder. A variable that is not a proxy URL is
    /// skipped.
    ///
    /// ```
    /// let mut builder = baton::Client::builder();
    /// for proxy in baton::Proxy::from_env() {
    ///     builder = builder.proxy(proxy.no_proxy(baton::NoProxy::from_string("localhost")));
    /// }
    /// let client = builder.build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn from_env() -> Vec<Self> {
        env::proxies(&env::System)
    }

    fn new(intercept: Intercept, url: &str) -> Result<Self, Error> {
        Ok(Self { intercept, target: Target::parse(url)?, no_proxy: None })
    }

    /// Logs in to the proxy with a user name and password: Basic
    /// `Proxy-Authorization` for an HTTP proxy, RFC 1929's for SOCKS5.
    /// Replaces credentials in the URL.
    ///
    /// ```
    /// let proxy = baton::Proxy::all("socks5://127.0.0.1:1080")?.basic_auth("me", "pw");
    /// # drop(proxy);
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[must_use]
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.target.auth = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// Hosts that bypass this proxy (`None`: none do).
    ///
    /// ```
    /// let proxy = baton::Proxy::all("http://127.0.0.1:3128")?.no_proxy(baton::NoProxy::from_string("*.internal"));
    /// # drop(proxy);
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[must_use]
    pub fn no_proxy(mut self, no_proxy: Option<NoProxy>) -> Self {
        self.no_proxy = no_proxy;
        self
    }

    fn takes(&self, origin: &Origin) -> bool {
        let scheme = match self.intercept {
            Intercept::All => true,
            Intercept::Http => !origin.tls,
            Intercept::Https => origin.tls,
        };
        scheme && !self.no_proxy.as_ref().is_some_and(|n| n.matches(origin.host(), origin.port))
    }
}

/// The proxies a client uses: the builder's, or the environment's.
#[derive(Clone, Debug, Default)]
pub(crate) struct Proxies(Vec<Proxy>);

impl Proxies {
    /// The builder's `proxies`, or with none and `from_env`, those the
    /// environment names.
    pub(crate) fn new(proxies: Vec<Proxy>, from_env: bool) -> Self {
        if !proxies.is_empty() || !from_env {
            return Self(proxies);
        }
        Self(env::proxies(&env::System))
    }

    /// The proxy for `origin`, if any: the first that takes it.
    pub(crate) fn for_origin(&self, origin: &Origin) -> Option<&Target> {
        self.0.iter().find(|p| p.takes(origin)).map(|p| &p.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_as_curl_takes_them() {
        let t = Target::parse("127.0.0.1:3128").unwrap();
        assert_eq!((t.scheme, t.host.as_str(), t.port, t.auth), (Scheme::Http, "127.0.0.1", 3128, None));
        let t = Target::parse("socks5h://u%40x:p%3Aw@Proxy.Example").unwrap();
        assert_eq!(t.scheme, Scheme::Socks5 { remote_dns: true });
        assert_eq!((t.host.as_str(), t.port), ("proxy.example", 1080));
        assert_eq!(t.auth, Some(("u@x".to_owned(), "p:w".to_owned())));
        let t = Target::parse("https://[::1]").unwrap();
        assert_eq!((t.scheme, t.host.as_str(), t.port), (Scheme::Https, "::1", 443));
        assert_eq!(t.to_string(), "https://[::1]:443");
        assert!(Target::parse("ftp://x").is_err());
        assert!(Target::parse("http://x:0").is_err());
        assert!(Target::parse("http://:8").is_err());
        // Debug shows the user, never the password.
        let t = Target::parse("http://me:secret@p:1").unwrap();
        assert_eq!(format!("{t:?}"), "http://p:1 (as me)");
        assert_eq!(t.basic_auth().unwrap(), "Basic bWU6c2VjcmV0");
    }

    #[test]
    fn each_proxy_takes_its_schemes() {
        let origin = |u: &str| Origin::of(&u.parse().unwrap()).unwrap();
        let proxies = Proxies(vec![
            Proxy::http("http://h:1").unwrap().no_proxy(NoProxy::from_string("skip.example")),
            Proxy::all("socks5://s:2").unwrap(),
        ]);
        assert_eq!(proxies.for_origin(&origin("http://a.example/")).unwrap().host, "h");
        assert_eq!(proxies.for_origin(&origin("https://a.example/")).unwrap().host, "s");
        assert_eq!(proxies.for_origin(&origin("http://skip.example/")).unwrap().host, "s");
        assert!(Proxies::default().for_origin(&origin("http://a.example/")).is_none());
    }
}
