//! Engine.IO packets: one websocket message ↔ one [`Packet`], for Engine.IO 3 and 4, and the
//! open handshake ([`OpenInfo`]).
//!
//! On the wire a text packet is its type digit followed by its data (`0{…}`, `2probe`, `4hello`).
//! Binary packets are always `message`s: EIO3 frames start with the type byte `0x04`, EIO4 frames
//! are the raw bytes.
//!
//! Does NOT frame polling bodies (see [`super::polling`]), look inside `message` data (see
//! [`super::socketio`]), or keep any state: the heartbeat lives in [`super::heartbeat`].

use serde_json::{Map, Value};

use super::{DecodeError, EioVersion, Frame};

/// One Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// `0`: the server's handshake, first thing on a new session.
    Open(OpenInfo),
    /// `1`: the session is closing.
    Close,
    /// `2`: heartbeat ping with its optional data (`"probe"` during an upgrade, else empty).
    Ping(String),
    /// `3`: heartbeat pong with its optional data (`"probe"` answers `2probe`).
    Pong(String),
    /// `4` in a text frame: a text message (a Socket.IO packet).
    Message(String),
    /// A binary message: a Socket.IO binary attachment.
    Binary(Vec<u8>),
    /// `5`: the client switches the session to websocket.
    Upgrade,
    /// `6`: nothing; the server uses it to end a pending poll.
    Noop,
}

/// The content of the open packet (`0{"sid":…,"upgrades":[…],"pingInterval":…,"pingTimeout":…}`).
///
/// Values are as the server sent them: nothing is clamped here ([`super::heartbeat::Watchdog`]
/// clamps the timings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInfo {
    /// The Engine.IO session id, sent back as `sid=` on polling requests and the upgrade.
    pub sid: String,
    /// Transports the session may upgrade to (`["websocket"]` over polling, `[]` over websocket).
    pub upgrades: Vec<String>,
    /// `pingInterval` in milliseconds.
    pub ping_interval_ms: u64,
    /// `pingTimeout` in milliseconds.
    pub ping_timeout_ms: u64,
    /// `maxPayload` in bytes: only engine.io ≥ 6.2 sends it (to EIO3 clients too).
    pub max_payload: Option<u64>,
    /// Most packets the server reads from one POST body, or `None` when `maxPayload` alone
    /// bounds it: see [`OpenInfo::parse`].
    pub packets_per_post: Option<usize>,
}

/// Most packets one POST may carry to a server not known to take more: python-engineio reads
/// at most 16 (`Payload.max_decode_packets`, Engine.IO 3 and 4 alike), and for more it logs
/// "Too many packets in payload", drops the whole body and answers **200**: the client cannot
/// tell.
pub const CAUTIOUS_PACKETS_PER_POST: usize = 16;

impl OpenInfo {
    /// Parses the JSON object of an open packet (the text after the `0`).
    ///
    /// `sid` must be a non-empty string, `pingInterval` and `pingTimeout` non-negative integers;
    /// `upgrades` (an array of strings) and `maxPayload` (a non-negative integer) may be absent or
    /// `null`. Unknown fields are ignored.
    ///
    /// `packets_per_post` is `None` (no count, only `maxPayload`) for a server that writes the
    /// packet as node's engine.io ≥ 6.2 and socketioxide do: `maxPayload` present and
    /// `pingInterval` before `pingTimeout`. python-engineio writes `pingTimeout` first; older
    /// node servers send no `maxPayload`; anything else may have a limit of its own. All of
    /// those get [`CAUTIOUS_PACKETS_PER_POST`].
    pub fn parse(json: &str) -> Result<OpenInfo, DecodeError> {
        let bad = |why: &str| DecodeError::InvalidOpenPacket(why.to_owned());
        let map: Map<String, Value> = serde_json::from_str(json)
            .map_err(|e| DecodeError::InvalidOpenPacket(format!("not a JSON object ({e})")))?;
        let sid = match map.get("sid") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => return Err(bad("\"sid\" is not a non-empty string")),
            None => return Err(bad("\"sid\" is missing")),
        };
        let upgrades = match map.get("upgrades") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("\"upgrades\" is not an array of strings"))?,
            Some(_) => return Err(bad("\"upgrades\" is not an array of strings")),
        };
        let ms = |key: &str| -> Result<Option<u64>, DecodeError> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                    DecodeError::InvalidOpenPacket(format!(
                        "\"{key}\" is not a non-negative integer"
                    ))
                }),
            }
        };
        let required = |key: &str| -> Result<u64, DecodeError> {
            ms(key)?.ok_or_else(|| DecodeError::InvalidOpenPacket(format!("\"{key}\" is missing")))
        };
        let max_payload = ms("maxPayload")?;
        let key_at = |key: &str| json.find(&format!("\"{key}\""));
        let node_order = key_at("pingInterval") < key_at("pingTimeout");
        Ok(OpenInfo {
            sid,
            upgrades,
            ping_interval_ms: required("pingInterval")?,
            ping_timeout_ms: required("pingTimeout")?,
            max_payload,
            packets_per_post: (max_payload.is_none() || !node_order)
                .then_some(CAUTIOUS_PACKETS_PER_POST),
        })
    }

    /// The JSON object a server sends for this handshake (for tests and fake servers): as node
    /// writes it, or with `pingTimeout` first (as python-engineio) when `packets_per_post` is set
    /// and `maxPayload` is, so that [`OpenInfo::parse`] reads back the same.
    pub fn to_json(&self) -> String {
        let text = |s: &str| Value::from(s).to_string();
        let upgrades = Value::from(self.upgrades.clone());
        let (interval, timeout) = (self.ping_interval_ms, self.ping_timeout_ms);
        let timings = if self.packets_per_post.is_some() && self.max_payload.is_some() {
            format!(r#""pingTimeout":{timeout},"pingInterval":{interval}"#)
        } else {
            format!(r#""pingInterval":{interval},"pingTimeout":{timeout}"#)
        };
        let max_payload = self
            .max_payload
            .map_or(String::new(), |max| format!(r#","maxPayload":{max}"#));
        format!(
            r#"{{"sid":{},"upgrades":{upgrades},{timings}{max_payload}}}"#,
            text(&self.sid)
        )
    }
}

/// [`decode_text`] of borrowed text (a websocket frame, a record of a polling body): copies
/// only the data of a packet that carries some, once, instead of copying the whole text and
/// then shifting out the type digit.
pub fn decode_str(text: &str) -> Result<Packet, DecodeError> {
    // The type digit is ASCII, so the data starts on a char boundary.
    let data = || text.get(1..).unwrap_or_default().to_owned();
    Ok(match text.as_bytes().first() {
        Some(b'2') => Packet::Ping(data()),
        Some(b'3') => Packet::Pong(data()),
        Some(b'4') => Packet::Message(data()),
        _ => return decode_text(text.to_owned()),
    })
}

/// Decodes one text websocket message (or one packet of a polling body).
///
/// Takes ownership so that a `Message` reuses the allocation: the type digit is removed in place.
/// Data after `1`, `5` and `6` is ignored, as the reference parser does.
pub fn decode_text(mut text: String) -> Result<Packet, DecodeError> {
    let Some(&first) = text.as_bytes().first() else {
        return Err(DecodeError::Empty);
    };
    let packet = match first {
        b'0' => Packet::Open(OpenInfo::parse(text.get(1..).unwrap_or(""))?),
        b'1' => Packet::Close,
        b'2' => {
            text.drain(..1);
            Packet::Ping(text)
        }
        b'3' => {
            text.drain(..1);
            Packet::Pong(text)
        }
        b'4' => {
            text.drain(..1);
            Packet::Message(text)
        }
        b'5' => Packet::Upgrade,
        b'6' => Packet::Noop,
        other => return Err(DecodeError::UnknownPacketType(other)),
    };
    Ok(packet)
}

/// Decodes one binary websocket message into [`Packet::Binary`].
///
/// EIO3: the first byte is the packet type and must be `4` (message); it is removed in place.
/// EIO4: the whole message is the data. An empty EIO3 frame is [`DecodeError::Empty`]; an empty
/// EIO4 frame is an empty attachment.
pub fn decode_binary(version: EioVersion, mut data: Vec<u8>) -> Result<Packet, DecodeError> {
    if version == EioVersion::V3 {
        match data.first() {
            None => return Err(DecodeError::Empty),
            Some(4) => {
                data.drain(..1);
            }
            Some(&other) => return Err(DecodeError::InvalidBinaryPacketType(other)),
        }
    }
    Ok(Packet::Binary(data))
}

/// Encodes a packet as one websocket message.
///
/// For the hot path prefer [`encode_message_into`] (text) and [`encode_binary`] (bytes, without a
/// copy).
pub fn encode(version: EioVersion, packet: &Packet) -> Frame {
    match packet {
        Packet::Binary(data) => Frame::Binary(encode_binary(version, data.clone())),
        other => {
            let mut out = String::new();
            push_text(other, &mut out);
            Frame::Text(out)
        }
    }
}

/// Appends the text form of a non-binary packet (`<type digit><data>`) to `out`.
/// A [`Packet::Binary`] appends nothing and returns false.
pub fn push_text(packet: &Packet, out: &mut String) -> bool {
    match packet {
        Packet::Open(info) => {
            out.push('0');
            out.push_str(&info.to_json());
        }
        Packet::Close => out.push('1'),
        Packet::Ping(data) => {
            out.push('2');
            out.push_str(data);
        }
        Packet::Pong(data) => {
            out.push('3');
            out.push_str(data);
        }
        Packet::Message(text) => encode_message_into(text, out),
        Packet::Upgrade => out.push('5'),
        Packet::Noop => out.push('6'),
        Packet::Binary(_) => return false,
    }
    true
}

/// Appends a text `message` packet (`4` + `text`) to `out`.
///
/// To avoid even this copy, start a `String` with `"4"` and let the Socket.IO encoder
/// (`socketio::encode_into`, `socketio::encode_event_into`) append to it.
pub fn encode_message_into(text: &str, out: &mut String) {
    out.reserve(text.len() + 1);
    out.push('4');
    out.push_str(text);
}

/// The bytes of a binary websocket message carrying `data`: EIO4 sends `data` as is (no copy),
/// EIO3 prefixes the type byte `0x04`.
pub fn encode_binary(version: EioVersion, mut data: Vec<u8>) -> Vec<u8> {
    if version == EioVersion::V3 {
        data.insert(0, 4);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN_V3: &str =
        r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":60000}"#;
    const OPEN_V4: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

    fn open(json: &str) -> Result<Packet, DecodeError> {
        decode_text(format!("0{json}"))
    }

    #[test]
    fn open_packets_of_both_revisions() {
        assert_eq!(
            decode_text(OPEN_V3.into()).unwrap(),
            Packet::Open(OpenInfo {
                sid: "abc".into(),
                upgrades: vec!["websocket".into()],
                ping_interval_ms: 25000,
                ping_timeout_ms: 60000,
                max_payload: None,
                packets_per_post: Some(CAUTIOUS_PACKETS_PER_POST),
            })
        );
        let Packet::Open(info) = decode_text(OPEN_V4.into()).unwrap() else {
            panic!()
        };
        assert_eq!(info.sid, "lv_VI97HAXpY6yYWAAAC");
        assert_eq!(info.ping_timeout_ms, 20000);
        assert_eq!(info.max_payload, Some(1_000_000));
        // Round trip through the encoder.
        assert_eq!(
            decode_text(format!("0{}", info.to_json())).unwrap(),
            Packet::Open(info)
        );
    }

    /// What each server's open packet says about packets per POST (the texts as they were
    /// captured from the servers in tests/servers).
    #[test]
    fn packets_per_post_by_server() {
        let limit = |json: &str| match decode_text(json.into()).unwrap() {
            Packet::Open(info) => {
                let again = decode_text(format!("0{}", info.to_json())).unwrap();
                assert_eq!(again, Packet::Open(info.clone()), "round trip of {json}");
                info.packets_per_post
            }
            other => panic!("{other:?}"),
        };
        // socket.io 4.8 (engine.io 6.6), EIO4 and EIO3 alike; socketioxide writes the same order.
        assert_eq!(limit(OPEN_V4), None);
        // socket.io 2.x and 1.x (engine.io 3.x / 1.x): no maxPayload.
        assert_eq!(limit(OPEN_V3), Some(16));
        // python-engineio 4: pingTimeout first (and a limit of 16 that it enforces silently).
        let python = r#"0{"sid":"Kx3sXQ","upgrades":["websocket"],"pingTimeout":20000,"pingInterval":25000,"maxPayload":1000000}"#;
        assert_eq!(limit(python), Some(16));
    }

    #[test]
    fn open_packet_optional_fields() {
        let Packet::Open(info) = open(
            r#"{"sid":"s","pingInterval":1,"pingTimeout":2,"upgrades":null,"maxPayload":null,"x":[]}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert!(info.upgrades.is_empty());
        assert_eq!(info.max_payload, None);
    }

    #[test]
    fn open_packet_rejections() {
        let cases = [
            "",
            "[]",
            "{",
            r#"{"upgrades":[],"pingInterval":1,"pingTimeout":2}"#,
            r#"{"sid":"","pingInterval":1,"pingTimeout":2}"#,
            r#"{"sid":5,"pingInterval":1,"pingTimeout":2}"#,
            r#"{"sid":"s","pingTimeout":2}"#,
            r#"{"sid":"s","pingInterval":1}"#,
            r#"{"sid":"s","pingInterval":-1,"pingTimeout":2}"#,
            r#"{"sid":"s","pingInterval":1.5,"pingTimeout":2}"#,
            r#"{"sid":"s","pingInterval":"25000","pingTimeout":2}"#,
            r#"{"sid":"s","pingInterval":1,"pingTimeout":2,"maxPayload":-5}"#,
            r#"{"sid":"s","pingInterval":1,"pingTimeout":2,"upgrades":"websocket"}"#,
            r#"{"sid":"s","pingInterval":1,"pingTimeout":2,"upgrades":[1]}"#,
            r#"{"sid":"s","pingInterval":1e400,"pingTimeout":2}"#,
        ];
        for json in cases {
            assert!(
                matches!(open(json), Err(DecodeError::InvalidOpenPacket(_))),
                "accepted {json}"
            );
        }
        let err = open(r#"{"sid":"s","pingTimeout":2}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "protocol error: invalid Engine.IO handshake (open packet): \"pingInterval\" is missing"
        );
    }

    #[test]
    fn simple_text_packets() {
        let d = |s: &str| decode_text(s.to_owned());
        assert_eq!(d("1").unwrap(), Packet::Close);
        assert_eq!(d("2").unwrap(), Packet::Ping(String::new()));
        assert_eq!(d("2probe").unwrap(), Packet::Ping("probe".into()));
        assert_eq!(d("3probe").unwrap(), Packet::Pong("probe".into()));
        assert_eq!(d("4hello").unwrap(), Packet::Message("hello".into()));
        assert_eq!(
            d(r#"42["echo","€😀"]"#).unwrap(),
            Packet::Message(r#"2["echo","€😀"]"#.into())
        );
        assert_eq!(d("5").unwrap(), Packet::Upgrade);
        assert_eq!(d("6").unwrap(), Packet::Noop);
        assert_eq!(d(""), Err(DecodeError::Empty));
        assert_eq!(d("7"), Err(DecodeError::UnknownPacketType(b'7')));
        assert_eq!(d("b4AQID"), Err(DecodeError::UnknownPacketType(b'b')));
        assert_eq!(d("€"), Err(DecodeError::UnknownPacketType(0xe2)));
    }

    #[test]
    fn decode_str_agrees_with_decode_text() {
        for text in [
            "",
            "0{\"sid\":\"a\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":2}",
            "0{",
            "1",
            "1junk",
            "2",
            "2probe",
            "3probe",
            "4",
            "42[\"a\",\"é\"]",
            "4é",
            "5",
            "6",
            "7",
            "x",
        ] {
            assert_eq!(decode_str(text), decode_text(text.to_owned()), "{text:?}");
        }
    }

    #[test]
    fn message_reuses_allocation() {
        let mut s = String::with_capacity(64);
        s.push_str("4hello");
        let ptr = s.as_ptr();
        let Packet::Message(m) = decode_text(s).unwrap() else {
            panic!()
        };
        assert_eq!(m.as_ptr(), ptr);
    }

    #[test]
    fn binary_frames() {
        // Observed: EIO3 servers send 04 01 02 03, EIO4 servers 01 02 03.
        assert_eq!(
            decode_binary(EioVersion::V3, vec![4, 1, 2, 3]).unwrap(),
            Packet::Binary(vec![1, 2, 3])
        );
        assert_eq!(
            decode_binary(EioVersion::V4, vec![1, 2, 3]).unwrap(),
            Packet::Binary(vec![1, 2, 3])
        );
        assert_eq!(
            decode_binary(EioVersion::V4, vec![]).unwrap(),
            Packet::Binary(vec![])
        );
        assert_eq!(
            decode_binary(EioVersion::V3, vec![]),
            Err(DecodeError::Empty)
        );
        assert_eq!(
            decode_binary(EioVersion::V3, vec![2, 1]),
            Err(DecodeError::InvalidBinaryPacketType(2))
        );
        assert_eq!(
            encode_binary(EioVersion::V3, vec![1, 2, 3]),
            vec![4, 1, 2, 3]
        );
        assert_eq!(encode_binary(EioVersion::V4, vec![1, 2, 3]), vec![1, 2, 3]);
    }

    #[test]
    fn encode_frames() {
        let t = |p: Packet| encode(EioVersion::V4, &p);
        assert_eq!(
            t(Packet::Ping("probe".into())),
            Frame::Text("2probe".into())
        );
        assert_eq!(t(Packet::Pong(String::new())), Frame::Text("3".into()));
        assert_eq!(t(Packet::Message("0".into())), Frame::Text("40".into()));
        assert_eq!(t(Packet::Upgrade), Frame::Text("5".into()));
        assert_eq!(t(Packet::Close), Frame::Text("1".into()));
        assert_eq!(t(Packet::Noop), Frame::Text("6".into()));
        assert_eq!(
            encode(EioVersion::V3, &Packet::Binary(vec![1, 2, 3])),
            Frame::Binary(vec![4, 1, 2, 3])
        );
        assert_eq!(
            t(Packet::Binary(vec![1, 2, 3])),
            Frame::Binary(vec![1, 2, 3])
        );
        let mut out = String::new();
        assert!(!push_text(&Packet::Binary(vec![]), &mut out));
        assert!(out.is_empty());
    }
}
