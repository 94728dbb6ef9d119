//! `baton demo --settings-wait`: what waiting for a new HTTP/2
//! connection's SETTINGS costs, against nginx (h2c and TLS) behind the
//! fault proxy at a round trip of `--rtt` (20 ms by default).
//!
//! For each [`SettingsWait`] policy, two ways a request meets a new
//! connection:
//! - `cold`: a new client's first request (the origin never seen);
//! - `new conn`: a client that has talked to the origin before, whose
//!   connection was reset (through the proxy) after its response, sends
//!   the next request on a new connection.
//!
//! Each is the median (and 90th percentile) of `--samples` requests, from
//! the call to the end of a 100-byte body. The proxy delays the bytes of
//! every exchange, TLS handshake included, but not TCP's own handshake (the
//! kernel completes it before the proxy accepts): on a real network every
//! figure has one more round trip, the same for each policy.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use baton::SettingsWait;
use baton_lab::nginx::{Listener, Nginx, NginxOptions, Protocol, TlsIdentity};
use baton_lab::proxy::{Connections, Directions, Fault, Plan, Proxy, ProxyOptions};
use baton_lab::tls::TestCertificate;

/// The policies compared, with their names in the table.
const POLICIES: [(SettingsWait, &str); 3] = [
    (SettingsWait::Always, "Always"),
    (SettingsWait::SafeRequestsFirst, "SafeRequestsFirst"),
    (SettingsWait::Never, "Never"),
];

pub(super) async fn run(rtt: Duration, samples: usize) -> ExitCode {
    match measure(rtt, samples).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton demo --settings-wait: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn measure(rtt: Duration, samples: usize) -> Result<(), String> {
    let cert = TestCertificate::generate().map_err(|e| format!("certificate: {e}"))?;
    let mut options = NginxOptions::new(Protocol::H2c);
    options.listeners.push(Listener::new(Protocol::H2Tls));
    options.tls = Some(TlsIdentity { cert_pem: cert.cert_pem.clone(), key_pem: cert.key_pem().to_owned() });
    let nginx = Nginx::start(&options).map_err(|e| format!("nginx: {e}"))?;
    let plan = Plan::new().delay(Directions::Both, rtt / 2, Duration::ZERO);
    println!(
        "nginx {}.{}.{} through the fault proxy at {rtt:?} round trip (TCP's handshake not delayed); \
         {samples} samples each; milliseconds, median / p90",
        nginx.version().0,
        nginx.version().1,
        nginx.version().2
    );
    println!("{:<6} {:<18} {:>16} {:>16}", "", "policy", "cold", "new conn");
    for protocol in [Protocol::H2c, Protocol::H2Tls] {
        let upstream = nginx.endpoint(protocol).ok_or("nginx has no such listener")?;
        let proxy = Proxy::start(ProxyOptions::new(upstream).plan(plan.clone()))
            .await
            .map_err(|e| format!("proxy: {e}"))?;
        let url = format!("{}://{}/bytes/100", protocol.scheme(), proxy.addr());
        for (policy, name) in POLICIES {
            let builder = || {
                let b = baton::Client::builder()
                    .http2_settings_wait(policy)
                    .add_root_certificate(cert.cert.to_vec());
                if protocol == Protocol::H2c { b.http2_prior_knowledge() } else { b }
            };
            let mut cold = Vec::with_capacity(samples);
            for _ in 0..samples {
                let client = builder().build().map_err(|e| e.to_string())?;
                cold.push(timed(&client, &url).await?);
                client.shutdown(Duration::from_secs(1)).await;
            }
            let client = builder().build().map_err(|e| e.to_string())?;
            timed(&client, &url).await?;
            let mut fresh = Vec::with_capacity(samples);
            for _ in 0..samples {
                proxy.apply(Connections::All, Directions::Both, Fault::Reset);
                // Long enough for the reset to reach the client.
                tokio::time::sleep(rtt * 3).await;
                fresh.push(timed(&client, &url).await?);
            }
            let label = if protocol == Protocol::H2c { "h2c" } else { "TLS" };
            println!("{label:<6} {name:<18} {:>16} {:>16}", summary(&mut cold), summary(&mut fresh));
        }
        proxy.stop().await;
    }
    Ok(())
}

/// One GET, to the end of its body.
async fn timed(client: &baton::Client, url: &str) -> Result<Duration, String> {
    let start = Instant::now();
    let response = client.get(url).send().await.map_err(|e| e.to_string())?;
    response.bytes().await.map_err(|e| e.to_string())?;
    Ok(start.elapsed())
}

/// `median / p90` in milliseconds.
fn summary(samples: &mut [Duration]) -> String {
    samples.sort_unstable();
    let at = |p: f64| {
        let i = ((samples.len().saturating_sub(1)) as f64 * p).round() as usize;
        samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    format!("{:.1} / {:.1}", at(0.5), at(0.9))
}
