//! What a connection is asked to be: the settings the transport and the actors read, taken from
//! the object's properties at `Connect` ([`ConnectRequest`]), and the limits every layer keeps.
//!
//! Pure data below the transport: `component::settings` fills it from 1C properties (and checks
//! them there, with texts for 1C developers); nothing here talks to 1C or to the network.

use std::sync::Arc;
use std::time::Duration;

use crate::endpoint::Endpoint;
use crate::log::ObjectLog;

/// The largest Engine.IO message accepted, in bytes: a websocket message, an HTTP body, a binary
/// attachment. Socket.IO servers refuse more than 1 MB by default (`maxHttpBufferSize`); this
/// leaves room for servers that raise it while still bounding what a hostile server can make us
/// allocate.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// The `Proxy` value that asks for the operating system's proxy settings (`transport::system_proxy`).
pub const SYSTEM_PROXY: &str = "system";

/// Which Engine.IO revision to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolChoice {
    /// Detect the server's revision (and remember it per server).
    Auto,
    /// Engine.IO 3 / Socket.IO rev 4 (socket.io 1.x and 2.x servers).
    V3,
    /// Engine.IO 4 / Socket.IO rev 5 (socket.io 3.x and 4.x servers).
    V4,
}

/// One transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// A websocket (one Engine.IO packet per frame).
    WebSocket,
    /// HTTP long-polling.
    Polling,
}

/// The connection's settings. Its `Debug` shows `headers`, `auth_json`, `proxy` and
/// `client_certificate_password` as
/// `<redacted>`: credentials must not reach a log, an event or `LastError` by way of `{:?}`.
#[derive(Clone, PartialEq)]
pub struct ConnectionConfig {
    /// How long opening a connection may take.
    pub timeout: Duration,
    /// The timeout as the user wrote it (seconds), for messages.
    pub timeout_text: String,
    /// Reconnect after an unexpected loss.
    pub reconnection: bool,
    /// Reconnect attempts (0 = no limit).
    pub reconnection_attempts: u32,
    /// The first reconnect delay, ms.
    pub reconnection_delay_ms: u32,
    /// The longest reconnect delay, ms.
    pub reconnection_delay_max_ms: u32,
    /// The transports to try, in order.
    pub transports: Vec<TransportKind>,
    /// The Engine.IO revision.
    pub protocol: ProtocolChoice,
    /// The server's Engine.IO path.
    pub path: String,
    /// Extra handshake query parameters (values as text).
    pub query: Vec<(String, String)>,
    /// Extra HTTP headers.
    pub headers: Vec<(String, String)>,
    /// The CONNECT auth payload as JSON object text ("" = none).
    pub auth_json: String,
    /// Verify the server's certificate.
    pub verify_certificate: bool,
    /// Extra trusted roots: PEM text or a file path ("" = none).
    pub ca_certificate: String,
    /// Also trust the operating system's roots (besides the public ones and `ca_certificate`).
    pub system_certificates: bool,
    /// The TLS client certificate: a PKCS#12 file, a PEM file (chain and key) or PEM text ("" =
    /// none).
    pub client_certificate: String,
    /// The PKCS#12 file's password.
    pub client_certificate_password: String,
    /// `http://[user:password@]host:port` of an HTTP CONNECT proxy, [`SYSTEM_PROXY`] for the
    /// operating system's, or "" (direct).
    pub proxy: String,
}

impl Default for ConnectionConfig {
    fn default() -> ConnectionConfig {
        ConnectionConfig {
            timeout: Duration::from_secs(5),
            timeout_text: "5".into(),
            reconnection: true,
            reconnection_attempts: 0,
            reconnection_delay_ms: 1000,
            reconnection_delay_max_ms: 5000,
            transports: vec![TransportKind::WebSocket, TransportKind::Polling],
            protocol: ProtocolChoice::Auto,
            path: "/socket.io/".into(),
            query: Vec::new(),
            headers: Vec::new(),
            auth_json: String::new(),
            verify_certificate: true,
            ca_certificate: String::new(),
            system_certificates: true,
            client_certificate: String::new(),
            client_certificate_password: String::new(),
            proxy: String::new(),
        }
    }
}

impl std::fmt::Debug for ConnectionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |set: bool| if set { "<redacted>" } else { "" };
        f.debug_struct("ConnectionConfig")
            .field("timeout", &self.timeout)
            .field("reconnection", &self.reconnection)
            .field("transports", &self.transports)
            .field("protocol", &self.protocol)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &redacted(!self.headers.is_empty()))
            .field("auth", &redacted(!self.auth_json.is_empty()))
            .field("verify_certificate", &self.verify_certificate)
            .field("ca_certificate", &self.ca_certificate)
            .field("system_certificates", &self.system_certificates)
            .field("client_certificate", &self.client_certificate)
            .field(
                "client_certificate_password",
                &redacted(!self.client_certificate_password.is_empty()),
            )
            .field("proxy", &redacted(!self.proxy.is_empty()))
            .finish_non_exhaustive()
    }
}

/// What `Connect` asked for.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    /// Where.
    pub endpoint: Endpoint,
    /// The object's connection settings at the time of the call.
    pub config: ConnectionConfig,
    /// The object's diagnostic log, when `LogFile` is set.
    pub log: Option<Arc<ObjectLog>>,
}

impl ConnectRequest {
    /// Writes a line to the object's log at `level`, if it has one (the text made only then).
    pub fn log(&self, level: crate::log::Level, text: impl FnOnce() -> String) {
        if let Some(log) = &self.log {
            log.write(level, text);
        }
    }
}
