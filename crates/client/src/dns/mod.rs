//! Name resolution: the [`Resolve`] trait a custom resolver implements
//! (reqwest's shape: a [`Name`] in, [`Addrs`] out), the default one on
//! the system's resolver (`getaddrinfo` through tokio's `lookup_host`),
//! the optional hickory one (`hickory-dns` feature, `dns/hickory.rs`), and
//! the per-host overrides of [`ClientBuilder::resolve`](crate::ClientBuilder::resolve)
//! (curl's `--resolve`), which win over any resolver.

mod builder;
#[cfg(feature = "hickory-dns")]
mod hickory;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

#[cfg(feature = "hickory-dns")]
pub(crate) use hickory::HickoryResolver;

use crate::error::BoxError;

/// A host name to resolve: the URL's host, lowercase, without brackets.
/// IP literals never reach a resolver.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(Box<str>);

impl Name {
    pub(crate) fn new(host: &str) -> Self {
        Self(host.into())
    }

    /// The name as text.
    ///
    /// ```
    /// # use baton::dns::{Addrs, Name, Resolve, Resolving};
    /// struct Echo;
    /// impl Resolve for Echo {
    ///     fn resolve(&self, name: Name) -> Resolving {
    ///         let found = name.as_str() == "localhost";
    ///         Box::pin(async move {
    ///             let addrs: Addrs = if found {
    ///                 Box::new(std::iter::once(std::net::SocketAddr::from(([127, 0, 0, 1], 0))))
    ///             } else {
    ///                 Box::new(std::iter::empty())
    ///             };
    ///             Ok(addrs)
    ///         })
    ///     }
    /// }
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The addresses a name resolved to. A port of 0 is replaced by the URL's
/// port; any other port is used as it is.
pub type Addrs = Box<dyn Iterator<Item = SocketAddr> + Send>;

/// A resolution under way.
pub type Resolving = Pin<Box<dyn Future<Output = Result<Addrs, BoxError>> + Send>>;

/// A DNS resolver, for [`ClientBuilder::dns_resolver`](crate::ClientBuilder::dns_resolver).
///
/// Every address it returns is tried, IPv6 and IPv4 interleaved and raced
/// (happy eyeballs, RFC 8305); an empty list or an error fails the
/// connection attempt as a connect error.
///
/// ```
/// use std::net::SocketAddr;
/// use std::sync::Arc;
/// use baton::dns::{Addrs, Name, Resolve, Resolving};
///
/// /// Sends every name to one service mesh sidecar.
/// struct Sidecar(SocketAddr);
///
/// impl Resolve for Sidecar {
///     fn resolve(&self, _name: Name) -> Resolving {
///         let addr = self.0;
///         Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as Addrs) })
///     }
/// }
///
/// let client = baton::Client::builder()
///     .dns_resolver(Arc::new(Sidecar("127.0.0.1:15001".parse().unwrap())))
///     .build()?;
/// # drop(client);
/// # Ok::<(), baton::Error>(())
/// ```
pub trait Resolve: Send + Sync {
    /// Starts resolving `name`.
    fn resolve(&self, name: Name) -> Resolving;
}

/// A resolver shows as its trait's name (a builder holding one is `Debug`).
impl fmt::Debug for dyn Resolve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dyn Resolve")
    }
}

/// The system's resolver (`getaddrinfo`, on tokio's blocking pool): what
/// `/etc/hosts`, `nsswitch.conf` and `resolv.conf` say.
#[derive(Debug, Default)]
pub(crate) struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((name.as_str(), 0)).await?;
            // Collected: `lookup_host`'s iterator is already a Vec's.
            let addrs: Vec<SocketAddr> = addrs.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The resolver plus the builder's overrides.
#[derive(Clone)]
pub(crate) struct Dns {
    resolver: Arc<dyn Resolve>,
    /// Host (lowercase) to its addresses, from `ClientBuilder::resolve`.
    overrides: Arc<HashMap<String, Vec<SocketAddr>>>,
}

impl fmt::Debug for Dns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dns").field("overrides", &self.overrides).finish_non_exhaustive()
    }
}

impl Dns {
    pub(crate) fn new(resolver: Arc<dyn Resolve>, overrides: HashMap<String, Vec<SocketAddr>>) -> Self {
        Self { resolver, overrides: Arc::new(overrides) }
    }

    /// The addresses of `host` with `port` filled in where they have none:
    /// an IP literal as it is, an override, or what the resolver says.
    pub(crate) async fn lookup(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, BoxError> {
        let with_port = |mut addr: SocketAddr| {
            if addr.port() == 0 {
                addr.set_port(port);
            }
            addr
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        if let Some(addrs) = self.overrides.get(host) {
            return Ok(addrs.iter().copied().map(with_port).collect());
        }
        let addrs = self.resolver.resolve(Name::new(host)).await?;
        Ok(addrs.map(with_port).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Vec<SocketAddr>);

    impl Resolve for Fixed {
        fn resolve(&self, name: Name) -> Resolving {
            let addrs = self.0.clone();
            Box::pin(async move {
                if name.as_str() == "fails.test" {
                    return Err("no such name".into());
                }
                Ok(Box::new(addrs.into_iter()) as Addrs)
            })
        }
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn literals_then_overrides_then_the_resolver() {
        let resolver = Arc::new(Fixed(vec![addr("10.0.0.1:0"), addr("[fd00::1]:8443")]));
        let overrides =
            HashMap::from([("pinned.test".to_owned(), vec![addr("127.0.0.2:0"), addr("127.0.0.3:9")])]);
        let dns = Dns::new(resolver, overrides);
        assert_eq!(dns.lookup("::1", 80).await.unwrap(), vec![addr("[::1]:80")]);
        assert_eq!(dns.lookup("192.0.2.7", 81).await.unwrap(), vec![addr("192.0.2.7:81")]);
        assert_eq!(
            dns.lookup("pinned.test", 80).await.unwrap(),
            vec![addr("127.0.0.2:80"), addr("127.0.0.3:9")]
        );
        // Port 0 takes the URL's; a resolver's own port stays.
        assert_eq!(
            dns.lookup("any.test", 443).await.unwrap(),
            vec![addr("10.0.0.1:443"), addr("[fd00::1]:8443")]
        );
        assert_eq!(dns.lookup("fails.test", 443).await.unwrap_err().to_string(), "no such name");
    }

    #[tokio::test]
    async fn the_system_resolver_knows_localhost() {
        let addrs =
            Dns::new(Arc::new(SystemResolver), HashMap::new()).lookup("localhost", 8080).await.unwrap();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080), "{addrs:?}");
    }
}
