//! The subject of an X.509 certificate as one line ("CN=localhost, O=Shop"), for the log: which
//! server certificate was accepted, which client certificate was offered.

use super::der::{Reader, Tlv, EXPLICIT_0, SEQUENCE, SET};

/// The subject of the DER certificate `cert`, in the certificate's order; `None` when it cannot
/// be read.
pub fn subject(cert: &[u8]) -> Option<String> {
    let cert = Reader(cert).next_tagged(SEQUENCE).ok()?;
    let tbs = cert.reader().next_tagged(SEQUENCE).ok()?;
    let mut tbs = tbs.reader();
    tbs.optional(EXPLICIT_0).ok()?; // version
    tbs.next().ok()?; // serial number
    tbs.next_tagged(SEQUENCE).ok()?; // signature algorithm
    tbs.next_tagged(SEQUENCE).ok()?; // issuer
    tbs.next_tagged(SEQUENCE).ok()?; // validity
    let name = tbs.next_tagged(SEQUENCE).ok()?;
    let mut parts = Vec::new();
    let mut rdns = name.reader();
    while !rdns.is_empty() {
        let rdn = rdns.next_tagged(SET).ok()?;
        let mut attributes = rdn.reader();
        while !attributes.is_empty() {
            let attribute = attributes.next_tagged(SEQUENCE).ok()?;
            let mut attribute = attribute.reader();
            let kind = attribute.next().ok()?;
            let value = attribute.next().ok()?;
            parts.push(format!("{}={}", label(&kind)?, text(&value)));
        }
    }
    Some(parts.join(", "))
}

/// The short name of an attribute type, or its dotted OID.
fn label(kind: &Tlv<'_>) -> Option<String> {
    const LABELS: [(&str, &str); 8] = [
        ("2.5.4.3", "CN"),
        ("2.5.4.10", "O"),
        ("2.5.4.11", "OU"),
        ("2.5.4.6", "C"),
        ("2.5.4.7", "L"),
        ("2.5.4.8", "ST"),
        ("2.5.4.5", "serialNumber"),
        ("1.2.840.113549.1.9.1", "emailAddress"),
    ];
    let dotted = super::der::oid_text(kind.content)?;
    let label = LABELS.iter().find(|(oid, _)| *oid == dotted);
    Some(label.map_or(dotted, |(_, label)| (*label).to_owned()))
}

/// A directory string's text (UTF-8, printable, IA5, T.61 as Latin-1, BMP as UTF-16).
fn text(value: &Tlv<'_>) -> String {
    match value.tag {
        0x1e => {
            let units = value
                .content
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
        0x14 => value.content.iter().map(|&b| char::from(b)).collect(),
        _ => String::from_utf8_lossy(value.content).into_owned(),
    }
}
