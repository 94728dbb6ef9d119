//! `baton soak`, small: a few thousand requests against the three churning
//! origins (nginx reloaded, the lab cycling its GOAWAY scenarios, nginx
//! behind the fault proxy), every outcome checked against the servers'
//! books. CI also runs 50,000 requests (`.ci/run`); the million is run by
//! hand.

use std::process::Command;

#[test]
fn a_small_soak_loses_nothing() {
    if baton_lab::nginx::Nginx::find().is_none() {
        assert!(std::env::var_os("BATON_INTEROP_REQUIRE").is_none(), "nginx is required");
        println!("skipped: nginx is not installed (apt-get install nginx)");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "soak",
            "-n",
            "6000",
            "-c",
            "64",
            "--quiet",
            "--reload-every",
            "1s",
            "--scenario-every",
            "200ms",
        ])
        .output()
        .expect("run baton soak");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}{stderr}");
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("soak: every check held"), "{stdout}");
    // Every origin got its third, and the table says so.
    for origin in
        ["nginx h2c, keepalive_requests 100, reloaded", "lab h2c", "nginx TLS behind the fault proxy"]
    {
        let line =
            stdout.lines().find(|l| l.starts_with(origin)).unwrap_or_else(|| panic!("{origin}: {stdout}"));
        assert!(line.split_whitespace().any(|w| w == "2000"), "{line}");
    }
}
