//! [`DecodeError`]: everything that can be wrong with bytes received from a server.
//!
//! Does NOT cover I/O, timeouts or programming errors: the decoders in this module only report
//! malformed or unexpected input. Every variant is fatal for the Engine.IO session it came on
//! (the JS client closes with reason `parse error` in each of these cases); none is a bug in the
//! caller.

use std::fmt;

/// Why a packet, payload or frame from the server could not be decoded.
///
/// The [`Display`](fmt::Display) text is meant for a 1C developer reading `LastError`: it names the
/// protocol layer and what was wrong, without Rust jargon.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A packet or payload with no bytes at all.
    Empty,
    /// The packet type is not one of the known digits (Engine.IO `0`–`6`, Socket.IO `0`–`6`).
    /// Carries the offending byte.
    UnknownPacketType(u8),
    /// A binary Engine.IO packet whose type byte is not `4` (message). Carries the byte.
    InvalidBinaryPacketType(u8),
    /// The Engine.IO open packet (`0{…}`) is not the expected JSON object. Carries the reason.
    InvalidOpenPacket(String),
    /// A Socket.IO namespace that runs into JSON text (a `,` is missing after it).
    InvalidNamespace,
    /// A Socket.IO ack id that does not fit in 64 bits.
    InvalidAckId,
    /// The `<n>-` attachment count of a binary Socket.IO packet is missing or not a number.
    InvalidAttachmentCount,
    /// A binary Socket.IO packet announces more attachments than allowed.
    TooManyAttachments {
        /// The limit that was exceeded.
        max: usize,
    },
    /// Text that should be JSON is not well-formed. Carries serde_json's message.
    InvalidJson(String),
    /// JSON whose arrays and objects nest deeper than allowed.
    TooDeep {
        /// The limit (levels).
        max: usize,
    },
    /// Well-formed JSON of the wrong shape for its packet type (e.g. an EVENT whose payload is
    /// not an array). Carries the rule that was broken.
    InvalidPayload(&'static str),
    /// A polling body whose length prefix is missing, malformed, too long, or does not match the
    /// data that follows.
    InvalidPayloadLength,
    /// Bytes that must be UTF-8 text are not.
    InvalidUtf8,
    /// Base64 text (a binary packet inside a text polling body) is not valid base64.
    InvalidBase64,
    /// A binary frame arrived while no binary Socket.IO packet was waiting for attachments.
    UnexpectedBinary,
    /// A text packet arrived while a binary Socket.IO packet was still waiting for attachments.
    MissingAttachments {
        /// Attachments announced by the packet.
        expected: usize,
        /// Attachments received before the text packet came.
        received: usize,
    },
    /// A `{"_placeholder":true,…}` object whose `num` is missing, negative or not an integer.
    InvalidPlaceholder,
    /// A placeholder `num` that does not name one of the packet's attachments.
    PlaceholderOutOfRange {
        /// The `num` found in the JSON.
        num: u64,
        /// How many attachments the packet has.
        attachments: usize,
    },
    /// The attachments of one packet add up to more bytes than allowed.
    AttachmentsTooLarge {
        /// The limit in bytes.
        max_bytes: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => f.write_str("protocol error: empty packet"),
            DecodeError::UnknownPacketType(b) => {
                write!(f, "protocol error: unknown packet type ")?;
                write_byte(f, *b)
            }
            DecodeError::InvalidBinaryPacketType(b) => {
                write!(f, "protocol error: binary packet of type {b}, expected 4 (message)")
            }
            DecodeError::InvalidOpenPacket(why) => {
                write!(f, "protocol error: invalid Engine.IO handshake (open packet): {why}")
            }
            DecodeError::InvalidNamespace => {
                f.write_str("protocol error: invalid namespace (a ',' is missing after it)")
            }
            DecodeError::InvalidAckId => {
                f.write_str("protocol error: acknowledgement id is too large")
            }
            DecodeError::InvalidAttachmentCount => {
                f.write_str("protocol error: binary packet without a valid attachment count")
            }
            DecodeError::TooManyAttachments { max } => {
                write!(f, "protocol error: binary packet with more than {max} attachments")
            }
            DecodeError::InvalidJson(why) => write!(f, "protocol error: invalid JSON: {why}"),
            DecodeError::TooDeep { max } => write!(
                f,
                "protocol error: JSON nested deeper than {max} levels (the nesting limit)"
            ),
            DecodeError::InvalidPayload(rule) => write!(f, "protocol error: {rule}"),
            DecodeError::InvalidPayloadLength => {
                f.write_str("protocol error: polling payload with an invalid packet length")
            }
            DecodeError::InvalidUtf8 => f.write_str("protocol error: text is not valid UTF-8"),
            DecodeError::InvalidBase64 => {
                f.write_str("protocol error: binary packet with invalid base64")
            }
            DecodeError::UnexpectedBinary => {
                f.write_str("protocol error: binary data arrived without a binary packet")
            }
            DecodeError::MissingAttachments { expected, received } => write!(
                f,
                "protocol error: a packet arrived after {received} of {expected} binary attachments"
            ),
            DecodeError::InvalidPlaceholder => {
                f.write_str("protocol error: binary placeholder without a valid \"num\"")
            }
            DecodeError::PlaceholderOutOfRange { num, attachments } => write!(
                f,
                "protocol error: binary placeholder {num} but the packet has {attachments} attachment(s)"
            ),
            DecodeError::AttachmentsTooLarge { max_bytes } => write!(
                f,
                "protocol error: binary attachments larger than {max_bytes} bytes"
            ),
        }
    }
}

/// Writes a byte as `'c'` when it is printable ASCII, else as `0xNN`.
fn write_byte(f: &mut fmt::Formatter<'_>, b: u8) -> fmt::Result {
    if b.is_ascii_graphic() {
        write!(f, "'{}'", char::from(b))
    } else {
        write!(f, "0x{b:02x}")
    }
}

impl std::error::Error for DecodeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_readable() {
        assert_eq!(
            DecodeError::UnknownPacketType(b'9').to_string(),
            "protocol error: unknown packet type '9'"
        );
        assert_eq!(
            DecodeError::UnknownPacketType(0xff).to_string(),
            "protocol error: unknown packet type 0xff"
        );
        assert_eq!(
            DecodeError::PlaceholderOutOfRange {
                num: 3,
                attachments: 1
            }
            .to_string(),
            "protocol error: binary placeholder 3 but the packet has 1 attachment(s)"
        );
        let e: Box<dyn std::error::Error> = Box::new(DecodeError::Empty);
        assert_eq!(e.to_string(), "protocol error: empty packet");
    }
}
