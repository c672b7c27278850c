//! UTF-16 text as the platform wants it: NUL-terminated, 2-byte units on every OS. Safe code;
//! `src/addin` and the dispatcher both use it.

/// `s` as UTF-16 with a trailing NUL.
pub fn to_wide(s: &str) -> Vec<u16> {
    let mut out = Vec::with_capacity(s.len() + 1);
    encode_into(s, &mut out);
    out
}

/// Replaces the contents of `out` with `s` as UTF-16 plus a trailing NUL, reusing its buffer.
pub fn encode_into(s: &str, out: &mut Vec<u16>) {
    out.clear();
    out.extend(s.encode_utf16());
    out.push(0);
}

/// Decodes UTF-16 units (no NUL expected), replacing unpaired surrogates with U+FFFD.
pub fn from_wide_lossy(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_nul_and_surrogates() {
        let w = to_wide("Привет 😀");
        assert_eq!(w.last(), Some(&0));
        assert_eq!(from_wide_lossy(&w[..w.len() - 1]), "Привет 😀");
        assert_eq!(from_wide_lossy(&[0xD800, 0x41]), "\u{FFFD}A");
    }
}
