//! HTTP long-polling bodies: several Engine.IO packets in one request or response body.
//!
//! * EIO4: text, packets joined with `\x1e`; a binary packet is `b<base64>`.
//! * EIO3 text (what 2.x servers send without binary data): `<len>:<packet>` repeated, where `len`
//!   counts UTF-16 code units (JavaScript string length); a binary packet is `<len>:b4<base64>`.
//! * EIO3 binary (`application/octet-stream`, sent by 1.x/2.x servers without `b64=1`, and by
//!   1.7.4 even for pure text; the client's POSTs): per packet a flag byte (0 text, 1 binary), the length as one
//!   decimal digit per byte, `0xFF`, then the packet (text length in bytes; binary packets start
//!   with the type byte `0x04`, which the length includes).
//!
//! Also: [`detect_version`] tells EIO3 from EIO4 by the first handshake body, and [`fit_payload`]
//! keeps a POST within the server's `maxPayload`.
//!
//! Does NOT do HTTP (status codes, headers, the `ok` answer to a POST): the caller passes bodies
//! in and takes bodies out.

use base64::Engine as _;

use super::engineio::{decode_binary, decode_str, push_text, Packet};
use super::{DecodeError, EioVersion, BASE64};

/// The most decimal digits accepted in an EIO3 length prefix (10 digits: up to 9 999 999 999).
pub const MAX_LENGTH_DIGITS: usize = 10;

/// The EIO4 packet separator (ASCII record separator).
pub const SEPARATOR: char = '\x1e';

/// Decodes a polling response body into its packets.
///
/// `is_binary_content_type` is true when the response's `Content-Type` is
/// `application/octet-stream`; it selects the EIO3 binary form and is ignored for EIO4 (whose
/// bodies are always text). An empty body is [`DecodeError::Empty`].
pub fn decode_payload(
    version: EioVersion,
    body: &[u8],
    is_binary_content_type: bool,
) -> Result<Vec<Packet>, DecodeError> {
    if body.is_empty() {
        return Err(DecodeError::Empty);
    }
    match version {
        EioVersion::V4 => decode_v4(utf8(body)?),
        EioVersion::V3 if is_binary_content_type => decode_v3_binary(body),
        EioVersion::V3 => decode_v3_text(utf8(body)?),
    }
}

fn utf8(body: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(body).map_err(|_| DecodeError::InvalidUtf8)
}

fn decode_v4(body: &str) -> Result<Vec<Packet>, DecodeError> {
    body.split(SEPARATOR)
        .map(|record| match record.strip_prefix('b') {
            Some(b64) => base64_packet(b64),
            None => decode_str(record),
        })
        .collect()
}

fn base64_packet(b64: &str) -> Result<Packet, DecodeError> {
    BASE64
        .decode(b64)
        .map(Packet::Binary)
        .map_err(|_| DecodeError::InvalidBase64)
}

/// Reads a length prefix: up to [`MAX_LENGTH_DIGITS`] digits (as told by `digit`), then the
/// terminator. Returns the length and the rest after the terminator.
fn length_prefix(
    input: &[u8],
    terminator: u8,
    digit: impl Fn(u8) -> Option<u8>,
) -> Result<(usize, &[u8]), DecodeError> {
    let mut n: u64 = 0;
    for (i, &b) in input.iter().enumerate() {
        if b == terminator {
            if i == 0 {
                break;
            }
            let n = usize::try_from(n).map_err(|_| DecodeError::InvalidPayloadLength)?;
            let rest = input
                .get(i + 1..)
                .ok_or(DecodeError::InvalidPayloadLength)?;
            return Ok((n, rest));
        }
        if i >= MAX_LENGTH_DIGITS {
            break;
        }
        let d = digit(b).ok_or(DecodeError::InvalidPayloadLength)?;
        n = n * 10 + u64::from(d);
    }
    Err(DecodeError::InvalidPayloadLength)
}

fn decode_v3_text(body: &str) -> Result<Vec<Packet>, DecodeError> {
    let mut packets = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (len, after) = length_prefix(rest.as_bytes(), b':', |b| {
            b.is_ascii_digit().then(|| b - b'0')
        })?;
        // The prefix is ASCII, so `after` starts on a char boundary of `rest`.
        let start = rest.len() - after.len();
        let tail = rest.get(start..).ok_or(DecodeError::InvalidPayloadLength)?;
        let end = utf16_prefix_bytes(tail, len).ok_or(DecodeError::InvalidPayloadLength)?;
        let (packet, next) = tail
            .split_at_checked(end)
            .ok_or(DecodeError::InvalidPayloadLength)?;
        rest = next;
        if packet.is_empty() {
            continue; // `0:` carries nothing; the reference parser skips it.
        }
        packets.push(match packet.strip_prefix('b') {
            Some(typed) => match typed.as_bytes().first() {
                None => return Err(DecodeError::Empty),
                Some(b'4') => base64_packet(typed.get(1..).unwrap_or(""))?,
                Some(&other) => return Err(DecodeError::InvalidBinaryPacketType(other)),
            },
            None => decode_str(packet)?,
        });
    }
    Ok(packets)
}

/// The byte length of the first `units` UTF-16 code units of `s`, or `None` if `s` is shorter or
/// the count ends inside a surrogate pair.
fn utf16_prefix_bytes(s: &str, units: usize) -> Option<usize> {
    let mut counted = 0;
    let mut bytes = 0;
    let mut chars = s.chars();
    while counted < units {
        let c = chars.next()?;
        counted += c.len_utf16();
        bytes += c.len_utf8();
    }
    (counted == units).then_some(bytes)
}

/// The length of `s` in UTF-16 code units (JavaScript's `s.length`), as EIO3 text payloads count.
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

fn decode_v3_binary(body: &[u8]) -> Result<Vec<Packet>, DecodeError> {
    let mut packets = Vec::new();
    let mut rest = body;
    while let Some((&flag, after_flag)) = rest.split_first() {
        let (len, after) = length_prefix(after_flag, 0xff, |b| (b <= 9).then_some(b))?;
        let (packet, next) = after
            .split_at_checked(len)
            .ok_or(DecodeError::InvalidPayloadLength)?;
        rest = next;
        packets.push(match flag {
            0 => decode_str(utf8(packet)?)?,
            1 => decode_binary(EioVersion::V3, packet.to_vec())?,
            _ => return Err(DecodeError::InvalidPayloadLength),
        });
    }
    Ok(packets)
}

/// Encodes packets as a polling request body (text in both revisions).
///
/// EIO4 joins them with `\x1e` (binary as `b<base64>`); EIO3 uses the text form
/// `<len>:<packet>` with binary as `b4<base64>`, which servers accept from a `b64=1` client.
pub fn encode_payload(version: EioVersion, packets: &[Packet]) -> Vec<u8> {
    let mut out = String::new();
    let mut one = String::new();
    for (i, packet) in packets.iter().enumerate() {
        one.clear();
        encode_one(version, packet, &mut one);
        match version {
            EioVersion::V4 if i > 0 => out.push(SEPARATOR),
            EioVersion::V4 => {}
            EioVersion::V3 => {
                out.push_str(&utf16_len(&one).to_string());
                out.push(':');
            }
        }
        out.push_str(&one);
    }
    out.into_bytes()
}

/// One packet in polling text form: binary as `b<base64>` (EIO4) or `b4<base64>` (EIO3).
fn encode_one(version: EioVersion, packet: &Packet, out: &mut String) {
    if let Packet::Binary(data) = packet {
        out.push('b');
        if version == EioVersion::V3 {
            out.push('4');
        }
        BASE64.encode_string(data, out);
    } else {
        push_text(packet, out);
    }
}

/// Encodes packets in the EIO3 `application/octet-stream` form that 1.x/2.x servers send.
///
/// The client POSTs this form: every Engine.IO 3 server reads it the same way, while text bodies
/// are read differently by 1.x (UTF-8 encoded twice, byte lengths) and 2.x (UTF-16 lengths).
pub fn encode_binary_payload_v3(packets: &[Packet]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut text = String::new();
    for packet in packets {
        let (flag, len) = match packet {
            Packet::Binary(data) => (1, data.len() + 1),
            other => {
                text.clear();
                push_text(other, &mut text);
                (0, text.len())
            }
        };
        out.push(flag);
        out.extend(len.to_string().bytes().map(|d| d - b'0'));
        out.push(0xff);
        match packet {
            Packet::Binary(data) => {
                out.push(4);
                out.extend_from_slice(data);
            }
            _ => out.extend_from_slice(text.as_bytes()),
        }
    }
    out
}

/// Tells the Engine.IO revision from the body of the first handshake response
/// (`GET …?EIO=4&transport=polling`; 1.x/2.x servers ignore `EIO=4` and answer in EIO3 framing).
///
/// EIO3: a binary body (first byte `0x00`/`0x01`) or a text body that starts with a length and
/// `:` (`97:0{…`). EIO4: a text body that starts with the open packet `0{`. Anything else: `None`.
pub fn detect_version(body: &[u8]) -> Option<EioVersion> {
    match body.first()? {
        0 | 1 => return Some(EioVersion::V3),
        b'0' if body.get(1) == Some(&b'{') => return Some(EioVersion::V4),
        _ => {}
    }
    let digits = body.iter().take_while(|b| b.is_ascii_digit()).count();
    (digits > 0 && body.get(digits) == Some(&b':')).then_some(EioVersion::V3)
}

/// How many of the leading `packets` fit in one POST body of at most `max_payload` bytes
/// (the open packet's `maxPayload`), as [`encode_payload`] would write them.
///
/// Always at least one when `packets` is not empty: a single packet over the limit is sent alone
/// (the server then refuses it, as it does for the JS client).
pub fn fit_payload(version: EioVersion, packets: &[Packet], max_payload: u64) -> usize {
    let mut total: u64 = 0;
    for (i, packet) in packets.iter().enumerate() {
        let len = encoded_len(version, packet);
        let framing = match version {
            EioVersion::V4 => u64::from(i > 0),
            EioVersion::V3 => decimal_digits(len.utf16) + 1,
        };
        total = total.saturating_add(len.bytes).saturating_add(framing);
        if i > 0 && total > max_payload {
            return i;
        }
    }
    packets.len()
}

struct EncodedLen {
    bytes: u64,
    utf16: u64,
}

fn encoded_len(version: EioVersion, packet: &Packet) -> EncodedLen {
    let ascii = |n: usize| EncodedLen {
        bytes: n as u64,
        utf16: n as u64,
    };
    let text = |data: &str| EncodedLen {
        bytes: data.len() as u64 + 1,
        utf16: utf16_len(data) as u64 + 1,
    };
    match packet {
        Packet::Binary(data) => {
            let b64 = data.len().div_ceil(3).saturating_mul(4);
            ascii(b64 + if version == EioVersion::V3 { 2 } else { 1 })
        }
        Packet::Ping(data) | Packet::Pong(data) | Packet::Message(data) => text(data),
        Packet::Open(info) => text(&info.to_json()),
        Packet::Close | Packet::Upgrade | Packet::Noop => ascii(1),
    }
}

fn decimal_digits(mut n: u64) -> u64 {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::engineio::OpenInfo;

    fn msg(s: &str) -> Packet {
        Packet::Message(s.to_owned())
    }

    const ECHO_BIN: &str = r#"51-["echo",{"_placeholder":true,"num":0},"Q8JpUqD"]"#;

    #[test]
    fn v4_text_payload() {
        // Observed from socket.io 4.8.1.
        let body = format!("4{ECHO_BIN}\x1ebAQID");
        let packets = decode_payload(EioVersion::V4, body.as_bytes(), false).unwrap();
        assert_eq!(packets, vec![msg(ECHO_BIN), Packet::Binary(vec![1, 2, 3])]);
        assert_eq!(encode_payload(EioVersion::V4, &packets), body.as_bytes());

        let body = "4hello\x1ebAQIDBA==";
        let packets = decode_payload(EioVersion::V4, body.as_bytes(), false).unwrap();
        assert_eq!(
            packets,
            vec![msg("hello"), Packet::Binary(vec![1, 2, 3, 4])]
        );
        assert_eq!(encode_payload(EioVersion::V4, &packets), body.as_bytes());

        let body = "40{\"sid\":\"x\",\"pid\":\"y\"}\x1e42[\"welcome\",{},\"Q8JpUq8\"]";
        assert_eq!(
            decode_payload(EioVersion::V4, body.as_bytes(), false).unwrap(),
            vec![
                msg("0{\"sid\":\"x\",\"pid\":\"y\"}"),
                msg("2[\"welcome\",{},\"Q8JpUq8\"]")
            ]
        );
        // A single open packet is a one-packet payload.
        let open = r#"0{"sid":"s","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        let packets = decode_payload(EioVersion::V4, open.as_bytes(), false).unwrap();
        assert!(matches!(
            &packets[..],
            [Packet::Open(OpenInfo {
                max_payload: Some(1_000_000),
                ..
            })]
        ));
        // Unpadded base64 is accepted.
        assert_eq!(
            decode_payload(EioVersion::V4, b"bAQIDBA", false).unwrap(),
            vec![Packet::Binary(vec![1, 2, 3, 4])]
        );
    }

    #[test]
    fn v4_text_payload_errors() {
        let d = |b: &[u8]| decode_payload(EioVersion::V4, b, false);
        assert_eq!(d(b""), Err(DecodeError::Empty));
        assert_eq!(d(b"4a\x1e\x1e4b"), Err(DecodeError::Empty));
        assert_eq!(d(b"4a\x1e"), Err(DecodeError::Empty));
        assert_eq!(d(b"b!!!"), Err(DecodeError::InvalidBase64));
        assert_eq!(d(b"4\xff"), Err(DecodeError::InvalidUtf8));
        assert_eq!(d(b"9"), Err(DecodeError::UnknownPacketType(b'9')));
    }

    #[test]
    fn v3_text_payload() {
        // Observed from socket.io 2.5.1: the auto-connect and a welcome event in one body.
        let body = r#"2:4025:42["welcome",{"nsp":"/"}]"#;
        assert_eq!(
            decode_payload(EioVersion::V3, body.as_bytes(), false).unwrap(),
            vec![msg("0"), msg(r#"2["welcome",{"nsp":"/"}]"#)]
        );
        // Lengths count UTF-16 code units: 15 code points, 20 bytes, 16 units.
        let echo = r#"42["echo","€😀"]"#;
        assert_eq!(
            (echo.chars().count(), echo.len(), utf16_len(echo)),
            (15, 20, 16)
        );
        let body = format!("16:{echo}2:40");
        let packets = decode_payload(EioVersion::V3, body.as_bytes(), false).unwrap();
        assert_eq!(packets, vec![msg(r#"2["echo","€😀"]"#), msg("0")]);
        assert_eq!(encode_payload(EioVersion::V3, &packets), body.as_bytes());
        // Binary inside text: `<len>:b4<base64>`.
        let packets = decode_payload(EioVersion::V3, b"10:b4AQIDBA==1:2", false).unwrap();
        assert_eq!(
            packets,
            vec![
                Packet::Binary(vec![1, 2, 3, 4]),
                Packet::Ping(String::new())
            ]
        );
        assert_eq!(
            encode_payload(EioVersion::V3, &packets),
            b"10:b4AQIDBA==1:2"
        );
        // The handshake and the close packet a server sends after a ping timeout.
        let body = r#"97:0{"sid":"Q8JpUqD8X7bXRwAAAAAB","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}"#;
        assert!(matches!(
            &decode_payload(EioVersion::V3, body.as_bytes(), false).unwrap()[..],
            [Packet::Open(_)]
        ));
        assert_eq!(
            decode_payload(EioVersion::V3, b"1:1", false).unwrap(),
            vec![Packet::Close]
        );
        // `0:` is skipped, as the reference parser does.
        assert_eq!(
            decode_payload(EioVersion::V3, b"0:1:6", false).unwrap(),
            vec![Packet::Noop]
        );
    }

    #[test]
    fn v3_text_payload_errors() {
        let d = |b: &str| decode_payload(EioVersion::V3, b.as_bytes(), false);
        let bad = Err(DecodeError::InvalidPayloadLength);
        assert_eq!(d("4hello"), bad);
        assert_eq!(d(":4"), bad);
        assert_eq!(d("3:4"), bad); // shorter than announced
        assert_eq!(d("2:4a2"), bad); // trailing garbage without a colon
        assert_eq!(d("12345678901:4"), bad); // 11 digits
        assert_eq!(d("99999999999999999999999:4"), bad);
        assert_eq!(d("-1:4"), bad);
        assert_eq!(d("3:4😀").unwrap(), vec![msg("😀")]); // 1 + 2 units
        assert_eq!(d("2:4😀"), bad);
        assert_eq!(d("4:4😀"), bad);
        assert_eq!(
            d("2:4😀").unwrap_err().to_string(),
            "protocol error: polling payload with an invalid packet length"
        );
        assert_eq!(d("4:b3AA"), Err(DecodeError::InvalidBinaryPacketType(b'3')));
        assert_eq!(d("1:b"), Err(DecodeError::Empty));
        assert_eq!(d("3:b4!"), Err(DecodeError::InvalidBase64));
        assert_eq!(d("1:9"), Err(DecodeError::UnknownPacketType(b'9')));
        assert_eq!(
            decode_payload(EioVersion::V3, b"2:4\xff", false),
            Err(DecodeError::InvalidUtf8)
        );
    }

    #[test]
    fn v3_binary_payload() {
        // Observed: 00 04 02 ff "451-[…]" 01 04 ff 04 01 02 03 (the string's length in bytes
        // as one digit per byte, then a 4-byte binary packet whose length counts the type byte).
        let text = r#"451-["echo",{"_placeholder":true,"num":0},"x12345"]"#;
        assert_eq!(text.len(), 51);
        let mut body = vec![0, 5, 1, 0xff];
        body.extend_from_slice(text.as_bytes());
        body.extend_from_slice(&[1, 4, 0xff, 4, 1, 2, 3]);
        let packets = decode_payload(EioVersion::V3, &body, true).unwrap();
        assert_eq!(
            packets,
            vec![msg(&text[1..]), Packet::Binary(vec![1, 2, 3])]
        );
        assert_eq!(encode_binary_payload_v3(&packets), body);

        // socket.io 1.7.4 sends the handshake this way: 00 09 07 ff 30 7b …
        let open = r#"0{"sid":"Q8JpUqD8X7bXRwAAAAAB","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":60000}"#;
        let mut body = vec![0];
        body.extend(open.len().to_string().bytes().map(|b| b - b'0'));
        body.push(0xff);
        body.extend_from_slice(open.as_bytes());
        assert_eq!(&body[..6], &[0, 9, 7, 0xff, b'0', b'{']);
        let Packet::Open(info) = &decode_payload(EioVersion::V3, &body, true).unwrap()[0] else {
            panic!()
        };
        assert_eq!(info.ping_timeout_ms, 60000);
        assert_eq!(detect_version(&body), Some(EioVersion::V3));
    }

    #[test]
    fn v3_binary_payload_errors() {
        let d = |b: &[u8]| decode_payload(EioVersion::V3, b, true);
        let bad = Err(DecodeError::InvalidPayloadLength);
        assert_eq!(d(&[0]), bad);
        assert_eq!(d(&[0, 0xff]), bad); // no digits
        assert_eq!(d(&[0, 2, 0xff, b'4']), bad); // shorter than announced
        assert_eq!(d(&[0, 10, 0xff, b'4']), bad); // digit out of range
        assert_eq!(d(&[2, 1, 0xff, b'6']), bad); // unknown flag
        assert_eq!(d(&[0, 1, 0xff, b'6', 0]), bad); // truncated second packet
        assert_eq!(d(&[0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0xff, b'6']), bad); // 11 digits
        assert_eq!(d(&[0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0xff, b'6']), bad); // 10 digits, too long
        assert_eq!(d(&[0, 0, 0xff]), Err(DecodeError::Empty));
        assert_eq!(d(&[1, 0, 0xff]), Err(DecodeError::Empty));
        assert_eq!(
            d(&[1, 2, 0xff, 2, 1]),
            Err(DecodeError::InvalidBinaryPacketType(2))
        );
        assert_eq!(d(&[0, 1, 0xff, 0xc3]), Err(DecodeError::InvalidUtf8));
        assert_eq!(d(&[0, 1, 0xff, b'6']).unwrap(), vec![Packet::Noop]);
    }

    #[test]
    fn detects_version() {
        assert_eq!(detect_version(b"97:0{\"sid\""), Some(EioVersion::V3));
        assert_eq!(detect_version(&[1, 5, 0xff]), Some(EioVersion::V3));
        assert_eq!(detect_version(b"0{\"sid\""), Some(EioVersion::V4));
        assert_eq!(detect_version(b""), None);
        assert_eq!(detect_version(b"{\"code\":5}"), None);
        assert_eq!(detect_version(b"40"), None);
    }

    #[test]
    fn fits_max_payload() {
        let packets = [
            msg("0123456789"),
            msg("€"),
            Packet::Binary(vec![1, 2, 3, 4]),
        ];
        for version in [EioVersion::V3, EioVersion::V4] {
            for k in 1..=packets.len() {
                let exact = encode_payload(version, &packets[..k]).len() as u64;
                assert_eq!(fit_payload(version, &packets, exact), k, "{version:?} {k}");
                if k > 1 {
                    assert_eq!(fit_payload(version, &packets, exact - 1), k - 1);
                }
            }
            assert_eq!(fit_payload(version, &packets, 0), 1);
            assert_eq!(fit_payload(version, &[], 0), 0);
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let body: Vec<u8> = (0..len)
                .map(|i| {
                    b"0123456789:b4\x1e\xff\x00\x01\xe2\x82\xac{}"
                        [((seed >> (i % 60)) % 20) as usize]
                })
                .collect();
            for version in [EioVersion::V3, EioVersion::V4] {
                let _ = decode_payload(version, &body, false);
                let _ = decode_payload(version, &body, true);
                let _ = detect_version(&body);
            }
        }
    }
}
