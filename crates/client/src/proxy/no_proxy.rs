//! `NO_PROXY`: the hosts that bypass a proxy, matched as curl does
//! (lib/noproxy.c, and its `--noproxy` documentation): a list separated by
//! commas or spaces; `*` alone matches every host; a name matches itself
//! and every name below it (`example.com` takes `www.example.com`, not
//! `notexample.com`), a leading dot or `*.` changing nothing; an IP
//! address matches itself, and with `/bits` (curl 7.86) a whole network.
//! An entry may end in `:port` to match that port only (as Go's
//! `httpproxy` does; curl ignores ports).

use std::net::IpAddr;

use ipnet::IpNet;

/// Hosts that bypass a proxy, in `NO_PROXY`'s syntax.
///
/// ```
/// use baton::NoProxy;
///
/// let no = NoProxy::from_string("localhost, .internal.example,10.0.0.0/8,[::1],api.example:8443").unwrap();
/// # let _ = no;
/// assert!(NoProxy::from_string("").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    entries: Vec<(Entry, Option<u16>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// A name, lowercase, without a leading dot.
    Domain(String),
    Ip(IpAddr),
    Net(IpNet),
}

impl NoProxy {
    /// Parses a `NO_PROXY` value; `None` when it names nothing.
    ///
    /// ```
    /// assert!(baton::NoProxy::from_string("*").is_some());
    /// ```
    pub fn from_string(list: &str) -> Option<Self> {
        let mut no = Self { all: false, entries: Vec::new() };
        for item in list.split([',', ' ', '\t']).map(str::trim).filter(|s| !s.is_empty()) {
            if item == "*" {
                no.all = true;
                continue;
            }
            no.entries.push(parse(item));
        }
        (no.all || !no.entries.is_empty()).then_some(no)
    }

    /// Reads `no_proxy`, or when it is unset `NO_PROXY`, as curl does.
    ///
    /// ```
    /// let from_env = baton::NoProxy::from_env();
    /// # let _ = from_env;
    /// ```
    pub fn from_env() -> Option<Self> {
        let value = std::env::var("no_proxy").or_else(|_| std::env::var("NO_PROXY")).ok()?;
        Self::from_string(&value)
    }

    /// True when `host` (lowercase, without brackets) on `port` bypasses
    /// the proxy.
    pub(crate) fn matches(&self, host: &str, port: u16) -> bool {
        if self.all {
            return true;
        }
        let ip = host.parse::<IpAddr>().ok();
        self.entries.iter().any(|(entry, only)| {
            if only.is_some_and(|p| p != port) {
                return false;
            }
            match (entry, ip) {
                (Entry::Ip(e), Some(ip)) => *e == ip,
                (Entry::Net(net), Some(ip)) => net.contains(&ip),
                (Entry::Domain(d), None) => {
                    host == d || host.strip_suffix(d.as_str()).is_some_and(|rest| rest.ends_with('.'))
                }
                _ => false,
            }
        })
    }
}

/// One entry, with its port if it has one.
fn parse(item: &str) -> (Entry, Option<u16>) {
    let item = item.to_ascii_lowercase();
    // `[v6]`, `[v6]:port`, `[v6]/bits`.
    if let Some(rest) = item.strip_prefix('[') {
        if let Some((inside, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            let bits = after.strip_prefix('/');
            return (ip_entry(inside, bits).unwrap_or_else(|| Entry::Domain(inside.to_owned())), port);
        }
    }
    if let Some((addr, bits)) = item.split_once('/') {
        if let Some(entry) = ip_entry(addr, Some(bits)) {
            return (entry, None);
        }
    }
    if let Ok(ip) = item.parse::<IpAddr>() {
        return (Entry::Ip(ip), None);
    }
    let (name, port) = match item.rsplit_once(':') {
        Some((name, port)) if port.parse::<u16>().is_ok() => (name, port.parse().ok()),
        _ => (item.as_str(), None),
    };
    if let Ok(ip) = name.parse::<IpAddr>() {
        return (Entry::Ip(ip), port);
    }
    let name = name.strip_prefix("*.").or_else(|| name.strip_prefix('.')).unwrap_or(name);
    (Entry::Domain(name.to_owned()), port)
}

fn ip_entry(addr: &str, bits: Option<&str>) -> Option<Entry> {
    let ip: IpAddr = addr.parse().ok()?;
    match bits {
        None => Some(Entry::Ip(ip)),
        Some(bits) => IpNet::new(ip, bits.parse().ok()?).ok().map(|n| Entry::Net(n.trunc())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// curl's rules, one row each: the list, the host and port, bypassed?
    #[test]
    fn curl_rules() {
        let table: &[(&str, &str, u16, bool)] = &[
            ("*", "anything.example", 80, true),
            ("*", "10.1.2.3", 80, true),
            ("local.com", "local.com", 80, true),
            ("local.com", "www.local.com", 443, true),
            ("local.com", "a.b.local.com", 80, true),
            ("local.com", "notlocal.com", 80, false),
            ("local.com", "local.com.evil", 80, false),
            (".local.com", "local.com", 80, true),
            (".local.com", "www.local.com", 80, true),
            ("*.local.com", "www.local.com", 80, true),
            ("LOCAL.com", "www.local.com", 80, true),
            ("a.example, b.example", "b.example", 80, true),
            ("a.example b.example", "b.example", 80, true),
            ("a.example,,", "c.example", 80, false),
            ("192.168.1.1", "192.168.1.1", 80, true),
            ("192.168.1.1", "192.168.1.10", 80, false),
            // A name entry never matches an address, nor an address a name.
            ("168.1.1", "192.168.1.1", 80, false),
            ("192.168.0.0/16", "192.168.200.7", 80, true),
            ("192.168.0.0/16", "192.169.0.1", 80, false),
            ("10.0.0.0/8", "10.255.255.255", 80, true),
            ("10.1.2.3/8", "10.9.9.9", 80, true),
            ("::1", "::1", 80, true),
            ("[::1]", "::1", 80, true),
            ("fd00::/8", "fd12::1", 80, true),
            ("fd00::/8", "fe80::1", 80, false),
            ("[fd00::]/8", "fd12::1", 80, true),
            ("localhost", "localhost", 8080, true),
            // Ports, when given, must match.
            ("api.example:8443", "api.example", 8443, true),
            ("api.example:8443", "api.example", 443, false),
            ("127.0.0.1:9", "127.0.0.1", 9, true),
            ("127.0.0.1:9", "127.0.0.1", 10, false),
            ("[::1]:9", "::1", 9, true),
            ("[::1]:9", "::1", 8, false),
            ("example.com", "example.org", 80, false),
        ];
        for &(list, host, port, bypass) in table {
            let no = NoProxy::from_string(list).unwrap();
            assert_eq!(no.matches(host, port), bypass, "NO_PROXY={list:?} host={host} port={port}");
        }
        assert_eq!(NoProxy::from_string(""), None);
        assert_eq!(NoProxy::from_string(" , "), None);
    }
}
