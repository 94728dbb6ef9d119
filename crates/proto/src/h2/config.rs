//! Connection settings and limits, with the reason for each default.

use std::time::Duration;

/// How a client connection behaves: what it advertises to the server in its
/// SETTINGS, and the limits it enforces against a misbehaving peer.
///
/// New fields may be added: start from `Config::default()` and set the ones
/// to change.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// SETTINGS_HEADER_TABLE_SIZE we advertise: the dynamic table the
    /// server's HPACK encoder may use. RFC 9113 §6.5.2 default: 4,096.
    pub header_table_size: u32,
    /// SETTINGS_INITIAL_WINDOW_SIZE we advertise for every stream. 1 MiB:
    /// enough to keep a 64 KiB-response pipeline full on a fast link, while the
    /// application's reads still bound memory (the window only reopens as
    /// data is released).
    pub initial_stream_window: u32,
    /// The connection receive window we open with a WINDOW_UPDATE right after
    /// the preface (RFC 9113 §6.9.2: it starts at 65,535 and can only be
    /// raised that way). 16 MiB: 16 streams at full window.
    pub initial_connection_window: u32,
    /// SETTINGS_MAX_FRAME_SIZE we advertise (the RFC 9113 §4.2 default).
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE we advertise and enforce on responses:
    /// 64 KiB of decoded fields (RFC 9113 §6.5.2 sizing, 32 bytes per field).
    pub max_header_list_size: u32,
    /// The number of concurrent streams assumed before the server's SETTINGS
    /// arrive. RFC 9113 §5.1.2 allows "no limit", but 100 is the value the
    /// RFC recommends servers to allow at least, so requests sent early are
    /// not refused by typical servers.
    pub initial_max_concurrent_streams: u32,
    /// CONTINUATION frames allowed for one field block. Real servers send
    /// one or two; the cap defeats the CONTINUATION flood (CVE-2024-27316
    /// family) together with `max_header_list_size`.
    pub max_continuation_frames: u32,
    /// Frames that carry no progress (PING, SETTINGS, empty DATA, PRIORITY,
    /// unknown types, WINDOW_UPDATE, RST_STREAM) accepted in a row before the
    /// connection is closed with ENHANCE_YOUR_CALM. The count resets whenever
    /// a response head or non-empty DATA arrives.
    pub max_control_frames_in_a_row: u32,
    /// Bytes the engine may hold unsent (written by the engine, not yet
    /// taken by the driver) when the server sends a frame that demands an
    /// answer (PING, SETTINGS). A server that floods those — with a DATA
    /// frame now and then, so `max_control_frames_in_a_row` never trips —
    /// and never reads the answers would otherwise grow the write buffer
    /// without bound (RFC 9113 §10.5). Past this the connection ends with
    /// ENHANCE_YOUR_CALM. Request body data stops at 256 KiB of backlog on
    /// its own, so in practice only answers and request heads count.
    pub max_write_backlog: usize,
    /// RFC 9113 §6.5.3: how long the server has to acknowledge our SETTINGS
    /// before the connection ends with SETTINGS_TIMEOUT.
    pub settings_ack_timeout: Duration,
    /// Close the connection gracefully after this long with no open stream.
    pub idle_timeout: Option<Duration>,
    /// Send a PING after this long without receiving anything.
    pub keepalive_interval: Option<Duration>,
    /// How long a keep-alive PING may stay unanswered.
    pub keepalive_timeout: Duration,
    /// How long frames for a stream we reset are silently ignored (RFC 9113
    /// §5.1, "closed": the peer may have sent them before it saw our reset).
    pub reset_stream_expiry: Duration,
    /// Reset streams remembered at once; beyond this the oldest is dropped.
    pub max_reset_streams: usize,
    /// How long a stream may have body bytes waiting on a zero send window
    /// before it is failed (DESIGN.md §6: zero-window stalls end in an
    /// error, not a hang). `None` waits forever.
    pub send_stall_timeout: Option<Duration>,
    /// After our own GOAWAY, how long the remaining streams get to finish.
    pub go_away_drain_timeout: Duration,
    /// Bytes of body queued per stream beyond which `send_data` refuses more
    /// (back-pressure towards the body producer).
    pub max_send_buffer: usize,
    /// How long a request body held for `100 (Continue)`
    /// ([`Connection::hold_body`](super::Connection::hold_body)) waits for
    /// the server's answer before it is sent anyway. RFC 9110 §10.1.1: a
    /// client "SHOULD NOT wait for an indefinite period"; one second is
    /// curl's default.
    pub continue_wait: Duration,
    /// First stream id to use; normally 1. Tests lower the id space to reach
    /// exhaustion (RFC 9113 §5.1.1) without two billion requests.
    pub first_stream_id: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            header_table_size: 4_096,
            initial_stream_window: 1 << 20,
            initial_connection_window: 16 << 20,
            max_frame_size: 16_384,
            max_header_list_size: 64 << 10,
            initial_max_concurrent_streams: 100,
            max_continuation_frames: 64,
            max_control_frames_in_a_row: 10_000,
            max_write_backlog: 1 << 20,
            settings_ack_timeout: Duration::from_secs(10),
            idle_timeout: None,
            keepalive_interval: None,
            keepalive_timeout: Duration::from_secs(20),
            reset_stream_expiry: Duration::from_secs(30),
            max_reset_streams: 1_024,
            send_stall_timeout: Some(Duration::from_secs(30)),
            go_away_drain_timeout: Duration::from_secs(30),
            max_send_buffer: 1 << 20,
            continue_wait: Duration::from_secs(1),
            first_stream_id: 1,
        }
    }
}
