//! Reading text and bytes out of host memory: NUL-terminated `WCHAR_T*` names and
//! length-counted `tVariant` payloads. Decoding itself is [`crate::wide`]'s job.
//!
//! Every reader copies into owned Rust memory at once, and the comparison ([`wide_equals`]) and
//! the borrowed [`bytes`] look at host memory only for the length of a platform call, so nothing
//! here keeps a host pointer. Reads are alignment-agnostic (byte copies or unaligned reads),
//! because nothing in the kit promises that a `WCHAR_T*` inside a variant is 2-aligned.
#![allow(unsafe_code)]

use crate::wide;

/// Longest NUL-terminated host string read, in UTF-16 units, not counting the NUL. The strings
/// read this way are class and member names and locale codes; anything without a NUL within
/// this many units is treated as garbage rather than read further.
pub(crate) const MAX_NUL_TERMINATED: usize = 64 * 1024;

/// Decodes a NUL-terminated UTF-16 host string. `None` for a null pointer or a string longer
/// than [`MAX_NUL_TERMINATED`].
///
/// # Safety
/// `p` is null, or points to readable `u16` units up to and including a NUL unit or up to
/// [`MAX_NUL_TERMINATED`] + 1 units, whichever comes first.
pub(crate) unsafe fn read_nul_terminated(p: *const u16) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let mut len = 0;
    loop {
        if len > MAX_NUL_TERMINATED {
            return None;
        }
        // SAFETY: the caller guarantees the units up to the NUL (or the cap, checked above) are
        // readable; `len` never passes either. `read_unaligned` needs no alignment.
        if unsafe { p.add(len).read_unaligned() } == 0 {
            // SAFETY: the `len` units before the NUL were just read.
            return unsafe { read_wide(p, len) };
        }
        len += 1;
    }
}

/// Decodes `len` UTF-16 units (`pwstrVal`/`wstrLen`). A null pointer is accepted only with
/// `len == 0` (the empty string); null with a length gives `None`.
///
/// # Safety
/// `p` is null or points to `len` readable `u16` units.
pub(crate) unsafe fn read_wide(p: *const u16, len: usize) -> Option<String> {
    if len == 0 {
        return Some(String::new());
    }
    if p.is_null() {
        return None;
    }
    if p.is_aligned() {
        // The usual case, decoded in place.
        // SAFETY: not null (checked above), aligned (just checked), `len` readable units (caller).
        return Some(wide::from_wide_lossy(unsafe {
            std::slice::from_raw_parts(p, len)
        }));
    }
    let byte_len = len.checked_mul(2)?;
    // SAFETY: the caller guarantees `len` readable units = `byte_len` readable bytes; a `u8`
    // slice has no alignment requirement, and `p` is not null (checked above).
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), byte_len) };
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_ne_bytes([c[0], c[1]]))
        .collect();
    Some(wide::from_wide_lossy(&units))
}

/// Whether `len` UTF-16 units at `p` decode to `s` as [`read_wide`] decodes them (unpaired
/// surrogates as U+FFFD), without copying them; false where `read_wide` gives `None`.
///
/// # Safety
/// `p` is null or points to `len` readable `u16` units.
pub(crate) unsafe fn wide_equals(p: *const u16, len: usize, s: &str) -> bool {
    if len == 0 {
        return s.is_empty();
    }
    if p.is_null() {
        return false;
    }
    let units = (0..len).map(|k| {
        // SAFETY: `k < len`, and `len` units are readable at `p` (caller); `read_unaligned`
        // needs no alignment.
        unsafe { p.add(k).read_unaligned() }
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .eq(s.chars())
}

/// The `len` bytes at `p` (`pstrVal`/`strLen` of a PSTR or BLOB), borrowed. Null is accepted
/// only with `len == 0`.
///
/// # Safety
/// `p` is null or points to `len` readable bytes that stay unchanged while the slice is used.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if p.is_null() {
        return None;
    }
    // SAFETY: not null (checked above) and `len` bytes readable and unchanged (caller); bytes
    // need no alignment.
    Some(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Copies `len` bytes (`pstrVal`/`strLen` of a PSTR or BLOB). Null is accepted only with
/// `len == 0`.
///
/// # Safety
/// `p` is null or points to `len` readable bytes.
pub(crate) unsafe fn read_bytes(p: *const u8, len: usize) -> Option<Vec<u8>> {
    // SAFETY: forwarded contract; the slice is copied at once.
    unsafe { bytes(p, len) }.map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_terminated() {
        let w = wide::to_wide_nul("Привет");
        // SAFETY: `w` is NUL-terminated and alive.
        let got = unsafe { read_nul_terminated(w.as_ptr()) };
        assert_eq!(got.as_deref(), Some("Привет"));
        // SAFETY: null is allowed.
        assert_eq!(unsafe { read_nul_terminated(std::ptr::null()) }, None);
    }

    #[test]
    fn too_long_without_nul_is_refused() {
        let w = vec![0x41u16; MAX_NUL_TERMINATED + 2];
        // SAFETY: `w` has MAX + 2 readable units, more than the reader may touch.
        assert_eq!(unsafe { read_nul_terminated(w.as_ptr()) }, None);
    }

    #[test]
    fn counted() {
        let w = wide::to_wide("ab\0c");
        // SAFETY: 4 readable units.
        let got = unsafe { read_wide(w.as_ptr(), 4) };
        assert_eq!(got.as_deref(), Some("ab\0c"));
        // SAFETY: null with zero length is allowed.
        let got = unsafe { read_wide(std::ptr::null(), 0) };
        assert_eq!(got.as_deref(), Some(""));
        // SAFETY: null with a length is refused before any read.
        assert_eq!(unsafe { read_wide(std::ptr::null(), 3) }, None);
        // SAFETY: as above, for bytes.
        assert_eq!(unsafe { read_bytes(std::ptr::null(), 0) }, Some(vec![]));
        // SAFETY: refused before any read.
        assert_eq!(unsafe { read_bytes(std::ptr::null(), 1) }, None);
        let b = [1u8, 2, 3];
        // SAFETY: 3 readable bytes.
        assert_eq!(unsafe { read_bytes(b.as_ptr(), 3) }, Some(vec![1, 2, 3]));
    }

    #[test]
    fn wide_comparison_decodes_as_the_reader_does() {
        let w = wide::to_wide("Ёж\0a");
        // SAFETY: `w` has `w.len()` readable units; null is refused before any read.
        unsafe {
            assert!(wide_equals(w.as_ptr(), w.len(), "Ёж\0a"));
            assert!(!wide_equals(w.as_ptr(), w.len(), "Ёж"));
            assert!(!wide_equals(w.as_ptr(), 2, "Ёж\0a"));
            assert!(wide_equals(std::ptr::null(), 0, ""));
            assert!(!wide_equals(std::ptr::null(), 0, "a"));
            assert!(!wide_equals(std::ptr::null(), 1, ""));
        }
        let lone = [0x41u16, 0xD800, 0x42];
        // SAFETY: 3 readable units.
        let read = unsafe { read_wide(lone.as_ptr(), 3) }.unwrap();
        assert_eq!(read, "A\u{FFFD}B");
        // SAFETY: as above.
        assert!(unsafe { wide_equals(lone.as_ptr(), 3, &read) });
        let mut buf = [0u8; 5];
        buf[1..5].copy_from_slice(&[0x41, 0, 0x42, 0]);
        // SAFETY: 2 readable units at an odd address.
        assert!(unsafe { wide_equals(buf.as_ptr().add(1).cast(), 2, "AB") });
    }

    #[test]
    fn unaligned_units() {
        let mut buf = [0u8; 7];
        buf[1..5].copy_from_slice(&[0x41, 0, 0x42, 0]);
        // SAFETY: 2 readable units at an odd address, 1 unit of slack after.
        let got = unsafe { read_wide(buf.as_ptr().add(1).cast(), 2) };
        assert_eq!(got.as_deref(), Some("AB"));
    }
}
