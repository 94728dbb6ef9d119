//! `baton-nginx`: nginx on 127.0.0.1 through the lab's launcher
//! ([`baton_lab::nginx`]), for scripts such as `bench/run`.
//!
//! ```text
//! baton-nginx [--workers N] LISTENER...     LISTENER: h2c or h1, optionally :KEEPALIVE_REQUESTS
//! baton-nginx h2c h2c:100 h1
//! ```
//!
//! Prints one line per listener, in order, `LISTENER URL` (`h2c:100
//! http://127.0.0.1:40123`), then `pid MASTER` (the master process; its
//! workers are its children), and serves the lab's routes
//! ([`BytesSite`](baton_lab::nginx::BytesSite)) until SIGTERM or SIGINT;
//! then nginx is stopped and its prefix removed. (TLS listeners need a
//! certificate: the library's [`NginxOptions::tls`](baton_lab::nginx::NginxOptions::tls).)

use std::process::ExitCode;

use baton_lab::nginx::{Listener, Nginx, NginxOptions, Protocol};

const USAGE: &str =
    "usage: baton-nginx [--workers N] LISTENER...   (LISTENER: h2c or h1, optionally :KEEPALIVE_REQUESTS)";

fn listener(arg: &str) -> Result<Listener, String> {
    let (name, requests) = match arg.split_once(':') {
        Some((name, n)) => {
            (name, Some(n.parse::<u32>().map_err(|_| format!("{arg:?}: not a request count"))?))
        }
        None => (arg, None),
    };
    let protocol = match name {
        "h2c" => Protocol::H2c,
        "h1" => Protocol::Http1,
        _ => return Err(format!("{name:?} is not h2c or h1")),
    };
    let mut listener = Listener::new(protocol);
    if let Some(n) = requests {
        listener.keepalive_requests = n;
    }
    Ok(listener)
}

fn parse(args: &[String]) -> Result<(NginxOptions, Vec<String>), String> {
    let mut options = NginxOptions { listeners: Vec::new(), ..NginxOptions::default() };
    let mut names = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--workers" {
            let n = iter.next().ok_or("--workers needs a number")?;
            options.workers = n.parse().map_err(|_| format!("--workers {n:?} is not a number"))?;
        } else {
            options.listeners.push(listener(arg)?);
            names.push(arg.clone());
        }
    }
    if options.listeners.is_empty() {
        return Err("no listener".to_owned());
    }
    Ok((options, names))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let (options, names) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("baton-nginx: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let nginx = match Nginx::start(&options) {
        Ok(nginx) => nginx,
        Err(e) => {
            eprintln!("baton-nginx: cannot start nginx: {e}");
            return ExitCode::FAILURE;
        }
    };
    for ((name, listener), addr) in names.iter().zip(&options.listeners).zip(nginx.addrs()) {
        println!("{name} {}://{addr}", listener.protocol.scheme());
    }
    println!("pid {}", nginx.pid());
    let stopped = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = term.recv() => Ok(()),
            r = tokio::signal::ctrl_c() => r,
        }
    };
    let result: std::io::Result<()> = stopped.await;
    drop(nginx);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton-nginx: cannot wait for a signal: {e}");
            ExitCode::FAILURE
        }
    }
}
