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
    /// Send a keep-alive PING once nothing at all has arrived for this long
    /// (RFC 9113 §6.7: PING tells "whether an idle connection is still
    /// functional"); `None` never pings. 5 s: a connection a load balancer
    /// dropped without a word (a blackhole) is found dead within
    /// `keepalive_interval + keepalive_timeout` of its last byte, 10 s,
    /// where without a PING its requests wait for their own deadlines.
    /// Chrome pings an HTTP/2 connection silent for 10 s before reusing it
    /// and gives up 10 s later; gRPC, Go and hyper leave it off by default.
    /// A connection that receives anything never pings, so a busy one pays
    /// nothing; see `keepalive_while_idle` and
    /// `keepalive_max_pings_without_data` for when a silent one does.
    pub keepalive_interval: Option<Duration>,
    /// How long a keep-alive PING may go with nothing received (its ACK or
    /// anything else) before the connection is closed as dead. 5 s: a
    /// PING's answer takes one round trip, and any byte that arrives counts
    /// as one (an ACK queued behind response data is not waited for);
    /// gRPC, hyper and .NET wait 20 s, Go 15 s, Chrome 10 s.
    pub keepalive_timeout: Duration,
    /// Ping idle connections too (no stream open). Off: an idle connection
    /// is checked when a request next opens a stream on it (its PING goes
    /// out with the request if it has been silent for `keepalive_interval`),
    /// and idle connections cost nothing. gRPC servers, by default, count a
    /// PING on a connection with no call as abuse (gRPC's
    /// `KEEPALIVE_PERMIT_WITHOUT_CALLS` is off); hyper's and .NET's
    /// `while_idle`/`WithActiveRequests` are the same switch.
    pub keepalive_while_idle: bool,
    /// Keep-alive PINGs sent while no HEADERS or DATA arrives, after which
    /// the interval becomes at least 5 minutes; 0 for no such limit. 2:
    /// gRPC's own clients send at most 2 (`MAX_PINGS_WITHOUT_DATA`), and
    /// gRPC servers close the connection (GOAWAY ENHANCE_YOUR_CALM,
    /// "too_many_pings") on the third PING within 5 minutes with no data
    /// sent in between. A long poll that stays silent is still checked,
    /// every 5 minutes.
    pub keepalive_max_pings_without_data: u32,
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
            keepalive_interval: Some(Duration::from_secs(5)),
            keepalive_timeout: Duration::from_secs(5),
            keepalive_while_idle: false,
            keepalive_max_pings_without_data: 2,
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
