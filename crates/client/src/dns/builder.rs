//! The builder's name resolution options: fixed addresses for host names,
//! and the resolver.

use std::net::SocketAddr;
use std::sync::Arc;

use super::Resolve;
use crate::client::ClientBuilder;

impl ClientBuilder {
    /// Sends connections for `host` to `addr` instead of resolving it, as
    /// curl's `--resolve`: the URL keeps its host (in `Host`, in TLS's SNI
    /// and certificate check). A port of 0 in `addr` means the URL's port;
    /// any other port is used as it is. Host names compare without regard
    /// to case; a later call for the same host replaces the earlier one.
    ///
    /// ```
    /// use std::net::SocketAddr;
    ///
    /// // Test the new server before DNS points at it.
    /// let new_server: SocketAddr = "192.0.2.10:0".parse().unwrap();
    /// let client = baton::Client::builder().resolve("example.com", new_server).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn resolve(self, host: &str, addr: SocketAddr) -> Self {
        self.resolve_to_addrs(host, &[addr])
    }

    /// As [`resolve`](Self::resolve), with several addresses: all are tried,
    /// IPv6 and IPv4 raced as for a name the resolver found (RFC 8305).
    ///
    /// ```
    /// use std::net::SocketAddr;
    ///
    /// let addrs: [SocketAddr; 2] = ["[::1]:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap()];
    /// let client = baton::Client::builder().resolve_to_addrs("api.internal", &addrs).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn resolve_to_addrs(mut self, host: &str, addrs: &[SocketAddr]) -> Self {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.overrides.insert(host, addrs.to_vec());
        self
    }

    /// Resolves host names with `resolver` instead of the system's resolver
    /// (`getaddrinfo`). Overrides set with [`resolve`](Self::resolve) still
    /// win, and IP literals are never resolved. See [`dns::Resolve`](crate::dns::Resolve).
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use std::sync::Arc;
    /// use baton::dns::{Addrs, Name, Resolve, Resolving};
    ///
    /// struct Loopback;
    /// impl Resolve for Loopback {
    ///     fn resolve(&self, _name: Name) -> Resolving {
    ///         Box::pin(async { Ok(Box::new(std::iter::once(SocketAddr::from(([127, 0, 0, 1], 0)))) as Addrs) })
    ///     }
    /// }
    ///
    /// let client = baton::Client::builder().dns_resolver(Arc::new(Loopback)).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn dns_resolver<R: Resolve + 'static>(mut self, resolver: Arc<R>) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// Whether host names are resolved with hickory-resolver (default `true`
    /// with the `hickory-dns` cargo feature, which this method needs) rather
    /// than the system's `getaddrinfo`. A [`dns_resolver`](Self::dns_resolver)
    /// wins over both.
    ///
    /// ```
    /// let client = baton::Client::builder().hickory_dns(false).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[cfg(feature = "hickory-dns")]
    pub fn hickory_dns(mut self, enable: bool) -> Self {
        self.hickory_dns = enable;
        self
    }
}
