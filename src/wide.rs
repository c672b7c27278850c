//! UTF-16 text as the 1C platform wants it: pure, safe conversions between `str` and `u16` units.
//!
//! 1C's `WCHAR_T` is a 2-byte UTF-16 code unit on every OS (also on Linux, where C's `wchar_t`
//! is 4 bytes). Strings handed to the platform end with one NUL unit; lengths reported to it
//! (`wstrLen`) never count that NUL. Text coming from the platform may hold unpaired
//! surrogates, so decoding is lossy (U+FFFD) and never fails.
//!
//! This is the crate's only copy of these helpers; `src/addin` reads raw host memory into slices
//! and calls these functions on them.

use std::borrow::Cow;

/// Encodes `s` as UTF-16 followed by one NUL unit.
///
/// An interior NUL in `s` is kept as is: a C reader stops there, a length-based reader does not.
pub fn to_wide_nul(s: &str) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::with_capacity(s.len() + 1);
    push_utf16(s, &mut out);
    out.push(0);
    out
}

/// Replaces the contents of `out` with `s` as UTF-16 plus one NUL, reusing its buffer (the
/// dispatcher's per-event path: no allocation once the buffer is warm).
pub fn encode_nul_into(s: &str, out: &mut Vec<u16>) {
    out.clear();
    out.reserve(s.len() + 1);
    push_utf16(s, out);
    out.push(0);
}

/// Encodes `s` as UTF-16 without a terminator.
pub fn to_wide(s: &str) -> Vec<u16> {
    let mut out = Vec::with_capacity(s.len());
    push_utf16(s, &mut out);
    out
}

/// Appends `s` as UTF-16. The ASCII part (all of the event texts but non-ASCII payloads) is
/// widened byte by byte, which the compiler vectorises, instead of decoding characters.
fn push_utf16(s: &str, out: &mut Vec<u16>) {
    let bytes = s.as_bytes();
    let ascii = if s.is_ascii() {
        bytes.len()
    } else {
        bytes
            .iter()
            .position(|b| !b.is_ascii())
            .unwrap_or(bytes.len())
    };
    let (head, tail) = s.split_at(ascii);
    out.extend(head.as_bytes().iter().map(|&b| u16::from(b)));
    out.extend(tail.encode_utf16());
}

/// Decodes UTF-16 units (no terminator expected; a NUL inside is kept), replacing unpaired
/// surrogates with U+FFFD.
pub fn from_wide_lossy(units: &[u16]) -> String {
    // The ASCII part (names, most arguments) byte by byte, the rest decoded.
    let ascii = units.iter().position(|&u| u >= 0x80).unwrap_or(units.len());
    let (head, tail) = units.split_at(ascii);
    let mut bytes = Vec::with_capacity(units.len() + tail.len() * 2);
    bytes.extend(head.iter().map(|&u| u as u8));
    let mut out = String::from_utf8(bytes).unwrap_or_default();
    out.extend(
        char::decode_utf16(tail.iter().copied()).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)),
    );
    out
}

/// `units` with exactly the guarantee that its last unit is a NUL: borrowed when it already
/// ends with one, otherwise copied with a NUL appended.
pub fn ensure_nul(units: &[u16]) -> Cow<'_, [u16]> {
    if units.last() == Some(&0) {
        Cow::Borrowed(units)
    } else {
        let mut owned = Vec::with_capacity(units.len() + 1);
        owned.extend_from_slice(units);
        owned.push(0);
        Cow::Owned(owned)
    }
}

/// Compile-time UTF-16 of an ASCII string plus its NUL, for statics such as the class list.
/// `N` must be `s.len() + 1`; a wrong `N` or a non-ASCII byte fails the build (const panic).
pub const fn ascii_nul<const N: usize>(s: &str) -> [u16; N] {
    let bytes = s.as_bytes();
    assert!(
        bytes.len() + 1 == N,
        "ascii_nul: N must be the length plus one"
    );
    let mut out = [0u16; N];
    let mut i = 0;
    while i < bytes.len() {
        assert!(
            bytes[i].is_ascii() && bytes[i] != 0,
            "ascii_nul: ASCII without NUL only"
        );
        out[i] = bytes[i] as u16;
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_appended_once() {
        assert_eq!(to_wide_nul(""), vec![0]);
        assert_eq!(to_wide_nul("Ab"), vec![0x41, 0x62, 0]);
        assert_eq!(to_wide("Ab"), vec![0x41, 0x62]);
    }

    #[test]
    fn ascii_prefix_then_the_rest() {
        for s in ["", "plain ascii", "Привет", "ab Привет 😀 cd", "😀"] {
            let expected: Vec<u16> = s.encode_utf16().collect();
            assert_eq!(to_wide(s), expected, "{s}");
            let mut out = vec![7, 7];
            encode_nul_into(s, &mut out);
            assert_eq!(out.last(), Some(&0));
            assert_eq!(&out[..out.len() - 1], &expected[..], "{s}");
        }
    }

    #[test]
    fn cyrillic_and_astral_round_trip() {
        let s = "Привет мир! 😀";
        let w = to_wide_nul(s);
        assert_eq!(w.last(), Some(&0));
        assert_eq!(from_wide_lossy(&w[..w.len() - 1]), s);
        // The emoji is a surrogate pair.
        assert_eq!(w.len(), s.chars().count() + 1 + 1);
    }

    #[test]
    fn decoding_an_ascii_prefix_then_the_rest() {
        for s in ["", "ascii", "Привет", "ab Привет 😀 cd", "😀x"] {
            assert_eq!(from_wide_lossy(&to_wide(s)), s);
        }
        assert_eq!(from_wide_lossy(&[0x41, 0xD800]), "A\u{FFFD}");
    }

    #[test]
    fn unpaired_surrogates_become_replacement() {
        assert_eq!(from_wide_lossy(&[0x41, 0xD800, 0x42]), "A\u{FFFD}B");
        assert_eq!(from_wide_lossy(&[0xDC00]), "\u{FFFD}");
    }

    #[test]
    fn ensure_nul_borrows_when_possible() {
        assert!(matches!(ensure_nul(&[1, 0]), Cow::Borrowed(_)));
        assert_eq!(&*ensure_nul(&[1, 2]), &[1, 2, 0]);
        assert_eq!(&*ensure_nul(&[]), &[0]);
    }

    #[test]
    fn ascii_nul_is_const() {
        const W: [u16; 7] = ascii_nul("Client");
        assert_eq!(W, [67, 108, 105, 101, 110, 116, 0]);
    }
}
