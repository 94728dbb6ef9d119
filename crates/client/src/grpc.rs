//! What a gRPC call (or any request) tells the client through the request
//! itself, so tonic's generated clients, which only build an
//! `http::Request`, can say it: the [`Idempotent`] extension, and the
//! `grpc-timeout` header as the call's deadline.

use std::time::Duration;

use http::HeaderMap;

/// A request extension that says whether the request is idempotent, for the
/// retry rules (DESIGN.md §3 rule 2): a request whose outcome is unknown
/// (the connection died after it was sent, verdict
/// [`MaybeProcessed`](crate::Processing::MaybeProcessed)) is sent once more
/// only when it is idempotent.
///
/// gRPC calls are all `POST`, so by the method alone none is idempotent.
/// Mark the ones that are (gRPC's `idempotency_level` method option) with
/// this extension; tonic carries a `tonic::Request`'s extensions into the
/// `http::Request`. `Idempotent(false)` overrides the method's own
/// idempotence (a `PUT` the server does not treat as one).
/// [`RequestBuilder::idempotent`](crate::RequestBuilder::idempotent) wins
/// over the extension.
///
/// A call the server provably did not process (above a GOAWAY's last stream
/// id, refused with `REFUSED_STREAM`) is retried whether marked or not,
/// when its body can be sent again.
///
/// ```no_run
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// use tower_service::Service;
///
/// let mut service = client.clone();
/// let mut request = http::Request::post("http://127.0.0.1:50051/grpc.health.v1.Health/Check")
///     .header("content-type", "application/grpc")
///     .body(baton::Body::from(vec![0u8; 5]))
///     .unwrap();
/// request.extensions_mut().insert(baton::Idempotent(true));
/// let response = service.call(request).await?;
/// # drop(response);
/// # Ok(()) }
/// ```
///
/// With tonic: `request.extensions_mut().insert(baton::Idempotent(true))` on
/// the `tonic::Request` before the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idempotent(pub bool);

/// The deadline a `grpc-timeout` header asks for (gRPC over HTTP/2,
/// "Requests": `TimeoutValue TimeoutUnit`, at most 8 ASCII digits, units
/// `H M S m u n`). `None` when there is no such header or it is malformed:
/// a bad header is the server's to reject, not a reason to invent a
/// deadline.
pub(crate) fn timeout(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.as_bytes();
    let (&unit, digits) = value.split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(match unit {
        b'H' => Duration::from_secs(n.checked_mul(3600)?),
        b'M' => Duration::from_secs(n.checked_mul(60)?),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parse(v: &'static str) -> Option<Duration> {
        let mut h = HeaderMap::new();
        h.insert("grpc-timeout", HeaderValue::from_static(v));
        timeout(&h)
    }

    #[test]
    fn every_unit_parses() {
        assert_eq!(parse("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("3M"), Some(Duration::from_secs(180)));
        assert_eq!(parse("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("99999999u"), Some(Duration::from_micros(99_999_999)));
        assert_eq!(parse("7n"), Some(Duration::from_nanos(7)));
        assert_eq!(timeout(&HeaderMap::new()), None);
    }

    #[test]
    fn malformed_values_give_no_deadline() {
        for bad in ["", "S", "123456789S", "10s", "1.5S", "-1S", " 1S", "1 S"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
