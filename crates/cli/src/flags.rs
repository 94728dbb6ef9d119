//! Flags and input parsing shared by `baton get` and `baton bench`.

use baton::ClientBuilder;

/// How to connect.
#[derive(Debug, clap::Args)]
pub(crate) struct Connect {
    /// Speak HTTP/2 without negotiation on http:// (h2c).
    #[arg(long, conflicts_with = "http1")]
    http2_prior_knowledge: bool,
    /// Speak only HTTP/1.1.
    #[arg(long = "http1.1")]
    http1: bool,
    /// Accept any TLS certificate (test servers only).
    #[arg(short = 'k', long)]
    insecure: bool,
}

impl Connect {
    /// HTTP/2 from the first byte on `http://` URLs (clap refuses it
    /// together with `--http1.1`).
    pub(crate) fn http2_prior_knowledge(&self) -> bool {
        self.http2_prior_knowledge
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

/// A `--data` argument: the text itself, `@FILE`'s contents, or with `@-`
/// standard input (as curl reads them).
pub(crate) fn data(data: &str) -> Result<Vec<u8>, String> {
    match data.strip_prefix('@') {
        Some("") => Err("--data @ needs a file name (or @- for standard input)".to_owned()),
        Some("-") => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(bytes)
        }
        Some(path) => std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}")),
        None => Ok(data.as_bytes().to_vec()),
    }
}

pub(crate) fn positive_number(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

/// Seconds for a time limit: below a microsecond, or past a century, is a
/// typo (and a limit past what the clock can add would overflow it).
pub(crate) fn positive_seconds(s: &str) -> Result<f64, String> {
    positive_number(s).and_then(|v| {
        if (1e-6..=3.2e9).contains(&v) { Ok(v) } else { Err(format!("{s} seconds is out of range")) }
    })
}

/// Writes `text` to standard output. A closed pipe (`| head`) or a full
/// disk is an error to report, not a panic as `print!` makes it.
pub(crate) fn print(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// What to say about a failed write to standard output: nothing when the
/// reader went away (a closed pipe is how `| head` says "enough").
pub(crate) fn write_failure(e: &std::io::Error) -> Option<String> {
    (e.kind() != std::io::ErrorKind::BrokenPipe).then(|| format!("write failed: {e}"))
}
