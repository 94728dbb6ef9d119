//! Just enough JSON to check `baton`'s reports, shared by the test binaries
//! (no serde in this crate).

#![allow(dead_code)] // Each test binary uses its own subset.

/// Just enough JSON to check the report: RFC 8259 values, strictly parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Self>),
    Object(Vec<(String, Self)>),
}

impl Json {
    /// Parses one value followed by nothing but whitespace; panics on
    /// anything invalid.
    pub(crate) fn parse(text: &str) -> Self {
        let mut p = Parser { s: text.as_bytes(), i: 0 };
        let value = p.value();
        p.space();
        assert_eq!(p.i, p.s.len(), "trailing characters in {text}");
        value
    }

    pub(crate) fn f(&self) -> f64 {
        match self {
            Self::Number(n) => *n,
            other => panic!("not a number: {other:?}"),
        }
    }

    pub(crate) fn u(&self) -> u64 {
        let n = self.f();
        assert!(n >= 0.0 && n.fract() == 0.0, "not a count: {n}");
        n as u64
    }

    pub(crate) fn str(&self) -> &str {
        match self {
            Self::String(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    pub(crate) fn array(&self) -> &[Self] {
        match self {
            Self::Array(a) => a,
            other => panic!("not an array: {other:?}"),
        }
    }

    pub(crate) fn object(&self) -> &[(String, Self)] {
        match self {
            Self::Object(o) => o,
            other => panic!("not an object: {other:?}"),
        }
    }
}

impl std::ops::Index<&str> for Json {
    type Output = Self;

    fn index(&self, key: &str) -> &Self {
        let members = self.object();
        assert_eq!(members.iter().filter(|(k, _)| k == key).count(), 1, "one {key:?} in {self:?}");
        &members.iter().find(|(k, _)| k == key).unwrap().1
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self.s.get(self.i).is_some_and(|c| b" \t\r\n".contains(c)) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) {
        self.space();
        assert_eq!(self.s.get(self.i), Some(&c), "expected {:?} at {}", c as char, self.i);
        self.i += 1;
    }

    fn peek(&mut self) -> u8 {
        self.space();
        *self.s.get(self.i).unwrap_or_else(|| panic!("unexpected end at {}", self.i))
    }

    fn literal(&mut self, word: &str, value: Json) -> Json {
        assert!(self.s[self.i..].starts_with(word.as_bytes()), "bad literal at {}", self.i);
        self.i += word.len();
        value
    }

    fn value(&mut self) -> Json {
        match self.peek() {
            b'{' => {
                self.eat(b'{');
                let mut members = Vec::new();
                if self.peek() != b'}' {
                    loop {
                        let key = self.string();
                        self.eat(b':');
                        members.push((key, self.value()));
                        if self.peek() == b'}' {
                            break;
                        }
                        self.eat(b',');
                    }
                }
                self.eat(b'}');
                Json::Object(members)
            }
            b'[' => {
                self.eat(b'[');
                let mut items = Vec::new();
                if self.peek() != b']' {
                    loop {
                        items.push(self.value());
                        if self.peek() == b']' {
                            break;
                        }
                        self.eat(b',');
                    }
                }
                self.eat(b']');
                Json::Array(items)
            }
            b'"' => Json::String(self.string()),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'n' => self.literal("null", Json::Null),
            _ => self.number(),
        }
    }

    fn number(&mut self) -> Json {
        let start = self.i;
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            assert!(p.i > from, "digits expected at {from}");
        };
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        assert!(
            !(self.s[self.i] == b'0' && self.s.get(self.i + 1).is_some_and(u8::is_ascii_digit)),
            "leading zero at {start}"
        );
        digits(self);
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            digits(self);
        }
        if self.s.get(self.i).is_some_and(|c| *c == b'e' || *c == b'E') {
            self.i += 1;
            if self.s.get(self.i).is_some_and(|c| *c == b'+' || *c == b'-') {
                self.i += 1;
            }
            digits(self);
        }
        Json::Number(std::str::from_utf8(&self.s[start..self.i]).unwrap().parse().unwrap())
    }

    fn string(&mut self) -> String {
        self.eat(b'"');
        let mut out = Vec::new();
        loop {
            let c = self.s[self.i];
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).unwrap(),
                b'\\' => {
                    let e = self.s[self.i];
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hex = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
                            self.i += 4;
                            char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap_or('\u{fffd}')
                        }
                        _ => panic!("bad escape \\{} at {}", e as char, self.i),
                    };
                    out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                }
                c if c < 0x20 => panic!("raw control character in a string at {}", self.i),
                c => out.push(c),
            }
        }
    }
}
