//! `baton-test-pki`: writes a throwaway PKI made by the lab's
//! [`TestCertificate`] and [`TestCa`], for tests outside Rust that need the
//! same certificates as the Rust mutual-TLS tests (the Python package's).
//!
//! ```text
//! baton-test-pki DIR
//! ```
//!
//! Writes into `DIR` (which must exist): `server.pem` and `server.key` (a
//! self-signed certificate for `localhost` and `127.0.0.1`), `client-ca.pem`
//! (the CA a server checks clients against), `client.pem` and `client.key`
//! (a client certificate that CA signed), `client-identity.pem` (the two in
//! one text), and `foreign-identity.pem` (a client certificate and key from
//! another CA, which such a server must reject).

use std::path::Path;
use std::process::ExitCode;

use baton_lab::tls::{TestCa, TestCertificate};

fn write(dir: &Path) -> Result<(), String> {
    let server = TestCertificate::generate().map_err(|e| e.to_string())?;
    let ca = TestCa::generate().map_err(|e| e.to_string())?;
    let client = ca.client_certificate("baton test client").map_err(|e| e.to_string())?;
    let foreign = TestCa::generate()
        .and_then(|other| other.client_certificate("foreign client"))
        .map_err(|e| e.to_string())?;
    let files = [
        ("server.pem", server.cert_pem.clone()),
        ("server.key", server.key_pem().to_owned()),
        ("client-ca.pem", ca.cert_pem.clone()),
        ("client.pem", client.cert_pem.clone()),
        ("client.key", client.key_pem().to_owned()),
        ("client-identity.pem", client.identity_pem()),
        ("foreign-identity.pem", foreign.identity_pem()),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir] = args.as_slice() else {
        eprintln!("usage: baton-test-pki DIR");
        return ExitCode::from(2);
    };
    match write(Path::new(dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton-test-pki: {e}");
            ExitCode::FAILURE
        }
    }
}
