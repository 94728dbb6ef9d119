//! Request headers from `-H` arguments, read as curl reads them:
//! `Name: value` adds a header, `Name:` (nothing after the colon) removes
//! one, and `Name;` sends one with an empty value.

use http::HeaderName;

/// What `baton get` sends unless `-H` replaces or removes it: curl's two
/// defaults (`User-Agent: curl/VERSION`, `Accept: */*`). Some servers
/// refuse a request without a User-Agent.
pub(crate) const GET_DEFAULTS: &[(&str, &str)] =
    &[("user-agent", concat!("baton/", env!("CARGO_PKG_VERSION"))), ("accept", "*/*")];

/// Fields the client writes itself, that `Name:` cannot remove. A demanding
/// user would rather be told before anything is sent than find out from a
/// packet capture that a flag did nothing, so removing one is an error,
/// not ignored.
const KEPT: &[(&str, &str)] = &[
    (
        "host",
        "RFC 9112 §3.2 requires Host in every HTTP/1.1 request, and HTTP/2 sends :authority in its \
         place (RFC 9113 §8.3.1); -H \"Host: VALUE\" sends another value",
    ),
    ("content-length", "baton frames the body itself (RFC 9112 §6)"),
    ("transfer-encoding", "baton frames the body itself (RFC 9112 §6)"),
];

/// One `-H` argument.
#[derive(Debug, PartialEq, Eq)]
enum Arg<'a> {
    /// `Name: value`, or `Name;` with an empty value.
    Set(&'a str, &'a str),
    /// `Name:`.
    Remove(&'a str),
}

/// The headers to send: `defaults`, then each argument in order. A header
/// set with `-H` replaces the default of that name (and is appended to
/// earlier `-H` ones, so `-H 'A: 1' -H 'A: 2'` sends both); `Name:` removes
/// every header of that name so far, default or `-H`.
///
/// # Errors
/// An argument that is none of the three forms, a bad name, or removing a
/// field listed in [`KEPT`].
pub(crate) fn request_headers(
    defaults: &[(&str, &str)],
    args: &[String],
) -> Result<Vec<(String, String)>, String> {
    // (name, value, is a default)
    let mut headers: Vec<(String, String, bool)> =
        defaults.iter().map(|&(n, v)| (n.to_owned(), v.to_owned(), true)).collect();
    for arg in args {
        match parse(arg)? {
            Arg::Set(name, value) => {
                headers.retain(|(n, _, default)| !(*default && n.eq_ignore_ascii_case(name)));
                headers.push((name.to_owned(), value.to_owned(), false));
            }
            Arg::Remove(name) => {
                if let Some((kept, why)) = KEPT.iter().find(|(kept, _)| kept.eq_ignore_ascii_case(name)) {
                    return Err(format!("-H {arg:?} cannot remove {kept}: {why}"));
                }
                headers.retain(|(n, _, _)| !n.eq_ignore_ascii_case(name));
            }
        }
    }
    Ok(headers.into_iter().map(|(n, v, _)| (n, v)).collect())
}

fn parse(h: &str) -> Result<Arg<'_>, String> {
    let arg = match h.split_once(':') {
        Some((name, value)) if value.trim().is_empty() => Arg::Remove(name.trim()),
        Some((name, value)) => Arg::Set(name.trim(), value.trim()),
        // curl: a semicolon followed by nothing but white space.
        None => match h.split_once(';') {
            Some((name, rest)) if rest.trim().is_empty() => Arg::Set(name.trim(), ""),
            _ => {
                return Err(format!(
                    "header {h:?} is not \"Name: value\", \"Name:\" (remove) or \"Name;\" (empty value)"
                ));
            }
        },
    };
    let (Arg::Set(name, _) | Arg::Remove(name)) = arg;
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("invalid header name {name:?} in {h:?}"))?;
    Ok(arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(args: &[&str]) -> Result<Vec<(String, String)>, String> {
        let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
        request_headers(&[("user-agent", "baton/1"), ("accept", "*/*")], &args)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|&(n, v)| (n.to_owned(), v.to_owned())).collect()
    }

    #[test]
    fn defaults_are_replaced_removed_or_kept() {
        assert_eq!(sent(&[]), Ok(pairs(&[("user-agent", "baton/1"), ("accept", "*/*")])));
        assert_eq!(
            sent(&["User-Agent: probe/2", "X-A: 1"]),
            Ok(pairs(&[("accept", "*/*"), ("User-Agent", "probe/2"), ("X-A", "1")]))
        );
        assert_eq!(sent(&["Accept:", "user-agent:  "]), Ok(vec![]));
        assert_eq!(
            sent(&["Accept: a", "Accept: b"]),
            Ok(pairs(&[("user-agent", "baton/1"), ("Accept", "a"), ("Accept", "b")]))
        );
    }

    #[test]
    fn a_semicolon_sends_an_empty_value_and_a_bare_colon_removes() {
        assert_eq!(sent(&["Accept:", "User-Agent:", "X-Empty;"]), Ok(pairs(&[("X-Empty", "")])));
        assert_eq!(sent(&["Accept:", "User-Agent:", "X-Empty; "]), Ok(pairs(&[("X-Empty", "")])));
        // Removal takes earlier -H headers too; a later one is sent again.
        assert_eq!(sent(&["Accept:", "User-Agent:", "X: 1", "X:", "X: 2"]), Ok(pairs(&[("X", "2")])));
        // A colon makes it a value, semicolons and all.
        assert_eq!(sent(&["Accept:", "User-Agent:", "X: a;"]), Ok(pairs(&[("X", "a;")])));
    }

    #[test]
    fn host_and_framing_cannot_be_removed() {
        for arg in ["Host:", "host:", "Content-Length:", "transfer-encoding:"] {
            let err = sent(&[arg]).unwrap_err();
            assert!(err.contains("cannot remove") && err.contains("RFC 9112"), "{arg}: {err}");
        }
        assert!(sent(&["Host:"]).unwrap_err().contains("§3.2"));
        assert_eq!(sent(&["Accept:", "User-Agent:", "Host: h"]), Ok(pairs(&[("Host", "h")])));
    }

    #[test]
    fn other_forms_are_refused() {
        for arg in ["NoColon", "X; y", ": v", ":", ";", "bad name:", "bad name;"] {
            assert!(sent(&[arg]).is_err(), "{arg}");
        }
    }
}
