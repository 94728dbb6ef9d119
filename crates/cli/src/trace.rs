//! `baton get -v`: prints the client's tracing events (connection opened,
//! SETTINGS, GOAWAY, retries, closes) as they happen, one line each with the
//! time since start:
//!
//! ```text
//! *     4.780 ms  GOAWAY received; connection draining connection=1 last_stream_id=0 error_code=NO_ERROR
//! ```
//!
//! tracing-subscriber's fmt subscriber with this line format. Which events:
//! those `RUST_LOG` selects when it is set (`RUST_LOG=baton=info`), else
//! every event of baton's crates.

use std::fmt::{self, Write as _};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Without `RUST_LOG`: every level, every target starting with `baton`
/// (`baton`, `baton_proto`, ...; the filter matches target prefixes).
const EVERY_BATON_EVENT: &str = "baton=trace";

/// Prints the client's events to stderr from now on.
pub(crate) fn install() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .event_format(Timeline { start: Instant::now() })
        .try_init();
}

fn filter() -> EnvFilter {
    match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::try_new(&directives).unwrap_or_else(|e| {
            eprintln!("baton get: ignoring RUST_LOG={directives:?} ({e})");
            EnvFilter::new(EVERY_BATON_EVENT)
        }),
        _ => EnvFilter::new(EVERY_BATON_EVENT),
    }
}

/// `* <ms since start> ms  <message> <field>=<value> ...`; spans are not
/// shown.
struct Timeline {
    start: Instant,
}

impl<S, N> FormatEvent<S, N> for Timeline
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let ms = self.start.elapsed().as_secs_f64() * 1000.0;
        writeln!(writer, "* {ms:>9.3} ms  {}{}", fields.message, fields.rest)
    }
}

/// The message first, then ` name=value` for each other field: strings as
/// they are, other values as their `Debug` (`%` fields as their `Display`).
#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.rest, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={value:?}", field.name());
        }
    }
}
