//! Real proxies from the system's packages, started as child processes in
//! private configurations on 127.0.0.1 and stopped on drop, as
//! [`nginx`](crate::nginx) is: [`Tinyproxy`] (HTTP forward proxy and
//! CONNECT tunnels, with or without Basic auth) and [`Microsocks`] (SOCKS5,
//! with or without a user name and password). A test that finds the binary
//! missing skips with a printed reason, as the nginx tests do.
//!
//! ```no_run
//! use baton_lab::proxies::{Credentials, Microsocks, Tinyproxy};
//!
//! # fn main() -> std::io::Result<()> {
//! let http = Tinyproxy::start(Some(Credentials::new("user", "pw")))?;
//! let socks = Microsocks::start(None)?;
//! println!("{} and {}", http.url(), socks.url());
//! # Ok(())
//! # }
//! ```

mod daemon;
mod microsocks;
mod tinyproxy;

pub use microsocks::Microsocks;
pub use tinyproxy::Tinyproxy;

/// A user name and password a proxy asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl Credentials {
    /// `user` with `password`.
    pub fn new(user: &str, password: &str) -> Self {
        Self { user: user.to_owned(), password: password.to_owned() }
    }
}
