//! A small reader of DER, the encoding of certificates and PKCS#12 files, enough to walk them:
//! tag, length, content. It also takes the BER that some PKCS#12 writers leave (indefinite
//! lengths, octet strings split into pieces). Pure: bytes in, slices of them out.

use std::borrow::Cow;

/// Universal tags used here.
pub const INTEGER: u8 = 0x02;
/// OCTET STRING (primitive).
pub const OCTET_STRING: u8 = 0x04;
/// OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// SEQUENCE (constructed).
pub const SEQUENCE: u8 = 0x30;
/// SET (constructed).
pub const SET: u8 = 0x31;
/// `[0]` EXPLICIT (constructed, context-specific 0).
pub const EXPLICIT_0: u8 = 0xA0;

/// How deep BER indefinite lengths may nest (a file is not a stack overflow).
const MAX_DEPTH: usize = 32;

/// The bytes are not DER where DER was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    /// The tag byte.
    pub tag: u8,
    /// The value, without its header (and without a BER end-of-contents marker).
    pub content: &'a [u8],
    /// The whole element, header included.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The elements inside a constructed one.
    pub fn reader(&self) -> Reader<'a> {
        Reader(self.content)
    }

    /// The value of an OCTET STRING (or an implicitly tagged one), joined when BER split it into
    /// pieces (a constructed string of strings).
    pub fn octets(&self) -> Result<Cow<'a, [u8]>, Malformed> {
        if self.tag & 0x20 == 0 {
            return Ok(Cow::Borrowed(self.content));
        }
        let mut joined = Vec::new();
        self.join_pieces(&mut joined, 0)?;
        Ok(Cow::Owned(joined))
    }

    fn join_pieces(&self, joined: &mut Vec<u8>, depth: usize) -> Result<(), Malformed> {
        if self.tag & 0x20 == 0 {
            joined.extend_from_slice(self.content);
            return Ok(());
        }
        if depth >= MAX_DEPTH {
            return Err(Malformed);
        }
        let mut pieces = self.reader();
        while !pieces.is_empty() {
            pieces.next()?.join_pieces(joined, depth + 1)?;
        }
        Ok(())
    }

    /// An INTEGER that fits 64 bits and is not negative.
    pub fn unsigned(&self) -> Result<u64, Malformed> {
        let bytes = match self.content {
            [0, rest @ ..] => rest,
            [first, ..] if first & 0x80 != 0 => return Err(Malformed),
            bytes => bytes,
        };
        if self.tag != INTEGER || bytes.len() > 8 {
            return Err(Malformed);
        }
        Ok(bytes.iter().fold(0, |n, b| n << 8 | u64::from(*b)))
    }

    /// Whether this is the OBJECT IDENTIFIER `dotted` ("1.2.840.113549.1.7.1").
    pub fn is_oid(&self, dotted: &str) -> bool {
        self.tag == OID && oid_text(self.content).as_deref() == Some(dotted)
    }
}

/// The dotted form of an OBJECT IDENTIFIER's content, `None` when it is not one.
pub fn oid_text(content: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut arc: u64 = 0;
    for (i, b) in content.iter().enumerate() {
        if arc > u64::MAX >> 7 {
            return None;
        }
        arc = arc << 7 | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (arc / 40).min(2);
                arcs.extend([first, arc - first * 40]);
            } else {
                arcs.push(arc);
            }
            arc = 0;
        } else if i + 1 == content.len() {
            return None;
        }
    }
    if arcs.is_empty() {
        return None;
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// Reads the elements of a sequence one after the other.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    /// Nothing left.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.0.first().copied()
    }

    /// The next element.
    pub fn next(&mut self) -> Result<Tlv<'a>, Malformed> {
        let (tlv, rest) = read(self.0, 0)?;
        self.0 = rest;
        Ok(tlv)
    }

    /// The next element, which must have `tag`.
    pub fn next_tagged(&mut self, tag: u8) -> Result<Tlv<'a>, Malformed> {
        let tlv = self.next()?;
        if tlv.tag != tag {
            return Err(Malformed);
        }
        Ok(tlv)
    }

    /// The next element when it has `tag`; nothing (and nothing read) otherwise.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, Malformed> {
        if self.peek_tag() == Some(tag) {
            self.next().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// One element at the start of `input`, and what follows it.
fn read(input: &[u8], depth: usize) -> Result<(Tlv<'_>, &[u8]), Malformed> {
    let (&tag, after_tag) = input.split_first().ok_or(Malformed)?;
    // Multi-byte tags do not occur in the structures read here.
    if tag & 0x1f == 0x1f {
        return Err(Malformed);
    }
    let (&first, mut body) = after_tag.split_first().ok_or(Malformed)?;
    let length = match first {
        0..=0x7f => usize::from(first),
        0x80 => return read_indefinite(input, tag, body, depth),
        0x81..=0x84 => {
            let count = usize::from(first & 0x7f);
            if body.len() < count {
                return Err(Malformed);
            }
            let (bytes, rest) = body.split_at(count);
            body = rest;
            bytes.iter().fold(0, |n, b| n << 8 | usize::from(*b))
        }
        _ => return Err(Malformed),
    };
    if body.len() < length {
        return Err(Malformed);
    }
    let header = input.len() - body.len();
    let (content, rest) = body.split_at(length);
    let raw = &input[..header + length];
    Ok((Tlv { tag, content, raw }, rest))
}

/// A BER element of indefinite length: its elements up to the end-of-contents marker `00 00`.
fn read_indefinite<'a>(
    input: &'a [u8],
    tag: u8,
    body: &'a [u8],
    depth: usize,
) -> Result<(Tlv<'a>, &'a [u8]), Malformed> {
    if tag & 0x20 == 0 || depth >= MAX_DEPTH {
        return Err(Malformed);
    }
    let mut rest = body;
    loop {
        if let [0, 0, after @ ..] = rest {
            let content = &body[..body.len() - rest.len()];
            let raw = &input[..input.len() - after.len()];
            return Ok((Tlv { tag, content, raw }, after));
        }
        rest = read(rest, depth + 1)?.1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_definite_and_long_lengths() {
        let mut long = vec![OCTET_STRING, 0x81, 200];
        long.extend([7; 200]);
        long.extend([INTEGER, 2, 0x00, 0x80]);
        let mut r = Reader(&long);
        let s = r.next_tagged(OCTET_STRING).unwrap();
        assert_eq!(s.content.len(), 200);
        assert_eq!(s.raw.len(), 203);
        assert_eq!(r.next().unwrap().unsigned(), Ok(128));
        assert!(r.is_empty());
        assert_eq!(Reader(&[OCTET_STRING, 5, 1]).next().err(), Some(Malformed));
        assert_eq!(
            Reader(&[INTEGER, 1, 0x80]).next().unwrap().unsigned(),
            Err(Malformed)
        );
    }

    #[test]
    fn reads_ber_indefinite_lengths_and_split_strings() {
        // SEQUENCE (indefinite) { OCTET STRING constructed (indefinite) { "ab", "c" } } and a byte.
        let ber = [
            0x30, 0x80, 0x24, 0x80, 0x04, 2, b'a', b'b', 0x04, 1, b'c', 0, 0, 0, 0, 0xff,
        ];
        let mut r = Reader(&ber);
        let seq = r.next_tagged(SEQUENCE).unwrap();
        assert_eq!(seq.raw.len(), 15);
        assert_eq!(r.0, &[0xff]);
        let s = seq.reader().next().unwrap();
        assert_eq!(&*s.octets().unwrap(), b"abc");
        // An unterminated one, and one nested too deep, are malformed rather than a crash.
        assert!(Reader(&[0x30, 0x80, 0x04, 0]).next().is_err());
        // Strings split into strings split into strings…: refused, not a stack overflow.
        let mut nested = vec![0x04, 0];
        for _ in 0..10_000 {
            let len = nested.len();
            let mut outer = vec![0x24, 0x82, (len >> 8) as u8, len as u8];
            if len > 0xffff {
                break;
            }
            outer.extend(nested);
            nested = outer;
        }
        let tlv = Reader(&nested).next().unwrap();
        assert_eq!(tlv.octets().err(), Some(Malformed));
        let deep: Vec<u8> = std::iter::repeat_n([0x30, 0x80], 10_000)
            .flatten()
            .collect();
        assert!(Reader(&deep).next().is_err());
    }

    #[test]
    fn object_identifiers_read_as_dotted_text() {
        let data = Tlv {
            tag: OID,
            content: &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01],
            raw: &[],
        };
        assert!(data.is_oid("1.2.840.113549.1.7.1"));
        assert!(!data.is_oid("1.2.840.113549.1.7.6"));
        assert_eq!(oid_text(&[0x55, 0x04, 0x03]).as_deref(), Some("2.5.4.3"));
        assert_eq!(oid_text(&[0x86]), None);
    }
}
