//! Transports: how Engine.IO packets travel. Opening connections, TLS, HTTP and websocket
//! framing live here; what the packets mean does not (that is `protocol` and the Connection).
//!
//! - `websocket`: one Engine.IO packet per websocket message.
//! - `url`: the Engine.IO URLs built from a `Connect` request.
//! - `connect`: the byte stream under every transport (TCP or a proxy tunnel, then TLS).
//! - `proxy`: HTTP CONNECT tunnels through the `Proxy` property.
//! - `tls`: rustls for `wss://` and `https://`.

pub mod connect;
pub mod proxy;
pub mod tls;
pub mod url;
pub mod websocket;

use std::fmt;

use crate::lang::Text;
use crate::protocol::engineio::OpenInfo;
use crate::protocol::{DecodeError, EioVersion};
use crate::text;

pub use websocket::{WsReader, WsWriter};

/// Any byte stream a transport runs over: TCP, a proxy tunnel, TLS over either.
pub trait AsyncReadWrite: futures::AsyncRead + futures::AsyncWrite + Send + Unpin {}
impl<T: futures::AsyncRead + futures::AsyncWrite + Send + Unpin> AsyncReadWrite for T {}

/// A boxed byte stream.
pub type BoxedIo = Box<dyn AsyncReadWrite>;

/// An open Engine.IO session: the transport halves and the server's open packet.
pub struct Dialed {
    /// Sends packets.
    pub writer: WsWriter,
    /// Receives packets.
    pub reader: WsReader,
    /// The server's open packet.
    pub open: OpenInfo,
    /// The revision spoken on this session.
    pub version: EioVersion,
}

impl fmt::Debug for Dialed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dialed")
            .field("open", &self.open)
            .field("version", &self.version)
            .finish()
    }
}

/// Why a transport could not be opened or broke.
#[derive(Debug)]
pub enum TransportError {
    /// TCP connect or name resolution failed.
    Connect {
        /// `host:port`.
        target: String,
        /// The operating system's reason.
        error: std::io::Error,
    },
    /// TLS could not be set up or the server's certificate was refused.
    Tls(Text),
    /// The `Proxy` could not be reached or would not open the tunnel.
    Proxy(proxy::ProxyError),
    /// The websocket handshake failed (HTTP error status, not a websocket server, …).
    Handshake(String),
    /// Reading or writing failed.
    Io(String),
    /// The server closed the transport.
    Closed,
    /// The server sent something that is not Engine.IO.
    Protocol(DecodeError),
    /// The URI or a property cannot be turned into a request.
    Request(String),
}

impl TransportError {
    /// The text for `LastError` and the Error event.
    pub fn text(&self) -> Text {
        match self {
            TransportError::Connect { target, error } => text!(
                "could not connect to {}: {}", target, error;
                "не удалось подключиться к {}: {}", target, error
            ),
            TransportError::Tls(why) => {
                text!("TLS error: {}", why.en; "ошибка TLS: {}", why.ru)
            }
            TransportError::Proxy(error) => error.text(),
            TransportError::Handshake(why) => text!(
                "the server refused the websocket handshake: {}", why;
                "сервер отклонил подключение websocket: {}", why
            ),
            TransportError::Io(why) => {
                text!("connection error: {}", why; "ошибка соединения: {}", why)
            }
            TransportError::Closed => {
                text!("the server closed the connection"; "сервер закрыл соединение")
            }
            TransportError::Protocol(e) => text!(
                "the server sent invalid data: {}", e;
                "сервер прислал неверные данные: {}", e
            ),
            TransportError::Request(why) => {
                text!("cannot build the request: {}", why; "не удалось составить запрос: {}", why)
            }
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text().en)
    }
}
