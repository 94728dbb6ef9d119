//! The header block encoder (RFC 7541 §3, §6).

use bytes::BytesMut;

use super::encoder_table::{EncoderTable, Hashes};
use super::header::HeaderRef;
use super::table::entry_size;
use super::{DEFAULT_TABLE_SIZE, huffman, integer, static_table};

/// The largest dynamic table the encoder uses, whatever the peer allows.
/// RFC 7541 §4.2 lets the encoder pick any size up to the peer's limit; past
/// 16 KiB the compression gained is small and the memory is per connection.
const MAX_TABLE_SIZE: usize = 16 * 1024;

/// Encodes header lists into header blocks (RFC 7541 §3.2), keeping a
/// dynamic table in step with the peer's decoder.
///
/// One per connection; blocks must be sent in the order they were encoded.
///
/// Strategy, per field:
/// - a field in the static or dynamic table is sent as an index (§6.1);
/// - a sensitive field is sent as a literal never indexed (§6.2.3) and never
///   enters the table (RFC 7541 §7.1);
/// - other fields are added to the table (§6.2.1), except very big ones and
///   those whose values rarely repeat (`:path`, `content-length`, ...), which
///   are sent without indexing (§6.2.2);
/// - names are indexed when possible, the static table preferred;
/// - a string is Huffman coded (§5.2) when that makes it strictly shorter.
#[derive(Debug)]
pub struct Encoder {
    table: EncoderTable,
    /// The smallest table size allowed since the previous block, if the
    /// peer's limit changed (clamped to [`MAX_TABLE_SIZE`]).
    smallest_since_last_block: Option<usize>,
    /// The table size to use from the next block on.
    target_size: usize,
    /// Huffman-code strings when shorter; off only in tests.
    huffman: bool,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    /// An encoder with the protocol's initial table size, 4096 octets
    /// (RFC 9113 §6.5.2).
    pub fn new() -> Self {
        Self {
            table: EncoderTable::new(DEFAULT_TABLE_SIZE),
            smallest_since_last_block: None,
            target_size: DEFAULT_TABLE_SIZE,
            huffman: true,
        }
    }

    /// The peer's SETTINGS_HEADER_TABLE_SIZE is now `max`.
    ///
    /// The encoder uses `min(max, 16 KiB)` from the next block on, which
    /// starts with the dynamic table size update(s) that announce it: if the
    /// limit changed more than once since the previous block and at some
    /// point went below the table's size, first the smallest value, then the
    /// final one (RFC 7541 §4.2).
    pub fn set_max_table_size(&mut self, max: usize) {
        let size = max.min(MAX_TABLE_SIZE);
        self.target_size = size;
        self.smallest_since_last_block = Some(self.smallest_since_last_block.map_or(size, |s| s.min(size)));
    }

    /// Appends the header block for `headers`, in order, to `dst`.
    pub fn encode<'a>(&mut self, headers: impl IntoIterator<Item = HeaderRef<'a>>, dst: &mut BytesMut) {
        self.size_updates(dst);
        for header in headers {
            self.field(header, dst);
        }
    }

    /// Dynamic Table Size Updates (RFC 7541 §6.3) owed since the previous
    /// block:
    ///
    /// ```text
    ///   0   1   2   3   4   5   6   7
    /// +---+---+---+---+---+---+---+---+
    /// | 0 | 0 | 1 |   Max size (5+)   |
    /// +---+---------------------------+
    /// ```
    fn size_updates(&mut self, dst: &mut BytesMut) {
        let Some(smallest) = self.smallest_since_last_block.take() else {
            return;
        };
        // §4.2: a limit that dipped below our size must be signalled, even
        // if it went back up: the decoder may have shrunk its table.
        if smallest < self.table.capacity() {
            integer::encode(dst, smallest, 5, 0x20);
            self.table.set_capacity(smallest);
        }
        if self.target_size != self.table.capacity() {
            integer::encode(dst, self.target_size, 5, 0x20);
            self.table.set_capacity(self.target_size);
        }
    }

    fn field(&mut self, header: HeaderRef<'_>, dst: &mut BytesMut) {
        let HeaderRef { name, value, sensitive } = header;
        dst.reserve(name.len() + value.len() + 12);
        let in_static = static_table::find(name, value);
        if !sensitive {
            if let Some(index) = in_static.and_then(|m| m.field) {
                indexed(dst, index);
                return;
            }
        }
        let hashes = Hashes::new(name, value);
        let in_dynamic = self.table.find(name, value, hashes);
        let name_index = in_static.map(|m| m.name).or(in_dynamic.name);
        if sensitive {
            // §6.2.3, §7.1.3: never indexed, and kept out of our table.
            self.literal(dst, NEVER_INDEXED, name_index, header);
            return;
        }
        if let Some(index) = in_dynamic.field {
            indexed(dst, index);
            return;
        }
        if self.should_index(header, in_static.map(|m| m.name)) {
            self.literal(dst, WITH_INDEXING, name_index, header);
            self.table.insert(name, value, hashes);
        } else {
            self.literal(dst, WITHOUT_INDEXING, name_index, header);
        }
    }

    /// Whether a field that is not in the table yet should be added.
    ///
    /// Adding costs nothing on the wire (the §6.2.1 representation is never
    /// longer than §6.2.2's), only table room, which an entry that does not
    /// repeat wastes by evicting ones that would. So everything goes in
    /// except:
    /// - fields bigger than 3/4 of the table, which would flush most of it;
    /// - fields whose values belong to one message or one resource
    ///   ([`UNIQUE_VALUE_NAMES`]).
    ///
    /// Over the hpack-test-case corpus these choices beat indexing everything
    /// by about 1.3%.
    fn should_index(&self, header: HeaderRef<'_>, static_name: Option<usize>) -> bool {
        if static_name.is_some_and(|index| UNIQUE_VALUE_NAMES.contains(&index)) {
            return false;
        }
        entry_size(header.name, header.value) <= self.table.capacity() / 4 * 3
    }

    /// A literal representation (RFC 7541 §6.2): the first octet's pattern
    /// and the name index (or a literal name, index 0), then the value.
    fn literal(&self, dst: &mut BytesMut, kind: Literal, name_index: Option<usize>, header: HeaderRef<'_>) {
        match name_index {
            Some(index) => integer::encode(dst, index, kind.prefix_bits, kind.pattern),
            None => {
                integer::encode(dst, 0, kind.prefix_bits, kind.pattern);
                self.string(dst, header.name);
            }
        }
        self.string(dst, header.value);
    }

    /// A string literal (RFC 7541 §5.2), Huffman coded when strictly shorter:
    ///
    /// ```text
    ///   0   1   2   3   4   5   6   7
    /// +---+---+---+---+---+---+---+---+
    /// | H |    String Length (7+)     |
    /// +---+---------------------------+
    /// |  String Data (Length octets)  |
    /// +-------------------------------+
    /// ```
    fn string(&self, dst: &mut BytesMut, s: &[u8]) {
        if self.huffman {
            let coded_len = huffman::encoded_len(s);
            if coded_len < s.len() {
                integer::encode(dst, coded_len, 7, 0x80);
                dst.reserve(coded_len);
                huffman::encode(s, dst);
                return;
            }
        }
        integer::encode(dst, s.len(), 7, 0);
        dst.extend_from_slice(s);
    }
}

/// Static table name indices (RFC 7541 Appendix A) of fields whose values
/// rarely repeat on a connection: `:path` (4), `age` (21), `content-length`
/// (28), `if-modified-since` (40), `if-none-match` (41). They are sent
/// without indexing (§6.2.2), name indexed.
const UNIQUE_VALUE_NAMES: [usize; 5] = [4, 21, 28, 40, 41];

/// Indexed Header Field (RFC 7541 §6.1):
///
/// ```text
///   0   1   2   3   4   5   6   7
/// +---+---+---+---+---+---+---+---+
/// | 1 |        Index (7+)         |
/// +---+---------------------------+
/// ```
fn indexed(dst: &mut BytesMut, index: usize) {
    integer::encode(dst, index, 7, 0x80);
}

/// The first octet of a literal representation (RFC 7541 §6.2):
///
/// ```text
///   0   1   2   3   4   5   6   7
/// +---+---+---+---+---+---+---+---+
/// | 0 | 1 |      Index (6+)       |   §6.2.1 with incremental indexing
/// +---+---+---+---+---+---+---+---+
/// | 0 | 0 | 0 | 0 |  Index (4+)   |   §6.2.2 without indexing
/// +---+---+---+---+---+---+---+---+
/// | 0 | 0 | 0 | 1 |  Index (4+)   |   §6.2.3 never indexed
/// +---+---+---+---+---+---+---+---+
/// ```
#[derive(Debug, Clone, Copy)]
struct Literal {
    pattern: u8,
    prefix_bits: u8,
}

const WITH_INDEXING: Literal = Literal { pattern: 0x40, prefix_bits: 6 };
const WITHOUT_INDEXING: Literal = Literal { pattern: 0x00, prefix_bits: 4 };
const NEVER_INDEXED: Literal = Literal { pattern: 0x10, prefix_bits: 4 };

#[cfg(test)]
mod tests {
    use super::super::rfc_examples::{C3, C4, C5, C6};
    use super::super::{Decoder, Header};
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn refs<'a>(list: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = HeaderRef<'a>> {
        list.iter().map(|&(n, v)| HeaderRef { name: n.as_bytes(), value: v.as_bytes(), sensitive: false })
    }

    fn encode(e: &mut Encoder, list: &[(&str, &str)]) -> Vec<u8> {
        let mut dst = BytesMut::new();
        e.encode(refs(list), &mut dst);
        dst.to_vec()
    }

    fn plain() -> Encoder {
        let mut e = Encoder::new();
        e.huffman = false;
        e
    }

    const REQUESTS: [&[(&str, &str)]; 3] = [
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")],
        &[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "www.example.com"),
            ("cache-control", "no-cache"),
        ],
        &[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/index.html"),
            (":authority", "www.example.com"),
            ("custom-key", "custom-value"),
        ],
    ];

    const RESPONSES: [&[(&str, &str)]; 3] = [
        &[
            (":status", "302"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            ("location", "https://www.example.com"),
        ],
        &[
            (":status", "307"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            ("location", "https://www.example.com"),
        ],
        &[
            (":status", "200"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
            ("location", "https://www.example.com"),
            ("content-encoding", "gzip"),
            ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
        ],
    ];

    #[test]
    fn c2_representations() {
        let mut e = plain();
        assert_eq!(
            encode(&mut e, &[("custom-key", "custom-header")]),
            hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")
        );
        assert_eq!(e.table.size(), 55);
        // C.2.2: `:path` is sent without indexing.
        let mut e = plain();
        assert_eq!(encode(&mut e, &[(":path", "/sample/path")]), hex("040c 2f73 616d 706c 652f 7061 7468"));
        assert_eq!(e.table.size(), 0);
        let mut e = plain();
        let password = HeaderRef { name: b"password", value: b"secret", sensitive: true };
        let mut dst = BytesMut::new();
        e.encode([password], &mut dst);
        assert_eq!(&dst[..], hex("1008 7061 7373 776f 7264 0673 6563 7265 74"));
        assert_eq!(e.table.size(), 0);
        assert_eq!(encode(&mut e, &[(":method", "GET")]), hex("82"));
    }

    #[test]
    fn c3_requests_without_huffman() {
        let mut e = plain();
        for (list, block) in REQUESTS.iter().zip(C3) {
            assert_eq!(encode(&mut e, list), hex(block));
        }
        assert_eq!(e.table.size(), 164);
    }

    #[test]
    fn c4_requests_with_huffman() {
        let mut e = Encoder::new();
        for (list, block) in REQUESTS.iter().zip(C4) {
            assert_eq!(encode(&mut e, list), hex(block));
        }
    }

    #[test]
    fn c5_responses_without_huffman() {
        let mut e = plain();
        // The examples assume a table of 256 from the start, with no update.
        e.table.set_capacity(256);
        for (list, block) in RESPONSES.iter().zip(C5) {
            assert_eq!(encode(&mut e, list), hex(block));
        }
        assert_eq!(e.table.size(), 215);
    }

    #[test]
    fn c6_responses_with_huffman() {
        let mut e = Encoder::new();
        e.table.set_capacity(256);
        assert_eq!(encode(&mut e, RESPONSES[0]), hex(C6[0]));
        // The RFC Huffman-codes "307" although that saves nothing (17 bits
        // take 3 octets); we send it as is.
        assert_eq!(encode(&mut e, RESPONSES[1]), hex("4803 3330 37c1 c0bf"));
        assert_eq!(encode(&mut e, RESPONSES[2]), hex(C6[2]));
    }

    fn round_trip(e: &mut Encoder, d: &mut Decoder, list: &[HeaderRef<'_>]) -> Vec<u8> {
        let mut dst = BytesMut::new();
        e.encode(list.iter().copied(), &mut dst);
        let mut got: Vec<Header> = Vec::new();
        d.decode(&dst.clone().freeze(), |h| got.push(h)).unwrap();
        let got: Vec<HeaderRef<'_>> = got.iter().map(HeaderRef::from).collect();
        assert_eq!(got, list);
        dst.to_vec()
    }

    #[test]
    fn size_updates_are_signalled() {
        let mut e = Encoder::new();
        let mut d = Decoder::new(4096);
        let list: Vec<HeaderRef<'_>> = refs(&[("x-a", "1"), ("x-b", "2")]).collect();
        round_trip(&mut e, &mut d, &list);
        // No change: no update.
        e.set_max_table_size(4096);
        d.set_max_table_size(4096);
        assert_eq!(round_trip(&mut e, &mut d, &list), hex("bf be"));
        // Lowered: one update, entries evicted.
        e.set_max_table_size(36);
        d.set_max_table_size(36);
        let block = round_trip(&mut e, &mut d, &list);
        assert_eq!(&block[..2], hex("3f05"));
        // Down to 0 and back up between blocks: smallest, then final (§4.2).
        e.set_max_table_size(0);
        e.set_max_table_size(100);
        d.set_max_table_size(0);
        d.set_max_table_size(100);
        let block = round_trip(&mut e, &mut d, &list);
        assert_eq!(&block[..3], hex("20 3f45"));
        assert_eq!(e.table.capacity(), 100);
        // Raised above our cap: we announce the cap.
        e.set_max_table_size(1 << 20);
        d.set_max_table_size(1 << 20);
        let block = round_trip(&mut e, &mut d, &list);
        let mut expected = BytesMut::new();
        integer::encode(&mut expected, MAX_TABLE_SIZE, 5, 0x20);
        assert_eq!(&block[..expected.len()], &expected[..]);
        assert_eq!(d.table_size(), e.table.size());
    }

    #[test]
    fn sensitive_fields_stay_out_of_the_table() {
        let mut e = Encoder::new();
        let mut d = Decoder::default();
        let list = [
            HeaderRef { name: b"authorization", value: b"Bearer x", sensitive: true },
            HeaderRef { name: b":method", value: b"GET", sensitive: true },
            HeaderRef { name: b"x-secret", value: b"1", sensitive: true },
        ];
        let block = round_trip(&mut e, &mut d, &list);
        assert_eq!(block[0], 0x1f); // never indexed, static name 23 (4-bit prefix)
        assert_eq!(e.table.size(), 0);
        assert_eq!(d.table_size(), 0);
        // A name already in the dynamic table is referenced.
        let plain = refs(&[("x-secret", "0")]).collect::<Vec<_>>();
        round_trip(&mut e, &mut d, &plain);
        let block = round_trip(&mut e, &mut d, &list[2..]);
        assert_eq!(block, hex("1f2f 0131")); // never indexed, index 62
    }

    #[test]
    fn unique_value_names_are_the_documented_ones() {
        let names: Vec<&[u8]> = UNIQUE_VALUE_NAMES.iter().map(|&i| static_table::get(i).unwrap().0).collect();
        let expected: [&[u8]; 5] =
            [b":path", b"age", b"content-length", b"if-modified-since", b"if-none-match"];
        assert_eq!(names, expected);
        for name in expected {
            assert_eq!(
                static_table::find(name, b"x").unwrap().name,
                static_table::find(name, b"").unwrap().name
            );
        }
        let mut e = Encoder::new();
        encode(&mut e, &[(":path", "/a"), ("content-length", "10"), ("if-none-match", "\"x\"")]);
        assert_eq!(e.table.size(), 0);
    }

    #[test]
    fn big_fields_are_not_indexed() {
        let mut e = Encoder::new();
        let mut d = Decoder::default();
        let big = "x".repeat(3100);
        let fields = [("x-big", big.as_str())];
        let list: Vec<HeaderRef<'_>> = refs(&fields).collect();
        round_trip(&mut e, &mut d, &list);
        assert_eq!(e.table.size(), 0);
        let mut e = Encoder::new();
        e.set_max_table_size(0);
        let mut d = Decoder::default();
        d.set_max_table_size(0);
        let list: Vec<HeaderRef<'_>> = refs(&[("x-a", "1")]).collect();
        assert_eq!(round_trip(&mut e, &mut d, &list), hex("20 0003 782d 6101 31"));
    }

    #[test]
    fn every_octet_in_names_and_values_round_trips() {
        let mut e = Encoder::new();
        let mut d = Decoder::default();
        let bytes: Vec<u8> = (0..=255).collect();
        for chunk in bytes.chunks(7) {
            let list = [HeaderRef { name: chunk, value: chunk, sensitive: false }];
            round_trip(&mut e, &mut d, &list);
            round_trip(&mut e, &mut d, &list);
        }
        assert_eq!(d.table_size(), e.table.size());
    }
}
