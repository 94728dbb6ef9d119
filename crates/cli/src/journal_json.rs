//! The attempt journal as JSON, written by hand (no serde in this crate).

use baton::Attempt;

/// A JSON string literal.
pub(crate) fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn optional<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "null".to_owned(), |v| string(&v.to_string()))
}

/// One attempt.
pub(crate) fn attempt(a: &Attempt) -> String {
    let go_away = a.go_away.as_ref().map_or_else(
        || "null".to_owned(),
        |g| {
            format!(
                "{{\"last_stream_id\":{},\"error_code\":{},\"debug_data\":{}}}",
                g.last_stream_id.value(),
                g.error_code.code(),
                string(&String::from_utf8_lossy(&g.debug_data))
            )
        },
    );
    format!(
        "{{\"connection\":{},\"reused\":{},\"version\":{},\"stream_id\":{},\"phase\":{},\"body_sent\":{},\"go_away\":{},\"error\":{},\"processing\":{},\"retried\":{},\"backoff_ms\":{}}}",
        a.connection_id,
        a.reused,
        string(&format!("{:?}", a.version)),
        a.stream_id.map_or_else(|| "null".to_owned(), |id| id.to_string()),
        string(&a.phase.to_string()),
        a.body_sent,
        go_away,
        optional(a.error.as_deref()),
        optional(a.processing),
        optional(a.retried),
        a.backoff.as_millis()
    )
}

/// A response and its journal.
pub(crate) fn response(status: u16, version: http::Version, body_len: usize, attempts: &[Attempt]) -> String {
    let list: Vec<String> = attempts.iter().map(attempt).collect();
    format!(
        "{{\"status\":{status},\"version\":{},\"body_bytes\":{body_len},\"attempts\":[{}]}}",
        string(&format!("{version:?}")),
        list.join(",")
    )
}
