//! `baton-lab`: serve one lab scenario on 127.0.0.1.
//!
//! ```text
//! cargo run -p baton-lab -- --listen 127.0.0.1:8080 --scenario nginx-rotate requests=100 [--tls]
//! ```
//!
//! With `--control`, it is driven over standard input instead (see
//! `control.rs`): the Python package's tests read its ledger that way.

mod control;

use std::net::SocketAddr;
use std::process::ExitCode;

use baton_lab::{LabOptions, Scenario};

const USAGE: &str = "usage: baton-lab [--listen ADDR] [--scenario NAME] [--tls] [--max-concurrent-streams N] [--control] [KEY=VALUE ...]";

fn usage() -> String {
    format!("{USAGE}\n\n{}", baton_lab::scenarios_and_routes())
}

struct Parsed {
    options: LabOptions,
    help: bool,
    control: bool,
}

fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut name = "normal".to_owned();
    let mut params = Vec::new();
    let mut tls = false;
    let mut control = false;
    let mut max_concurrent_streams = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                return Ok(Parsed { options: LabOptions::new(Scenario::Normal), help: true, control: false });
            }
            "--control" => control = true,
            "--max-concurrent-streams" => {
                let v = iter.next().ok_or("--max-concurrent-streams needs a number")?;
                max_concurrent_streams = Some(v.parse().map_err(|_| format!("{v:?} is not a stream count"))?);
            }
            "--listen" => {
                let v = iter.next().ok_or("--listen needs an address")?;
                listen =
                    v.parse().map_err(|_| format!("--listen {v:?} is not an address like 127.0.0.1:8080"))?;
            }
            "--scenario" => name = iter.next().ok_or("--scenario needs a name")?.clone(),
            "--tls" => tls = true,
            kv => params.extend(baton_lab::parse_params(&[kv.to_owned()])?),
        }
    }
    let scenario = Scenario::parse(&name, &params)?;
    Ok(Parsed { options: LabOptions { listen, scenario, tls, max_concurrent_streams }, help: false, control })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Parsed { options, help, control } = match parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("baton-lab: {e}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    if help {
        print!("{}", usage());
        return ExitCode::SUCCESS;
    }
    let served =
        if control { control::serve(options).await } else { baton_lab::serve_until_ctrl_c(options).await };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton-lab: cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}
