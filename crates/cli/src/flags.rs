//! Flags and input parsing shared by `baton get` and `baton bench`.

use baton::ClientBuilder;

/// How to connect.
#[derive(Debug, clap::Args)]
pub(crate) struct Connect {
    /// Speak HTTP/2 without negotiation on http:// (h2c).
    #[arg(long)]
    http2_prior_knowledge: bool,
    /// Speak only HTTP/1.1.
    #[arg(long = "http1.1")]
    http1: bool,
    /// Accept any TLS certificate (test servers only).
    #[arg(short = 'k', long)]
    insecure: bool,
}

impl Connect {
    /// HTTP/2 from the first byte on `http://` URLs.
    pub(crate) fn http2_prior_knowledge(&self) -> bool {
        self.http2_prior_knowledge && !self.http1
    }

    /// Applies the flags to a client builder.
    pub(crate) fn apply(&self, mut builder: ClientBuilder) -> ClientBuilder {
        if self.http2_prior_knowledge {
            builder = builder.http2_prior_knowledge();
        }
        if self.http1 {
            builder = builder.http1_only();
        }
        if self.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        builder
    }
}

/// A `-H "Name: value"` argument.
pub(crate) fn header(h: &str) -> Result<(String, String), String> {
    match h.split_once(':') {
        Some((name, value)) => Ok((name.trim().to_owned(), value.trim().to_owned())),
        None => Err(format!("header {h:?} is not \"Name: value\"")),
    }
}

/// A `--data` argument: the text itself, or `@FILE`'s contents.
pub(crate) fn data(data: &str) -> Result<Vec<u8>, String> {
    match data.strip_prefix('@') {
        Some(path) => std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}")),
        None => Ok(data.as_bytes().to_vec()),
    }
}
