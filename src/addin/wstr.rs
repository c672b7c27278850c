//! Reading text and bytes out of host memory: NUL-terminated `WCHAR_T*` names and
//! length-counted `tVariant` payloads. Decoding itself is [`crate::wide`]'s job.
//!
//! Every reader copies into owned Rust memory at once, so nothing here keeps a host pointer.
//! Reads are alignment-agnostic (byte copies), because nothing in the kit promises that a
//! `WCHAR_T*` inside a variant is 2-aligned.
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

/// Copies `len` bytes (`pstrVal`/`strLen` of a PSTR or BLOB). Null is accepted only with
/// `len == 0`.
///
/// # Safety
/// `p` is null or points to `len` readable bytes.
pub(crate) unsafe fn read_bytes(p: *const u8, len: usize) -> Option<Vec<u8>> {
    if len == 0 {
        return Some(Vec::new());
    }
    if p.is_null() {
        return None;
    }
    // SAFETY: not null (checked above) and `len` bytes readable (caller); bytes need no alignment.
    Some(unsafe { std::slice::from_raw_parts(p, len) }.to_vec())
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
    fn unaligned_units() {
        let mut buf = [0u8; 7];
        buf[1..5].copy_from_slice(&[0x41, 0, 0x42, 0]);
        // SAFETY: 2 readable units at an odd address, 1 unit of slack after.
        let got = unsafe { read_wide(buf.as_ptr().add(1).cast(), 2) };
        assert_eq!(got.as_deref(), Some("AB"));
    }
}
