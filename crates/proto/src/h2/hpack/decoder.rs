//! The header block decoder (RFC 7541 §3, §6).

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use super::error::DecodeError;
use super::header::Header;
use super::recent::{Key, RecentValues};
use super::table::{DynamicTable, entry_size};
use super::{DEFAULT_TABLE_SIZE, huffman, integer, static_table};

/// The header list limit until [`Decoder::set_max_header_list_size`] is
/// called: 256 KiB, counted as in RFC 9113 §6.5.2. RFC 9113 leaves
/// SETTINGS_MAX_HEADER_LIST_SIZE unlimited by default; this bound is what a
/// browser-grade client accepts, well above any real response's headers.
pub const DEFAULT_MAX_HEADER_LIST_SIZE: usize = 256 * 1024;

/// RFC 9113 §6.5.2: each field counts its name, its value and 32 octets.
const FIELD_OVERHEAD: usize = 32;

/// Huffman-decoded strings are carved out of a shared buffer of at least
/// this size, so one allocation serves many strings; it is reused once the
/// strings handed out from it are dropped.
const SCRATCH_CHUNK: usize = 4096;

/// Table entries are copied into chunks of this size (see [`Decoder::own_entry`]).
const ARENA_CHUNK: usize = 4096;

/// Decodes header blocks (RFC 7541 §3.2) and keeps the dynamic table in
/// step with the peer's encoder.
///
/// One per connection, fed every complete header block (HEADERS or
/// PUSH_PROMISE plus CONTINUATION fragments) in the order they arrive
/// (RFC 9113 §4.3). After any error other than
/// [`DecodeError::HeaderListTooLarge`] the table is out of sync and the
/// decoder must not be used again.
#[derive(Debug)]
pub struct Decoder {
    table: DynamicTable,
    /// Our SETTINGS_HEADER_TABLE_SIZE, in force (ACKed).
    max_table_size: usize,
    /// The smallest setting since the previous block, when it is below the
    /// table's size: the next block must shrink the table to at most this.
    required_update: Option<usize>,
    max_header_list_size: usize,
    /// Where Huffman-decoded strings are written.
    scratch: BytesMut,
    /// Where new table entries are copied (see [`Decoder::own_entry`]).
    arena: BytesMut,
    /// The last Huffman-coded value per static name, to skip decoding
    /// repeats (literals with or without indexing).
    recent: RecentValues,
}

impl Default for Decoder {
    /// A decoder for the protocol's default table size, 4096.
    fn default() -> Self {
        Self::new(DEFAULT_TABLE_SIZE)
    }
}

impl Decoder {
    /// A decoder for a connection on which we advertise
    /// SETTINGS_HEADER_TABLE_SIZE = `max_table_size`.
    ///
    /// The table starts at the protocol's initial 4096 octets (RFC 9113
    /// §6.5.2); when `max_table_size` is below that, the peer's first block
    /// must start with a dynamic table size update (RFC 7541 §4.2), exactly
    /// as for a later [`set_max_table_size`](Self::set_max_table_size).
    ///
    /// The header list limit starts at [`DEFAULT_MAX_HEADER_LIST_SIZE`]
    /// (256 KiB).
    pub fn new(max_table_size: usize) -> Self {
        let mut decoder = Self {
            table: DynamicTable::new(DEFAULT_TABLE_SIZE),
            max_table_size: DEFAULT_TABLE_SIZE,
            required_update: None,
            max_header_list_size: DEFAULT_MAX_HEADER_LIST_SIZE,
            scratch: BytesMut::new(),
            arena: BytesMut::new(),
            recent: RecentValues::default(),
        };
        decoder.set_max_table_size(max_table_size);
        decoder
    }

    /// Our SETTINGS_HEADER_TABLE_SIZE changed and the peer acknowledged it.
    ///
    /// Later size updates above `max` are errors (RFC 7541 §6.3). If `max` is
    /// below the table's current maximum size, the peer's encoder must shrink
    /// its table, so the next block has to start with a size update to at
    /// most the smallest value set since the previous block (RFC 7541 §4.2);
    /// otherwise decoding fails with [`DecodeError::TableSizeUpdateMissing`].
    pub fn set_max_table_size(&mut self, max: usize) {
        self.max_table_size = max;
        if max < self.table.capacity() {
            self.required_update = Some(self.required_update.map_or(max, |r| r.min(max)));
        }
    }

    /// Our SETTINGS_MAX_HEADER_LIST_SIZE changed; see
    /// [`DecodeError::HeaderListTooLarge`].
    pub fn set_max_header_list_size(&mut self, max: usize) {
        self.max_header_list_size = max;
    }

    /// The dynamic table's current size in octets (RFC 7541 §4.1).
    pub fn table_size(&self) -> usize {
        self.table.size()
    }

    /// Decodes one complete header block, calling `emit` for every field in
    /// order.
    ///
    /// Plain literals are slices of `block`, indexed fields share the dynamic
    /// table's buffers, and static fields are `'static`; nothing is copied
    /// except to insert into the dynamic table.
    ///
    /// If the header list grows past the limit, the fields from the one that
    /// crossed it on are not emitted, the rest of the block is still decoded
    /// (the dynamic table must stay in step with the peer's), and the result
    /// is [`DecodeError::HeaderListTooLarge`]. On any other error the fields
    /// already emitted are incomplete and must be discarded.
    pub fn decode(&mut self, block: &Bytes, mut emit: impl FnMut(Header)) -> Result<(), DecodeError> {
        let buf: &[u8] = block;
        let mut pos = self.size_updates(buf)?;
        let limit = self.max_header_list_size;
        let mut list_size = 0usize;
        while let Some(&first) = buf.get(pos) {
            let header = match first {
                // §6.1 Indexed Header Field
                0x80..=0xff => self.indexed(buf, &mut pos)?,
                // §6.2.1 Literal Header Field with Incremental Indexing
                0x40..=0x7f => self.literal_indexed(block, &mut pos)?,
                // §6.3 Dynamic Table Size Update, §4.2: only at the start
                0x20..=0x3f => return Err(DecodeError::TableSizeUpdateNotAtStart),
                // §6.2.2 without indexing (0000), §6.2.3 never indexed (0001)
                0x00..=0x1f => self.literal_not_indexed(block, &mut pos)?,
            };
            // RFC 9113 §6.5.2 sizing. Once over the limit, stop emitting but
            // keep decoding so the table stays in sync.
            list_size = list_size
                .saturating_add(header.name.len())
                .saturating_add(header.value.len())
                .saturating_add(FIELD_OVERHEAD);
            if list_size <= limit {
                emit(header);
            }
        }
        if list_size > limit {
            return Err(DecodeError::HeaderListTooLarge { size: list_size, max: limit });
        }
        Ok(())
    }

    /// Dynamic Table Size Updates at the start of the block (RFC 7541 §6.3):
    ///
    /// ```text
    ///   0   1   2   3   4   5   6   7
    /// +---+---+---+---+---+---+---+---+
    /// | 0 | 0 | 1 |   Max size (5+)   |
    /// +---+---------------------------+
    /// ```
    ///
    /// Returns the position of the first field representation.
    fn size_updates(&mut self, buf: &[u8]) -> Result<usize, DecodeError> {
        let mut pos = 0;
        let mut smallest: Option<usize> = None;
        while let Some(&first) = buf.get(pos) {
            if first & 0xe0 != 0x20 {
                break;
            }
            let requested = integer::decode(buf, &mut pos, 5)?;
            if requested > self.max_table_size {
                return Err(DecodeError::TableSizeUpdateTooLarge { requested, max: self.max_table_size });
            }
            self.table.set_capacity(requested);
            smallest = Some(smallest.map_or(requested, |s| s.min(requested)));
        }
        // §4.2: after we lowered the limit below the table's size, the first
        // block must shrink the table to at most the lowest value we set.
        if let Some(max) = self.required_update.take() {
            if smallest.is_none_or(|s| s > max) {
                return Err(DecodeError::TableSizeUpdateMissing { max });
            }
        }
        Ok(pos)
    }

    /// Indexed Header Field (RFC 7541 §6.1):
    ///
    /// ```text
    ///   0   1   2   3   4   5   6   7
    /// +---+---+---+---+---+---+---+---+
    /// | 1 |        Index (7+)         |
    /// +---+---------------------------+
    /// ```
    fn indexed(&self, buf: &[u8], pos: &mut usize) -> Result<Header, DecodeError> {
        let index = integer::decode(buf, pos, 7)?;
        let (name, value) = self.entry(index)?;
        Ok(Header { name, value, sensitive: false })
    }

    /// Literal Header Field with Incremental Indexing (RFC 7541 §6.2.1),
    /// with an indexed name or a new name:
    ///
    /// ```text
    ///   0   1   2   3   4   5   6   7        0   1   2   3   4   5   6   7
    /// +---+---+---+---+---+---+---+---+    +---+---+---+---+---+---+---+---+
    /// | 0 | 1 |      Index (6+)       |    | 0 | 1 |           0           |
    /// +---+---+-----------------------+    +---+---+-----------------------+
    /// | H |     Value Length (7+)     |    | H |     Name Length (7+)      |
    /// +---+---------------------------+    +---+---------------------------+
    /// | Value String (Length octets)  |    |  Name String (Length octets)  |
    /// +-------------------------------+    +---+---------------------------+
    ///                                      | H |     Value Length (7+)     |
    ///                                      +---+---------------------------+
    ///                                      | Value String (Length octets)  |
    ///                                      +-------------------------------+
    /// ```
    fn literal_indexed(&mut self, block: &Bytes, pos: &mut usize) -> Result<Header, DecodeError> {
        let index = integer::decode(block, pos, 6)?;
        let (name, key, name_owned) = if index == 0 {
            self.literal_name(block, pos)?
        } else {
            (self.name(index)?, Some(Key::Static(index)), true)
        };
        let (value, value_owned) = match key {
            Some(key) => self.recent_string(key, block, pos)?,
            None => (self.string(block, pos)?, false),
        };
        let owned = match (name_owned, value_owned) {
            (true, true) => Owned::Both,
            (true, false) => Owned::Name,
            (false, _) => Owned::Neither,
        };
        let (name, value) = if entry_size(&name, &value) > self.table.capacity() {
            // §4.4: the table just empties; nothing is kept, nothing to copy.
            (name, value)
        } else {
            self.own_entry(name, value, owned)
        };
        self.table.insert(name.clone(), value.clone());
        Ok(Header { name, value, sensitive: false })
    }

    /// Literal Header Field without Indexing (RFC 7541 §6.2.2) and Never
    /// Indexed (§6.2.3): the same as §6.2.1 with a 4-bit index prefix and
    /// first octet `0000xxxx` or `0001xxxx`:
    ///
    /// ```text
    ///   0   1   2   3   4   5   6   7
    /// +---+---+---+---+---+---+---+---+
    /// | 0 | 0 | 0 | N |  Index (4+)   |
    /// +---+---+-----------------------+
    /// | H |     Value Length (7+)     |
    /// +---+---------------------------+
    /// | Value String (Length octets)  |
    /// +-------------------------------+
    /// ```
    ///
    /// with a literal name in between when the index is 0. N = 1 marks the
    /// field sensitive.
    fn literal_not_indexed(&mut self, block: &Bytes, pos: &mut usize) -> Result<Header, DecodeError> {
        let sensitive = block.get(*pos).is_some_and(|b| b & 0x10 != 0);
        let index = integer::decode(block, pos, 4)?;
        let (name, key) = match index {
            0 if sensitive => (self.string(block, pos)?, None),
            0 => {
                let (name, key, _) = self.literal_name(block, pos)?;
                (name, key)
            }
            _ => (self.name(index)?, (!sensitive).then_some(Key::Static(index))),
        };
        let value = match key {
            Some(key) => self.recent_string(key, block, pos)?.0,
            None => self.string(block, pos)?,
        };
        Ok(Header { name, value, sensitive })
    }

    /// A literal name (index 0), through [`RecentValues`] when Huffman
    /// coded: a repeated coding is not decoded again. With it, the key of
    /// its value there, and `true` when the name has an allocation of its
    /// own (it came through them).
    fn literal_name(
        &mut self,
        block: &Bytes,
        pos: &mut usize,
    ) -> Result<(Bytes, Option<Key>, bool), DecodeError> {
        let (huffman_coded, octets) = string_literal(block, pos)?;
        if !huffman_coded {
            return Ok((block.slice(octets), None, false));
        }
        let coded = &block[octets.clone()];
        if let Some((key, name)) = self.recent.name(coded) {
            return Ok((name, Some(key), true));
        }
        let name = self.string_value(block, true, octets)?;
        Ok(match self.recent.put_name(coded, &name) {
            Some((key, kept)) => (kept, Some(key), true),
            None => (name, None, false),
        })
    }

    /// [`Self::string`] for the value of a literal whose name is `key`,
    /// through [`RecentValues`]: a repeated Huffman coding is not decoded
    /// again. `true` when the value came through them, and so has an
    /// allocation of its own.
    fn recent_string(
        &mut self,
        key: Key,
        block: &Bytes,
        pos: &mut usize,
    ) -> Result<(Bytes, bool), DecodeError> {
        let (huffman_coded, octets) = string_literal(block, pos)?;
        if !huffman_coded {
            return Ok((block.slice(octets), false));
        }
        let coded = &block[octets.clone()];
        if let Some(value) = self.recent.get(key, coded) {
            return Ok((value, true));
        }
        let value = self.string_value(block, true, octets)?;
        Ok(match self.recent.put(key, coded, &value) {
            Some(kept) => (kept, true),
            None => (value, false),
        })
    }

    /// The entry at an index of the combined index space (RFC 7541 §2.3.3):
    /// 1 to 61 static, then the dynamic table newest first. 0 is invalid.
    fn entry(&self, index: usize) -> Result<(Bytes, Bytes), DecodeError> {
        if let Some(&(name, value)) = static_table::get(index) {
            return Ok((Bytes::from_static(name), Bytes::from_static(value)));
        }
        index
            .checked_sub(static_table::LEN + 1)
            .and_then(|position| self.table.get(position))
            .cloned()
            .ok_or(DecodeError::InvalidIndex(index))
    }

    /// The name of the entry at an index (see [`Self::entry`]).
    fn name(&self, index: usize) -> Result<Bytes, DecodeError> {
        if let Some(&(name, _)) = static_table::get(index) {
            return Ok(Bytes::from_static(name));
        }
        index
            .checked_sub(static_table::LEN + 1)
            .and_then(|position| self.table.get(position))
            .map(|(name, _)| name.clone())
            .ok_or(DecodeError::InvalidIndex(index))
    }

    /// A string literal (RFC 7541 §5.2):
    ///
    /// ```text
    ///   0   1   2   3   4   5   6   7
    /// +---+---+---+---+---+---+---+---+
    /// | H |    String Length (7+)     |
    /// +---+---------------------------+
    /// |  String Data (Length octets)  |
    /// +-------------------------------+
    /// ```
    ///
    /// H = 0: the octets themselves, returned as a slice of `block`.
    /// H = 1: Huffman coded, decoded into the scratch buffer.
    fn string(&mut self, block: &Bytes, pos: &mut usize) -> Result<Bytes, DecodeError> {
        let (huffman_coded, octets) = string_literal(block, pos)?;
        self.string_value(block, huffman_coded, octets)
    }

    /// The value of a string literal whose `octets` in `block` were found by
    /// [`string_literal`] (see [`Self::string`]).
    fn string_value(
        &mut self,
        block: &Bytes,
        huffman_coded: bool,
        octets: Range<usize>,
    ) -> Result<Bytes, DecodeError> {
        if !huffman_coded {
            return Ok(block.slice(octets));
        }
        let room = huffman::max_decoded_len(octets.len());
        if self.scratch.capacity() < room {
            self.scratch.reserve(room.max(SCRATCH_CHUNK));
        }
        huffman::decode_into(&block[octets], &mut self.scratch)?;
        Ok(self.scratch.split().freeze())
    }
}

impl Decoder {
    /// Copies a new table entry out of its header block, so the table never
    /// keeps a whole block (or scratch buffer) alive for a few octets: its
    /// memory stays close to its RFC 7541 §4.1 size. A name that already came
    /// from a table is shared instead.
    ///
    /// The copies go into a shared chunk of [`ARENA_CHUNK`] octets rather than
    /// an allocation each: servers such as nginx send several literals with
    /// incremental indexing in every response, so this runs per response.
    /// A chunk is freed once every entry (and every header handed out) in it
    /// is gone; with a 4 KiB table that is a few chunks at most.
    fn own_entry(&mut self, name: Bytes, value: Bytes, owned: Owned) -> (Bytes, Bytes) {
        let need = match owned {
            Owned::Both => return (name, value),
            Owned::Name => value.len(),
            Owned::Neither => name.len() + value.len(),
        };
        if self.arena.capacity() - self.arena.len() < need {
            self.arena = BytesMut::with_capacity(ARENA_CHUNK.max(need));
        }
        let name = if owned == Owned::Name {
            name
        } else {
            self.arena.extend_from_slice(&name);
            self.arena.split().freeze()
        };
        self.arena.extend_from_slice(&value);
        (name, self.arena.split().freeze())
    }
}

/// The header of a string literal (RFC 7541 §5.2) at `pos`: whether it is
/// Huffman coded (H), and where its octets are. `pos` moves past them.
fn string_literal(buf: &[u8], pos: &mut usize) -> Result<(bool, Range<usize>), DecodeError> {
    let huffman_coded = buf.get(*pos).is_some_and(|b| b & 0x80 != 0);
    let len = integer::decode(buf, pos, 7)?;
    let start = *pos;
    let end = start.checked_add(len).filter(|&end| end <= buf.len()).ok_or(DecodeError::Truncated)?;
    *pos = end;
    Ok((huffman_coded, start..end))
}

/// Which parts of a new table entry already have memory of their own (a
/// static name, an earlier entry's name, a [`RecentValues`] value), rather
/// than pointing into a header block or the scratch buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owned {
    Neither,
    Name,
    Both,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Bytes {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>()
            .into()
    }

    /// A literal without indexing (N = `never`) of static name `index`
    /// (< 15 + 128) with a Huffman-coded value.
    fn not_indexed(index: u8, value: &str, never: bool) -> Vec<u8> {
        let mut coded = BytesMut::new();
        huffman::encode(value.as_bytes(), &mut coded);
        let first = if never { 0x10 } else { 0x00 };
        let mut out = if index < 15 { vec![first | index] } else { vec![first | 0x0f, index - 15] };
        out.push(0x80 | u8::try_from(coded.len()).unwrap());
        out.extend_from_slice(&coded);
        out
    }

    /// A literal with a new name, both strings Huffman coded: `first` is
    /// 0x40 (incremental indexing), 0x00 (without) or 0x10 (never indexed).
    fn new_name(first: u8, name: &str, value: &str) -> Vec<u8> {
        let mut out = vec![first];
        for s in [name, value] {
            let mut coded = BytesMut::new();
            huffman::encode(s.as_bytes(), &mut coded);
            out.push(0x80 | u8::try_from(coded.len()).unwrap());
            out.extend_from_slice(&coded);
        }
        out
    }

    #[test]
    fn repeated_literal_names_decode_the_same_through_the_recent_values() {
        let mut d = Decoder::default();
        let block = |etag: &str, token: &str| {
            let mut b = new_name(0x00, "etag", etag);
            b.extend(new_name(0x40, "x-cache", "HIT"));
            b.extend(new_name(0x10, "x-token", token));
            Bytes::from(b)
        };
        let expect = |etag: &str, token: &str| {
            vec![
                ("etag".to_owned(), etag.to_owned(), false),
                ("x-cache".to_owned(), "HIT".to_owned(), false),
                ("x-token".to_owned(), token.to_owned(), true),
            ]
        };
        let one = block("\"5f1\"", "s3cret");
        for _ in 0..2 {
            assert_eq!(decode(&mut d, &one).unwrap(), expect("\"5f1\"", "s3cret"));
        }
        // A new value under a kept name is decoded afresh.
        assert_eq!(decode(&mut d, &block("\"5f2\"", "other")).unwrap(), expect("\"5f2\"", "other"));
        assert_eq!(decode(&mut d, &one).unwrap(), expect("\"5f1\"", "s3cret"));
        // Never-indexed names and values are not kept.
        let token = &new_name(0x10, "x-token", "s3cret")[1..];
        assert_eq!(d.recent.name(&token[1..1 + usize::from(token[0] & 0x7f)]), None);
        // The incrementally indexed field went into the table each time.
        assert_eq!(decode(&mut d, &hex("be")).unwrap(), [("x-cache".to_owned(), "HIT".to_owned(), false)]);
        // More names than are kept, in turn: each still decodes right.
        let many: Vec<String> = (0..20).map(|i| format!("x-field-{i}")).collect();
        for round in 0..3 {
            let mut b = Vec::new();
            for (i, name) in many.iter().enumerate() {
                b.extend(new_name(0x00, name, &format!("{round}-{i}")));
            }
            let got = decode(&mut d, &Bytes::from(b)).unwrap();
            let want: Vec<_> =
                many.iter().enumerate().map(|(i, n)| (n.clone(), format!("{round}-{i}"), false)).collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn nginx_blocks_decode_the_same_every_time_and_fill_the_table() {
        // nginx 1.22.1's response block for a static file (see
        // benches/hpack.rs): literals with incremental indexing that it
        // never refers to.
        let block = hex("88 76 89 aa 63 55 e5 80 ae 21 2e 1f 61 96 df 69 7e 94 13 4a 69 3f 75 04 01 38
             a0 59 b8 17 ee 34 05 31 68 df 5f 87 49 7c a5 8a e8 19 aa 5c 03 31 30 30 6c 96 df 69 7e 94
             13 4a 69 3f 75 04 01 38 a0 1f b8 10 5c 13 ca 62 d1 bf 00 83 2a 47 37 8b fe 5c 8c 0d b6 d3
             cd 2c e3 5f cf 00 89 19 08 5a d2 b5 83 aa 62 a3 84 8f d2 4a 8f");
        let mut d = Decoder::default();
        let first = decode(&mut d, &block).unwrap();
        let names: Vec<&str> = first.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                ":status",
                "server",
                "date",
                "content-type",
                "content-length",
                "last-modified",
                "etag",
                "accept-ranges"
            ]
        );
        assert_eq!(first[1].1, "nginx/1.22.1");
        assert_eq!(first[4].1, "100");
        for _ in 0..3 {
            assert_eq!(decode(&mut d, &block).unwrap(), first);
        }
        // The table holds the values the latest block added, newest first
        // (RFC 7541 §2.3.3): last-modified at 62 ... server at 66.
        let indexed = decode(&mut d, &hex("be c2")).unwrap();
        assert_eq!(indexed, [first[5].clone(), first[1].clone()]);
    }

    #[test]
    fn repeated_literals_decode_the_same_through_the_recent_values() {
        let mut d = Decoder::default();
        let block = |server: &str, cookie: &str| {
            let mut b = not_indexed(54, server, false);
            b.extend(not_indexed(55, cookie, true));
            b.extend(not_indexed(33, "Tue, 24 Nov 2026 13:17:02 GMT", false));
            Bytes::from(b)
        };
        let one = block("nginx/1.22.1", "a=1");
        let expect = |server: &str, cookie: &str| {
            vec![
                ("server".to_owned(), server.to_owned(), false),
                ("set-cookie".to_owned(), cookie.to_owned(), true),
                ("date".to_owned(), "Tue, 24 Nov 2026 13:17:02 GMT".to_owned(), false),
            ]
        };
        assert_eq!(decode(&mut d, &one).unwrap(), expect("nginx/1.22.1", "a=1"));
        assert_eq!(decode(&mut d, &one).unwrap(), expect("nginx/1.22.1", "a=1"));
        // A value of the same length that differs is decoded afresh.
        assert_eq!(decode(&mut d, &block("nginx/1.22.2", "a=2")).unwrap(), expect("nginx/1.22.2", "a=2"));
        assert_eq!(decode(&mut d, &one).unwrap(), expect("nginx/1.22.1", "a=1"));
        // Never-indexed values are not kept.
        assert_eq!(d.recent.get(Key::Static(55), &not_indexed(55, "a=1", true)[3..]), None);
        // Neither is an invalid coding (here, EOS: 30 one bits), which
        // stays an error each time.
        let bad = Bytes::from_static(&[0x0f, 54 - 15, 0x84, 0xff, 0xff, 0xff, 0xff]);
        for _ in 0..2 {
            assert_eq!(decode(&mut d, &bad), Err(DecodeError::InvalidHuffman));
        }
    }

    fn decode(d: &mut Decoder, block: &Bytes) -> Result<Vec<(String, String, bool)>, DecodeError> {
        let mut out = Vec::new();
        d.decode(block, |h| {
            out.push((
                String::from_utf8(h.name.to_vec()).unwrap(),
                String::from_utf8(h.value.to_vec()).unwrap(),
                h.sensitive,
            ));
        })?;
        Ok(out)
    }

    fn fields(list: &[(&str, &str)]) -> Vec<(String, String, bool)> {
        list.iter().map(|&(n, v)| (n.to_owned(), v.to_owned(), false)).collect()
    }

    #[test]
    fn c2_literal_and_indexed_fields() {
        // C.2.1: literal with indexing, new name.
        let mut d = Decoder::default();
        let block = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        assert_eq!(decode(&mut d, &block).unwrap(), fields(&[("custom-key", "custom-header")]));
        assert_eq!(d.table_size(), 55);
        // C.2.2: literal without indexing, indexed name.
        let mut d = Decoder::default();
        let block = hex("040c 2f73 616d 706c 652f 7061 7468");
        assert_eq!(decode(&mut d, &block).unwrap(), fields(&[(":path", "/sample/path")]));
        assert_eq!(d.table_size(), 0);
        // C.2.3: never indexed.
        let block = hex("1008 7061 7373 776f 7264 0673 6563 7265 74");
        assert_eq!(decode(&mut d, &block).unwrap(), [("password".to_owned(), "secret".to_owned(), true)]);
        assert_eq!(d.table_size(), 0);
        // C.2.4: indexed.
        assert_eq!(decode(&mut d, &hex("82")).unwrap(), fields(&[(":method", "GET")]));
        assert_eq!(d.table_size(), 0);
    }

    /// C.3 (plain) and C.4 (Huffman): three requests on one connection.
    fn requests(blocks: [&str; 3]) {
        let mut d = Decoder::default();
        let first =
            [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")];
        assert_eq!(decode(&mut d, &hex(blocks[0])).unwrap(), fields(&first));
        assert_eq!(d.table_size(), 57);
        let mut second = first.to_vec();
        second.push(("cache-control", "no-cache"));
        assert_eq!(decode(&mut d, &hex(blocks[1])).unwrap(), fields(&second));
        assert_eq!(d.table_size(), 110);
        let third = [
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/index.html"),
            (":authority", "www.example.com"),
            ("custom-key", "custom-value"),
        ];
        assert_eq!(decode(&mut d, &hex(blocks[2])).unwrap(), fields(&third));
        assert_eq!(d.table_size(), 164);
        let table: Vec<_> = (0..3).map(|i| d.table.get(i).unwrap().0.clone()).collect();
        assert_eq!(table, ["custom-key", "cache-control", ":authority"]);
    }

    #[test]
    fn c3_requests_without_huffman() {
        requests(super::super::rfc_examples::C3);
    }

    #[test]
    fn c4_requests_with_huffman() {
        requests(super::super::rfc_examples::C4);
    }

    /// C.5 (plain) and C.6 (Huffman): three responses, table size 256.
    fn responses(blocks: [&str; 3]) {
        let mut d = Decoder::new(256);
        // Lowering the limit below 4096 needs a size update first...
        assert_eq!(decode(&mut d, &hex(blocks[0])), Err(DecodeError::TableSizeUpdateMissing { max: 256 }));
        // ...which the RFC examples leave out, so start from 256 directly.
        let mut d = Decoder::default();
        d.table.set_capacity(256);
        let date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
        let loc = "https://www.example.com";
        let first = [(":status", "302"), ("cache-control", "private"), ("date", date1), ("location", loc)];
        assert_eq!(decode(&mut d, &hex(blocks[0])).unwrap(), fields(&first));
        assert_eq!(d.table_size(), 222);
        let second = [(":status", "307"), ("cache-control", "private"), ("date", date1), ("location", loc)];
        assert_eq!(decode(&mut d, &hex(blocks[1])).unwrap(), fields(&second));
        assert_eq!(d.table_size(), 222);
        let third = [
            (":status", "200"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
            ("location", loc),
            ("content-encoding", "gzip"),
            ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
        ];
        assert_eq!(decode(&mut d, &hex(blocks[2])).unwrap(), fields(&third));
        assert_eq!(d.table_size(), 215);
    }

    #[test]
    fn c5_responses_without_huffman() {
        responses(super::super::rfc_examples::C5);
    }

    #[test]
    fn c6_responses_with_huffman() {
        responses(super::super::rfc_examples::C6);
    }

    #[test]
    fn plain_literals_are_slices_of_the_block() {
        let mut d = Decoder::default();
        let block = hex("040c 2f73 616d 706c 652f 7061 7468");
        let range = block.as_ptr_range();
        d.decode(&block, |h| assert!(range.contains(&h.value.as_ptr()))).unwrap();
        // An inserted entry is copied out of the block.
        let block = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        let range = block.as_ptr_range();
        d.decode(&block, |h| assert!(!range.contains(&h.value.as_ptr()))).unwrap();
        // Indexed: the same buffer as the table entry.
        let entry_ptr = d.table.get(0).unwrap().1.as_ptr();
        d.decode(&hex("be"), |h| assert_eq!(h.value.as_ptr(), entry_ptr)).unwrap();
    }

    #[test]
    fn invalid_indices() {
        let mut d = Decoder::default();
        assert_eq!(decode(&mut d, &hex("80")), Err(DecodeError::InvalidIndex(0)));
        assert_eq!(decode(&mut d, &hex("be")), Err(DecodeError::InvalidIndex(62)));
        // Literal with an indexed name past the table.
        assert_eq!(decode(&mut d, &hex("7f00 0161")), Err(DecodeError::InvalidIndex(63)));
        assert_eq!(decode(&mut d, &hex("0f30 0161")), Err(DecodeError::InvalidIndex(63)));
        // Index 0 with a literal name is fine.
        assert_eq!(decode(&mut d, &hex("0001 6101 62")).unwrap(), fields(&[("a", "b")]));
    }

    #[test]
    fn truncated_blocks() {
        let mut d = Decoder::default();
        for block in ["ff", "40", "4001", "400161", "40016101", "04", "0401", "1001 6102 62", "ff80"] {
            assert_eq!(decode(&mut d, &hex(block)), Err(DecodeError::Truncated), "{block}");
        }
    }

    #[test]
    fn huge_lengths_and_integers() {
        let mut d = Decoder::default();
        // A string length of 2^28 + 127 in a 10-octet block.
        assert_eq!(decode(&mut d, &hex("0000 7f80 8080 8001 6161")), Err(DecodeError::Truncated));
        // An integer that does not fit.
        assert_eq!(decode(&mut d, &hex("ffff ffff ffff ffff ffff 7f")), Err(DecodeError::IntegerOverflow));
        // A string length that does not fit.
        assert_eq!(decode(&mut d, &hex("0000 7fff ffff ffff 7f")), Err(DecodeError::IntegerOverflow));
        // A size update that does not fit.
        assert_eq!(decode(&mut d, &hex("3fff ffff ffff 7f")), Err(DecodeError::IntegerOverflow));
    }

    #[test]
    fn invalid_huffman_in_a_block() {
        let mut d = Decoder::default();
        // Value "a" with padding 110 (not all ones).
        assert_eq!(decode(&mut d, &hex("0001 6181 1e")), Err(DecodeError::InvalidHuffman));
        // Value is EOS.
        assert_eq!(decode(&mut d, &hex("0001 6184 ffff ffff")), Err(DecodeError::InvalidHuffman));
        // Value "a" padded with 11 ones.
        assert_eq!(decode(&mut d, &hex("0001 6182 1fff")), Err(DecodeError::InvalidHuffman));
        // Empty Huffman string is valid.
        assert_eq!(decode(&mut d, &hex("0001 6180")).unwrap(), fields(&[("a", "")]));
    }

    #[test]
    fn size_update_limits_and_placement() {
        let mut d = Decoder::default();
        // Update to 4097 above our 4096.
        assert_eq!(
            decode(&mut d, &hex("3fe2 1f")),
            Err(DecodeError::TableSizeUpdateTooLarge { requested: 4097, max: 4096 })
        );
        // Update after a field.
        let mut d = Decoder::default();
        assert_eq!(decode(&mut d, &hex("82 20")), Err(DecodeError::TableSizeUpdateNotAtStart));
        // Two updates at the start are fine (§4.2): 0 then 100.
        let mut d = Decoder::default();
        decode(&mut d, &hex("4001 6101 62")).unwrap();
        assert_eq!(d.table_size(), 34);
        assert_eq!(decode(&mut d, &hex("20 3f45 82")).unwrap(), fields(&[(":method", "GET")]));
        assert_eq!((d.table_size(), d.table.capacity()), (0, 100));
        // An update alone is a valid (empty) block.
        assert_eq!(decode(&mut d, &hex("3fe1 1f")).unwrap(), fields(&[]));
        assert_eq!(d.table.capacity(), 4096);
    }

    #[test]
    fn lowered_setting_requires_an_update() {
        let mut d = Decoder::default();
        decode(&mut d, &hex("4001 6101 62")).unwrap();
        d.set_max_table_size(1000);
        assert_eq!(decode(&mut d, &hex("82")), Err(DecodeError::TableSizeUpdateMissing { max: 1000 }));

        // Raised again before the next block: the update must still go to
        // at most the lowest value (§4.2), and may then go up to the final.
        let mut d = Decoder::default();
        d.set_max_table_size(100);
        d.set_max_table_size(8192);
        assert_eq!(decode(&mut d, &hex("3fe1 1f 82")), Err(DecodeError::TableSizeUpdateMissing { max: 100 }));
        let mut d = Decoder::default();
        d.set_max_table_size(100);
        d.set_max_table_size(8192);
        // 100, then 8192.
        assert_eq!(decode(&mut d, &hex("3f45 3fe1 3f 82")).unwrap(), fields(&[(":method", "GET")]));
        assert_eq!(d.table.capacity(), 8192);
        // The requirement is met once; later blocks need no update.
        assert_eq!(decode(&mut d, &hex("82")).unwrap(), fields(&[(":method", "GET")]));

        // Raising needs no update; the encoder may keep its size.
        let mut d = Decoder::default();
        d.set_max_table_size(8192);
        assert_eq!(decode(&mut d, &hex("82")).unwrap(), fields(&[(":method", "GET")]));
        // Lowering to a value the table already fits needs none either.
        let mut d = Decoder::default();
        decode(&mut d, &hex("3f45")).unwrap();
        d.set_max_table_size(200);
        assert_eq!(decode(&mut d, &hex("82")).unwrap(), fields(&[(":method", "GET")]));
    }

    #[test]
    fn header_list_limit_keeps_the_table_in_sync() {
        let mut d = Decoder::default();
        // ("a","b") costs 34; the limit allows one.
        d.set_max_header_list_size(40);
        let mut got = Vec::new();
        let block = hex("4001 6101 62 4001 6301 64 4001 6501 66");
        let r = d.decode(&block, |h| got.push(h.name));
        assert_eq!(r, Err(DecodeError::HeaderListTooLarge { size: 102, max: 40 }));
        assert_eq!(got, ["a"]);
        // All three were inserted regardless.
        assert_eq!(d.table_size(), 102);
        d.set_max_header_list_size(1000);
        assert_eq!(decode(&mut d, &hex("be bf c0")).unwrap(), fields(&[("e", "f"), ("c", "d"), ("a", "b")]));
    }

    #[test]
    fn oversized_entry_clears_the_table() {
        let mut d = Decoder::default();
        decode(&mut d, &hex("3f15 4001 6101 62")).unwrap(); // size 52, one entry
        assert_eq!(d.table_size(), 34);
        // A 21 + 32 = 53 octet entry does not fit: the table empties.
        let block = hex("4001 6114 6161 6161 6161 6161 6161 6161 6161 6161 6161 6161");
        assert_eq!(decode(&mut d, &block).unwrap().len(), 1);
        assert_eq!(d.table_size(), 0);
        assert_eq!(decode(&mut d, &hex("be")), Err(DecodeError::InvalidIndex(62)));
    }
}
