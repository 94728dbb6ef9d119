//! nginx from apt, through the lab's launcher ([`baton_lab::nginx`]): h2c,
//! h2 over TLS and HTTP/1.1 on three ports of 127.0.0.1, serving the routes
//! of [`content`] ([`ContentSite`]).
//!
//! nginx has no echo handler, so `/echo` proxies (over a unix socket, to
//! itself) a GET of a one-line template and `sub_filter` replaces the
//! template with `$request_body` — which proxying makes nginx read in full
//! into one memory buffer (`client_body_buffer_size 2m`,
//! `client_body_in_single_buffer on`). `/trailers` uses `add_trailer`
//! (which makes nginx send HTTP/1.1 responses chunked), `/headers`
//! `add_header`.
//!
//! [`Nginx::reload`] is `nginx -s reload`: new workers take new
//! connections, the old ones send GOAWAY and drain. `keepalive_requests`
//! ([`NginxOptions::keepalive_requests`]) makes nginx rotate every
//! connection after that many requests.

use std::io;
use std::path::Path;
use std::sync::Arc;

use baton_lab::nginx::{Listener, Protocol, Site, TlsIdentity};
pub use baton_lab::nginx::{Nginx, NginxOptions};

use crate::{Certs, Endpoints, content};

/// The interop matrix's options: an h2c, a TLS and an HTTP/1.1 listener
/// (in that order), `certs`' server certificate, one worker, and
/// [`ContentSite`].
pub fn options(certs: &Certs) -> NginxOptions {
    NginxOptions {
        listeners: [Protocol::H2c, Protocol::H2Tls, Protocol::Http1].map(Listener::new).to_vec(),
        workers: 1,
        tls: Some(TlsIdentity { cert_pem: certs.cert_pem.clone(), key_pem: certs.key_pem.clone() }),
        site: Arc::new(ContentSite),
        access_log: false,
        client_ca_pem: None,
        tls_protocols: None,
        unix_sockets: false,
    }
}

/// Where `nginx` listens, per protocol of the matrix.
pub fn endpoints(nginx: &Nginx) -> Endpoints {
    Endpoints {
        h2c: nginx.endpoint(Protocol::H2c),
        tls: nginx.endpoint(Protocol::H2Tls),
        h1: nginx.endpoint(Protocol::Http1),
    }
}

/// The routes of [`content`], the same on every listener.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContentSite;

impl Site for ContentSite {
    fn write_files(&self, html: &Path) -> io::Result<()> {
        content::write_static_files(html)?;
        std::fs::write(html.join("template"), "@@BODY@@")
    }

    fn http_directives(&self, _prefix: &Path) -> String {
        "    default_type application/octet-stream;\n\
         \x20   client_max_body_size 16m;\n\
         \x20   client_body_buffer_size 2m;\n\
         \x20   client_body_in_single_buffer on;\n\
         \x20   proxy_buffering off;\n"
            .to_owned()
    }

    fn locations(&self, prefix: &Path) -> String {
        let p = prefix.display();
        let mut big = String::new();
        for i in 0..content::BIG_HEADERS {
            let (name, value) = content::big_header(i);
            big.push_str(&format!("            add_header {name} \"{value}\";\n"));
        }
        format!(
            "        root {p}/html;\n\
             \x20       location /files/ {{ }}\n\
             \x20       location = {echo} {{\n\
             \x20           proxy_pass http://unix:{p}/internal.sock:/template;\n\
             \x20           proxy_method GET;\n\
             \x20           proxy_pass_request_body off;\n\
             \x20           proxy_set_header Content-Length \"\";\n\
             \x20           proxy_set_header Transfer-Encoding \"\";\n\
             \x20           proxy_set_header Expect \"\";\n\
             \x20           proxy_set_header Accept-Encoding \"\";\n\
             \x20           proxy_http_version 1.1;\n\
             \x20           sub_filter_types *;\n\
             \x20           sub_filter_once on;\n\
             \x20           sub_filter '@@BODY@@' '$request_body';\n\
             \x20       }}\n\
             \x20       location = {trailers} {{\n\
             \x20           add_trailer {tname} {tvalue};\n\
             \x20       }}\n\
             \x20       location = {headers} {{\n\
             {big}\
             \x20       }}\n",
            echo = content::PATH_ECHO,
            trailers = content::PATH_TRAILERS,
            headers = content::PATH_HEADERS,
            tname = content::TRAILER_NAME,
            tvalue = content::TRAILER_VALUE,
        )
    }

    /// The template `/echo` proxies to, on a unix socket.
    fn servers(&self, prefix: &Path) -> String {
        let p = prefix.display();
        format!(
            "    server {{\n\
             \x20       listen unix:{p}/internal.sock;\n\
             \x20       root {p}/html;\n\
             \x20       location = /template {{ }}\n\
             \x20   }}\n"
        )
    }
}
