//! `baton lab proxy`: the lab's TCP fault proxy between a client and a
//! server on 127.0.0.1, with the faults given as flags.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use baton_lab::proxy::{
    Amount, Connections, Direction, Directions, Fault, Plan, Proxy, ProxyOptions, Rate, parse_duration,
};

const AFTER_HELP: &str = "\
AMOUNT is a time since the connection was accepted (5s, 250ms) or a number of bytes (64KiB, 1MB, 1000)
that have crossed the proxy in the --bytes-of direction. Latency, rate and faults apply to the
--direction directions (a reset always takes the whole connection); faults hit the connections
--connection or --every picks, latency and rate every connection.

Faults:
  reset      both sockets are closed with SO_LINGER 0: each peer reads what was delivered, then ECONNRESET
  FIN        the receiver reads end of stream; the other direction goes on unless --direction both
  blackhole  the proxy stops reading: both sockets stay open, nothing is forwarded or answered
             (as behind a load balancer that dropped the flow; TCP keep-alive still gets answers)
  pause      nothing is delivered for --pause-for, then everything held, in order

Examples:
  baton lab proxy --upstream 127.0.0.1:8080 --latency 10ms --jitter 2ms     # a 20 ms round trip
  baton lab proxy --upstream 127.0.0.1:8080 --rate 1MB/s --reset-after 64KiB --connection 3
  baton lab proxy --upstream 127.0.0.1:8080 --blackhole-after 5s";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Way {
    /// Client to server and server to client.
    Both,
    /// What the client sends.
    ToServer,
    /// What the server sends.
    ToClient,
}

impl Way {
    fn directions(self) -> Directions {
        match self {
            Self::Both => Directions::Both,
            Self::ToServer => Direction::ClientToServer.into(),
            Self::ToClient => Direction::ServerToClient.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OneWay {
    /// What the client sends.
    ToServer,
    /// What the server sends.
    ToClient,
}

#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct Args {
    /// Address to listen on (loopback only makes sense).
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// The server to forward to.
    #[arg(long)]
    upstream: SocketAddr,
    /// One-way delay added to every byte (10ms each way is a 20 ms round trip).
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    latency: Option<Duration>,
    /// The most the delay varies, either side of --latency; bytes are never reordered.
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    jitter: Option<Duration>,
    /// Bandwidth cap, bytes per second (1MB/s, 512KiB/s).
    #[arg(long, value_name = "RATE")]
    rate: Option<Rate>,
    /// Reset the connection after AMOUNT.
    #[arg(long, value_name = "AMOUNT")]
    reset_after: Option<Amount>,
    /// Send a FIN after AMOUNT.
    #[arg(long, value_name = "AMOUNT")]
    fin_after: Option<Amount>,
    /// Stop forwarding after AMOUNT, sockets left open.
    #[arg(long, value_name = "AMOUNT")]
    blackhole_after: Option<Amount>,
    /// Pause after AMOUNT, for --pause-for.
    #[arg(long, value_name = "AMOUNT", requires = "pause_for")]
    pause_after: Option<Amount>,
    /// How long a pause lasts.
    #[arg(long, value_name = "TIME", value_parser = parse_duration, requires = "pause_after")]
    pause_for: Option<Duration>,
    /// Which directions the latency, the rate and the faults apply to.
    #[arg(long, value_enum, default_value = "both")]
    direction: Way,
    /// Which direction's bytes an AMOUNT in bytes counts.
    #[arg(long, value_enum, default_value = "to-client")]
    bytes_of: OneWay,
    /// Only the N-th connection gets the faults (the first accepted is 1).
    #[arg(long, value_name = "N", conflicts_with = "every", value_parser = clap::value_parser!(u64).range(1..))]
    connection: Option<u64>,
    /// Only every N-th connection gets the faults.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    every: Option<u64>,
    /// Seed of the jitter.
    #[arg(long, default_value_t = 0x5eed)]
    seed: u64,
}

impl Args {
    /// The plan of every connection (latency, rate), and the faults with the
    /// connections they are for.
    fn plans(&self) -> (Plan, Connections, Plan) {
        let ways = self.direction.directions();
        let mut every = Plan::new();
        if self.latency.is_some() || self.jitter.is_some() {
            every = every.delay(ways, self.latency.unwrap_or_default(), self.jitter.unwrap_or_default());
        }
        if let Some(rate) = self.rate {
            every = every.rate(ways, rate);
        }
        let bytes_of = match self.bytes_of {
            OneWay::ToServer => Direction::ClientToServer,
            OneWay::ToClient => Direction::ServerToClient,
        };
        let mut faults = Plan::new();
        let timed = [
            (self.reset_after, Fault::Reset),
            (self.fin_after, Fault::Fin),
            (self.blackhole_after, Fault::Blackhole),
            (self.pause_after, Fault::Pause(self.pause_for.unwrap_or_default())),
        ];
        for (amount, fault) in timed {
            if let Some(amount) = amount {
                faults = faults.on(amount.trigger(bytes_of), ways, fault);
            }
        }
        let which = match (self.connection, self.every) {
            (Some(n), _) => Connections::Nth(n),
            (None, Some(n)) => Connections::Every(n),
            (None, None) => Connections::All,
        };
        (every, which, faults)
    }
}

/// The banner: where it listens, where it forwards, and what it does.
fn banner(proxy: &Proxy, every: &Plan, which: Connections, faults: &Plan) -> String {
    let mut text = format!("baton lab proxy: {} -> {}\n", proxy.addr(), proxy.upstream());
    if every.is_empty() && faults.is_empty() {
        text.push_str("  no faults: every byte forwarded at once\n");
    }
    if !every.is_empty() {
        text.push_str(&format!("  every connection: {every}\n"));
    }
    if !faults.is_empty() {
        text.push_str(&format!("  {which}: {faults}\n"));
    }
    text
}

pub(crate) async fn run(args: Args) -> ExitCode {
    let (every, which, faults) = args.plans();
    let plan = if which == Connections::All { every.clone().and(&faults) } else { every.clone() };
    let options =
        ProxyOptions { listen: args.listen, ..ProxyOptions::new(args.upstream) }.plan(plan).seed(args.seed);
    let proxy = match Proxy::start(options).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("baton lab proxy: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    if which != Connections::All && !faults.is_empty() {
        proxy.add_plan(which, faults.clone());
    }
    if crate::flags::print(&banner(&proxy, &every, which, &faults)).is_err() {
        return ExitCode::FAILURE;
    }
    let _ = tokio::signal::ctrl_c().await;
    let _ = crate::flags::print(&format!("{}\n", proxy.stats()));
    proxy.stop().await;
    ExitCode::SUCCESS
}
