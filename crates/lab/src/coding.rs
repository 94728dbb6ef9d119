//! Content codings (RFC 9110 §8.4.1) the lab applies to a route's body when
//! asked with `?encoding=`: the four a client may decode, each with the
//! encoder of the crate its decoder comes from.

use std::io::Write;

use bytes::Bytes;

/// A content coding the lab can apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `gzip` (RFC 1952).
    Gzip,
    /// `deflate`: the zlib format (RFC 1950) around deflate (RFC 1951), as
    /// RFC 9110 §8.4.1.2 defines it.
    Deflate,
    /// `br` (RFC 7932).
    Brotli,
    /// `zstd` (RFC 8878).
    Zstd,
}

impl Coding {
    /// The coding named `name` in a `Content-Encoding` value.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "gzip" => Self::Gzip,
            "deflate" => Self::Deflate,
            "br" => Self::Brotli,
            "zstd" => Self::Zstd,
            _ => return None,
        })
    }

    /// Its name in `Content-Encoding`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
            Self::Brotli => "br",
            Self::Zstd => "zstd",
        }
    }

    /// `data` encoded. Encoding into memory cannot fail; should an encoder
    /// still report an error, the data goes out as it is (a test then sees
    /// a body that does not decode).
    pub fn encode(self, data: &[u8]) -> Bytes {
        let encoded = match self {
            Self::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).and_then(|()| e.finish())
            }
            Self::Deflate => {
                let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).and_then(|()| e.finish())
            }
            Self::Brotli => {
                let mut out = Vec::new();
                // Quality 5 of 11: the default 11 takes seconds per
                // megabyte in a debug build, and the tests need the format,
                // not the ratio.
                let params = brotli::enc::BrotliEncoderParams { quality: 5, ..Default::default() };
                brotli::BrotliCompress(&mut &data[..], &mut out, &params).map(|_| out)
            }
            Self::Zstd => zstd::stream::encode_all(data, 3),
        };
        encoded.map_or_else(|_| Bytes::copy_from_slice(data), Bytes::from)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn each_coding_round_trips() {
        let text = crate::routes::text(10_000);
        let gz = Coding::Gzip.encode(&text);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, text);
        let z = Coding::Deflate.encode(&text);
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(&z[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, text);
        let br = Coding::Brotli.encode(&text);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
        assert_eq!(out, text);
        let zs = Coding::Zstd.encode(&text);
        assert_eq!(zstd::stream::decode_all(&zs[..]).unwrap(), text);
        for coding in [Coding::Gzip, Coding::Deflate, Coding::Brotli, Coding::Zstd] {
            assert_eq!(Coding::parse(coding.name()), Some(coding));
            assert!(coding.encode(&text).len() < text.len() / 2, "{coding:?} compresses");
        }
    }
}
