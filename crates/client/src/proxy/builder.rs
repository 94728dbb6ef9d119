//! The builder's proxy options.

use super::Proxy;
use crate::client::ClientBuilder;

impl ClientBuilder {
    /// Sends requests through `proxy` (see [`Proxy`] for which requests it
    /// takes and how). Several may be added; the first that takes a
    /// request is used. Adding one turns off the proxy environment
    /// variables, as in reqwest.
    ///
    /// Without any, the client reads the environment as curl does when it
    /// is built: `http_proxy` (lower case only) for `http://` URLs,
    /// `https_proxy` or `HTTPS_PROXY` for `https://`, `all_proxy` or
    /// `ALL_PROXY` for both, and `no_proxy` or `NO_PROXY` (see [`NoProxy`](crate::NoProxy))
    /// for hosts that go direct; [`no_proxy`](Self::no_proxy) turns that off.
    ///
    /// A connection through a proxy is pooled under its origin, as the
    /// proxy for an origin is fixed when the client is built. A proxy's
    /// failure is an [`Error::is_proxy`](crate::Error::is_proxy) error, with nothing sent to the
    /// origin.
    ///
    /// ```
    /// let client = baton::Client::builder()
    ///     .proxy(baton::Proxy::https("http://127.0.0.1:3128")?)
    ///     .proxy(baton::Proxy::http("socks5h://127.0.0.1:1080")?)
    ///     .build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxies.push(proxy);
        self
    }

    /// Uses no proxy: neither those added with [`proxy`](Self::proxy) nor
    /// the environment's.
    ///
    /// ```
    /// let client = baton::Client::builder().no_proxy().build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn no_proxy(mut self) -> Self {
        self.proxies.clear();
        self.env_proxies = false;
        self
    }
}
