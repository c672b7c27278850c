//! Engine.IO and Socket.IO on the wire: pure code, no I/O, no clock (time is passed in).
//!
//! Everything here is deterministic: functions take text, bytes and `now: Instant` and return
//! packets, frames, bodies and deadlines. Nothing opens a socket, spawns a task or reads the
//! system clock; the connection code drives these types (the quinn-proto / tungstenite style).
//!
//! # Map
//! - [`engineio`]: Engine.IO packets (`0open` … `6noop`), the open handshake ([`engineio::OpenInfo`]),
//!   one websocket message ↔ one packet, for both Engine.IO revisions.
//! - [`polling`]: HTTP long-polling bodies: EIO4 `\x1e`-separated text, EIO3 `<len>:<packet>` text
//!   (UTF-16 lengths) and the EIO3 `application/octet-stream` form; version sniffing.
//! - [`socketio`]: Socket.IO packets `<type>[<n>-][<nsp>,][<id>][<json>]` for protocol rev 4 and 5,
//!   the server's events decoded once ([`socketio::Event`]), event/ack encoders that work on raw
//!   JSON text, CONNECT / CONNECT_ERROR payload helpers.
//! - [`binary`]: binary attachments: reassembly of `5`/`6` packets with their binary frames
//!   (placeholders get a `"base64"` field) and deconstruction of outgoing binary arguments.
//! - [`heartbeat`]: the ping/pong [`heartbeat::Watchdog`], a timer state machine fed with `Instant`s.
//! - [`recovery`]: connection-state recovery: the offset servers append to events, and the
//!   CONNECT payload that asks for the session back.
//! - [`json`]: raw JSON text helpers (validate, escape a string, compact, the first and the last
//!   in one pass), never a `Value` tree, so the server's key order and number spelling reach 1C
//!   untouched.
//!
//! Shared types live here: [`EioVersion`], [`Frame`] and the module-wide [`DecodeError`]
//! (defined in `error.rs`, one enum for every decoder).
//!
//! Layering: `engineio` carries `socketio` text inside its `Message` packets (`4` + Socket.IO text);
//! `binary` sits on top of `socketio`. Nothing here depends on anything outside this module.

#![warn(missing_docs)]

pub mod binary;
pub mod engineio;
mod error;
pub mod heartbeat;
pub mod json;
pub mod polling;
pub mod recovery;
pub mod socketio;

pub use error::DecodeError;

/// Base64 as servers write it (standard alphabet, padded); decoding also accepts missing padding,
/// as node's `Buffer.from(text, "base64")` does.
pub(crate) const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// The Engine.IO protocol revision spoken on a connection.
///
/// It also fixes the Socket.IO protocol revision: the two always travel together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EioVersion {
    /// Engine.IO 3 with Socket.IO protocol rev 4: socket.io 1.x and 2.x servers
    /// (and 3.x/4.x servers started with `allowEIO3: true`). The client pings; polling bodies are
    /// length-prefixed; binary websocket frames start with a type byte.
    V3,
    /// Engine.IO 4 with Socket.IO protocol rev 5: socket.io 3.x and 4.x servers. The server pings;
    /// polling bodies are `\x1e`-separated; binary websocket frames are raw data.
    V4,
}

impl EioVersion {
    /// The value of the `EIO=` query parameter: `"3"` or `"4"`.
    pub fn query_value(self) -> &'static str {
        match self {
            EioVersion::V3 => "3",
            EioVersion::V4 => "4",
        }
    }
}

/// One websocket message: the unit that [`engineio::encode`] produces and
/// [`engineio::decode_text`] / [`engineio::decode_binary`] consume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text message (an Engine.IO packet as `<type digit><data>`).
    Text(String),
    /// A binary message (an Engine.IO `message` packet carrying bytes).
    Binary(Vec<u8>),
}
