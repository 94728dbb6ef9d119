//! The mission in one program: a lab server rotates its HTTP/2 connections
//! like nginx at `keepalive_requests 100`, and 1,000 requests (GET, PUT,
//! POST) at concurrency 64 all succeed; the stats show the GOAWAYs and the
//! retries they caused, and the lab's ledger shows nothing ran twice.
//!
//! Run with `cargo run --release -p baton --example rotate`.

use std::sync::Arc;

use baton_lab::{Lab, LabOptions, Scenario};
use tokio::sync::Semaphore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lab = Lab::start(LabOptions::new(Scenario::NginxRotate { requests: 100 })).await?;
    let client = baton::Client::builder().http2_prior_knowledge().build()?;
    let limit = Arc::new(Semaphore::new(64));
    let mut tasks = Vec::new();
    for i in 0..1_000 {
        let permit = limit.clone().acquire_owned().await?;
        let client = client.clone();
        let url = lab.url("/bytes/100");
        tasks.push(tokio::spawn(async move {
            let id = format!("req-{i}");
            let request = match i % 3 {
                0 => client.get(&url),
                1 => client.put(&url).body("data"),
                _ => client.post(&url).body("data"),
            };
            let result = async { request.header("x-request-id", &id).send().await?.bytes().await }.await;
            drop(permit);
            result
        }));
    }
    let mut failed = 0;
    for task in tasks {
        if let Err(e) = task.await? {
            failed += 1;
            eprintln!("failed: {e}");
        }
    }
    let stats = client.stats();
    println!("requests: 1000, failed: {failed}");
    println!("connections opened: {}", stats.connections_opened);
    println!("GOAWAYs received: {}", stats.go_aways_total());
    println!("retries: {:?}", stats.retries);
    println!("processed twice (lab ledger): {}", lab.ledger().duplicates().len());
    lab.stop().await;
    Ok(())
}
