//! `baton get`'s flags for where a request goes, as curl's: `-x`/`--proxy`,
//! `--proxy-user`, `--noproxy`, `--resolve` and `--unix-socket`. Without
//! `-x`, the proxy environment variables apply as in curl (`http_proxy`,
//! `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, in the library's reading).

use std::net::{IpAddr, SocketAddr};

use baton::{ClientBuilder, NoProxy, Proxy};

#[derive(Debug, clap::Args)]
pub(crate) struct Route {
    /// Send requests through this proxy: `[SCHEME://][USER:PASSWORD@]HOST[:PORT]`,
    /// SCHEME one of http (the default), https, socks5, socks5h; the port
    /// defaults to 1080 (443 for https), as in curl. Overrides the proxy
    /// environment variables.
    #[arg(short = 'x', long = "proxy", value_name = "URL")]
    proxy: Option<String>,
    /// The proxy's user name and password, USER:PASSWORD.
    #[arg(short = 'U', long = "proxy-user", value_name = "USER:PASSWORD")]
    proxy_user: Option<String>,
    /// Hosts that bypass the proxy, comma-separated ("*" for all), as
    /// NO_PROXY, which it replaces.
    #[arg(long = "noproxy", value_name = "LIST")]
    noproxy: Option<String>,
    /// Connect to ADDR for HOST instead of resolving it,
    /// HOST:PORT:ADDR[,ADDR...] (repeatable; IPv6 in brackets). The port is
    /// read but the addresses serve the host on any port.
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR")]
    resolve: Vec<String>,
    /// Connect to this Unix domain socket instead of the URL's host.
    #[arg(long = "unix-socket", value_name = "PATH")]
    unix_socket: Option<std::path::PathBuf>,
}

impl Route {
    /// Applies the flags to a client builder.
    pub(crate) fn apply(&self, mut builder: ClientBuilder) -> Result<ClientBuilder, String> {
        for spec in &self.resolve {
            let (host, addrs) = resolve(spec)?;
            builder = builder.resolve_to_addrs(&host, &addrs);
        }
        if let Some(path) = &self.unix_socket {
            builder = unix_socket(builder, path)?;
        }
        let no_proxy = self.noproxy.as_deref().map(NoProxy::from_string);
        let proxies = match &self.proxy {
            Some(url) => {
                let proxy = Proxy::all(&with_curl_port(url)).map_err(|e| e.to_string())?;
                vec![proxy.no_proxy(NoProxy::from_env())]
            }
            None if no_proxy.is_some() || self.proxy_user.is_some() => Proxy::from_env(),
            // The client reads the environment itself.
            None => return Ok(builder),
        };
        if proxies.is_empty() {
            return Ok(builder.no_proxy());
        }
        for mut proxy in proxies {
            if let Some(list) = &no_proxy {
                proxy = proxy.no_proxy(list.clone());
            }
            if let Some(user) = &self.proxy_user {
                let (user, password) = user.split_once(':').unwrap_or((user, ""));
                proxy = proxy.basic_auth(user, password);
            }
            builder = builder.proxy(proxy);
        }
        Ok(builder)
    }
}

#[cfg(unix)]
fn unix_socket(builder: ClientBuilder, path: &std::path::Path) -> Result<ClientBuilder, String> {
    Ok(builder.unix_socket(path))
}

#[cfg(not(unix))]
fn unix_socket(_: ClientBuilder, _: &std::path::Path) -> Result<ClientBuilder, String> {
    Err("--unix-socket needs a Unix system".to_owned())
}

/// curl's default proxy port, 1080, where the URL names none (`https://`
/// keeps its 443).
fn with_curl_port(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    if scheme.eq_ignore_ascii_case("https") {
        return url.to_owned();
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let has_port = match host.rsplit_once(']') {
        Some((_, after)) => after.starts_with(':'),
        None => host.contains(':'),
    };
    if has_port { url.to_owned() } else { format!("{scheme}://{authority}:1080{}", &rest[authority_end..]) }
}

/// `HOST:PORT:ADDR[,ADDR...]` as curl's `--resolve`.
fn resolve(spec: &str) -> Result<(String, Vec<SocketAddr>), String> {
    let bad = || format!("--resolve {spec:?}: expected HOST:PORT:ADDR[,ADDR...]");
    let (host, rest) = spec.split_once(':').ok_or_else(bad)?;
    let (port, addrs) = rest.split_once(':').ok_or_else(bad)?;
    port.parse::<u16>().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    let addrs = addrs
        .split(',')
        .map(|a| {
            let a = a.trim().trim_start_matches('[').trim_end_matches(']');
            a.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 0)).map_err(|_| bad())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((host.to_owned(), addrs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_specs_as_curl() {
        let (host, addrs) = resolve("example.com:443:127.0.0.1,[::1]").unwrap();
        assert_eq!(host, "example.com");
        assert_eq!(addrs, vec!["127.0.0.1:0".parse().unwrap(), "[::1]:0".parse().unwrap()]);
        assert!(resolve("example.com:443").is_err());
        assert!(resolve("example.com:x:127.0.0.1").is_err());
        assert!(resolve("example.com:443:not-an-ip").is_err());
        assert!(resolve(":443:127.0.0.1").is_err());
    }

    #[test]
    fn proxy_ports_default_to_1080() {
        assert_eq!(with_curl_port("127.0.0.1"), "http://127.0.0.1:1080");
        assert_eq!(with_curl_port("http://u:p@proxy"), "http://u:p@proxy:1080");
        assert_eq!(with_curl_port("socks5h://[::1]"), "socks5h://[::1]:1080");
        assert_eq!(with_curl_port("http://[::1]:3128"), "http://[::1]:3128");
        assert_eq!(with_curl_port("proxy:3128"), "proxy:3128");
        assert_eq!(with_curl_port("https://proxy"), "https://proxy");
    }
}
