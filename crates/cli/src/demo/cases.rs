//! The demo's scenarios: DESIGN.md §7's S1-S18 as lab scenarios, each with
//! its load (request count, concurrency, shape) and the failures it allows.

use std::time::Duration;

use baton_lab::{DisconnectPoint, LabOptions, Scenario};

/// What a failure must look like for a scenario to call it "as required".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Allowed {
    /// A POST whose outcome is unknown fails MaybeProcessed (rule 2).
    PostMaybeProcessed,
    /// The response had started, then broke (rule 3).
    ResponseStarted,
    /// The attempt cap or the budget ran out on requests never processed.
    RetriesExhausted,
    /// A one-shot body beyond the replay buffer, above last_stream_id.
    NotReplayable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// GET, PUT, POST in turn, small bodies.
    Mixed,
    /// POSTs with 64 KiB replayable bodies.
    BigPosts,
    /// POSTs with 320 KiB one-shot streaming bodies.
    OneShotPosts,
    /// One request at a time with idle pauses (to meet an idle close).
    Paced,
}

/// One row of the demo: a lab scenario and the load sent to it.
pub(super) struct Case {
    pub(super) id: &'static str,
    pub(super) what: &'static str,
    pub(super) scenario: Scenario,
    pub(super) path: &'static str,
    pub(super) requests: usize,
    pub(super) concurrency: usize,
    pub(super) shape: Shape,
    pub(super) http1: bool,
    pub(super) max_streams: Option<u32>,
    pub(super) one_connection: bool,
    pub(super) allowed: &'static [Allowed],
}

impl Case {
    /// The options of the fresh lab each client run of this case gets.
    pub(super) fn lab_options(&self) -> LabOptions {
        let mut options = LabOptions::new(self.scenario);
        options.max_concurrent_streams = self.max_streams;
        options
    }
}

fn case(id: &'static str, what: &'static str, scenario: Scenario, allowed: &'static [Allowed]) -> Case {
    Case {
        id,
        what,
        scenario,
        path: "/bytes/100",
        requests: 300,
        concurrency: 32,
        shape: Shape::Mixed,
        http1: false,
        max_streams: None,
        one_connection: false,
        allowed,
    }
}

pub(super) fn cases() -> Vec<Case> {
    use Allowed::*;
    vec![
        Case {
            shape: Shape::Paced,
            requests: 40,
            concurrency: 1,
            ..case("S1", "GOAWAY crosses a new stream on an idle connection", alb_idle(), &[])
        },
        case("S2", "GOAWAY(N), GETs in flight above and below", Scenario::NginxRotate { requests: 100 }, &[]),
        Case {
            shape: Shape::BigPosts,
            path: "/echo",
            requests: 200,
            ..case(
                "S3",
                "POST with replayable body above last_stream_id",
                Scenario::NginxRotate { requests: 50 },
                &[],
            )
        },
        Case {
            shape: Shape::OneShotPosts,
            path: "/echo",
            requests: 60,
            concurrency: 16,
            ..case(
                "S4",
                "one-shot body beyond the replay buffer",
                Scenario::NginxRotate { requests: 20 },
                &[NotReplayable],
            )
        },
        Case {
            path: "/delay/20",
            requests: 200,
            ..case("S5", "GOAWAY(N) then RST", Scenario::GoawayThenRst { after: 60 }, &[PostMaybeProcessed])
        },
        Case {
            path: "/bytes/100000",
            requests: 100,
            ..case(
                "S6",
                "response body cut by a close",
                Scenario::Disconnect { at: DisconnectPoint::MidResponse, after: 60 },
                // The other streams on the cut connection meet S16.
                &[ResponseStarted, PostMaybeProcessed],
            )
        },
        Case {
            shape: Shape::BigPosts,
            path: "/echo",
            requests: 200,
            ..case(
                "S7",
                "S3 and S5 at once",
                Scenario::GoawayThenRst { after: 60 },
                &[PostMaybeProcessed, ResponseStarted],
            )
        },
        case(
            "S8",
            "double GOAWAY (2^31-1 + PING, then N)",
            Scenario::EnvoyDrain { after: 50, ack_timeout: Duration::from_millis(200) },
            &[],
        ),
        Case {
            requests: 1000,
            ..case("S9", "nginx keepalive_requests", Scenario::NginxRotate { requests: 100 }, &[])
        },
        case("S10", "GOAWAY(0) on a fresh connection (Node)", Scenario::NodeClose { connections: 1 }, &[]),
        case(
            "S11",
            "GOAWAY(N, ENHANCE_YOUR_CALM)",
            Scenario::GoawayError { after: 40, code: baton_proto::h2::frame::Reason::ENHANCE_YOUR_CALM },
            &[],
        ),
        Case { requests: 60, ..case("S12", "GOAWAY(0, HTTP_1_1_REQUIRED)", Scenario::Http11Required, &[]) },
        case("S13", "RST_STREAM(REFUSED_STREAM)", Scenario::RefusedStream { every: 7, above: 0 }, &[]),
        Case {
            requests: 120,
            ..case(
                "S14",
                "every connection rotated after 2 requests",
                Scenario::NginxRotate { requests: 2 },
                &[RetriesExhausted],
            )
        },
        case("S15", "GOAWAY, socket left open, HEADERS ignored", Scenario::SilentGoaway { after: 80 }, &[]),
        Case {
            path: "/delay/10",
            requests: 200,
            ..case(
                "S16",
                "close with no GOAWAY",
                Scenario::Disconnect { at: DisconnectPoint::AfterHead, after: 60 },
                &[PostMaybeProcessed],
            )
        },
        Case {
            path: "/delay/5",
            max_streams: Some(4),
            one_connection: true,
            ..case(
                "S17",
                "waiting for a stream slot when GOAWAY arrives",
                Scenario::NginxRotate { requests: 20 },
                &[],
            )
        },
        Case {
            http1: true,
            concurrency: 4,
            requests: 150,
            ..case(
                "S18",
                "HTTP/1.1 keep-alive closed as it is reused",
                Scenario::KeepaliveRace { requests: 2 },
                &[PostMaybeProcessed],
            )
        },
    ]
}

fn alb_idle() -> Scenario {
    Scenario::AlbIdle { after: 1, idle: Duration::from_millis(15) }
}
