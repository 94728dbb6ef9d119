//! What an nginx serves: the files under its `html/` and the configuration
//! that routes to them.

use std::fmt;
use std::io;
use std::path::Path;

/// What every listener of an nginx serves. The launcher writes the files
/// and puts the configuration text into `nginx.conf`; `prefix` is the
/// private directory nginx runs in (`html/` is under it).
pub trait Site: fmt::Debug + Send + Sync {
    /// Writes the files the site serves into `html`, which exists.
    ///
    /// # Errors
    /// When a file cannot be written.
    fn write_files(&self, html: &Path) -> io::Result<()>;

    /// Directives for the main context, before everything else: for
    /// `load_module` (a dynamic module from the distribution, such as
    /// brotli's filter).
    fn main_directives(&self, _prefix: &Path) -> String {
        String::new()
    }

    /// Directives for the `http` block (after the launcher's own).
    fn http_directives(&self, _prefix: &Path) -> String {
        String::new()
    }

    /// The `location` blocks (and any other directives) of every listener's
    /// `server` block.
    fn locations(&self, prefix: &Path) -> String;

    /// Whole `server` blocks of the site's own, besides the listeners'
    /// (e.g. an internal one on a unix socket).
    fn servers(&self, _prefix: &Path) -> String {
        String::new()
    }
}

/// The lab's routes, which baton's tests and benchmarks ask of nginx:
/// `/bytes/100` and `/bytes/65536` are static files of that many `x`
/// ([`BytesSite::SIZES`]), and everything else answers `200 ok` to any
/// method (`return 200`), which lets POST and PUT through.
#[derive(Debug, Clone, Copy, Default)]
pub struct BytesSite;

impl BytesSite {
    /// The body sizes served as static files under `/bytes/`.
    pub const SIZES: [usize; 2] = [100, 65_536];
}

impl Site for BytesSite {
    fn write_files(&self, html: &Path) -> io::Result<()> {
        std::fs::create_dir_all(html.join("bytes"))?;
        for size in Self::SIZES {
            std::fs::write(html.join(format!("bytes/{size}")), vec![b'x'; size])?;
        }
        Ok(())
    }

    fn locations(&self, prefix: &Path) -> String {
        format!(
            "        location /bytes/ {{ root {}/html; }}\n        location / {{ return 200 \"ok\\n\"; }}\n",
            prefix.display()
        )
    }
}
