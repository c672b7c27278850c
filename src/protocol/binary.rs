//! Binary attachments of Socket.IO packets, both directions.
//!
//! Receiving: a BINARY_EVENT/BINARY_ACK (`51-[…]`) is followed by its attachments as the next N
//! binary Engine.IO messages. [`Reassembler`] collects them and hands back the packet with every
//! `{"_placeholder":true,"num":N}` in its JSON replaced by
//! `{"_placeholder":true,"num":N,"base64":"<bytes>"}`, which is what 1C receives.
//!
//! Sending: [`encode_binary_event`] / [`encode_binary_ack`] put a placeholder where each binary
//! argument goes and return the attachments to send after the packet.
//!
//! Does NOT decode the packet header (see [`super::socketio`]) or strip the Engine.IO framing of
//! binary frames (see [`super::engineio::decode_binary`]).

use std::ops::Range;

use base64::Engine as _;

use super::socketio::{push_header, push_u64, Packet, PacketKind};
use super::{json, DecodeError, BASE64};

/// JSON nesting deeper than this is rejected while looking for placeholders (serde_json, which
/// validates payloads first, already stops at 128).
const MAX_DEPTH: usize = 512;

/// Collects the binary frames that follow a binary Socket.IO packet.
///
/// Feed it every decoded Socket.IO packet through [`start`](Reassembler::start) and every binary
/// Engine.IO message through [`push`](Reassembler::push); each returns the packet once it is
/// complete. Any error drops the packet being assembled, so the reassembler is ready again.
#[derive(Debug)]
pub struct Reassembler {
    max_attachments: usize,
    max_bytes: usize,
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Pending {
    packet: Packet,
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

impl Reassembler {
    /// A reassembler that accepts at most `max_attachments` attachments per packet and at most
    /// `max_bytes` attachment bytes per packet (the base64 text 1C receives is 4/3 of that).
    pub fn new(max_attachments: usize, max_bytes: usize) -> Reassembler {
        Reassembler {
            max_attachments,
            max_bytes,
            pending: None,
        }
    }

    /// Takes a decoded packet. Returns it at once (`Some`) unless it is a binary packet that
    /// waits for attachments (`None`: feed the next binary frames to [`push`](Self::push)).
    /// A binary packet with zero attachments is completed at once too.
    ///
    /// Errors: a packet while attachments are still missing ([`DecodeError::MissingAttachments`]),
    /// more attachments than allowed ([`DecodeError::TooManyAttachments`]), and for a zero-attachment
    /// packet the placeholder errors of [`fill_placeholders`].
    pub fn start(&mut self, packet: Packet) -> Result<Option<Packet>, DecodeError> {
        if let Some(pending) = self.pending.take() {
            return Err(DecodeError::MissingAttachments {
                expected: pending.packet.attachments,
                received: pending.buffers.len(),
            });
        }
        if !packet.kind.is_binary() {
            return Ok(Some(packet));
        }
        if packet.attachments > self.max_attachments {
            return Err(DecodeError::TooManyAttachments {
                max: self.max_attachments,
            });
        }
        if packet.attachments == 0 {
            return self.finish(packet, &[]).map(Some);
        }
        let buffers = Vec::with_capacity(packet.attachments.min(64));
        self.pending = Some(Pending {
            packet,
            buffers,
            bytes: 0,
        });
        Ok(None)
    }

    /// Takes the data of one binary Engine.IO message. Returns the packet when this was its last
    /// attachment, else `None`.
    ///
    /// Errors: nothing is waiting ([`DecodeError::UnexpectedBinary`]), the attachments exceed the
    /// byte limit ([`DecodeError::AttachmentsTooLarge`]), and the errors of [`fill_placeholders`].
    pub fn push(&mut self, data: Vec<u8>) -> Result<Option<Packet>, DecodeError> {
        let Some(pending) = self.pending.as_mut() else {
            return Err(DecodeError::UnexpectedBinary);
        };
        pending.bytes = pending.bytes.saturating_add(data.len());
        if pending.bytes > self.max_bytes {
            self.pending = None;
            return Err(DecodeError::AttachmentsTooLarge {
                max_bytes: self.max_bytes,
            });
        }
        pending.buffers.push(data);
        if pending.buffers.len() < pending.packet.attachments {
            return Ok(None);
        }
        match self.pending.take() {
            Some(Pending {
                packet, buffers, ..
            }) => self.finish(packet, &buffers).map(Some),
            None => Ok(None),
        }
    }

    /// True while a binary packet waits for attachments.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Drops a packet being assembled (call it when the connection is lost).
    pub fn reset(&mut self) {
        self.pending = None;
    }

    fn finish(&self, mut packet: Packet, buffers: &[Vec<u8>]) -> Result<Packet, DecodeError> {
        if let Some(payload) = &packet.payload {
            packet.payload = Some(fill_placeholders(payload, buffers, self.max_bytes)?);
        }
        Ok(packet)
    }
}

/// Replaces every placeholder object in the JSON text `json` with the same object plus a
/// `"base64"` field holding its attachment: `{"_placeholder":true,"num":N,"base64":"…"}`.
///
/// Like the reference decoder, any object whose `_placeholder` is `true` is a placeholder, at any
/// depth, whatever its key order, spacing or other keys; its `num` must be a non-negative integer
/// below `attachments.len()`. Everything else is copied byte for byte. `max_bytes` bounds the
/// attachment bytes written (a placeholder repeated many times cannot blow up the output).
pub fn fill_placeholders(
    json: &str,
    attachments: &[Vec<u8>],
    max_bytes: usize,
) -> Result<String, DecodeError> {
    let found = find_placeholders(json)?;
    let mut total: usize = 0;
    let mut refs = Vec::with_capacity(found.len());
    for Found { object: range, num } in found {
        let num = parse_num(json.get(num).unwrap_or_default())?;
        let data = usize::try_from(num)
            .ok()
            .and_then(|n| attachments.get(n))
            .ok_or(DecodeError::PlaceholderOutOfRange {
                num,
                attachments: attachments.len(),
            })?;
        total = total.saturating_add(data.len());
        if total > max_bytes {
            return Err(DecodeError::AttachmentsTooLarge { max_bytes });
        }
        refs.push((range, num, data));
    }
    let extra = refs.iter().fold(json.len(), |n, (_, _, d)| {
        n.saturating_add(d.len().div_ceil(3) * 4 + 48)
    });
    let mut out = String::new();
    // A hint only: `try_reserve` cannot panic on an absurd size, it just fails.
    let _ = out.try_reserve(extra);
    let mut copied = 0;
    for (range, num, data) in refs {
        out.push_str(
            json.get(copied..range.start)
                .ok_or(DecodeError::InvalidUtf8)?,
        );
        out.push_str(r#"{"_placeholder":true,"num":"#);
        push_u64(&mut out, num);
        out.push_str(r#","base64":""#);
        BASE64.encode_string(data, &mut out);
        out.push_str("\"}");
        copied = range.end;
    }
    out.push_str(json.get(copied..).ok_or(DecodeError::InvalidUtf8)?);
    Ok(out)
}

fn parse_num(text: &str) -> Result<u64, DecodeError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecodeError::InvalidPlaceholder);
    }
    text.parse().map_err(|_| DecodeError::InvalidPlaceholder)
}

/// Which member of an object the scanner is in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    Other,
    Placeholder,
    Num,
}

/// A placeholder object found in the JSON text.
struct Found {
    /// The whole object.
    object: Range<usize>,
    /// Its `num` value.
    num: Range<usize>,
}

enum Container {
    Array {
        start: usize,
    },
    Object {
        start: usize,
        key: Key,
        expect_key: bool,
        is_placeholder: bool,
        num: Option<Range<usize>>,
    },
}

/// The outermost placeholder objects in `json`, in order: their byte range and the range of
/// their `num` value. One pass, no recursion.
fn find_placeholders(json: &str) -> Result<Vec<Found>, DecodeError> {
    let malformed = || DecodeError::InvalidJson("malformed payload".to_owned());
    let bytes = json.as_bytes();
    let mut stack: Vec<Container> = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                let end = json::skip_string(bytes, i).ok_or_else(malformed)?;
                match stack.last_mut() {
                    Some(Container::Object {
                        expect_key: expect @ true,
                        key,
                        ..
                    }) => {
                        *key = match json::string_value(json, i, end).as_deref() {
                            Some("_placeholder") => Key::Placeholder,
                            Some("num") => Key::Num,
                            _ => Key::Other,
                        };
                        *expect = false;
                    }
                    _ => on_value(&mut stack, json, i..end),
                }
                i = end;
            }
            b'{' | b'[' => {
                if stack.len() >= MAX_DEPTH {
                    return Err(DecodeError::InvalidJson("nested too deeply".to_owned()));
                }
                stack.push(if b == b'{' {
                    Container::Object {
                        start: i,
                        key: Key::Other,
                        expect_key: true,
                        is_placeholder: false,
                        num: None,
                    }
                } else {
                    Container::Array { start: i }
                });
                i += 1;
            }
            b'}' => {
                let Some(Container::Object {
                    start,
                    is_placeholder,
                    num,
                    ..
                }) = stack.pop()
                else {
                    return Err(malformed());
                };
                let end = i + 1;
                if is_placeholder {
                    let num = num.ok_or(DecodeError::InvalidPlaceholder)?;
                    while found.last().is_some_and(|f| f.object.start > start) {
                        found.pop(); // nested in this one: the outer placeholder wins
                    }
                    found.push(Found {
                        object: start..end,
                        num,
                    });
                }
                on_value(&mut stack, json, start..end);
                i = end;
            }
            b']' => {
                let Some(Container::Array { start }) = stack.pop() else {
                    return Err(malformed());
                };
                on_value(&mut stack, json, start..i + 1);
                i += 1;
            }
            b',' => {
                if let Some(Container::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = true;
                }
                i += 1;
            }
            b':' | b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            _ => {
                let len = bytes
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|&&c| {
                        !matches!(c, b',' | b']' | b'}' | b':' | b'"' | b'{' | b'[')
                            && !json::is_ws(c)
                    })
                    .count()
                    .max(1);
                on_value(&mut stack, json, i..i + len);
                i += len;
            }
        }
    }
    if stack.is_empty() {
        Ok(found)
    } else {
        Err(malformed())
    }
}

/// Records a complete value (its byte range) in the object being scanned, if any.
fn on_value(stack: &mut [Container], json: &str, range: Range<usize>) {
    if let Some(Container::Object {
        key,
        is_placeholder,
        num,
        ..
    }) = stack.last_mut()
    {
        match *key {
            Key::Placeholder => *is_placeholder = json.get(range) == Some("true"),
            Key::Num => *num = Some(range),
            Key::Other => {}
        }
        *key = Key::Other;
    }
}

/// The placeholder object for attachment `num`: `{"_placeholder":true,"num":N}`.
pub fn placeholder(num: usize) -> String {
    let mut out = String::with_capacity(32);
    push_placeholder(&mut out, num);
    out
}

fn push_placeholder(out: &mut String, num: usize) {
    out.push_str(r#"{"_placeholder":true,"num":"#);
    push_u64(out, num as u64);
    out.push('}');
}

/// One argument of an outgoing event or ack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg<'a> {
    /// The text of one valid JSON value, copied as is.
    Json(&'a str),
    /// Bytes sent as a binary attachment (a `Buffer` on a node server).
    Binary(Vec<u8>),
}

/// Encodes an event whose arguments may include binary data:
/// `5<n>-[/nsp,][id]["name",arg…]` with a placeholder for each [`Arg::Binary`], plus the
/// attachments to send, in order, as binary messages right after the packet.
///
/// Without binary arguments this is a plain EVENT (`2…`) with no attachments.
pub fn encode_binary_event(
    nsp: &str,
    id: Option<u64>,
    name: &str,
    args: Vec<Arg<'_>>,
) -> (String, Vec<Vec<u8>>) {
    encode_with_attachments(PacketKind::BinaryEvent, nsp, id, Some(name), args)
}

/// Encodes an acknowledgement of the server's event `id` whose arguments may include binary
/// data: `6<n>-[/nsp,]<id>[arg…]`, or a plain ACK (`3…`) without binary arguments. Returns the
/// attachments as [`encode_binary_event`] does.
pub fn encode_binary_ack(nsp: &str, id: u64, args: Vec<Arg<'_>>) -> (String, Vec<Vec<u8>>) {
    encode_with_attachments(PacketKind::BinaryAck, nsp, Some(id), None, args)
}

fn encode_with_attachments(
    binary_kind: PacketKind,
    nsp: &str,
    id: Option<u64>,
    name: Option<&str>,
    args: Vec<Arg<'_>>,
) -> (String, Vec<Vec<u8>>) {
    let count = args.iter().filter(|a| matches!(a, Arg::Binary(_))).count();
    let kind = match (count, binary_kind) {
        (0, PacketKind::BinaryAck) => PacketKind::Ack,
        (0, _) => PacketKind::Event,
        _ => binary_kind,
    };
    let mut out = String::new();
    push_header(&mut out, kind, count, nsp, id);
    out.push('[');
    if let Some(name) = name {
        json::push_string(&mut out, name);
    }
    let mut attachments = Vec::with_capacity(count);
    for (i, arg) in args.into_iter().enumerate() {
        if i > 0 || name.is_some() {
            out.push(',');
        }
        match arg {
            Arg::Json(text) => out.push_str(text),
            Arg::Binary(data) => {
                push_placeholder(&mut out, attachments.len());
                attachments.push(data);
            }
        }
    }
    out.push(']');
    (out, attachments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::engineio::{self, Packet as EioPacket};
    use crate::protocol::{socketio, EioVersion};

    const ECHO: &str = r#"51-["echo",{"_placeholder":true,"num":0},"Q8JpUqD"]"#;

    fn fill(json: &str, n: usize) -> Result<String, DecodeError> {
        let attachments: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8 + 1; i + 1]).collect();
        fill_placeholders(json, &attachments, usize::MAX)
    }

    #[test]
    fn reassembles_the_observed_echo() {
        // Observed over EIO3 websocket: `451-[…]` then the binary frame 04 01 02 03.
        let mut r = Reassembler::new(10, 1 << 20);
        let EioPacket::Message(text) = engineio::decode_text(format!("4{ECHO}")).unwrap() else {
            panic!()
        };
        assert_eq!(r.start(socketio::decode_owned(text).unwrap()), Ok(None));
        assert!(r.is_pending());
        let EioPacket::Binary(data) =
            engineio::decode_binary(EioVersion::V3, vec![4, 1, 2, 3]).unwrap()
        else {
            panic!()
        };
        let packet = r.push(data).unwrap().unwrap();
        assert!(!r.is_pending());
        assert_eq!(packet.kind, socketio::PacketKind::BinaryEvent);
        assert_eq!(packet.attachments, 1);
        assert_eq!(
            packet.payload.as_deref(),
            Some(r#"["echo",{"_placeholder":true,"num":0,"base64":"AQID"},"Q8JpUqD"]"#)
        );
        let mut event = socketio::Event::from_packet(packet).unwrap();
        assert_eq!(event.name(), "echo");
        assert_eq!(event.take_offset().as_deref(), Some("Q8JpUqD"));
    }

    #[test]
    fn reassembles_several_in_order() {
        let text =
            r#"62-/admin,7[{"a":[{"_placeholder":true,"num":1}]},{"_placeholder":true,"num":0}]"#;
        let mut r = Reassembler::new(10, 100);
        assert_eq!(r.start(socketio::decode(text).unwrap()), Ok(None));
        assert_eq!(r.push(b"first".to_vec()), Ok(None));
        let packet = r.push(vec![]).unwrap().unwrap();
        assert_eq!((&*packet.nsp, packet.id), ("/admin", Some(7)));
        assert_eq!(
            packet.payload.unwrap(),
            r#"[{"a":[{"_placeholder":true,"num":1,"base64":""}]},{"_placeholder":true,"num":0,"base64":"Zmlyc3Q="}]"#
        );
    }

    #[test]
    fn passes_other_packets_through() {
        let mut r = Reassembler::new(10, 100);
        let event = socketio::decode(r#"2["a",{"_placeholder":true,"num":0}]"#).unwrap();
        assert_eq!(r.start(event.clone()), Ok(Some(event)));
        // A binary packet with no attachments completes at once.
        let empty = socketio::decode(r#"50-["a",1]"#).unwrap();
        assert_eq!(r.start(empty.clone()), Ok(Some(empty)));
        let bad = socketio::decode(r#"50-["a",{"_placeholder":true,"num":0}]"#).unwrap();
        assert_eq!(
            r.start(bad),
            Err(DecodeError::PlaceholderOutOfRange {
                num: 0,
                attachments: 0
            })
        );
    }

    #[test]
    fn state_machine_errors() {
        let two = socketio::decode(
            r#"52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        )
        .unwrap();
        let mut r = Reassembler::new(10, 10);
        assert_eq!(r.push(vec![1]), Err(DecodeError::UnexpectedBinary));

        assert_eq!(r.start(two.clone()), Ok(None));
        assert_eq!(r.push(vec![1]), Ok(None));
        let text = socketio::decode("2[\"b\"]").unwrap();
        assert_eq!(
            r.start(text.clone()),
            Err(DecodeError::MissingAttachments {
                expected: 2,
                received: 1
            })
        );
        assert!(!r.is_pending());
        assert_eq!(r.start(text.clone()), Ok(Some(text)));

        assert_eq!(r.start(two.clone()), Ok(None));
        assert_eq!(r.push(vec![0; 6]), Ok(None));
        assert_eq!(
            r.push(vec![0; 5]),
            Err(DecodeError::AttachmentsTooLarge { max_bytes: 10 })
        );
        assert_eq!(r.push(vec![1]), Err(DecodeError::UnexpectedBinary));

        assert_eq!(r.start(two.clone()), Ok(None));
        r.reset();
        assert!(!r.is_pending());

        let mut small = Reassembler::new(1, 10);
        assert_eq!(
            small.start(two),
            Err(DecodeError::TooManyAttachments { max: 1 })
        );
        assert!(!small.is_pending());
    }

    #[test]
    fn placeholder_matching_follows_the_reference_decoder() {
        // Any key order, spacing, extra keys and escaped keys.
        assert_eq!(
            fill(r#"[ { "num" : 0 , "_placeholder" : true } ]"#, 1).unwrap(),
            r#"[ {"_placeholder":true,"num":0,"base64":"AQ=="} ]"#
        );
        assert_eq!(
            fill(
                r#"[{"_placeholder":true,"num":1,"extra":[1,{"x":"}"}]}]"#,
                2
            )
            .unwrap(),
            r#"[{"_placeholder":true,"num":1,"base64":"AgI="}]"#
        );
        assert_eq!(
            fill(r#"[{"\u005fplaceholder":true,"n\u0075m":0}]"#, 1).unwrap(),
            r#"[{"_placeholder":true,"num":0,"base64":"AQ=="}]"#
        );
        // Not placeholders: left byte for byte.
        for json in [
            r#"["{\"_placeholder\":true,\"num\":0}"]"#,
            r#"[{"_placeholder":false,"num":0}]"#,
            r#"[{"_placeholder":"true","num":0}]"#,
            r#"[{"_placeholder":[true],"num":0}]"#,
            r#"[{"a":{"_placeholder":1}}, "_placeholder", true]"#,
            r#"{"num":5,"x":{"_placeholder":null}}"#,
        ] {
            assert_eq!(fill(json, 0).unwrap(), json);
        }
        // A placeholder inside a placeholder: the outer one is replaced as a whole.
        assert_eq!(
            fill(
                r#"[{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":9}}]"#,
                1
            )
            .unwrap(),
            r#"[{"_placeholder":true,"num":0,"base64":"AQ=="}]"#
        );
    }

    #[test]
    fn placeholder_errors() {
        let out_of_range =
            |num, attachments| Err(DecodeError::PlaceholderOutOfRange { num, attachments });
        assert_eq!(
            fill(r#"[{"_placeholder":true,"num":1}]"#, 1),
            out_of_range(1, 1)
        );
        assert_eq!(
            fill(r#"[{"_placeholder":true,"num":18446744073709551615}]"#, 1),
            out_of_range(u64::MAX, 1)
        );
        for bad in [
            r#"[{"_placeholder":true}]"#,
            r#"[{"_placeholder":true,"num":"0"}]"#,
            r#"[{"_placeholder":true,"num":0.5}]"#,
            r#"[{"_placeholder":true,"num":1e0}]"#,
            r#"[{"_placeholder":true,"num":-1}]"#,
            r#"[{"_placeholder":true,"num":null}]"#,
            r#"[{"_placeholder":true,"num":[0]}]"#,
            r#"[{"_placeholder":true,"num":18446744073709551616}]"#,
        ] {
            assert_eq!(fill(bad, 3), Err(DecodeError::InvalidPlaceholder), "{bad}");
        }
        for bad in ["[", "]", "{]", "[\"a", "[{\"a\":1]", "}"] {
            assert!(
                matches!(fill(bad, 1), Err(DecodeError::InvalidJson(_))),
                "{bad}"
            );
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(matches!(fill(&deep, 0), Err(DecodeError::InvalidJson(_))));
        // A placeholder repeated many times cannot multiply the output beyond the limit.
        let many = format!(
            "[{}]",
            vec![r#"{"_placeholder":true,"num":0}"#; 100].join(",")
        );
        assert_eq!(
            fill_placeholders(&many, &[vec![0; 10]], 500),
            Err(DecodeError::AttachmentsTooLarge { max_bytes: 500 })
        );
    }

    #[test]
    fn encodes_binary_arguments() {
        assert_eq!(placeholder(3), r#"{"_placeholder":true,"num":3}"#);
        let (text, blobs) = encode_binary_event(
            "/admin",
            Some(7),
            "ev",
            vec![Arg::Binary(vec![1, 2, 3]), Arg::Binary(vec![4])],
        );
        assert_eq!(
            text,
            r#"52-/admin,7["ev",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
        );
        assert_eq!(blobs, vec![vec![1, 2, 3], vec![4]]);

        let (text, blobs) = encode_binary_event(
            "/",
            None,
            "echo",
            vec![Arg::Binary(vec![1, 2, 3]), Arg::Json("\"x\"")],
        );
        assert_eq!(text, r#"51-["echo",{"_placeholder":true,"num":0},"x"]"#);
        assert_eq!(blobs.len(), 1);

        let (text, blobs) = encode_binary_event("/", Some(1), "plain", vec![Arg::Json("1")]);
        assert_eq!((text.as_str(), blobs.len()), (r#"21["plain",1]"#, 0));

        let (text, blobs) =
            encode_binary_ack("/", 4, vec![Arg::Json("null"), Arg::Binary(vec![9])]);
        assert_eq!(text, r#"61-4[null,{"_placeholder":true,"num":0}]"#);
        assert_eq!(blobs, vec![vec![9]]);
        assert_eq!(
            encode_binary_ack("/x", 4, vec![]),
            ("3/x,4[]".to_owned(), vec![])
        );

        // What we send, a reassembler on the other side rebuilds.
        let (text, blobs) = encode_binary_event(
            "/",
            Some(2),
            "e",
            vec![Arg::Binary(b"hi".to_vec()), Arg::Binary(vec![])],
        );
        let mut r = Reassembler::new(10, 100);
        assert_eq!(r.start(socketio::decode(&text).unwrap()), Ok(None));
        let mut done = None;
        for blob in blobs {
            done = r.push(blob).unwrap();
        }
        assert_eq!(
            done.unwrap().payload.unwrap(),
            r#"["e",{"_placeholder":true,"num":0,"base64":"aGk="},{"_placeholder":true,"num":1,"base64":""}]"#
        );
    }

    #[test]
    fn garbage_never_panics() {
        let alphabet: &[u8] = b"{}[]\",:01 tru_placeholdnm\\\xc3\xa9";
        let mut seed = 0x1234_5678_9abc_def1u64;
        for _ in 0..50_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    alphabet[((seed.rotate_left(i as u32 * 5)) % alphabet.len() as u64) as usize]
                })
                .collect();
            let _ = fill(&String::from_utf8_lossy(&bytes), 2);
        }
        let _ = fill(r#"[{"_placeholder":true,"num":0}"#, 1);
        let _ = fill(r#"{"_placeholder":true,"num":0,"#, 1);
    }
}
