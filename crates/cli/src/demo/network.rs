//! What lies between the client and the lab: loopback, or (with `--rtt`)
//! the lab's fault proxy adding half the round trip each way, with jitter,
//! so that a GOAWAY and a request cross for as long as on a real network.

use std::time::Duration;

use baton_lab::proxy::{Directions, Plan, Proxy, ProxyOptions};
use baton_lab::{Lab, Ledger};

use super::cases::Case;

/// The network of a demo run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Network {
    /// Each way: latency and jitter; `None` for plain loopback.
    each_way: Option<(Duration, Duration)>,
}

impl Network {
    /// A round trip of `rtt`: half of it each way, ± `jitter` each way
    /// (bytes never reordered).
    pub(super) fn round_trip(rtt: Duration, jitter: Duration) -> Self {
        Self { each_way: Some((rtt / 2, jitter)) }
    }

    /// One line for the report: `20ms round trip (10ms ±2ms each way, ...)`.
    pub(super) fn describe(&self) -> String {
        match self.each_way {
            None => "loopback".to_owned(),
            Some((latency, jitter)) => format!(
                "{:?} round trip ({latency:?} ±{jitter:?} each way, through the lab's fault proxy)",
                latency * 2
            ),
        }
    }

    /// The round trip in milliseconds, for JSON (0 on loopback).
    pub(super) fn rtt_ms(&self) -> f64 {
        self.each_way.map_or(0.0, |(latency, _)| latency.as_secs_f64() * 2000.0)
    }

    /// Starts `case`'s fresh lab, and the proxy in front of it.
    pub(super) async fn start(&self, case: &Case) -> Result<Served, String> {
        let lab = Lab::start(case.lab_options()).await.map_err(|e| format!("lab: {e}"))?;
        let proxy = match self.each_way {
            None => None,
            Some((latency, jitter)) => {
                let plan = Plan::new().delay(Directions::Both, latency, jitter);
                let options = ProxyOptions::new(lab.addr()).plan(plan);
                Some(Proxy::start(options).await.map_err(|e| format!("proxy: {e}"))?)
            }
        };
        Ok(Served { lab, proxy })
    }
}

/// A case's lab, and its proxy when the network has one.
pub(super) struct Served {
    lab: Lab,
    proxy: Option<Proxy>,
}

impl Served {
    /// The URL of `path` as the client must reach it.
    pub(super) fn url(&self, path: &str) -> String {
        match &self.proxy {
            Some(proxy) => proxy.url(path),
            None => self.lab.url(path),
        }
    }

    /// What the lab processed.
    pub(super) fn ledger(&self) -> &Ledger {
        self.lab.ledger()
    }

    /// Stops the proxy, then the lab.
    pub(super) async fn stop(self) {
        if let Some(proxy) = self.proxy {
            proxy.stop().await;
        }
        self.lab.stop().await;
    }
}
