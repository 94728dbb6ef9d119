//! The builder's decompression options: which codings are asked for and
//! decoded (RFC 9110 §8.4).

use crate::client::ClientBuilder;

impl ClientBuilder {
    /// Whether responses compressed with gzip are decoded (default `true`
    /// with the `gzip` cargo feature, which this method needs). When on, a
    /// request without its own `Accept-Encoding` (or with a `Range`) asks
    /// for gzip; a response whose `Content-Encoding` is gzip loses that
    /// header and `Content-Length`, and its body is decoded as it is read.
    ///
    /// ```
    /// let client = baton::Client::builder().gzip(true).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[cfg(feature = "gzip")]
    pub fn gzip(mut self, enable: bool) -> Self {
        self.accepts.gzip = enable;
        self
    }

    /// Whether responses compressed with brotli (`br`) are decoded (default
    /// `true` with the `brotli` cargo feature, which this method needs). As
    /// [`gzip`](Self::gzip) otherwise.
    ///
    /// ```
    /// let client = baton::Client::builder().brotli(true).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[cfg(feature = "brotli")]
    pub fn brotli(mut self, enable: bool) -> Self {
        self.accepts.brotli = enable;
        self
    }

    /// Whether responses compressed with zstd are decoded (default `true`
    /// with the `zstd` cargo feature, which this method needs). As
    /// [`gzip`](Self::gzip) otherwise.
    ///
    /// ```
    /// let client = baton::Client::builder().zstd(true).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[cfg(feature = "zstd")]
    pub fn zstd(mut self, enable: bool) -> Self {
        self.accepts.zstd = enable;
        self
    }

    /// Whether responses compressed with deflate (the zlib format, RFC 9110
    /// §8.4.1.2) are decoded (default `true` with the `deflate` cargo
    /// feature, which this method needs). As [`gzip`](Self::gzip)
    /// otherwise.
    ///
    /// ```
    /// let client = baton::Client::builder().deflate(true).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    #[cfg(feature = "deflate")]
    pub fn deflate(mut self, enable: bool) -> Self {
        self.accepts.deflate = enable;
        self
    }

    /// Never decodes gzip, nor asks for it, whatever cargo features some
    /// other crate in the build turned on. Exists without the `gzip`
    /// feature too, so code that needs the raw bytes can say so.
    ///
    /// ```
    /// // A proxy hands the bytes on as they came.
    /// let client = baton::Client::builder().no_gzip().no_brotli().no_zstd().no_deflate().build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn no_gzip(mut self) -> Self {
        self.accepts.gzip = false;
        self
    }

    /// Never decodes brotli, nor asks for it (see [`no_gzip`](Self::no_gzip)).
    ///
    /// ```
    /// let client = baton::Client::builder().no_brotli().build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn no_brotli(mut self) -> Self {
        self.accepts.brotli = false;
        self
    }

    /// Never decodes zstd, nor asks for it (see [`no_gzip`](Self::no_gzip)).
    ///
    /// ```
    /// let client = baton::Client::builder().no_zstd().build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn no_zstd(mut self) -> Self {
        self.accepts.zstd = false;
        self
    }

    /// Never decodes deflate, nor asks for it (see [`no_gzip`](Self::no_gzip)).
    ///
    /// ```
    /// let client = baton::Client::builder().no_deflate().build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn no_deflate(mut self) -> Self {
        self.accepts.deflate = false;
        self
    }
}
