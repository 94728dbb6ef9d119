//! Links the code that `baton bench` runs next to each other, in the order
//! of `link-order.txt` (made by `bench/run --link-order`, from the
//! functions callgrind saw run).
//!
//! The kernel maps a binary's code into memory 64 KiB at a time around each
//! page a process touches (fault-around). Left to the linker, the code a
//! run needs lies spread among the TLS, lab and demo code it never calls,
//! and most of the binary's `.text` ends up resident: 2.3 MB of it for
//! `baton bench` over HTTP/2, against 0.8 MB with the order. Functions the
//! file does not name, or names that are stale, only lose their place; the
//! binary is the same otherwise.
//!
//! The option is LLD's; rustc links with its own LLD on x86_64 Linux. Any
//! other target, a linker chosen by configuration, or `BATON_LINK_ORDER=0`
//! leaves the link as it was.

use std::env;

fn main() {
    println!("cargo::rerun-if-changed=link-order.txt");
    println!("cargo::rerun-if-env-changed=BATON_LINK_ORDER");
    let target = env::var("TARGET").unwrap_or_default();
    let own_linker = env::var("RUSTC_LINKER").is_ok()
        || env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|f| f.contains("link") || f.contains("fuse-ld"));
    if target != "x86_64-unknown-linux-gnu"
        || own_linker
        || env::var("BATON_LINK_ORDER").as_deref() == Ok("0")
    {
        return;
    }
    let (Ok(dir), Ok(out)) = (env::var("CARGO_MANIFEST_DIR"), env::var("OUT_DIR")) else { return };
    // Linked from a copy in OUT_DIR: a target directory shared by two
    // checkouts may reuse this script's output from the other one, whose
    // own file may be gone by then; OUT_DIR is where that output lives.
    let order = std::path::Path::new(&out).join("link-order.txt");
    if std::fs::copy(std::path::Path::new(&dir).join("link-order.txt"), &order).is_ok() {
        println!("cargo::rustc-link-arg-bin=baton=-Wl,--symbol-ordering-file={}", order.display());
        println!("cargo::rustc-link-arg-bin=baton=-Wl,--no-warn-symbol-ordering");
    }
}
