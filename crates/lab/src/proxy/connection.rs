//! One proxied connection: the upstream connect, the two directions, the
//! plan's timed steps, and how it ends (both FINs delivered, or a reset).

use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::control::Control;
use super::plan::{Direction, Plan, Trigger};
use super::pump::{self, PumpEnd};
use super::reset;
use super::stats::{End, Party};

/// What a connection needs besides its sockets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setup {
    pub(crate) buffer: usize,
    pub(crate) seed: u64,
}

/// Forwards between `client` and a new connection to `upstream` under
/// `plan` until the connection ends; records the end in `control`.
pub(crate) async fn serve(
    client: TcpStream,
    upstream: std::net::SocketAddr,
    control: Arc<Control>,
    queues: [tokio::sync::mpsc::UnboundedReceiver<pump::Item>; 2],
    plan: Plan,
    setup: Setup,
) {
    let start = Instant::now();
    let _ = client.set_nodelay(true);
    let Ok(server) = TcpStream::connect(upstream).await else {
        control.set_end(End::UpstreamUnreachable);
        reset::arm(&[&client]).await;
        return;
    };
    let _ = server.set_nodelay(true);
    let end = forward(&client, &server, &control, queues, &plan, setup, start).await;
    if let End::Reset(_) = end {
        reset::arm(&[&client, &server]).await;
    }
    control.set_end(end);
}

async fn forward(
    client: &TcpStream,
    server: &TcpStream,
    control: &Control,
    queues: [tokio::sync::mpsc::UnboundedReceiver<pump::Item>; 2],
    plan: &Plan,
    setup: Setup,
    start: Instant,
) -> End {
    // Steps due at the start apply before the first byte.
    let mut timed: Vec<_> = plan
        .steps()
        .iter()
        .filter_map(|s| match s.trigger {
            Trigger::At(t) => Some((t, *s)),
            Trigger::Bytes(..) => None,
        })
        .collect();
    timed.sort_by_key(|t| t.0);
    let later = timed.iter().position(|t| !t.0.is_zero()).unwrap_or(timed.len());
    for (_, step) in &timed[..later] {
        control.apply(step.directions, step.fault, None);
    }
    let timers = async {
        for (at, step) in &timed[later..] {
            tokio::time::sleep_until(start + *at).await;
            control.apply(step.directions, step.fault, None);
        }
        std::future::pending::<()>().await;
    };
    let [to_server, to_client] = queues;
    let seed = setup.seed ^ control.ordinal.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let up = pump::run(
        Direction::ClientToServer,
        client,
        server,
        control,
        to_server,
        pump::byte_triggers(plan.steps(), Direction::ClientToServer),
        Setup { seed, ..setup },
    );
    let down = pump::run(
        Direction::ServerToClient,
        server,
        client,
        control,
        to_client,
        pump::byte_triggers(plan.steps(), Direction::ServerToClient),
        Setup { seed: seed.rotate_left(17) ^ 1, ..setup },
    );
    let mut reset = control.reset.subscribe();
    tokio::pin!(up, down, timers);
    let mut finished = [false; 2];
    loop {
        tokio::select! {
            end = &mut up, if !finished[0] => match end {
                PumpEnd::Finished => finished[0] = true,
                PumpEnd::Reset(by) => return End::Reset(by),
            },
            end = &mut down, if !finished[1] => match end {
                PumpEnd::Finished => finished[1] = true,
                PumpEnd::Reset(by) => return End::Reset(by),
            },
            () = &mut timers => {}
            changed = reset.wait_for(Option::is_some) => {
                let by = changed.ok().and_then(|p| *p).unwrap_or(Party::Fault);
                return End::Reset(by);
            }
        }
        if finished == [true, true] {
            return End::Closed;
        }
    }
}
