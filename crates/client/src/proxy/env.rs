//! The proxy environment variables, read as curl reads them (curl(1),
//! ENVIRONMENT): `http_proxy` for `http://` URLs, in lower case only (a CGI
//! script gets the request's `Proxy:` header as `HTTP_PROXY`, "httpoxy");
//! `https_proxy` or `HTTPS_PROXY` for `https://`; `all_proxy` or
//! `ALL_PROXY` for both when the other is unset; `no_proxy` or `NO_PROXY`
//! for the hosts that bypass them all. Lower case wins where both exist; an
//! empty value counts as unset.

use super::{NoProxy, Proxy};

/// Where variables come from: the process, or a table in tests.
pub(super) trait Vars {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process's environment.
pub(super) struct System;

impl Vars for System {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// The first of `names` that is set and not empty.
fn first(vars: &dyn Vars, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| vars.get(n).filter(|v| !v.trim().is_empty()))
}

/// `Proxy::http`, `Proxy::https` or `Proxy::all`.
type MakeProxy = fn(&str) -> Result<Proxy, crate::Error>;

/// The proxies the environment names, most specific first. A value that is
/// not a proxy URL is skipped with a warning: a client must still build.
pub(super) fn proxies(vars: &dyn Vars) -> Vec<Proxy> {
    let no_proxy = first(vars, &["no_proxy", "NO_PROXY"]).and_then(|v| NoProxy::from_string(&v));
    let wanted: [(MakeProxy, &[&str]); 3] = [
        (Proxy::http, &["http_proxy"]),
        (Proxy::https, &["https_proxy", "HTTPS_PROXY"]),
        (Proxy::all, &["all_proxy", "ALL_PROXY"]),
    ];
    let mut out = Vec::new();
    for (make, names) in wanted {
        let Some(url) = first(vars, names) else { continue };
        match make(&url) {
            Ok(proxy) => out.push(proxy.no_proxy(no_proxy.clone())),
            Err(e) => tracing::warn!(variable = names[0], error = %e, "proxy variable ignored"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::Proxies;
    use super::*;
    use crate::origin::Origin;

    impl Vars for HashMap<&str, &str> {
        fn get(&self, name: &str) -> Option<String> {
            HashMap::get(self, name).map(|v| (*v).to_owned())
        }
    }

    fn route(vars: &[(&'static str, &'static str)], url: &str) -> Option<String> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        let proxies = Proxies(proxies(&vars));
        proxies.for_origin(&Origin::of(&url.parse().unwrap()).unwrap()).map(ToString::to_string)
    }

    #[test]
    fn as_curl_reads_them() {
        let p = |s: &str| Some(s.to_owned());
        assert_eq!(route(&[("http_proxy", "h:1")], "http://a/"), p("http://h:1"));
        assert_eq!(route(&[("http_proxy", "h:1")], "https://a/"), None);
        // Upper-case HTTP_PROXY is never read (httpoxy).
        assert_eq!(route(&[("HTTP_PROXY", "h:1")], "http://a/"), None);
        assert_eq!(route(&[("HTTPS_PROXY", "s:2")], "https://a/"), p("http://s:2"));
        assert_eq!(route(&[("https_proxy", "l:3"), ("HTTPS_PROXY", "u:4")], "https://a/"), p("http://l:3"));
        assert_eq!(route(&[("ALL_PROXY", "socks5h://x:5")], "http://a/"), p("socks5h://x:5"));
        assert_eq!(
            route(&[("all_proxy", "socks5://x:5"), ("https_proxy", "s:2")], "https://a/"),
            p("http://s:2")
        );
        assert_eq!(
            route(&[("all_proxy", "socks5://x:5"), ("https_proxy", "s:2")], "http://a/"),
            p("socks5://x:5")
        );
        assert_eq!(route(&[("http_proxy", "")], "http://a/"), None);
        assert_eq!(route(&[("http_proxy", "ftp://nope")], "http://a/"), None);
        let no = [("all_proxy", "h:1"), ("NO_PROXY", "a.example,127.0.0.0/8")];
        assert_eq!(route(&no, "http://www.a.example/"), None);
        assert_eq!(route(&no, "http://127.0.0.1:8080/"), None);
        assert_eq!(route(&no, "http://b.example/"), p("http://h:1"));
        let both = [("all_proxy", "h:1"), ("no_proxy", "b.example"), ("NO_PROXY", "a.example")];
        assert_eq!(route(&both, "http://a.example/"), p("http://h:1"));
        assert_eq!(route(&[("all_proxy", "h:1"), ("no_proxy", "*")], "http://a.example/"), None);
    }
}
