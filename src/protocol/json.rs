//! Raw JSON text helpers: validate one value, write a string literal, compact a value, split an
//! array into its elements' texts.
//!
//! Does NOT build `serde_json::Value` trees: without serde_json's `preserve_order` feature a
//! `Value` sorts object keys, and 1C must see the server's JSON as the server wrote it. Does NOT
//! know anything about Socket.IO.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::DecodeError;

/// True for the four JSON whitespace bytes (space, tab, LF, CR).
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `text` without leading and trailing JSON whitespace.
pub fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    let start = bytes.iter().position(|&b| !is_ws(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_ws(b))
        .map_or(start, |last| last + 1);
    // Whitespace is ASCII, so both ends are char boundaries.
    text.get(start..end).unwrap_or_default()
}

/// The most levels of nested arrays and objects accepted in JSON, from the server and from 1C
/// alike: serde_json's own recursion limit, which the property parsers already apply. (Checking
/// a raw value does not recurse, so deeper text would pass serde_json and reach 1C, whose JSON
/// reader need not cope.)
pub const MAX_DEPTH: usize = 128;

/// Checks that `text` is exactly one well-formed JSON value (surrounding whitespace allowed),
/// nested at most [`MAX_DEPTH`] levels, and returns that value's text without the whitespace.
///
/// Allocation-free.
pub fn validate(text: &str) -> Result<&str, DecodeError> {
    // One pass over the text for what is valid (every payload a server sends); the error of
    // anything else comes from the thorough check, so errors stay exactly as they were.
    match scanned(text) {
        Some((value, _)) => Ok(value),
        None => validate_thoroughly(text),
    }
}

/// The value in `text` and whether it is loose, by [`scan`].
fn scanned(text: &str) -> Option<(&str, bool)> {
    let (range, loose) = scan(text.as_bytes())?;
    Some((text.get(range)?, loose))
}

/// [`validate`], and the value as [`compact`] writes it, in the same pass: the text is rewritten
/// only when the pass met something `compact` changes (whitespace between tokens, a `\u` or
/// `\/` escape), so what a JavaScript server sends is scanned once and borrowed.
pub fn validate_compact(text: &str) -> Result<Cow<'_, str>, DecodeError> {
    let value = match scanned(text) {
        Some((value, false)) => return Ok(Cow::Borrowed(value)),
        Some((value, true)) => value,
        None => validate_thoroughly(text)?,
    };
    Ok(compact(value))
}

/// [`validate`] by serde_json, after a separate nesting check: the reference the one-pass
/// [`scan`] must agree with, and the source of error messages.
fn validate_thoroughly(text: &str) -> Result<&str, DecodeError> {
    if nesting_exceeds(text.as_bytes(), MAX_DEPTH) {
        return Err(DecodeError::TooDeep { max: MAX_DEPTH });
    }
    let raw: &RawValue =
        serde_json::from_str(text).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
    Ok(raw.get())
}

/// Where the one JSON value in `bytes` is (without the whitespace around it), when `bytes` is
/// exactly one well-formed value nested at most [`MAX_DEPTH`] levels; `None` otherwise (then
/// [`validate_thoroughly`] says why). One pass, no allocation, no recursion. Accepts what
/// serde_json accepts (RFC 8259; `\u` escapes are checked for four hex digits, not for
/// surrogate pairs) and nothing more. Also says whether the value is loose: not in
/// [`compact`]'s form (only then may `compact` change it).
fn scan(bytes: &[u8]) -> Option<(std::ops::Range<usize>, bool)> {
    // Open containers, innermost at bit `depth - 1`: set for an object, clear for an array.
    const _: () = assert!(MAX_DEPTH <= 128);
    let mut objects: u128 = 0;
    let mut depth = 0usize;
    // A local, so that it stays in a register: the functions that find out return it.
    let mut loose = false;
    // Whitespace around the value is not part of it.
    let mut i = skip_ws(bytes, 0, &mut false);
    let start = i;
    'value: loop {
        // A value starts at `i`.
        match *bytes.get(i)? {
            open @ (b'{' | b'[') => {
                if depth == MAX_DEPTH {
                    return None;
                }
                let object = open == b'{';
                objects = (objects & !(1 << depth)) | (u128::from(object) << depth);
                depth += 1;
                i = skip_ws(bytes, i + 1, &mut loose);
                let close = if object { b'}' } else { b']' };
                if bytes.get(i) == Some(&close) {
                    depth -= 1;
                    i += 1;
                } else {
                    if object {
                        let (value, key_loose) = scan_key(bytes, i)?;
                        loose |= key_loose;
                        i = value;
                    }
                    continue 'value;
                }
            }
            b'"' => {
                let (end, escapes) = scan_string(bytes, i)?;
                loose |= escapes;
                i = end;
            }
            b'-' | b'0'..=b'9' => i = scan_number(bytes, i)?,
            b't' => i = scan_literal(bytes, i, b"true")?,
            b'f' => i = scan_literal(bytes, i, b"false")?,
            b'n' => i = scan_literal(bytes, i, b"null")?,
            _ => return None,
        }
        // After a complete value: close containers, or go on to the next element.
        loop {
            if depth == 0 {
                break 'value;
            }
            i = skip_ws(bytes, i, &mut loose);
            let object = objects & (1 << (depth - 1)) != 0;
            match bytes.get(i)? {
                b',' => {
                    i = skip_ws(bytes, i + 1, &mut loose);
                    if object {
                        let (value, key_loose) = scan_key(bytes, i)?;
                        loose |= key_loose;
                        i = value;
                    }
                    continue 'value;
                }
                b'}' if object => {}
                b']' if !object => {}
                _ => return None,
            }
            depth -= 1;
            i += 1;
        }
    }
    let end = i;
    (skip_ws(bytes, end, &mut false) == bytes.len()).then_some((start..end, loose))
}

/// The index of the first byte at or after `i` that is not whitespace; sets `skipped` when there
/// was some.
fn skip_ws(bytes: &[u8], mut i: usize, skipped: &mut bool) -> usize {
    while bytes.get(i).is_some_and(|&b| is_ws(b)) {
        *skipped = true;
        i += 1;
    }
    i
}

/// An object key, its colon and the whitespace up to the value; where the value starts, and
/// whether the key is loose (see [`scan`]).
fn scan_key(bytes: &[u8], i: usize) -> Option<(usize, bool)> {
    if bytes.get(i) != Some(&b'"') {
        return None;
    }
    let (end, mut loose) = scan_string(bytes, i)?;
    let i = skip_ws(bytes, end, &mut loose);
    (bytes.get(i) == Some(&b':')).then(|| (skip_ws(bytes, i + 1, &mut loose), loose))
}

/// The index after the string literal at `bytes[i]` (a `"`): valid escapes, no control
/// characters; and whether it has an escape that [`compact`] may rewrite.
fn scan_string(bytes: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut escapes = false;
    i += 1;
    loop {
        match *bytes.get(i)? {
            b'"' => return Some((i + 1, escapes)),
            b'\\' => match *bytes.get(i + 1)? {
                b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'/' => {
                    escapes = true;
                    i += 2;
                }
                b'u' => {
                    hex4(bytes, i + 2)?;
                    escapes = true;
                    i += 6;
                }
                _ => return None,
            },
            0..=0x1f => return None,
            _ => i += 1,
        }
    }
}

/// The index after the number at `bytes[i]`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn scan_number(bytes: &[u8], mut i: usize) -> Option<usize> {
    let digits = |i: usize| {
        bytes
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    match *bytes.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i += digits(i),
        _ => return None,
    }
    if bytes.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return None;
        }
        i += n;
    }
    Some(i)
}

fn scan_literal(bytes: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    bytes.get(i..)?.starts_with(word).then_some(i + word.len())
}

/// True when arrays and objects in `bytes` nest deeper than `max` (brackets inside string
/// literals do not count). One pass, no allocation; malformed text gives some answer and is
/// rejected by the parser anyway.
fn nesting_exceeds(bytes: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => match skip_string(bytes, i) {
                Some(end) => {
                    i = end;
                    continue;
                }
                None => return false,
            },
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// The raw texts of the elements of the JSON array `text`, validated, without whitespace.
///
/// Use it to spread a user's `[a,b,c]` into event arguments, or to look at single arguments.
pub fn array_elements(text: &str) -> Result<Vec<&str>, DecodeError> {
    if !trim(text).starts_with('[') {
        return Err(DecodeError::InvalidPayload("expected a JSON array"));
    }
    let items: Vec<&RawValue> =
        serde_json::from_str(text).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
    Ok(items.into_iter().map(RawValue::get).collect())
}

/// Appends `s` as a JSON string literal, escaped exactly as JavaScript's `JSON.stringify` does:
/// `"` `\` and control characters are escaped, everything else (all non-ASCII) is written as is.
pub fn push_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // Nothing to escape (event names, namespaces, most texts).
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // `i` indexes an ASCII byte, so both slice ends are char boundaries.
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0xf));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn hex_digit(n: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(n & 0xf)])
}

/// The index just after the closing quote of the string literal that starts at `start`
/// (`bytes[start]` must be `"`), or `None` if the text ends first.
pub(crate) fn skip_string(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start.checked_add(1)?;
    loop {
        match bytes.get(i)? {
            b'"' => return i.checked_add(1),
            b'\\' => i = i.checked_add(2)?,
            _ => i += 1,
        }
    }
}

/// The value of the string literal `text[start..end]` (quotes included), unescaped.
/// `None` if the range is not a well-formed literal.
pub(crate) fn string_value(text: &str, start: usize, end: usize) -> Option<Cow<'_, str>> {
    let literal = text.get(start..end)?;
    let inner = literal.get(1..literal.len().checked_sub(1)?)?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(literal).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// Rewrites one valid JSON value in the style of JavaScript's `JSON.stringify`: no whitespace
/// between tokens, non-ASCII characters written as themselves instead of `\uXXXX`, `\/` as `/`.
///
/// Object keys keep their order and numbers keep their spelling. Returns the input unchanged
/// (borrowed, no allocation) when it is already in that form, which is the case for everything a
/// JavaScript server sends; python-socketio escapes non-ASCII, so its text gets rewritten.
/// Escapes that JSON requires (`\"`, `\\`, control characters, lone surrogates) are kept.
/// Malformed input is returned unchanged; this function never fails or panics.
pub fn compact(raw: &str) -> Cow<'_, str> {
    let bytes = raw.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'"' {
            i += 1;
            loop {
                i = skip_plain(bytes, i);
                match bytes.get(i) {
                    None => return Cow::Borrowed(raw),
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') => match bytes.get(i + 1) {
                        Some(b'u') => match unescape_u(bytes, i) {
                            Some((replacement, len)) => {
                                if !flush(&mut out, raw, copied, i) {
                                    return Cow::Borrowed(raw);
                                }
                                if let Some(s) = out.as_mut() {
                                    match replacement {
                                        Unescaped::Char(c) => s.push(c),
                                        Unescaped::Text(t) => s.push_str(t),
                                    }
                                }
                                i += len;
                                copied = i;
                            }
                            None => i += 2,
                        },
                        Some(b'/') => {
                            if !flush(&mut out, raw, copied, i) {
                                return Cow::Borrowed(raw);
                            }
                            if let Some(s) = out.as_mut() {
                                s.push('/');
                            }
                            i += 2;
                            copied = i;
                        }
                        Some(_) => i += 2,
                        None => return Cow::Borrowed(raw),
                    },
                    Some(_) => i += 1,
                }
            }
        } else if is_ws(b) {
            if !flush(&mut out, raw, copied, i) {
                return Cow::Borrowed(raw);
            }
            i += 1;
            copied = i;
        } else {
            i += 1;
        }
    }
    match out {
        None => Cow::Borrowed(raw),
        Some(mut s) => match raw.get(copied..) {
            Some(tail) => {
                s.push_str(tail);
                Cow::Owned(s)
            }
            None => Cow::Borrowed(raw),
        },
    }
}

/// The index of the first `"` or `\` in `bytes` at or after `start` (`bytes.len()` if none).
/// Inside a string literal nothing else matters to [`compact`], and string literals are most of a
/// large payload (the base64 of a binary attachment above all): byte by byte, compacting a
/// 64 KiB attachment's event took a third of the add-in's time for it.
fn skip_plain(bytes: &[u8], start: usize) -> usize {
    let rest = bytes.get(start..).unwrap_or_default();
    start + memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len())
}

/// Copies `raw[from..to]` into `out` (creating it on first use). False if the range is not on
/// char boundaries, which only happens for malformed input.
fn flush(out: &mut Option<String>, raw: &str, from: usize, to: usize) -> bool {
    match raw.get(from..to) {
        Some(part) => {
            out.get_or_insert_with(|| String::with_capacity(raw.len()))
                .push_str(part);
            true
        }
        None => false,
    }
}

enum Unescaped {
    Char(char),
    Text(&'static str),
}

/// Decides what to write for the `\uXXXX` escape at `bytes[i]` (and a following low surrogate):
/// the replacement and the number of input bytes it consumes, or `None` to keep the escape.
fn unescape_u(bytes: &[u8], i: usize) -> Option<(Unescaped, usize)> {
    let cp = hex4(bytes, i + 2)?;
    match cp {
        0..=0x1f => None,
        0x22 => Some((Unescaped::Text("\\\""), 6)),
        0x5c => Some((Unescaped::Text("\\\\"), 6)),
        0xd800..=0xdbff => {
            if bytes.get(i + 6) != Some(&b'\\') || bytes.get(i + 7) != Some(&b'u') {
                return None;
            }
            let low = hex4(bytes, i + 8)?;
            if !(0xdc00..=0xdfff).contains(&low) {
                return None;
            }
            let c = char::from_u32(0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00))?;
            Some((Unescaped::Char(c), 12))
        }
        0xdc00..=0xdfff => None,
        _ => Some((Unescaped::Char(char::from_u32(cp)?), 6)),
    }
}

fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at.checked_add(4)?)?;
    digits
        .iter()
        .try_fold(0u32, |acc, &d| Some(acc * 16 + char::from(d).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_strips_json_whitespace_only() {
        assert_eq!(trim(" \t[1, 2]\r\n"), "[1, 2]");
        assert_eq!(trim(" \n "), "");
        assert_eq!(trim(""), "");
        assert_eq!(trim("\u{a0}é\u{a0}"), "\u{a0}é\u{a0}");
    }

    #[test]
    fn validate_trims_and_rejects() {
        assert_eq!(validate(" [1, 2]\n").unwrap(), "[1, 2]");
        assert_eq!(validate("\"x\"").unwrap(), "\"x\"");
        assert!(matches!(validate("[1,"), Err(DecodeError::InvalidJson(_))));
        assert!(matches!(
            validate("[1] [2]"),
            Err(DecodeError::InvalidJson(_))
        ));
        assert!(matches!(validate(""), Err(DecodeError::InvalidJson(_))));
        let deep = "[".repeat(100_000);
        assert!(matches!(validate(&deep), Err(DecodeError::TooDeep { .. })));
    }

    /// The one-pass scan accepts exactly what serde_json (with the nesting limit) accepts.
    #[test]
    fn the_scan_agrees_with_serde_json() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let mut cases: Vec<String> = [
            "",
            " ",
            "1",
            "-0",
            "-",
            "01",
            "-01",
            "1.",
            "1.5",
            ".5",
            "1e5",
            "1E+5",
            "1e-",
            "1e",
            "0.0e0",
            "2.",
            "1.e3",
            "-1.5E-3",
            "1x",
            "1 2",
            "true",
            "tru",
            "truex",
            "false",
            "null",
            "nul",
            "nulll",
            "\"",
            "\"\"",
            "\"abc",
            "\"a\\\"b\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"\\u1234\"",
            "\"\\ud800\"",
            "\"\\x\"",
            "\"\\/\"",
            "\"\t\"",
            "\"\u{1}\"",
            "\"\u{7f}\"",
            "\"€😀\"",
            "[]",
            "[ ]",
            "[,]",
            "[1,]",
            "[1 2]",
            "[1,2]",
            " [ 1 , 2 ] ",
            "[1]]",
            "[[1]",
            "{}",
            "{ }",
            "{\"a\":1}",
            "{\"a\" : [1, {\"b\": null}] }",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{1:1}",
            "{\"a\":1 \"b\":2}",
            "{\"a\":1]",
            "[1}",
            "[\"a\",{\"b\":[true,false,null,-1.5e3]}]",
            "[\"tick\",123]",
            "\n\t[1]\r\n",
            "[1]x",
            "{\"a\":{\"b\":{}}}",
            "[{}]",
            "[{},[]]",
            "[\"a\":1]",
            "{,}",
            "\u{0}",
            "[\"\\u0000\"]",
            "[1,\n2]",
            "[-]",
            "[+1]",
            "[1e+]",
            "[Infinity]",
            "[NaN]",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        cases.push(deep(MAX_DEPTH));
        cases.push(deep(MAX_DEPTH + 1));
        cases.push(format!("{}1{}", "{\"a\":[".repeat(64), "]}".repeat(64)));
        cases.push(format!("{}1{}", "{\"a\":[".repeat(65), "]}".repeat(65)));
        cases.push(format!("{}1", "[".repeat(200)));
        for case in &cases {
            let fast = scan(case.as_bytes()).map(|(r, _)| &case[r]);
            let reference = validate_thoroughly(case).ok();
            assert_eq!(fast, reference, "{case:?}");
            assert_eq!(validate(case).ok(), reference, "{case:?}");
        }
        // Every prefix of valid text, too.
        let text = r#" {"a":[1,-2.5e+3,"x\"y\u00e9",true,false,null,{}],"b":{"c":[]}} "#;
        for end in 0..=text.len() {
            if let Some(prefix) = text.get(..end) {
                let fast = scan(prefix.as_bytes()).map(|(r, _)| &prefix[r]);
                assert_eq!(fast, validate_thoroughly(prefix).ok(), "{prefix:?}");
            }
        }
    }

    /// Short strings over JSON's alphabet, pseudo-random but the same every run: the scan and
    /// serde_json agree on each, and validating while compacting gives what compacting the
    /// validated value gives.
    #[test]
    fn the_scan_agrees_with_serde_json_on_generated_text() {
        const ALPHABET: &[&str] = &[
            "[", "]", "{", "}", ",", ":", " ", "\"", "\\", "u", "0", "1", "-", ".", "e", "+", "t",
            "true", "null", "false", "\"a\"", "a", "é", "\n", "\\u00e9", "\u{1}", "\\/",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut accepted = 0;
        for _ in 0..200_000 {
            let len = next() % 9;
            let text: String = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let fast = scan(text.as_bytes()).map(|(r, _)| &text[r]);
            let reference = validate_thoroughly(&text).ok();
            assert_eq!(fast, reference, "{text:?}");
            let compacted = validate_compact(&text).ok();
            assert_eq!(compacted, reference.map(compact), "{text:?}");
            accepted += usize::from(reference.is_some());
        }
        assert!(accepted > 1000, "too few valid texts generated: {accepted}");
    }

    #[test]
    fn nesting_is_limited() {
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(validate(&at_limit), Ok(at_limit.as_str()));
        let over = format!("[{at_limit}]");
        assert_eq!(
            validate(&over),
            Err(DecodeError::TooDeep { max: MAX_DEPTH })
        );
        // Brackets in strings are text, not nesting.
        let quoted = format!("[\"{}\"]", "[{".repeat(1000));
        assert!(validate(&quoted).is_ok());
        let mixed = format!("{}1{}", "{\"a\":[".repeat(65), "]}".repeat(65));
        assert_eq!(
            validate(&mixed),
            Err(DecodeError::TooDeep { max: MAX_DEPTH })
        );
    }

    #[test]
    fn array_elements_splits() {
        assert_eq!(
            array_elements(r#"["a", {"b":[1,2]}, 3 ]"#).unwrap(),
            vec![r#""a""#, r#"{"b":[1,2]}"#, "3"]
        );
        assert_eq!(array_elements("[]").unwrap(), Vec::<&str>::new());
        assert_eq!(
            array_elements("{}"),
            Err(DecodeError::InvalidPayload("expected a JSON array"))
        );
        assert!(matches!(
            array_elements("[1,]"),
            Err(DecodeError::InvalidJson(_))
        ));
    }

    #[test]
    fn push_string_matches_json_stringify() {
        let mut s = String::new();
        push_string(&mut s, "a\"b\\c\n\u{1}€😀/");
        assert_eq!(s, r#""a\"b\\c\n\u0001€😀/""#);
        // What serde_json (and so any JSON parser) reads back is the original.
        assert_eq!(
            serde_json::from_str::<String>(&s).unwrap(),
            "a\"b\\c\n\u{1}€😀/"
        );
        let mut s = String::new();
        push_string(&mut s, "\u{7f}\u{1f}\t\u{8}\u{c}\r");
        assert_eq!(s, "\"\u{7f}\\u001f\\t\\b\\f\\r\"");
    }

    #[test]
    fn compact_leaves_js_text_alone() {
        let js = r#"["echo","€😀",{"a":1.50,"z":[true,null]}]"#;
        assert!(matches!(compact(js), Cow::Borrowed(_)));
        assert_eq!(compact(js), js);
        assert!(matches!(validate_compact(js), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn compact_rewrites_python_text() {
        // python-socketio: json.dumps(..., separators=(',', ':')) escapes non-ASCII.
        let py = r#"["echo","\u20ac\ud83d\ude00"]"#;
        assert_eq!(compact(py), r#"["echo","€😀"]"#);
        assert_eq!(validate_compact(py).unwrap(), r#"["echo","€😀"]"#);
        let spaced = "[ \"a b\" ,\n {\"k\" : \"\\/\\u0022\\u005c\\n\\u001f\"} ]";
        assert_eq!(compact(spaced), r#"["a b",{"k":"/\"\\\n\u001f"}]"#);
        // A lone surrogate must stay escaped.
        assert_eq!(
            compact(r#"["\ud83d", "\ude00x"]"#),
            r#"["\ud83d","\ude00x"]"#
        );
    }

    #[test]
    fn compact_finds_escapes_and_quotes_at_every_offset_of_a_long_string() {
        for k in 0..24 {
            let (a, b) = ("A".repeat(k), "B".repeat(30));
            let raw = format!(r#"["{a}\/{b}", "{a}"]"#);
            assert_eq!(compact(&raw), format!(r#"["{a}/{b}","{a}"]"#), "offset {k}");
            let plain = format!(r#"["{a}{b}","x"]"#);
            assert!(matches!(compact(&plain), Cow::Borrowed(_)), "offset {k}");
            let quoted = format!(r#"["{a}\"{b}", 1]"#);
            assert_eq!(compact(&quoted), format!(r#"["{a}\"{b}",1]"#), "offset {k}");
        }
    }

    #[test]
    fn compact_never_panics_on_garbage() {
        for s in [
            "\"",
            "\"\\",
            "\"\\u12",
            "\"\\ud83d\\u",
            "  \"€\\u20",
            "\"\\uZZZZ\"",
            "[\"é\\",
        ] {
            let _ = compact(s);
        }
    }

    #[test]
    fn string_helpers() {
        let t = r#"{"_pl\u0061ceholder":true}"#;
        let end = skip_string(t.as_bytes(), 1).unwrap();
        assert_eq!(&t[1..end], r#""_pl\u0061ceholder""#);
        assert_eq!(string_value(t, 1, end).unwrap(), "_placeholder");
        assert_eq!(skip_string(br#""abc\""#, 0), None);
        assert_eq!(string_value("\"", 0, 1), None);
    }
}
