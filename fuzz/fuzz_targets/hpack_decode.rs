//! HPACK decoder fuzzing.
//!
//! Input: a control octet, then header-block bytes split into up to four
//! blocks decoded in order by one `Decoder`. The control octet picks our
//! advertised table size (bits 0-1), the number of blocks (bits 2-3), and a
//! small header list limit (bit 4).
//!
//! Checks, besides "never panics":
//! - the dynamic table never exceeds what we allowed;
//! - every block that decodes re-encodes, with our `Encoder`, into a block
//!   that decodes back to the same header list (names, values and the
//!   never-indexed flag), on an encoder/decoder pair that lives across blocks.
#![no_main]

use baton_proto::h2::hpack::{DecodeError, Decoder, Encoder, Header, HeaderRef};
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    // Below 4096 the first block must start with a size update (RFC 7541
    // §4.2); above, the peer may grow the table up to it.
    let table_size = [4096, 256, 0, 65_536][usize::from(control & 3)];
    let blocks = 1 + usize::from(control >> 2 & 3);
    let mut decoder = Decoder::new(table_size);
    if control & 0x10 != 0 {
        decoder.set_max_header_list_size(512);
    }

    let mut encoder = Encoder::new();
    let mut mirror = Decoder::new(4096);
    let mut out = BytesMut::new();

    let chunk = rest.len() / blocks + 1;
    for block in rest.chunks(chunk) {
        let block = Bytes::copy_from_slice(block);
        let mut headers: Vec<Header> = Vec::new();
        let result = decoder.decode(&block, |h| headers.push(h));
        assert!(decoder.table_size() <= table_size.max(4096));
        match result {
            Ok(()) => {}
            // The table is still in sync: go on with the next block.
            Err(DecodeError::HeaderListTooLarge { .. }) => continue,
            // The connection would end here.
            Err(e) => {
                assert!(e.is_compression_error());
                return;
            }
        }

        out.clear();
        encoder.encode(headers.iter().map(HeaderRef::from), &mut out);
        let encoded = out.split().freeze();
        let mut again: Vec<Header> = Vec::new();
        if let Err(e) = mirror.decode(&encoded, |h| again.push(h)) {
            panic!("our own block does not decode: {e}");
        }
        assert_eq!(headers, again);
    }
});
