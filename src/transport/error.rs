//! [`TransportError`]: why a transport could not be opened or broke, as data. What people read
//! about it is written above the transport (`explain`).

use std::fmt;
use std::time::Duration;

use super::proxy::ProxyError;
use crate::lang::Text;
use crate::protocol::{DecodeError, EioVersion};
use crate::text;

/// How people name the servers of a revision.
fn servers_of(version: EioVersion) -> &'static str {
    match version {
        EioVersion::V3 => "Engine.IO 3 (socket.io 1.x/2.x)",
        EioVersion::V4 => "Engine.IO 4 (socket.io 3.x/4.x)",
    }
}

/// The other revision, for advice.
fn other(version: EioVersion) -> EioVersion {
    match version {
        EioVersion::V3 => EioVersion::V4,
        EioVersion::V4 => EioVersion::V3,
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
    Proxy(ProxyError),
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
    /// An HTTP request was answered with an error status; `message` is the server's reason.
    Http {
        /// The status code.
        status: u16,
        /// The server's message (engine.io's JSON `message`, or the body's text).
        message: String,
    },
    /// No answer in time.
    Timeout(Duration),
    /// `ProtocolVersion` names one revision and the server answered in the other.
    WrongVersion {
        /// What `ProtocolVersion` asked for.
        wanted: EioVersion,
        /// What the server speaks.
        found: EioVersion,
    },
    /// The server refused the revision asked for (a socket.io 4 server without `allowEIO3`
    /// asked for Engine.IO 3).
    VersionRefused {
        /// The revision asked for.
        asked: EioVersion,
        /// The server's message.
        message: String,
    },
    /// The answer to the handshake is not Engine.IO (a wrong URI or `Path`); the start of it.
    NotEngineIo(String),
    /// Websocket first, then the polling fallback: both failed.
    BothFailed {
        /// Why the websocket failed.
        websocket: Box<TransportError>,
        /// Why polling failed.
        polling: Box<TransportError>,
    },
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
            TransportError::Http { status, message } => text!(
                "the server refused the request: HTTP {} {}", status, message;
                "сервер отклонил запрос: HTTP {} {}", status, message
            ),
            TransportError::Timeout(after) => {
                let secs = after.as_secs_f64();
                text!("the server did not answer within {} s", secs; "сервер не ответил за {} с", secs)
            }
            TransportError::WrongVersion { wanted, found } => {
                let (w, f, o) = (
                    wanted.query_value(),
                    servers_of(*found),
                    found.query_value(),
                );
                text!(
                    "ProtocolVersion is \"{}\" but the server speaks {}; set ProtocolVersion to \"auto\" or \"{}\"", w, f, o;
                    "ВерсияПротокола \"{}\", а сервер работает по протоколу {}; установите ВерсияПротокола \"auto\" или \"{}\"", w, f, o
                )
            }
            TransportError::VersionRefused { asked, message } => {
                let (a, o) = (servers_of(*asked), other(*asked).query_value());
                text!(
                    "the server does not accept {} ({}); set ProtocolVersion to \"auto\" or \"{}\"", a, message, o;
                    "сервер не принимает протокол {} ({}); установите ВерсияПротокола \"auto\" или \"{}\"", a, message, o
                )
            }
            TransportError::NotEngineIo(start) => text!(
                "the server's answer is not Engine.IO (check the URI and the Path property): {}", start;
                "ответ сервера не похож на Engine.IO (проверьте URI и свойство Путь): {}", start
            ),
            TransportError::BothFailed { websocket, polling } => {
                let (w, p) = (websocket.text(), polling.text());
                if matches!(
                    **polling,
                    TransportError::VersionRefused { .. } | TransportError::WrongVersion { .. }
                ) {
                    // The polling answer names the cause (a server that refuses the revision
                    // breaks the websocket without saying why).
                    return p;
                }
                if w == p {
                    return w;
                }
                text!("websocket: {}; polling: {}", w.en, p.en; "websocket: {}; polling: {}", w.ru, p.ru)
            }
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text().en)
    }
}
