//! The text forms of the proxy's quantities, as `baton lab proxy` takes
//! them: times as humantime reads them (`10ms`, `5s`, `1m 30s`), sizes as
//! bytesize reads them (`1000`, `64KiB`, `1MB`: SI and binary units), rates
//! as a size per second (`1MB/s`, `512KiB/s`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::plan::{Direction, Rate, Trigger};

/// Text that is not the quantity it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// A point in a connection's life: a time since it was accepted, or a
/// number of bytes.
///
/// ```
/// use std::time::Duration;
/// use baton_lab::proxy::Amount;
///
/// assert_eq!("5s".parse(), Ok(Amount::Time(Duration::from_secs(5))));
/// assert_eq!("64KiB".parse(), Ok(Amount::Bytes(65_536)));
/// assert_eq!("1000".parse(), Ok(Amount::Bytes(1000)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    /// So long after the connection was accepted.
    Time(Duration),
    /// So many bytes.
    Bytes(u64),
}

impl Amount {
    /// The trigger: at the time, or once `bytes_of` has carried the bytes.
    pub fn trigger(self, bytes_of: Direction) -> Trigger {
        match self {
            Self::Time(t) => Trigger::At(t),
            Self::Bytes(n) => Trigger::Bytes(bytes_of, n),
        }
    }
}

impl FromStr for Amount {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        if t.ends_with(['b', 'B']) || t.chars().all(|c| c.is_ascii_digit()) {
            parse_bytes(t).map(Self::Bytes)
        } else {
            parse_duration(t).map(Self::Time).map_err(|_| {
                ParseError(format!("{s:?} is neither a time (5s, 250ms) nor a size (64KiB, 1000)"))
            })
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Time(t) => write!(f, "{}", humantime::format_duration(*t)),
            Self::Bytes(n) => write!(f, "{}", bytesize::ByteSize(*n)),
        }
    }
}

/// A time: `10ms`, `5s`, `1m 30s`.
///
/// # Errors
/// Anything humantime does not read as a duration.
pub fn parse_duration(s: &str) -> Result<Duration, ParseError> {
    humantime::parse_duration(s.trim()).map_err(|e| ParseError(format!("{s:?} is not a time like 10ms: {e}")))
}

/// A size: `1000`, `64KiB`, `1MB`.
///
/// # Errors
/// Anything bytesize does not read as a size.
pub fn parse_bytes(s: &str) -> Result<u64, ParseError> {
    s.trim()
        .parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| ParseError(format!("{s:?} is not a size like 64KiB: {e}")))
}

impl FromStr for Rate {
    type Err = ParseError;

    /// `1MB/s`, `512KiB/s`; a bare size is per second too.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let size = t.strip_suffix("/s").unwrap_or(t);
        let bytes = parse_bytes(size)?;
        Self::bytes_per_second(bytes).ok_or_else(|| ParseError(format!("{s:?}: a rate must be above zero")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_rates_and_times_read_as_people_write_them() {
        assert_eq!("250ms".parse(), Ok(Amount::Time(Duration::from_millis(250))));
        assert_eq!("1m 30s".parse(), Ok(Amount::Time(Duration::from_secs(90))));
        assert_eq!("10KB".parse(), Ok(Amount::Bytes(10_000)));
        assert_eq!("1 MiB".parse(), Ok(Amount::Bytes(1 << 20)));
        assert!("soon".parse::<Amount>().is_err());
        assert_eq!("1MB/s".parse::<Rate>().map(Rate::get), Ok(1_000_000));
        assert_eq!("512KiB/s".parse::<Rate>().map(Rate::get), Ok(512 * 1024));
        assert!("0/s".parse::<Rate>().is_err());
        assert!("fast".parse::<Rate>().is_err());
        assert_eq!(parse_duration("10ms"), Ok(Duration::from_millis(10)));
        assert!(parse_duration("10").is_err());
    }
}
