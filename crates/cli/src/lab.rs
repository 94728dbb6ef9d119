//! `baton lab`: the lab's scenarios, served on 127.0.0.1; `baton lab
//! proxy` (in `lab_proxy.rs`) is its fault proxy.

use std::net::SocketAddr;
use std::process::ExitCode;

use baton_lab::{LabOptions, Scenario};

#[derive(Debug, clap::Args)]
#[command(after_help = baton_lab::scenarios_and_routes(), args_conflicts_with_subcommands = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on (loopback only makes sense).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Scenario name (see below).
    #[arg(long, default_value = "normal")]
    scenario: String,
    /// Serve TLS (ALPN h2, http/1.1) with a fresh self-signed certificate.
    #[arg(long)]
    tls: bool,
    /// SETTINGS_MAX_CONCURRENT_STREAMS to advertise and enforce.
    #[arg(long)]
    max_concurrent_streams: Option<u32>,
    /// Scenario parameters, KEY=VALUE (see each scenario below).
    params: Vec<String>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Forward TCP to a server through network faults: latency with
    /// jitter, a bandwidth cap, resets, FINs, blackholes, pauses.
    Proxy(crate::lab_proxy::Args),
}

pub(crate) async fn run(args: Args) -> ExitCode {
    if let Some(Command::Proxy(proxy)) = args.command {
        return crate::lab_proxy::run(proxy).await;
    }
    let scenario =
        match baton_lab::parse_params(&args.params).and_then(|p| Scenario::parse(&args.scenario, &p)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("baton lab: {e}");
                return ExitCode::from(2);
            }
        };
    let options = LabOptions {
        listen: args.listen,
        scenario,
        tls: args.tls,
        max_concurrent_streams: args.max_concurrent_streams,
    };
    match baton_lab::serve_until_ctrl_c(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton lab: cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}
