//! What people read about a failure below the actors: the texts, in English and Russian, for
//! every [`TransportError`] (and the TLS and proxy errors inside it). The transport reports
//! kinds and their data; the words, and the advice on which property to change, live here.
//!
//! - `tls`: certificates and the handshake; `proxy`: the `Proxy` property and the proxy's answers.

mod proxy;
mod tls;

use std::fmt;

use crate::lang::Text;
use crate::protocol::EioVersion;
use crate::text;
use crate::transport::TransportError;

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

impl TransportError {
    /// The text for `LastError` and the Error event.
    pub fn text(&self) -> Text {
        match self {
            TransportError::Connect { target, error } => text!(
                "could not connect to {}: {}", target, error;
                "не удалось подключиться к {}: {}", target, error
            ),
            TransportError::Tls(error) => {
                let why = error.text();
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
