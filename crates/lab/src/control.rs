//! `baton-lab --control`: the lab driven over standard input, for test
//! suites in other languages (the Python package's). The lab prints its URL
//! (and its certificate's path, with `--tls`), then answers one command per
//! line until standard input closes, when it stops:
//!
//! ```text
//! count ID      -> the times request ID was processed
//! duplicates    -> "ID N" for each request processed more than once, then "end"
//! stats         -> "processed N refused N ignored N connections N go_aways N"
//! reload        -> "ok" (an nginx-reload drain of every open connection)
//! ```

use std::io::Write;

use tokio::io::{AsyncBufReadExt, BufReader};

use baton_lab::{Lab, LabOptions};

/// Serves `options` until standard input closes.
pub(crate) async fn serve(options: LabOptions) -> std::io::Result<()> {
    let lab = Lab::start(options).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening {}", lab.url("/"))?;
    if let Some(cert) = lab.certificate() {
        let path = std::env::temp_dir().join(format!("baton-lab-{}.pem", lab.addr().port()));
        std::fs::write(&path, &cert.cert_pem)?;
        writeln!(out, "certificate {}", path.display())?;
    }
    out.flush()?;
    drop(out);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let reply = answer(&lab, line.trim());
        let mut out = std::io::stdout().lock();
        out.write_all(reply.as_bytes())?;
        out.flush()?;
    }
    lab.stop().await;
    Ok(())
}

fn answer(lab: &Lab, command: &str) -> String {
    let ledger = lab.ledger();
    match command.split_once(' ').unwrap_or((command, "")) {
        ("count", id) => format!("{}\n", ledger.count(id)),
        ("duplicates", _) => {
            let mut text: String = ledger.duplicates().iter().map(|(id, n)| format!("{id} {n}\n")).collect();
            text.push_str("end\n");
            text
        }
        ("stats", _) => {
            let s = ledger.stats();
            format!(
                "processed {} refused {} ignored {} connections {} go_aways {}\n",
                s.processed, s.refused, s.ignored, s.connections, s.go_aways
            )
        }
        ("reload", _) => {
            lab.reload();
            "ok\n".to_owned()
        }
        _ => format!("error unknown command {command:?}\n"),
    }
}
