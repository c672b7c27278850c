//! Transports: how Engine.IO packets travel. Opening connections, TLS, HTTP and websocket
//! framing live here; what the packets mean does not (that is `protocol` and the actors).
//!
//! - `error`: [`TransportError`], why a transport failed (data; `explain` words it).
//! - `io`: the byte stream under a transport and what a reader yields.
//! - `dial`: opening a session as the properties ask (transport order, websocket → polling
//!   fallback, Engine.IO revision chosen, detected or remembered).
//! - `halves`: [`Reader`] and [`Writer`], the transport-independent halves of a session.
//! - `websocket`: one Engine.IO packet per websocket message.
//! - `polling`: HTTP long-polling (the GET loop in its own task, POSTs within `maxPayload`).
//! - `upgrade`: the websocket probe that upgrades a polling session.
//! - `http`: the small HTTP/1.1 client under polling; `cookies`: the session's cookie jar.
//! - `versions`: the revision remembered per server.
//! - `url`: the Engine.IO URLs built from a `Connect` request.
//! - `connect`: the byte stream under every transport (TCP or a proxy tunnel, then TLS).
//! - `proxy`: HTTP CONNECT tunnels through the `Proxy` property; `system_proxy`: the proxy of
//!   the operating system's settings for `Proxy = "system"`.
//! - `tls`: rustls for `wss://` and `https://`.
//! - `memory` (tests only): a scripted server in memory, so the actors are tested without a
//!   socket.

pub mod connect;
pub mod cookies;
pub mod dial;
pub mod error;
pub mod halves;
pub mod http;
pub mod io;
#[cfg(test)]
pub mod memory;
pub mod polling;
pub mod proxy;
pub mod system_proxy;
pub mod tls;
pub mod upgrade;
pub mod url;
pub mod versions;
pub mod websocket;

pub use dial::Dialed;
pub use error::TransportError;
pub use halves::{Reader, Writer};
pub use io::{AsyncReadWrite, BoxedIo, Incoming};
pub use upgrade::UpgradeTicket;
pub use websocket::SendNow;
