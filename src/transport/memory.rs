//! An in-memory transport, compiled only in tests: a "server" that a test scripts packet by
//! packet, so the actors run their loops without a socket (as quinn-proto tests its connection).
//!
//! [`MemoryServer::listen`] gives a made-up host name ending in [`HOST_SUFFIX`]; a `Connect` to
//! it ([`MemoryServer::request`]) dials this transport instead of the network (see
//! `transport::dial::dial`), and the test gets each dial as a [`ServerConn`]: it sends the open
//! packet and then whatever it likes, in the wire's text form (`"0{…}"`, `"42[\"hi\"]"`,
//! `"1"`), and reads what the client wrote the same way. The Engine gets an ordinary [`Dialed`](super::Dialed) whose halves are the
//! `Memory` variants of [`Reader`](super::Reader) and [`Writer`](super::Writer), which exist
//! only in tests: the library's own code has no branch for this transport.
//!
//! Each direction is an unbounded async-channel of Engine.IO packets. Dropping the
//! [`ServerConn`] is the server closing the transport; the client closing its writer ends the
//! server's [`ServerConn::next`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_channel::{Receiver, Sender};
use once_cell::sync::Lazy;

use super::error::TransportError;
use super::io::Incoming;
use super::websocket::SendNow;
use crate::config::{ConnectRequest, ConnectionConfig, ProtocolChoice};
use crate::endpoint::Endpoint;
use crate::protocol::engineio::{self, OpenInfo, Packet, CAUTIOUS_PACKETS_PER_POST};
use crate::protocol::EioVersion;
use crate::rt;

/// Host names that end so are dialled in memory, never on the network (a dial to one that no
/// server listens on is refused).
pub const HOST_SUFFIX: &str = ".memory";

/// How long a test waits for something it expects: generous, because it bounds only a test that
/// is failing (a passing one gets its packet at once).
pub const WAIT: Duration = Duration::from_secs(10);

/// The servers listening now, by host name.
static SERVERS: Lazy<Mutex<HashMap<String, Sender<ServerConn>>>> = Lazy::new(Mutex::default);

/// A scripted server: its host name, and the dials that reached it.
pub struct MemoryServer {
    host: String,
    dials: Receiver<ServerConn>,
}

/// One dialled transport as the server sees it.
pub struct ServerConn {
    /// The revision the client dialled with (`ProtocolVersion` "3" gives 3, anything else 4).
    pub version: EioVersion,
    to_client: Sender<Packet>,
    from_client: Receiver<Packet>,
}

/// The client's sending half.
pub struct MemoryWriter {
    to_server: Sender<Packet>,
}

/// The client's receiving half.
pub struct MemoryReader {
    from_server: Receiver<Packet>,
}

impl MemoryServer {
    /// A server on a host name of its own (tests run in parallel; each gets its own engines).
    pub fn listen() -> MemoryServer {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let host = format!("s{}{HOST_SUFFIX}", NEXT.fetch_add(1, Ordering::Relaxed));
        let (tx, dials) = async_channel::unbounded();
        crate::sync::lock(&SERVERS).insert(host.clone(), tx);
        MemoryServer { host, dials }
    }

    /// A `Connect` of `namespace` on this server with `config`.
    pub fn request(&self, namespace: &str, config: ConnectionConfig) -> Arc<ConnectRequest> {
        let uri = format!("ws://{}{namespace}", self.host);
        Arc::new(ConnectRequest {
            endpoint: Endpoint::parse(&uri).expect("a valid URI"),
            config,
            log: None,
        })
    }

    /// The next dial; panics after [`WAIT`].
    pub async fn accept(&self) -> ServerConn {
        let dial = rt::timeout(WAIT, self.dials.recv()).await;
        dial.expect("no dial came")
            .expect("the server is listening")
    }
}

impl Drop for MemoryServer {
    fn drop(&mut self) {
        crate::sync::lock(&SERVERS).remove(&self.host);
    }
}

impl ServerConn {
    /// Sends a packet given in the wire's text form (`"0{…}"`, `"40"`, `"1"`).
    pub fn send(&self, wire: &str) {
        let packet = engineio::decode_str(wire).expect("a valid Engine.IO packet");
        // Closed only when the client has gone, which the test finds out from what it reads.
        let _ = self.to_client.try_send(packet);
    }

    /// Sends a binary attachment.
    pub fn send_binary(&self, data: &[u8]) {
        let _ = self.to_client.try_send(Packet::Binary(data.to_vec()));
    }

    /// Sends the open packet: session `sid`, the given heartbeat timings, no upgrades.
    pub fn open(&self, sid: &str, ping_interval_ms: u64, ping_timeout_ms: u64) {
        let open = OpenInfo {
            sid: sid.into(),
            upgrades: Vec::new(),
            ping_interval_ms,
            ping_timeout_ms,
            max_payload: None,
            packets_per_post: Some(CAUTIOUS_PACKETS_PER_POST),
        };
        let _ = self.to_client.try_send(Packet::Open(open));
    }

    /// What the client wrote next, in the wire's text form (a binary attachment as
    /// `<binary>` and its bytes as UTF-8); `None` once the client closed its writer. Panics
    /// after [`WAIT`].
    pub async fn next(&self) -> Option<String> {
        let packet = rt::timeout(WAIT, self.from_client.recv())
            .await
            .expect("the client wrote nothing")
            .ok()?;
        let mut wire = String::new();
        if !engineio::push_text(&packet, &mut wire) {
            if let Packet::Binary(data) = packet {
                wire = format!("<binary>{}", String::from_utf8_lossy(&data));
            }
        }
        Some(wire)
    }
}

/// Dials `request` in memory when its host is a memory server's; `None` for any other host.
/// Like a websocket dial, the session is open once the server's first packet, which must be the
/// open packet, has arrived.
pub async fn dial(
    request: &ConnectRequest,
) -> Option<Result<(MemoryWriter, MemoryReader, OpenInfo, EioVersion), TransportError>> {
    let host = &request.endpoint.host;
    if !host.ends_with(HOST_SUFFIX) {
        return None;
    }
    let version = match request.config.protocol {
        ProtocolChoice::V3 => EioVersion::V3,
        ProtocolChoice::V4 | ProtocolChoice::Auto => EioVersion::V4,
    };
    let (to_client, from_server) = async_channel::unbounded();
    let (to_server, from_client) = async_channel::unbounded();
    let conn = ServerConn {
        version,
        to_client,
        from_client,
    };
    let listening = crate::sync::lock(&SERVERS).get(host).cloned();
    if listening.is_none_or(|server| server.try_send(conn).is_err()) {
        return Some(Err(TransportError::Connect {
            target: request.endpoint.authority(),
            error: std::io::ErrorKind::ConnectionRefused.into(),
        }));
    }
    let open = match from_server.recv().await {
        Ok(Packet::Open(open)) => open,
        Ok(_) => return Some(Err(TransportError::Io("expected the open packet".into()))),
        Err(_) => return Some(Err(TransportError::Closed)),
    };
    let writer = MemoryWriter { to_server };
    Some(Ok((writer, MemoryReader { from_server }, open, version)))
}

impl MemoryReader {
    /// The next packet; `None` once the server dropped its end. Cancel safe.
    pub async fn next(&mut self) -> Option<Result<Incoming, TransportError>> {
        let packet = self.from_server.recv().await.ok()?;
        Some(Ok(Incoming::Packet(packet)))
    }
}

impl MemoryWriter {
    /// Sends one packet (the channel is unbounded: never waits).
    pub fn send(&mut self, packet: Packet) -> Result<(), TransportError> {
        self.to_server
            .try_send(packet)
            .map_err(|_| TransportError::Closed)
    }

    /// [`WsWriter::send_now`](super::websocket::WsWriter::send_now) in memory: taken unless the
    /// server has gone, then written at once.
    pub fn send_now(&mut self, packet: Packet, taken: impl FnOnce()) -> SendNow {
        if self.to_server.is_closed() {
            return SendNow::NotNow(packet);
        }
        taken();
        match self.send(packet) {
            Ok(()) => SendNow::Written,
            Err(err) => SendNow::Failed(err),
        }
    }

    /// Closes the client's end: the server's [`ServerConn::next`] ends after what was written.
    pub fn close(self) {
        self.to_server.close();
    }
}
