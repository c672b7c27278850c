//! Socket.IO packets (`<type>[<n>-][<nsp>,][<ackId>][<JSON>]`) for protocol rev 4 (socket.io
//! 1.x/2.x) and rev 5 (3.x/4.x), which share this format, plus the helpers a client needs around
//! them: the server's events decoded once ([`Event`]), event/ack encoders working on raw JSON
//! text, CONNECT replies and CONNECT_ERROR messages, reserved event names.
//!
//! Payloads stay raw JSON text (validated, never turned into a `Value` tree) so they reach 1C
//! as the server wrote them (arguments only compacted, as `JSON.stringify` writes them), and
//! outgoing arguments from 1C go out without re-serialisation.
//!
//! Does NOT add or strip the Engine.IO `4` (see [`super::engineio`]), collect binary attachments
//! (see [`super::binary`]), or track namespaces and ack ids: that is the connection's state.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use serde_json::value::RawValue;

use super::json;
use super::DecodeError;

/// The most attachments [`decode`] accepts in one binary packet. (socket.io-parser ≥ 4.2.6
/// limits its own decoder to 10 by default; a [`super::binary::Reassembler`] takes its own,
/// usually lower, limit.)
pub const MAX_ATTACHMENTS: usize = 1000;

/// Event names the Socket.IO client uses itself. The JS client refuses to emit them, and a 4.x
/// server closes the whole connection when it receives one.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// True if `name` is one of [`RESERVED_EVENTS`] (case-sensitive, as in the JS client).
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}

/// The Socket.IO packet type (the first digit of the packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketKind {
    /// `0`: join a namespace (client) or confirm the join (server).
    Connect = 0,
    /// `1`: leave a namespace.
    Disconnect = 1,
    /// `2`: an event: `["name", args…]`.
    Event = 2,
    /// `3`: an acknowledgement: `[args…]` with the ack id of the event it answers.
    Ack = 3,
    /// `4`: the server refused the namespace (called ERROR in rev 4).
    ConnectError = 4,
    /// `5`: an event with binary attachments.
    BinaryEvent = 5,
    /// `6`: an acknowledgement with binary attachments.
    BinaryAck = 6,
}

impl PacketKind {
    /// The packet kind for an ASCII digit (`b'0'`…`b'6'`).
    pub fn from_digit(digit: u8) -> Option<PacketKind> {
        Some(match digit {
            b'0' => PacketKind::Connect,
            b'1' => PacketKind::Disconnect,
            b'2' => PacketKind::Event,
            b'3' => PacketKind::Ack,
            b'4' => PacketKind::ConnectError,
            b'5' => PacketKind::BinaryEvent,
            b'6' => PacketKind::BinaryAck,
            _ => return None,
        })
    }

    /// The digit written on the wire.
    pub fn digit(self) -> char {
        char::from(b'0' + self as u8)
    }

    /// True for [`PacketKind::BinaryEvent`] and [`PacketKind::BinaryAck`], which carry `<n>-`.
    pub fn is_binary(self) -> bool {
        matches!(self, PacketKind::BinaryEvent | PacketKind::BinaryAck)
    }

    /// True for the kinds whose payload is an argument array: events and acknowledgements.
    pub fn carries_args(self) -> bool {
        !matches!(
            self,
            PacketKind::Connect | PacketKind::Disconnect | PacketKind::ConnectError
        )
    }
}

/// One Socket.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The packet type.
    pub kind: PacketKind,
    /// The namespace, `/` for the main one. In rev 4 a CONNECT's namespace may carry a query
    /// (`/admin?token=abc`). Borrowed for `/`, which most packets are on: no allocation per
    /// packet there.
    pub nsp: Cow<'static, str>,
    /// The ack id: on an event, the server wants an acknowledgement with this id; on an ack, the
    /// id of the event it answers.
    pub id: Option<u64>,
    /// The number of binary attachments that follow a binary packet (0 for other kinds).
    pub attachments: usize,
    /// The JSON payload as raw text, validated and without surrounding whitespace; the arguments
    /// of events and acknowledgements (which reach 1C) as [`json::compact`] writes them.
    pub payload: Option<String>,
}

impl Packet {
    /// A CONNECT for `nsp` with an optional payload (rev 5 auth object; rev 4 sends none).
    pub fn connect(nsp: &str, payload: Option<String>) -> Packet {
        Packet {
            kind: PacketKind::Connect,
            nsp: namespace_of(nsp),
            id: None,
            attachments: 0,
            payload,
        }
    }

    /// A DISCONNECT for `nsp`.
    pub fn disconnect(nsp: &str) -> Packet {
        Packet::connect(nsp, None).with_kind(PacketKind::Disconnect)
    }

    fn with_kind(mut self, kind: PacketKind) -> Packet {
        self.kind = kind;
        self
    }
}

/// What [`parse_header`] found before the payload.
struct Header {
    kind: PacketKind,
    attachments: usize,
    nsp: Option<Range<usize>>,
    id: Option<u64>,
    payload_start: usize,
}

/// Decodes the text of a Socket.IO packet (an Engine.IO `message` without its `4`).
///
/// Follows the reference decoder: the namespace runs to a `,` or to the end of the text
/// (`40/admin`, sent by socket.io 1.x); the ack id is the digits after it. Also checks the
/// payload is well-formed JSON whose top-level type fits the packet (CONNECT: object;
/// DISCONNECT: none; CONNECT_ERROR: string or object; EVENT and ACK kinds: array), and compacts
/// the arguments of events and acknowledgements in the same pass. The event name is checked by
/// [`Event::from_packet`].
pub fn decode(text: &str) -> Result<Packet, DecodeError> {
    let header = parse_header(text)?;
    let payload = find_payload(text, &header)?.map(|found| match found {
        Found::At(range) => text.get(range).unwrap_or_default().to_owned(),
        Found::Compacted(payload) => payload,
    });
    Ok(packet(text, header, payload))
}

/// Like [`decode`], but reuses the allocation of `text` for the payload (the header is removed
/// in place), which saves a copy per received event.
pub fn decode_owned(mut text: String) -> Result<Packet, DecodeError> {
    let header = parse_header(&text)?;
    let found = find_payload(&text, &header)?;
    let nsp = namespace(&text, &header);
    let payload = match found {
        // Both ends sit next to ASCII bytes, so they are char boundaries; `get` re-checks that
        // so `truncate` and `drain` can never panic.
        Some(Found::At(range)) if text.get(range.clone()).is_some() => {
            text.truncate(range.end);
            text.drain(..range.start);
            Some(text)
        }
        Some(Found::At(_)) => return Err(DecodeError::InvalidUtf8),
        Some(Found::Compacted(payload)) => Some(payload),
        None => None,
    };
    Ok(Packet {
        kind: header.kind,
        nsp,
        id: header.id,
        attachments: header.attachments,
        payload,
    })
}

fn packet(text: &str, header: Header, payload: Option<String>) -> Packet {
    let nsp = namespace(text, &header);
    Packet {
        kind: header.kind,
        nsp,
        id: header.id,
        attachments: header.attachments,
        payload,
    }
}

fn namespace(text: &str, header: &Header) -> Cow<'static, str> {
    match &header.nsp {
        Some(range) => namespace_of(text.get(range.clone()).unwrap_or("/")),
        None => Cow::Borrowed("/"),
    }
}

/// `nsp` as a packet holds it: borrowed for the main namespace.
fn namespace_of(nsp: &str) -> Cow<'static, str> {
    match nsp {
        "/" => Cow::Borrowed("/"),
        other => Cow::Owned(other.to_owned()),
    }
}

fn parse_header(text: &str) -> Result<Header, DecodeError> {
    let bytes = text.as_bytes();
    let first = *bytes.first().ok_or(DecodeError::Empty)?;
    let kind = PacketKind::from_digit(first).ok_or(DecodeError::UnknownPacketType(first))?;
    let mut i = 1;

    let mut attachments = 0;
    if kind.is_binary() {
        let digits = count_digits(bytes, i);
        if digits == 0 || bytes.get(i + digits) != Some(&b'-') {
            return Err(DecodeError::InvalidAttachmentCount);
        }
        attachments = parse_decimal(bytes, i, digits)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n <= MAX_ATTACHMENTS)
            .ok_or(DecodeError::TooManyAttachments {
                max: MAX_ATTACHMENTS,
            })?;
        i += digits + 1;
    }

    let mut nsp = None;
    if bytes.get(i) == Some(&b'/') {
        let rest = bytes.get(i..).unwrap_or_default();
        let len = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
        if rest
            .iter()
            .take(len)
            .any(|b| matches!(b, b'[' | b'{' | b'"'))
        {
            return Err(DecodeError::InvalidNamespace);
        }
        nsp = Some(i..i + len);
        i += len;
        if bytes.get(i) == Some(&b',') {
            i += 1;
        }
    }

    let mut id = None;
    let digits = count_digits(bytes, i);
    if digits > 0 {
        id = Some(parse_decimal(bytes, i, digits).ok_or(DecodeError::InvalidAckId)?);
        i += digits;
    }
    Ok(Header {
        kind,
        attachments,
        nsp,
        id,
        payload_start: i,
    })
}

fn count_digits(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// The value of `bytes[from..from + len]` (ASCII digits), or `None` on u64 overflow.
fn parse_decimal(bytes: &[u8], from: usize, len: usize) -> Option<u64> {
    bytes
        .get(from..from.checked_add(len)?)?
        .iter()
        .try_fold(0u64, |n, &d| {
            n.checked_mul(10)?
                .checked_add(u64::from(d.wrapping_sub(b'0')))
        })
}

/// A validated payload, as [`find_payload`] finds it.
enum Found {
    /// In the packet's text, as it is (trimmed).
    At(Range<usize>),
    /// Arguments that had to be compacted.
    Compacted(String),
}

/// The trimmed, validated payload (arguments compacted); `None` if the packet has none.
fn find_payload(text: &str, header: &Header) -> Result<Option<Found>, DecodeError> {
    let rest = text.get(header.payload_start..).unwrap_or_default();
    if rest.is_empty() {
        return Ok(None);
    }
    // Arguments reach 1C compact (python servers escape non-ASCII and put spaces between
    // tokens); the validating pass tells whether that needs a copy.
    let value = if header.kind.carries_args() {
        json::validate_compact(rest)?
    } else {
        Cow::Borrowed(json::validate(rest)?)
    };
    check_shape(header.kind, &value)?;
    Ok(Some(match value {
        Cow::Borrowed(value) => {
            // `validate` skips the same whitespace as `trim_start_matches`, so `value` starts
            // here.
            let start =
                header.payload_start + (rest.len() - rest.trim_start_matches(is_json_ws).len());
            Found::At(start..start + value.len())
        }
        Cow::Owned(compacted) => Found::Compacted(compacted),
    }))
}

fn is_json_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The top-level JSON type each packet kind allows (socket.io-parser `isPayloadValid`).
fn check_shape(kind: PacketKind, value: &str) -> Result<(), DecodeError> {
    let first = value.as_bytes().first().copied();
    let (ok, rule) = match kind {
        PacketKind::Connect => (
            first == Some(b'{'),
            "a CONNECT payload must be a JSON object",
        ),
        PacketKind::Disconnect => (false, "a DISCONNECT packet must not have a payload"),
        PacketKind::ConnectError => (
            matches!(first, Some(b'"' | b'{')),
            "a CONNECT_ERROR payload must be a JSON string or object",
        ),
        PacketKind::Event | PacketKind::BinaryEvent => {
            (first == Some(b'['), "an EVENT payload must be a JSON array")
        }
        PacketKind::Ack | PacketKind::BinaryAck => {
            (first == Some(b'['), "an ACK payload must be a JSON array")
        }
    };
    if ok {
        Ok(())
    } else {
        Err(DecodeError::InvalidPayload(rule))
    }
}

/// Encodes a packet as Socket.IO text (to be sent as an Engine.IO `message`).
///
/// Like the JS encoder: the namespace is omitted when it is `/` (or empty) and otherwise always
/// followed by `,` (`41/admin,`); the payload is written as is, so it must be valid JSON.
pub fn encode(packet: &Packet) -> String {
    let mut out = String::new();
    encode_into(packet, &mut out);
    out
}

/// Appends the encoding of `packet` (see [`encode`]) to `out`. Start `out` with `"4"` to build the
/// Engine.IO message without another copy.
pub fn encode_into(packet: &Packet, out: &mut String) {
    let payload = packet.payload.as_deref().unwrap_or_default();
    out.reserve(packet.nsp.len() + payload.len() + 24);
    push_header(out, packet.kind, packet.attachments, &packet.nsp, packet.id);
    out.push_str(payload);
}

/// Appends `<type>[<n>-][<nsp>,][<id>]`.
pub(crate) fn push_header(
    out: &mut String,
    kind: PacketKind,
    attachments: usize,
    nsp: &str,
    id: Option<u64>,
) {
    out.push(kind.digit());
    if kind.is_binary() {
        push_u64(out, attachments as u64);
        out.push('-');
    }
    if !nsp.is_empty() && nsp != "/" {
        out.push_str(nsp);
        out.push(',');
    }
    if let Some(id) = id {
        push_u64(out, id);
    }
}

/// Appends `n` in decimal.
pub(crate) fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &buf[at..] {
        out.push(char::from(d));
    }
}

/// Encodes an EVENT: `2[/nsp,][id]["name",arg1,arg2,…]`.
///
/// Each of `args_json` must be the text of one valid JSON value (check user input with
/// [`json::validate`]); they are copied as they are, nothing is parsed or re-serialised.
/// The name is escaped as a JSON string.
pub fn encode_event(nsp: &str, id: Option<u64>, name: &str, args_json: &[&str]) -> String {
    let mut out = String::new();
    encode_event_into(&mut out, nsp, id, name, args_json);
    out
}

/// Appends an EVENT (see [`encode_event`]) to `out`. Start `out` with `"4"` to build the
/// Engine.IO message directly.
pub fn encode_event_into(
    out: &mut String,
    nsp: &str,
    id: Option<u64>,
    name: &str,
    args_json: &[&str],
) {
    let args_len: usize = args_json.iter().map(|a| a.len() + 1).sum();
    out.reserve(nsp.len() + name.len() + args_len + 26);
    push_header(out, PacketKind::Event, 0, nsp, id);
    out.push('[');
    json::push_string(out, name);
    for arg in args_json {
        out.push(',');
        out.push_str(arg);
    }
    out.push(']');
}

/// Encodes an ACK answering the server's event `id`: `3[/nsp,]<id>[arg1,arg2,…]`.
/// `args_json` as for [`encode_event`].
pub fn encode_ack(nsp: &str, id: u64, args_json: &[&str]) -> String {
    let mut out = String::new();
    encode_ack_into(&mut out, nsp, id, args_json);
    out
}

/// Appends an ACK (see [`encode_ack`]) to `out`.
pub fn encode_ack_into(out: &mut String, nsp: &str, id: u64, args_json: &[&str]) {
    let args_len: usize = args_json.iter().map(|a| a.len() + 1).sum();
    out.reserve(nsp.len() + args_len + 24);
    push_header(out, PacketKind::Ack, 0, nsp, Some(id));
    out.push('[');
    for (i, arg) in args_json.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(arg);
    }
    out.push(']');
}

/// An EVENT or BINARY_EVENT from the server, decoded once: the Engine makes it of the complete
/// packet, and the Connection, the Registry and the text 1C receives take it as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The whole argument array, name first, compact (see [`Packet::payload`]): what 1C
    /// receives as the message data.
    args: String,
    name: Name,
    /// The ack id, when the server asks for an acknowledgement.
    pub ack_id: Option<u64>,
    /// A BINARY_EVENT: its attachments are in `args` (see [`super::binary`]).
    pub binary: bool,
}

/// Where an event's name is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Name {
    /// In the arguments, as it is: the inside of a string literal without escapes, or the text
    /// of a number (no allocation: almost every name).
    At(Range<usize>),
    /// A literal with escapes, unescaped.
    Unescaped(Box<str>),
}

impl Event {
    /// The event in a decoded EVENT or BINARY_EVENT packet (its attachments in place).
    ///
    /// The payload must be a non-empty JSON array whose first element is a string or a number.
    /// Reserved names are not rejected here: check [`is_reserved_event`] if needed. Only the
    /// name is read: the rest is valid JSON, as [`decode`] guarantees.
    pub fn from_packet(packet: Packet) -> Result<Event, DecodeError> {
        let args = packet.payload.unwrap_or_default();
        let name = find_name(&args)?;
        Ok(Event {
            args,
            name,
            ack_id: packet.id,
            binary: packet.kind == PacketKind::BinaryEvent,
        })
    }

    /// The event name, unescaped. A numeric name (allowed by the server's rules) is its JSON
    /// text, e.g. `"1"`.
    pub fn name(&self) -> &str {
        match &self.name {
            Name::At(range) => self.args.get(range.clone()).unwrap_or_default(),
            Name::Unescaped(name) => name,
        }
    }

    /// The whole argument array, name first.
    pub fn args(&self) -> &str {
        &self.args
    }

    /// The argument array, for 1C.
    pub fn into_args(self) -> String {
        self.args
    }

    /// Takes the connection-state recovery offset off the arguments (see
    /// [`super::recovery::split_offset`]) and returns it; `None` when there is none. The server
    /// appends one only to events without an ack id, and only when recovery is on: call it then.
    pub fn take_offset(&mut self) -> Option<String> {
        if self.ack_id.is_some() {
            return None;
        }
        let (end, offset) = super::recovery::split_offset(&self.args)?;
        self.args.truncate(end);
        self.args.push(']');
        Some(offset)
    }
}

/// Where the name is in `array`, an event's payload.
fn find_name(array: &str) -> Result<Name, DecodeError> {
    const NOT_ARRAY: DecodeError =
        DecodeError::InvalidPayload("an EVENT payload must be a JSON array");
    let bytes = array.as_bytes();
    if bytes.first() != Some(&b'[') {
        return Err(NOT_ARRAY);
    }
    let start = 1 + count_ws(bytes, 1);
    let (name, end) = match bytes.get(start) {
        Some(b']') => {
            return Err(DecodeError::InvalidPayload(
                "an EVENT payload must not be an empty array",
            ))
        }
        Some(b'"') => {
            let end = json::skip_string(bytes, start).ok_or(NOT_ARRAY)?;
            let inside = start + 1..end - 1;
            let name = if bytes
                .get(inside.clone())
                .unwrap_or_default()
                .contains(&b'\\')
            {
                let name = json::string_value(array, start, end)
                    .ok_or_else(|| DecodeError::InvalidJson("invalid event name".to_owned()))?;
                Name::Unescaped(name.into())
            } else {
                Name::At(inside)
            };
            (name, end)
        }
        Some(b'-' | b'0'..=b'9') => {
            let len = bytes
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .count();
            (Name::At(start..start + len), start + len)
        }
        Some(_) => {
            return Err(DecodeError::InvalidPayload(
                "the event name must be a JSON string or number",
            ))
        }
        None => return Err(NOT_ARRAY),
    };
    match bytes.get(end + count_ws(bytes, end)) {
        Some(b',' | b']') => Ok(name),
        _ => Err(NOT_ARRAY),
    }
}

fn count_ws(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| json::is_ws(b))
        .count()
}

/// The message of a CONNECT_ERROR, and its data, as [`connect_error_message`] reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    /// The human-readable reason.
    pub message: String,
    /// Extra data from the server (rev 5 `data`, e.g. a middleware's `err.data`), as raw JSON.
    pub data: Option<String>,
}

/// The message used when a CONNECT_ERROR carries none.
pub const DEFAULT_CONNECT_ERROR: &str = "the server refused the connection";

/// Reads the payload of a CONNECT_ERROR (ERROR in rev 4).
///
/// * rev 4: a JSON string (`44/nope,"Invalid namespace"`): that string, no data;
/// * rev 5: `{"message":…,"data":…}`: the message (its JSON text if it is not a string) and the
///   raw `data`, `None` when absent or `null`;
/// * an object without `message` (socket.io 2.x sends a middleware's `err.data` this way): its
///   JSON text is both message and data;
/// * anything else: its text as the message; no payload: [`DEFAULT_CONNECT_ERROR`].
pub fn connect_error_message(payload: Option<&str>) -> ConnectError {
    let text = json::trim(payload.unwrap_or_default());
    let plain = |message: &str| ConnectError {
        message: message.to_owned(),
        data: None,
    };
    if text.is_empty() {
        return plain(DEFAULT_CONNECT_ERROR);
    }
    if text.starts_with('"') {
        return serde_json::from_str::<String>(text)
            .map(|message| ConnectError {
                message,
                data: None,
            })
            .unwrap_or_else(|_| plain(text));
    }
    let Ok(map) = serde_json::from_str::<HashMap<String, &RawValue>>(text) else {
        return plain(text);
    };
    let data = map
        .get("data")
        .map(|d| d.get())
        .filter(|d| *d != "null")
        .map(str::to_owned);
    match map.get("message").map(|m| m.get()) {
        Some(m) => ConnectError {
            message: serde_json::from_str::<String>(m).unwrap_or_else(|_| m.to_owned()),
            data,
        },
        None => ConnectError {
            message: text.to_owned(),
            data: Some(text.to_owned()),
        },
    }
}

/// What a server's CONNECT reply says (rev 5: `40{"sid":…,"pid":…}`; rev 4 replies carry
/// nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectReply {
    /// The socket id of this namespace connection (rev 5).
    pub sid: Option<String>,
    /// The private session id for connection-state recovery, when the server has it enabled.
    pub pid: Option<String>,
}

/// Reads the payload of a CONNECT reply. Missing, non-object or non-string fields give `None`.
pub fn connect_reply(payload: Option<&str>) -> ConnectReply {
    let Some(Ok(map)) =
        payload.map(serde_json::from_str::<serde_json::Map<String, serde_json::Value>>)
    else {
        return ConnectReply::default();
    };
    let field = |key: &str| map.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    ConnectReply {
        sid: field("sid"),
        pid: field("pid"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(
        kind: PacketKind,
        nsp: &str,
        id: Option<u64>,
        attachments: usize,
        payload: Option<&str>,
    ) -> Packet {
        Packet {
            kind,
            nsp: namespace_of(nsp),
            id,
            attachments,
            payload: payload.map(str::to_owned),
        }
    }

    /// Decodes with both entry points and checks they agree.
    fn dec(text: &str) -> Result<Packet, DecodeError> {
        let a = decode(text);
        assert_eq!(
            a,
            decode_owned(text.to_owned()),
            "decode_owned differs for {text:?}"
        );
        a
    }

    #[test]
    fn connect_packets() {
        use PacketKind::Connect;
        assert_eq!(dec("0").unwrap(), p(Connect, "/", None, 0, None));
        // socket.io 1.x replies without the comma; 2.x with it.
        assert_eq!(dec("0/admin").unwrap(), p(Connect, "/admin", None, 0, None));
        assert_eq!(
            dec("0/admin,").unwrap(),
            p(Connect, "/admin", None, 0, None)
        );
        assert_eq!(
            dec("0/admin?token=abc,").unwrap(),
            p(Connect, "/admin?token=abc", None, 0, None)
        );
        let reply = dec(r#"0{"sid":"QmtBSu","pid":"e9vb"}"#).unwrap();
        assert_eq!(
            reply,
            p(
                Connect,
                "/",
                None,
                0,
                Some(r#"{"sid":"QmtBSu","pid":"e9vb"}"#)
            )
        );
        assert_eq!(
            connect_reply(reply.payload.as_deref()),
            ConnectReply {
                sid: Some("QmtBSu".into()),
                pid: Some("e9vb".into())
            }
        );
        let reply = dec(r#"0/admin,{"sid":"x"}"#).unwrap();
        assert_eq!(reply.nsp, "/admin");
        assert_eq!(
            connect_reply(reply.payload.as_deref()),
            ConnectReply {
                sid: Some("x".into()),
                pid: None
            }
        );
    }

    #[test]
    fn disconnect_and_errors() {
        assert_eq!(
            dec("1").unwrap(),
            p(PacketKind::Disconnect, "/", None, 0, None)
        );
        assert_eq!(
            dec("1/admin,").unwrap(),
            p(PacketKind::Disconnect, "/admin", None, 0, None)
        );
        assert_eq!(
            dec("1/custom").unwrap(),
            p(PacketKind::Disconnect, "/custom", None, 0, None)
        );

        // Rev 4 (observed from 2.5.1) and rev 5 (observed from 4.8.1) refusals.
        let v4 = dec(r#"4/nope,"Invalid namespace""#).unwrap();
        assert_eq!(
            v4,
            p(
                PacketKind::ConnectError,
                "/nope",
                None,
                0,
                Some(r#""Invalid namespace""#)
            )
        );
        let v5 = dec(r#"4/nope,{"message":"Invalid namespace"}"#).unwrap();
        for packet in [v4, v5] {
            assert_eq!(
                connect_error_message(packet.payload.as_deref()),
                ConnectError {
                    message: "Invalid namespace".into(),
                    data: None
                }
            );
        }
    }

    #[test]
    fn events_and_acks() {
        use PacketKind::*;
        assert_eq!(
            dec(r#"2["welcome",{"nsp":"/"}]"#).unwrap(),
            p(Event, "/", None, 0, Some(r#"["welcome",{"nsp":"/"}]"#))
        );
        assert_eq!(
            dec(r#"2["echo","€😀"]"#).unwrap().payload.unwrap(),
            r#"["echo","€😀"]"#
        );
        // Observed: client 4212["ack","x"] → server 4312["x"].
        assert_eq!(
            dec(r#"212["ack","x"]"#).unwrap(),
            p(Event, "/", Some(12), 0, Some(r#"["ack","x"]"#))
        );
        assert_eq!(
            dec(r#"312["x"]"#).unwrap(),
            p(Ack, "/", Some(12), 0, Some(r#"["x"]"#))
        );
        assert_eq!(
            dec("3/admin,0[]").unwrap(),
            p(Ack, "/admin", Some(0), 0, Some("[]"))
        );
        assert_eq!(
            dec(r#"218446744073709551615["a"]"#).unwrap().id,
            Some(u64::MAX)
        );
        // Whitespace around the payload is dropped; arguments are compacted, nothing else is.
        assert_eq!(dec("2 [\"a\"]\n").unwrap().payload.unwrap(), r#"["a"]"#);
        assert_eq!(
            dec("3/admin,0[ \"\\u00e9\" ]").unwrap().payload.unwrap(),
            r#"["é"]"#
        );
        assert_eq!(
            dec(r#"4{ "message": "\u00e9" }"#).unwrap().payload.unwrap(),
            r#"{ "message": "\u00e9" }"#
        );
    }

    #[test]
    fn binary_headers() {
        use PacketKind::*;
        let text = r#"51-["echo",{"_placeholder":true,"num":0},"Q8JpUqD"]"#;
        assert_eq!(
            dec(text).unwrap(),
            p(BinaryEvent, "/", None, 1, Some(&text[3..]))
        );
        let text =
            r#"52-/admin,7["ev",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        assert_eq!(
            dec(text).unwrap(),
            p(BinaryEvent, "/admin", Some(7), 2, Some(&text[11..]))
        );
        assert_eq!(
            dec("61-3[1]").unwrap(),
            p(BinaryAck, "/", Some(3), 1, Some("[1]"))
        );
        assert_eq!(dec("50-[\"a\"]").unwrap().attachments, 0);
        assert_eq!(dec("51000-[\"a\"]").unwrap().attachments, MAX_ATTACHMENTS);
    }

    #[test]
    fn rejections() {
        let cases: &[(&str, DecodeError)] = &[
            ("", DecodeError::Empty),
            ("7", DecodeError::UnknownPacketType(b'7')),
            ("/", DecodeError::UnknownPacketType(b'/')),
            ("€", DecodeError::UnknownPacketType(0xe2)),
            ("5-[\"a\"]", DecodeError::InvalidAttachmentCount),
            ("5x-[\"a\"]", DecodeError::InvalidAttachmentCount),
            ("51[\"a\"]", DecodeError::InvalidAttachmentCount),
            ("5", DecodeError::InvalidAttachmentCount),
            (
                "51001-[\"a\"]",
                DecodeError::TooManyAttachments {
                    max: MAX_ATTACHMENTS,
                },
            ),
            (
                "59999999999999999999999999-[]",
                DecodeError::TooManyAttachments {
                    max: MAX_ATTACHMENTS,
                },
            ),
            ("218446744073709551616[\"a\"]", DecodeError::InvalidAckId),
            ("2/admin[\"a\"]", DecodeError::InvalidNamespace),
            ("2/admin{", DecodeError::InvalidNamespace),
            (
                "2{}",
                DecodeError::InvalidPayload("an EVENT payload must be a JSON array"),
            ),
            (
                "2\"a\"",
                DecodeError::InvalidPayload("an EVENT payload must be a JSON array"),
            ),
            (
                "0[]",
                DecodeError::InvalidPayload("a CONNECT payload must be a JSON object"),
            ),
            (
                "1{}",
                DecodeError::InvalidPayload("a DISCONNECT packet must not have a payload"),
            ),
            (
                "4[1]",
                DecodeError::InvalidPayload(
                    "a CONNECT_ERROR payload must be a JSON string or object",
                ),
            ),
            (
                "3{}",
                DecodeError::InvalidPayload("an ACK payload must be a JSON array"),
            ),
            (
                "61-\"x\"",
                DecodeError::InvalidPayload("an ACK payload must be a JSON array"),
            ),
        ];
        for (text, err) in cases {
            assert_eq!(dec(text).as_ref(), Err(err), "{text:?}");
        }
        for text in [
            "2[\"a\"",
            "2   ",
            "2[\"a\"] x",
            "2,[\"a\"]",
            "2[1,]",
            "0/admin,x",
        ] {
            assert!(
                matches!(dec(text), Err(DecodeError::InvalidJson(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn decode_owned_reuses_allocation() {
        let mut text = String::with_capacity(64);
        text.push_str(r#"2/admin,5["a",1]"#);
        let ptr = text.as_ptr();
        let packet = decode_owned(text).unwrap();
        assert_eq!(packet.payload.as_deref(), Some(r#"["a",1]"#));
        let payload = packet.payload.unwrap();
        assert_eq!(payload.as_ptr(), ptr);
    }

    #[test]
    fn encodes_like_the_js_encoder() {
        use PacketKind::*;
        let cases = [
            (p(Connect, "/", None, 0, None), "0"),
            (
                p(Connect, "/admin", None, 0, Some(r#"{"token":"abc"}"#)),
                r#"0/admin,{"token":"abc"}"#,
            ),
            (
                p(Connect, "/admin?token=abc", None, 0, None),
                "0/admin?token=abc,",
            ),
            (p(Disconnect, "/admin", None, 0, None), "1/admin,"),
            (p(Disconnect, "", None, 0, None), "1"),
            (
                p(Event, "/", Some(12), 0, Some(r#"["ack","x"]"#)),
                r#"212["ack","x"]"#,
            ),
            (p(Ack, "/admin", Some(3), 0, Some("[]")), "3/admin,3[]"),
            (
                p(
                    BinaryEvent,
                    "/admin",
                    Some(7),
                    2,
                    Some(r#"["ev",{"_placeholder":true,"num":0}]"#),
                ),
                r#"52-/admin,7["ev",{"_placeholder":true,"num":0}]"#,
            ),
            (p(BinaryAck, "/", Some(0), 1, Some("[1]")), "61-0[1]"),
        ];
        for (packet, text) in cases {
            assert_eq!(encode(&packet), text);
            let mut back = decode(text).unwrap();
            if back.nsp == "/" {
                back.nsp = packet.nsp.clone(); // "" and "/" both mean the main namespace
            }
            if packet.nsp.is_empty() {
                back.nsp = Cow::Borrowed("");
            }
            assert_eq!(back, packet);
        }
        assert_eq!(encode(&Packet::connect("/", None)), "0");
        assert_eq!(encode(&Packet::disconnect("/chat")), "1/chat,");
        let mut out = String::from("4");
        encode_into(&Packet::connect("/admin", Some("{}".into())), &mut out);
        assert_eq!(out, "40/admin,{}");
        let mut out = String::new();
        push_u64(&mut out, u64::MAX);
        push_u64(&mut out, 0);
        assert_eq!(out, "184467440737095516150");
    }

    #[test]
    fn event_and_ack_encoders() {
        assert_eq!(
            encode_event("/nsp", Some(7), "name", &["1", r#"{"a":2}"#]),
            r#"2/nsp,7["name",1,{"a":2}]"#
        );
        assert_eq!(
            encode_event("/", None, "echo", &[r#""€😀""#]),
            r#"2["echo","€😀"]"#
        );
        assert_eq!(
            encode_event("/", None, "new \"message\"", &[]),
            r#"2["new \"message\""]"#
        );
        let mut out = String::from("4");
        encode_event_into(&mut out, "/", Some(12), "ack", &["\"x\""]);
        assert_eq!(out, r#"4212["ack","x"]"#);
        assert_eq!(encode_ack("/", 12, &["\"x\""]), r#"312["x"]"#);
        assert_eq!(encode_ack("/admin", 0, &[]), "3/admin,0[]");
        assert_eq!(encode_ack("/", 5, &["1", "null"]), "35[1,null]");
        // What we encode, we decode.
        let text = encode_event("/a", Some(1), "x\u{1}", &["[1,2]", "\"s\""]);
        assert_eq!(event(&text).unwrap().name(), "x\u{1}");
    }

    /// The event of a packet's text, as the Engine makes it.
    fn event(text: &str) -> Result<Event, DecodeError> {
        Event::from_packet(decode(text)?)
    }

    /// The event of a payload that need not be valid JSON (only the name is read).
    fn event_of(payload: &str) -> Result<Event, DecodeError> {
        Event::from_packet(p(PacketKind::Event, "/", None, 0, Some(payload)))
    }

    #[test]
    fn events_are_decoded_into_their_name_and_compact_arguments() {
        let e = event(r#"2["new message","Привет мир!"]"#).unwrap();
        assert_eq!(
            (e.name(), e.args(), e.ack_id, e.binary),
            (
                "new message",
                r#"["new message","Привет мир!"]"#,
                None,
                false
            )
        );
        // A python server's spacing and escapes, compacted while validated.
        let e = event("2/chat,7 [ \"a\" , \"\\u20ac\\/\" ] ").unwrap();
        assert_eq!(
            (e.name(), e.args(), e.ack_id),
            ("a", r#"["a","€/"]"#, Some(7))
        );
        let e = event(r#"2["\u0065cho\"",1]"#).unwrap();
        assert_eq!((e.name(), e.args()), ("echo\"", r#"["echo\"",1]"#));
        let e = event(r#"51-["b",{"_placeholder":true,"num":0}]"#).unwrap();
        assert_eq!((e.name(), e.binary), ("b", true));
        for (payload, name) in [
            ("[\"only\"]", "only"),
            ("[1,2]", "1"),
            ("[-1.5e3]", "-1.5e3"),
            ("[\"disconnect\"]", "disconnect"),
        ] {
            assert_eq!(event_of(payload).unwrap().name(), name);
        }
        let empty = DecodeError::InvalidPayload("an EVENT payload must not be an empty array");
        assert_eq!(event("2[]"), Err(empty.clone()));
        assert_eq!(event("2 [ ] "), Err(empty));
        let not_array = DecodeError::InvalidPayload("an EVENT payload must be a JSON array");
        for bad in ["{}", "", "[", "[\"a", "[\"a\"x]"] {
            assert_eq!(event_of(bad), Err(not_array.clone()), "{bad}");
        }
        for bad in ["[null]", "[{\"a\":1}]", "[[\"a\"]]", "[true]"] {
            assert_eq!(
                event_of(bad),
                Err(DecodeError::InvalidPayload(
                    "the event name must be a JSON string or number"
                )),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_recovery_offset_comes_off_events_without_an_ack_id() {
        let mut e = event(r#"2["echo",1,"Q8JpgYB"]"#).unwrap();
        assert_eq!(e.take_offset().as_deref(), Some("Q8JpgYB"));
        assert_eq!((e.name(), e.args()), ("echo", r#"["echo",1]"#));
        let mut e = event(r#"23["echo","x"]"#).unwrap();
        assert_eq!(e.take_offset(), None);
        assert_eq!(e.args(), r#"["echo","x"]"#);
        let mut e = event(r#"2["only"]"#).unwrap();
        assert_eq!(e.take_offset(), None);
        assert_eq!(e.args(), r#"["only"]"#);
    }

    #[test]
    fn reserved_names() {
        for name in RESERVED_EVENTS {
            assert!(is_reserved_event(name));
        }
        assert!(!is_reserved_event("message"));
        assert!(!is_reserved_event("Connect"));
    }

    #[test]
    fn connect_error_payloads() {
        let e = |s: Option<&str>| connect_error_message(s);
        let m = |message: &str, data: Option<&str>| ConnectError {
            message: message.into(),
            data: data.map(Into::into),
        };
        assert_eq!(e(None), m(DEFAULT_CONNECT_ERROR, None));
        assert_eq!(e(Some("  ")), m(DEFAULT_CONNECT_ERROR, None));
        assert_eq!(e(Some(r#""Not authorized""#)), m("Not authorized", None));
        assert_eq!(
            e(Some(
                r#"{"message":"not authorized","data":{"code":401,"a":[1]}}"#
            )),
            m("not authorized", Some(r#"{"code":401,"a":[1]}"#))
        );
        assert_eq!(e(Some(r#"{"message":"x","data":null}"#)), m("x", None));
        assert_eq!(e(Some(r#"{"message":42}"#)), m("42", None));
        assert_eq!(
            e(Some(r#"{"code":401}"#)),
            m(r#"{"code":401}"#, Some(r#"{"code":401}"#))
        );
        assert_eq!(e(Some("7")), m("7", None));
        assert_eq!(e(Some("\"broken")), m("\"broken", None));
    }

    #[test]
    fn connect_replies() {
        assert_eq!(connect_reply(None), ConnectReply::default());
        assert_eq!(connect_reply(Some("[1]")), ConnectReply::default());
        assert_eq!(connect_reply(Some("{")), ConnectReply::default());
        assert_eq!(
            connect_reply(Some(r#"{"sid":5,"pid":"p"}"#)),
            ConnectReply {
                sid: None,
                pid: Some("p".into())
            }
        );
    }

    #[test]
    fn garbage_never_panics() {
        let alphabet: &[u8] = b"0123456/,-[]{}\"\\ a:_\xe2\x82\xac";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..50_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 16) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| alphabet[((seed >> (i * 4 % 60)) % alphabet.len() as u64) as usize])
                .collect();
            let text = String::from_utf8_lossy(&bytes);
            let _ = dec(&text).and_then(Event::from_packet);
            let _ = event_of(&text);
            let _ = connect_error_message(Some(&text));
            let _ = connect_reply(Some(&text));
        }
    }
}
