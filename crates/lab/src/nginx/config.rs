//! The private `nginx.conf`: everything inside the prefix, nothing logged
//! but errors (and, when asked, each request's id, status and method), one
//! `server` block per listener, and the site's routes in each.

use std::net::SocketAddr;
use std::path::Path;

use super::options::{Listener, NginxOptions, Protocol};

/// The access log inside the prefix, when [`NginxOptions::access_log`].
pub(super) const ACCESS_LOG: &str = "logs/access.log";

/// Where the launcher puts the TLS identity inside the prefix.
pub(super) const CERT_FILE: &str = "cert.pem";
/// Likewise for the key.
pub(super) const KEY_FILE: &str = "key.pem";
/// Where the launcher puts [`NginxOptions::client_ca_pem`].
pub(super) const CLIENT_CA_FILE: &str = "client-ca.pem";

/// The whole configuration for `options`, the listeners at `addrs` (in
/// order), for an nginx of `version`.
pub(super) fn render(
    prefix: &Path,
    options: &NginxOptions,
    addrs: &[SocketAddr],
    version: (u32, u32, u32),
    as_root: bool,
) -> String {
    let p = prefix.display();
    let user = if as_root { "user root;\n" } else { "" };
    let main = options.site.main_directives(prefix);
    let mut out = format!(
        "{main}{user}worker_processes {workers};\n\
         daemon off;\n\
         pid {p}/nginx.pid;\n\
         error_log {p}/logs/error.log warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n\
         \x20   client_body_temp_path {p}/client_body;\n\
         \x20   proxy_temp_path {p}/proxy;\n\
         \x20   fastcgi_temp_path {p}/fastcgi;\n\
         \x20   uwsgi_temp_path {p}/uwsgi;\n\
         \x20   scgi_temp_path {p}/scgi;\n\
         \x20   keepalive_timeout 60s;\n",
        workers = options.workers.max(1),
    );
    if options.access_log {
        // One line per request: what a soak checks its outcomes against.
        out.push_str(&format!(
            "    log_format baton_ids '$http_x_request_id $status $request_method';\n    access_log {p}/{ACCESS_LOG} baton_ids;\n"
        ));
    } else {
        out.push_str("    access_log off;\n");
    }
    out.push_str(&options.site.http_directives(prefix));
    let locations = options.site.locations(prefix);
    for (i, (listener, addr)) in options.listeners.iter().zip(addrs).enumerate() {
        out.push_str("    server {\n");
        out.push_str(&listen(listener, &addr.to_string(), version));
        if options.unix_sockets {
            let path = unix_socket(prefix, i);
            out.push_str(&listen(listener, &format!("unix:{}", path.display()), version));
        }
        out.push_str(&tls_settings(listener, prefix, options));
        out.push_str(&format!("        keepalive_requests {};\n", listener.keepalive_requests.max(1)));
        out.push_str(&locations);
        out.push_str("    }\n");
    }
    out.push_str(&options.site.servers(prefix));
    out.push_str("}\n");
    out
}

/// The Unix socket of the listener at `index`, with
/// [`NginxOptions::unix_sockets`].
pub(super) fn unix_socket(prefix: &Path, index: usize) -> std::path::PathBuf {
    prefix.join(format!("listener-{index}.sock"))
}

/// The `listen` lines of one listener's `server` block, at `addr` (an
/// address and port, or `unix:PATH`).
fn listen(listener: &Listener, addr: &str, version: (u32, u32, u32)) -> String {
    // nginx 1.25.1 moved HTTP/2 from `listen ... http2` to `http2 on;`.
    let modern = version >= (1, 25, 1);
    let h2 = |ssl: &str| {
        if modern {
            format!("        listen {addr}{ssl};\n        http2 on;\n")
        } else {
            format!("        listen {addr}{ssl} http2;\n")
        }
    };
    match listener.protocol {
        Protocol::Http1 => format!("        listen {addr};\n"),
        Protocol::H2c => h2(""),
        Protocol::H2Tls => h2(" ssl"),
    }
}

/// The TLS settings of a TLS listener's `server` block (once, whatever
/// its `listen` lines).
fn tls_settings(listener: &Listener, prefix: &Path, options: &NginxOptions) -> String {
    if listener.protocol != Protocol::H2Tls {
        return String::new();
    }
    let p = prefix.display();
    let protocols = options.tls_protocols.as_deref().unwrap_or("TLSv1.2 TLSv1.3");
    let mut out = format!(
        "        ssl_certificate {p}/{CERT_FILE};\n\
         \x20       ssl_certificate_key {p}/{KEY_FILE};\n\
         \x20       ssl_protocols {protocols};\n"
    );
    if options.client_ca_pem.is_some() {
        out.push_str(&format!(
            "        ssl_client_certificate {p}/{CLIENT_CA_FILE};\n        ssl_verify_client on;\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::nginx::Listener;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn one_server_block_per_listener_with_its_own_keepalive() {
        let mut options = NginxOptions::new(Protocol::H2c);
        options.listeners.push(Listener { keepalive_requests: 100, ..Listener::new(Protocol::H2c) });
        options.listeners.push(Listener::new(Protocol::Http1));
        let prefix = PathBuf::from("/tmp/p");
        let conf = render(&prefix, &options, &[addr(1), addr(2), addr(3)], (1, 26, 0), false);
        assert_eq!(conf.matches("    server {").count(), 3, "{conf}");
        assert!(conf.contains("listen 127.0.0.1:1;\n        http2 on;\n        keepalive_requests 1000000;"));
        assert!(conf.contains("listen 127.0.0.1:2;\n        http2 on;\n        keepalive_requests 100;"));
        assert!(conf.contains("listen 127.0.0.1:3;\n        keepalive_requests 1000000;"));
        assert!(conf.contains("location /bytes/ { root /tmp/p/html; }"));
        assert!(!conf.contains("user root"));
        assert!(conf.contains("access_log off;"));
    }

    #[test]
    fn the_access_log_names_each_request_by_its_id() {
        let mut options = NginxOptions::new(Protocol::H2c);
        options.access_log = true;
        let conf = render(&PathBuf::from("/p"), &options, &[addr(5)], (1, 22, 1), false);
        assert!(
            conf.contains("log_format baton_ids '$http_x_request_id $status $request_method';"),
            "{conf}"
        );
        assert!(conf.contains("access_log /p/logs/access.log baton_ids;"), "{conf}");
        assert!(!conf.contains("access_log off"));
    }

    #[test]
    fn old_nginx_gets_http2_on_the_listen_line_and_tls_its_files() {
        let options = NginxOptions::new(Protocol::H2Tls);
        let conf = render(&PathBuf::from("/p"), &options, &[addr(4)], (1, 22, 1), true);
        assert!(conf.starts_with("user root;\n"));
        assert!(
            conf.contains("listen 127.0.0.1:4 ssl http2;\n        ssl_certificate /p/cert.pem;"),
            "{conf}"
        );
    }

    #[test]
    fn a_client_ca_requires_client_certificates_and_protocols_can_be_narrowed() {
        let mut options = NginxOptions::new(Protocol::H2Tls);
        let plain = render(&PathBuf::from("/p"), &options, &[addr(6)], (1, 26, 0), false);
        assert!(
            plain.contains("ssl_protocols TLSv1.2 TLSv1.3;") && !plain.contains("ssl_verify_client"),
            "{plain}"
        );
        options.client_ca_pem = Some("-----BEGIN CERTIFICATE-----".to_owned());
        options.tls_protocols = Some("TLSv1.2".to_owned());
        let conf = render(&PathBuf::from("/p"), &options, &[addr(6)], (1, 26, 0), false);
        assert!(conf.contains("ssl_protocols TLSv1.2;"), "{conf}");
        assert!(
            conf.contains("ssl_client_certificate /p/client-ca.pem;\n        ssl_verify_client on;"),
            "{conf}"
        );
    }
}
