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
    text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
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
    if nesting_exceeds(text.as_bytes(), MAX_DEPTH) {
        return Err(DecodeError::TooDeep { max: MAX_DEPTH });
    }
    let raw: &RawValue =
        serde_json::from_str(text).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
    Ok(raw.get())
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
    }

    #[test]
    fn compact_rewrites_python_text() {
        // python-socketio: json.dumps(..., separators=(',', ':')) escapes non-ASCII.
        let py = r#"["echo","\u20ac\ud83d\ude00"]"#;
        assert_eq!(compact(py), r#"["echo","€😀"]"#);
        let spaced = "[ \"a b\" ,\n {\"k\" : \"\\/\\u0022\\u005c\\n\\u001f\"} ]";
        assert_eq!(compact(spaced), r#"["a b",{"k":"/\"\\\n\u001f"}]"#);
        // A lone surrogate must stay escaped.
        assert_eq!(
            compact(r#"["\ud83d", "\ude00x"]"#),
            r#"["\ud83d","\ude00x"]"#
        );
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
