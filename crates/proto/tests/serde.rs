//! The `serde` feature: the journal and the GOAWAY account as JSON, and back.
//! `cargo test -p baton-proto --features serde --test serde` (CI runs it).
#![cfg(feature = "serde")]

use baton_proto::h2::GoAway;
use baton_proto::h2::frame::{Reason, StreamId};
use baton_proto::{Phase, Processing};
use bytes::Bytes;
use serde_json::json;

#[test]
fn verdicts_and_phases_are_snake_case_names() {
    let verdicts = [
        (Processing::NotSent, "not_sent"),
        (Processing::NotProcessed, "not_processed"),
        (Processing::MaybeProcessed, "maybe_processed"),
        (Processing::ResponseStarted, "response_started"),
    ];
    for (verdict, name) in verdicts {
        assert_eq!(serde_json::to_value(verdict).unwrap(), json!(name));
        assert_eq!(serde_json::from_value::<Processing>(json!(name)).unwrap(), verdict);
    }
    let phases = [
        (Phase::Queued, json!("queued")),
        (Phase::HeadersQueued, json!("headers_queued")),
        (Phase::HeadersWritten, json!("headers_written")),
        (Phase::BodyPartlyWritten(10), json!({"body_partly_written": 10})),
        (Phase::BodyWritten, json!("body_written")),
        (Phase::ResponseHead, json!("response_head")),
        (Phase::ResponseBody(3), json!({"response_body": 3})),
        (Phase::Complete, json!("complete")),
    ];
    for (phase, value) in phases {
        assert_eq!(serde_json::to_value(phase).unwrap(), value);
        assert_eq!(serde_json::from_value::<Phase>(value).unwrap(), phase);
    }
    assert!(serde_json::from_value::<Processing>(json!("not sent")).is_err());
}

#[test]
fn a_go_away_keeps_every_field() {
    let go_away = GoAway {
        last_stream_id: StreamId::new(7),
        error_code: Reason::ENHANCE_YOUR_CALM,
        debug_data: Bytes::from_static(b"calm"),
    };
    let value = serde_json::to_value(&go_away).unwrap();
    assert_eq!(value, json!({"last_stream_id": 7, "error_code": 11, "debug_data": [99, 97, 108, 109]}));
    assert_eq!(serde_json::from_value::<GoAway>(value).unwrap(), go_away);
    // An unknown error code is kept, as on the wire (RFC 9113 §7).
    assert_eq!(serde_json::from_value::<Reason>(json!(0xdead)).unwrap(), Reason::from(0xdead));
}

#[test]
fn a_stream_id_with_the_reserved_bit_is_refused() {
    assert_eq!(serde_json::from_value::<StreamId>(json!(0x7fff_ffff)).unwrap(), StreamId::MAX);
    let err = serde_json::from_value::<StreamId>(json!(0x8000_0001_u32)).unwrap_err();
    assert!(err.to_string().contains("above 2^31-1"), "{err}");
}
