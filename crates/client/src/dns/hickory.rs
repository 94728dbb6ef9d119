//! The `hickory-dns` feature's resolver: hickory-resolver on tokio, set up
//! from the system's configuration (`/etc/resolv.conf`) on first use, with
//! its own cache, instead of `getaddrinfo` on the blocking pool.

use std::net::SocketAddr;
use std::sync::OnceLock;

use hickory_resolver::TokioResolver;

use super::{Addrs, Name, Resolve, Resolving};

/// hickory-resolver, built when the first name is looked up: a client that
/// only ever connects to IP literals or overridden names never reads the
/// system configuration.
#[derive(Debug, Default)]
pub(crate) struct HickoryResolver {
    /// The resolver, or why the system configuration gave none.
    state: OnceLock<Result<TokioResolver, String>>,
}

impl Resolve for HickoryResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.state.get_or_init(|| {
            TokioResolver::builder_tokio()
                .map(|b| b.build())
                .map_err(|e| format!("hickory-dns setup failed: {e}"))
        });
        let resolver = resolver.clone();
        Box::pin(async move {
            let resolver = resolver?;
            let found = resolver.lookup_ip(name.as_str()).await?;
            let addrs: Vec<SocketAddr> = found.iter().map(|ip| SocketAddr::new(ip, 0)).collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
