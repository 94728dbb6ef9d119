//! `baton get URL`: one request, curl-style, with `-v` telling the
//! connection's life as it happens (from the client's tracing events) and
//! `--json` printing the response's attempt journal.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use baton::{Client, Error};
use http::Method;

use crate::{flags, headers, route, trace};

const AFTER_HELP: &str = "\
Headers: as curl, baton get sends User-Agent: baton/VERSION and Accept: */*
unless -H replaces them, or removes them with -H \"User-Agent:\". Host (the
URL's authority; :authority in HTTP/2), Content-Length and Transfer-Encoding
(from the body) cannot be removed: -H \"Host:\" is an error, not ignored.

Redirects: as curl, a 3xx is the response unless -L follows it (with
--max-redirs, 50 by default): 303, and POST after 301 or 302, become GET;
307 and 308 resend the method and body; Authorization and Cookie are not sent
to another origin. With -v, each hop is listed with the attempts.

Bodies: as curl, -d (--data) reads @FILE and @- with carriage returns and
newlines removed, --data-binary keeps every byte; either sends POST (unless
-X says otherwise) with Content-Type: application/x-www-form-urlencoded
(unless -H sets one), and -d given several times joins its parts with \"&\".

TLS: --cacert FILE (PEM or DER) is trusted instead of the built-in roots, as
curl's; --cert FILE (PEM, with the key unless --key names it) is presented to
servers that ask for a client certificate.

Time: no limit on the whole request unless -m (--max-time) sets one, as
curl; --connect-timeout bounds each connection's setup (10 s by default).

Exit status: 0 when a response came (whatever its status code, as curl; with
-f, 22 for a status of 400 or more), 1 when the request failed, 47 when -L
cannot follow a redirect (past --max-redirs, as curl, or to a URL that is not
http or https), 2 for bad arguments.";

#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct Args {
    /// The URL (http:// or https://).
    url: String,
    /// Request method (default GET, or POST with --data).
    #[arg(short = 'X', long = "request")]
    method: Option<String>,
    /// A request header, "Name: value" (repeatable). "Name:" removes Name
    /// (a default, see below, or an earlier -H); "Name;" sends it empty.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// Request body; "@FILE" reads a file, "@-" standard input, without
    /// their carriage returns and newlines (as curl's). Repeatable: the
    /// parts are joined with "&".
    #[arg(short = 'd', long = "data", value_name = "DATA", conflicts_with = "data_binary")]
    data: Vec<String>,
    /// Request body sent exactly as given: "@FILE" and "@-" keep every byte.
    #[arg(long = "data-binary", value_name = "DATA")]
    data_binary: Option<String>,
    /// Basic authentication, "user:password" (the first colon splits).
    #[arg(short = 'u', long = "user", value_name = "USER:PASSWORD")]
    user: Option<String>,
    /// The User-Agent to send (instead of baton/VERSION).
    #[arg(short = 'A', long = "user-agent", value_name = "NAME")]
    user_agent: Option<String>,
    /// Send HEAD and print the response's status line and headers.
    #[arg(short = 'I', long = "head", conflicts_with_all = ["data", "data_binary"])]
    head: bool,
    /// Say nothing on standard error when the request fails (the exit
    /// status still tells).
    #[arg(short = 's', long)]
    silent: bool,
    /// Trust the certificates in FILE (PEM, or one DER certificate) instead
    /// of the built-in roots.
    #[arg(long, value_name = "FILE")]
    cacert: Option<std::path::PathBuf>,
    /// Present this client certificate (PEM; its key too, unless --key).
    #[arg(long, value_name = "FILE")]
    cert: Option<std::path::PathBuf>,
    /// The private key (PEM) of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<std::path::PathBuf>,
    #[command(flatten)]
    connect: flags::Connect,
    #[command(flatten)]
    route: route::Route,
    /// Write the body to this file instead of stdout ("-" is stdout).
    #[arg(short = 'o', long)]
    output: Option<std::path::PathBuf>,
    /// Exit with status 22 when the response's status is 400 or more.
    #[arg(short = 'f', long)]
    fail: bool,
    /// Print the response status line and headers before the body, and its
    /// trailers, if any, after it.
    #[arg(short = 'i', long)]
    include: bool,
    /// Tell the connection's life as it happens, with timestamps (every
    /// event of baton's crates, or those RUST_LOG selects, e.g.
    /// RUST_LOG=baton=info).
    #[arg(short = 'v', long)]
    verbose: bool,
    /// Print the response's attempt journal as JSON instead of the body.
    #[arg(long)]
    json: bool,
    /// Follow redirects (301, 302, 303, 307, 308), as curl's -L.
    #[arg(short = 'L', long = "location")]
    location: bool,
    /// With -L, follow at most this many redirects (-1: no limit).
    #[arg(long = "max-redirs", value_name = "NUM", default_value_t = 50, allow_negative_numbers = true)]
    max_redirs: i64,
    /// Ask for a compressed response (Accept-Encoding: gzip, br, zstd,
    /// deflate) and decode it, as curl's --compressed.
    #[arg(long)]
    compressed: bool,
    /// Give up after this many seconds, retries included (default: no
    /// limit, as curl).
    #[arg(short = 'm', long = "max-time", visible_alias = "timeout", value_name = "SECS", value_parser = flags::positive_seconds)]
    max_time: Option<f64>,
    /// Give up on setting up a connection after this many seconds (each
    /// step: TCP, TLS, the HTTP/2 SETTINGS; default 10).
    #[arg(long = "connect-timeout", value_name = "SECS", value_parser = flags::positive_seconds)]
    connect_timeout: Option<f64>,
}

pub(crate) async fn run(args: Args) -> ExitCode {
    if args.verbose {
        trace::install();
    }
    let silent = args.silent;
    let result = match client(&args) {
        Ok(client) => {
            let result = get(&client, args).await;
            // What the connections still owe the server (a GOAWAY, an
            // RST_STREAM after a broken response) goes out before the
            // process exits; the runtime's end would drop it.
            client.shutdown(SHUTDOWN_GRACE).await;
            result
        }
        Err(e) => Err(e),
    };
    let say = |message: &str| {
        if !silent {
            eprintln!("baton get: {message}");
        }
    };
    match result {
        Ok(code) => code,
        Err(Failure::Usage(message)) => {
            say(&message);
            ExitCode::from(2)
        }
        Err(Failure::Request(message)) => {
            say(&message);
            ExitCode::FAILURE
        }
        Err(Failure::Redirect(message)) => {
            say(&message);
            ExitCode::from(47)
        }
        Err(Failure::Quiet) => ExitCode::FAILURE,
    }
}

/// The client the flags ask for.
fn client(args: &Args) -> Result<Client, Failure> {
    let builder = args.connect.apply(Client::builder());
    let mut builder = args.route.apply(builder).map_err(Failure::Usage)?;
    if let Some(secs) = args.max_time {
        builder = builder.timeout(Duration::from_secs_f64(secs));
    }
    if let Some(secs) = args.connect_timeout {
        builder = builder.connect_timeout(Duration::from_secs_f64(secs));
    }
    // curl sends no Referer of its own accord (only with --referer).
    builder = builder.redirect(redirect_policy(args)).referer(false);
    if !args.compressed {
        builder = builder.no_gzip().no_brotli().no_zstd().no_deflate();
    }
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))
    };
    if let Some(path) = &args.cacert {
        let bytes = read(path)?;
        // PEM when it has a certificate block; otherwise one DER
        // certificate, checked by `build`.
        builder = if bytes.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
            builder.add_root_certificates_pem(&bytes).map_err(|e| usage(path, &e))?
        } else {
            builder.add_root_certificate(bytes)
        };
        builder = builder.tls_built_in_roots(false);
    }
    if let Some(cert_path) = &args.cert {
        let cert = read(cert_path)?;
        let identity = match &args.key {
            Some(key_path) => {
                baton::Identity::from_pem_parts(&cert, &read(key_path)?).map_err(|e| usage(key_path, &e))?
            }
            None => baton::Identity::from_pem(&cert).map_err(|e| usage(cert_path, &e))?,
        };
        builder = builder.identity(identity);
    }
    builder.build().map_err(|e| failed(&e))
}

/// A file's contents the client refused.
fn usage(path: &std::path::Path, e: &Error) -> Failure {
    Failure::Usage(format!("{}: {e}", path.display()))
}

/// Bad input (exit 2, nothing sent), a failed request (exit 1), a
/// redirect -L cannot follow (exit 47, curl's for too many), or an output
/// whose reader went away (exit 1, nothing to say).
enum Failure {
    Usage(String),
    Request(String),
    Redirect(String),
    Quiet,
}

/// curl's: no redirect followed without -L; with it, --max-redirs of them
/// (a negative number: no limit).
fn redirect_policy(args: &Args) -> baton::redirect::Policy {
    match (args.location, usize::try_from(args.max_redirs)) {
        (false, _) => baton::redirect::Policy::none(),
        (true, Ok(max)) => baton::redirect::Policy::limited(max),
        (true, Err(_)) => baton::redirect::Policy::limited(usize::MAX),
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::Request(message)
    }
}

fn failed(e: &Error) -> Failure {
    if e.is_builder() {
        Failure::Usage(e.to_string())
    } else if e.is_redirect() {
        Failure::Redirect(describe(e))
    } else {
        Failure::Request(describe(e))
    }
}

/// How long a request still in flight at exit may run on: none is, since
/// `get` reads its one response to the end first; this bounds the flush of
/// what the connections owe the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

async fn get(client: &Client, args: Args) -> Result<ExitCode, Failure> {
    let body = body(&args).map_err(Failure::Usage)?;
    let method = match (&args.method, &body) {
        (Some(m), _) => {
            Method::from_bytes(m.as_bytes()).map_err(|_| Failure::Usage(format!("invalid method {m:?}")))?
        }
        (None, _) if args.head => Method::HEAD,
        (None, Some(_)) => Method::POST,
        (None, None) => Method::GET,
    };
    let mut request = client.request(method, &args.url);
    let mut defaults = headers::GET_DEFAULTS.to_vec();
    if let Some(agent) = &args.user_agent {
        defaults.retain(|(name, _)| *name != "user-agent");
        defaults.push(("user-agent", agent));
    }
    if body.is_some() {
        // curl's, for -d and --data-binary alike.
        defaults.push(("content-type", "application/x-www-form-urlencoded"));
    }
    let fields = headers::request_headers(&defaults, &args.headers).map_err(Failure::Usage)?;
    for (name, value) in &fields {
        request = request.header(name, value);
    }
    if let Some(user) = &args.user {
        // curl prompts for a password when there is no colon; baton does
        // not prompt.
        let (name, password) = user
            .split_once(':')
            .ok_or_else(|| Failure::Usage("-u needs USER:PASSWORD (baton does not prompt)".to_owned()))?;
        request = request.basic_auth(name, Some(password));
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.map_err(|e| failed(&e))?;
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let attempts = response.attempts().to_vec();
    let done = if args.fail && status.as_u16() >= 400 { ExitCode::from(22) } else { ExitCode::SUCCESS };
    if args.json {
        let body = response.bytes().await.map_err(|e| failed(&e))?;
        let json = crate::journal_json::response(status.as_u16(), version, body.len(), &attempts)
            .map_err(|e| format!("cannot write the journal as JSON: {e}"))?;
        flags::print(&format!("{json}\n")).map_err(|e| written(&e))?;
        return Ok(done);
    }
    let show_head = |text: &str| {
        if args.verbose {
            eprint!("{text}");
            Ok(())
        } else {
            flags::print(text).map_err(|e| written(&e))
        }
    };
    if args.head {
        show_head(&format!("{}{}\n", status_line(version, status), field_lines(&headers)))?;
        return Ok(done);
    }
    if args.include || args.verbose {
        show_head(&format!("{}{}\n", status_line(version, status), field_lines(&headers)))?;
    }
    let file = args.output.as_deref().filter(|path| path.as_os_str() != "-");
    let body_to_stdout = file.is_none();
    let mut out: Box<dyn Write> = match file {
        Some(path) => Box::new(
            std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut response = response;
    let mut ends_in_newline = true;
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(&e))? {
        out.write_all(&chunk).map_err(|e| written(&e))?;
        if let Some(&last) = chunk.last() {
            ends_in_newline = last == b'\n';
        }
    }
    out.flush().map_err(|e| written(&e))?;
    drop(out);
    // Trailers (RFC 9110 §6.5) come after the body, so that is where they
    // are printed, as header lines, where the head went. A body on standard
    // output that does not end its line gets one first, or on a terminal the
    // first trailer would be glued to it.
    if let Some(trailers) = response.trailers().filter(|_| args.include || args.verbose) {
        let newline = if body_to_stdout && !ends_in_newline { "\n" } else { "" };
        show_head(&format!("{newline}{}", field_lines(trailers)))?;
    }
    if args.verbose && attempts.len() > 1 {
        for (i, a) in attempts.iter().enumerate() {
            eprintln!("attempt {}: {a}", i + 1);
        }
    }
    Ok(done)
}

/// The request body the flags give: `-d`'s parts joined with `&`, each
/// file's without CR and LF, or `--data-binary`'s bytes as they are (curl's
/// rules).
fn body(args: &Args) -> Result<Option<Vec<u8>>, String> {
    if let Some(data) = &args.data_binary {
        return flags::data(data).map(Some);
    }
    if args.data.is_empty() {
        return Ok(None);
    }
    let mut joined = Vec::new();
    for (i, data) in args.data.iter().enumerate() {
        if i > 0 {
            joined.push(b'&');
        }
        let mut part = flags::data(data)?;
        if data.starts_with('@') {
            part.retain(|&b| b != b'\r' && b != b'\n');
        }
        joined.extend_from_slice(&part);
    }
    Ok(Some(joined))
}

/// Header (or trailer) fields, one `name: value` line each.
fn field_lines(headers: &http::HeaderMap) -> String {
    headers
        .iter()
        .map(|(name, value)| format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes())))
        .collect()
}

/// The status line as curl prints it: `HTTP/1.1 200 OK`; HTTP/2 has no
/// reason phrase (RFC 9113 §8.3.2), so `HTTP/2 200`.
fn status_line(version: http::Version, status: http::StatusCode) -> String {
    match version {
        http::Version::HTTP_2 => format!("HTTP/2 {}\n", status.as_u16()),
        other => format!("{other:?} {status}\n"),
    }
}

/// A failed write of the output; a closed pipe says nothing.
fn written(e: &std::io::Error) -> Failure {
    match flags::write_failure(e) {
        Some(message) => Failure::Request(message),
        None => Failure::Quiet,
    }
}

/// An error with its verdict and journal, as a person reads it.
fn describe(e: &Error) -> String {
    let mut text = e.to_string();
    for (i, a) in e.attempts().iter().enumerate() {
        text.push_str(&format!("\n  attempt {}: {a}", i + 1));
    }
    text
}
