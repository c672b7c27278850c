//! A fake server that can send anything: raw TCP on a free loopback port, the HTTP upgrade and
//! websocket framing written here by hand, so a test can break every rule a real server keeps
//! (lying lengths, invalid UTF-8 in text frames, garbage instead of HTTP, silence).
//!
//! ```no_run
//! use std::time::Duration;
//! use testkit::fake_server::{open_packet, FakeServer};
//!
//! // One case per connection: accept the upgrade, open a session, then send nonsense.
//! let server = FakeServer::start(|mut peer| {
//!     if peer.open_socketio(&open_packet(25_000, 20_000)).is_some() {
//!         peer.send_text("42{\"not\":\"an array\"}");
//!         peer.wait_closed(Duration::from_secs(30));
//!     }
//! });
//! let url = server.url("/"); // ws://127.0.0.1:<port>/
//! ```
//!
//! Each accepted connection runs the handler on its own thread. Dropping the server shuts every
//! connection down (so a handler blocked in a read returns) and joins all threads: nothing
//! outlives the test. Only the standard library, `sha1` and `base64` (both already in the
//! add-in's dependency tree) are used.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::host::lock;

/// The GUID of RFC 6455 §1.3 that turns `Sec-WebSocket-Key` into `Sec-WebSocket-Accept`.
const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The most bytes of an HTTP request head read before giving up (the client sends ~300).
const MAX_REQUEST_HEAD: usize = 64 * 1024;

/// The most bytes of one client frame accepted (the client sends small control packets here).
const MAX_CLIENT_FRAME: u64 = 16 << 20;

/// Websocket opcodes.
pub mod opcode {
    /// A continuation frame.
    pub const CONTINUATION: u8 = 0x0;
    /// A text frame.
    pub const TEXT: u8 = 0x1;
    /// A binary frame.
    pub const BINARY: u8 = 0x2;
    /// A close frame.
    pub const CLOSE: u8 = 0x8;
    /// A ping frame.
    pub const PING: u8 = 0x9;
    /// A pong frame.
    pub const PONG: u8 = 0xA;
}

/// What runs for each accepted connection.
type Handler = dyn Fn(Peer) + Send + Sync + 'static;

/// The open connections: a handle to shut each one down, and its handler thread.
type Connections = Arc<Mutex<Vec<(TcpStream, JoinHandle<()>)>>>;

/// A listening fake server; see the module docs.
pub struct FakeServer {
    port: u16,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    acceptor: Option<JoinHandle<()>>,
    conns: Connections,
}

impl FakeServer {
    /// Listens on `127.0.0.1:0` and runs `handler` on its own thread for every connection.
    pub fn start(handler: impl Fn(Peer) + Send + Sync + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let conns: Connections = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let acceptor = {
            let (stop, accepted, conns) = (stop.clone(), accepted.clone(), conns.clone());
            std::thread::Builder::new()
                .name(format!("fake-server-{port}"))
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        let Ok(keep) = stream.try_clone() else {
                            continue;
                        };
                        accepted.fetch_add(1, Ordering::SeqCst);
                        let handler = handler.clone();
                        let worker = std::thread::Builder::new()
                            .name(format!("fake-server-{port}-conn"))
                            .spawn(move || handler(Peer::new(stream)))
                            .expect("spawn a fake server connection");
                        lock(&conns).push((keep, worker));
                    }
                })
                .expect("spawn the fake server")
        };
        FakeServer {
            port,
            stop,
            accepted,
            acceptor: Some(acceptor),
            conns,
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `ws://127.0.0.1:<port><namespace>`.
    pub fn url(&self, namespace: &str) -> String {
        format!("ws://127.0.0.1:{}{}", self.port, namespace)
    }

    /// How many connections it has accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor, which is blocked in accept().
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let conns = std::mem::take(&mut *lock(&self.conns));
        for (stream, _) in &conns {
            let _ = stream.shutdown(Shutdown::Both);
        }
        for (_, worker) in conns {
            let _ = worker.join();
        }
    }
}

/// The head of an HTTP request from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The request line, e.g. `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1`.
    pub line: String,
    /// The headers, names as sent.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One frame from the client, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFrame {
    /// The opcode (see [`opcode`]).
    pub opcode: u8,
    /// The payload.
    pub payload: Vec<u8>,
}

/// One accepted connection, as the handler sees it. Every write ignores errors (the client
/// may have hung up, which is often the point); reads give `None` on close or timeout.
pub struct Peer {
    stream: TcpStream,
    /// Bytes read past what was consumed.
    pending: Vec<u8>,
}

impl Peer {
    fn new(stream: TcpStream) -> Peer {
        let _ = stream.set_nodelay(true);
        Peer {
            stream,
            pending: Vec::new(),
        }
    }

    /// Reads more bytes into `pending` within `deadline`; false on close, error or timeout.
    fn fill(&mut self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let _ = self.stream.set_read_timeout(Some(left));
        let mut buf = [0u8; 16 * 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.pending.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => true,
            Err(_) => false,
        }
    }

    /// Takes exactly `n` bytes, reading as needed.
    fn take(&mut self, n: usize, deadline: Instant) -> Option<Vec<u8>> {
        while self.pending.len() < n {
            if !self.fill(deadline) {
                return None;
            }
        }
        Some(self.pending.drain(..n).collect())
    }

    /// Reads the client's HTTP request head (up to the blank line) within `timeout`.
    pub fn read_request(&mut self, timeout: Duration) -> Option<Request> {
        let deadline = Instant::now() + timeout;
        let end = loop {
            if let Some(i) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            if self.pending.len() > MAX_REQUEST_HEAD || !self.fill(deadline) {
                return None;
            }
        };
        let head: Vec<u8> = self.pending.drain(..end + 4).collect();
        let text = String::from_utf8_lossy(&head[..end]).into_owned();
        let mut lines = text.split("\r\n");
        let line = lines.next()?.to_owned();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Some(Request { line, headers })
    }

    /// Answers a websocket upgrade request with `101 Switching Protocols`. False when the request
    /// has no `Sec-WebSocket-Key`.
    pub fn accept_websocket(&mut self, req: &Request) -> bool {
        let Some(key) = req.header("Sec-WebSocket-Key") else {
            return false;
        };
        let accept = accept_key(key);
        self.write_raw(
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            )
            .as_bytes(),
        )
    }

    /// Reads the request and accepts the upgrade; the request, or `None` if either failed.
    pub fn handshake(&mut self) -> Option<Request> {
        let req = self.read_request(Duration::from_secs(30))?;
        self.accept_websocket(&req).then_some(req)
    }

    /// A full, well-behaved Engine.IO 4 / Socket.IO 5 start: handshake, `0<open_json>`, waits for
    /// the client's CONNECT (`40…`) and answers `40{"sid":"fake-sid"}`. Returns the client's
    /// CONNECT text, or `None` when the client went away.
    pub fn open_socketio(&mut self, open_json: &str) -> Option<String> {
        self.handshake()?;
        self.send_text(&format!("0{open_json}"));
        let connect = self.read_text(Duration::from_secs(30))?;
        self.send_text(r#"40{"sid":"fake-sid"}"#);
        Some(connect)
    }

    /// Writes bytes as they are. False when the connection is gone.
    pub fn write_raw(&mut self, bytes: &[u8]) -> bool {
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .is_ok()
    }

    /// Sends one unmasked frame. `len` overrides the length in the header (a lie) when given.
    pub fn send_frame_with_len(&mut self, opcode: u8, fin: bool, payload: &[u8], len: u64) -> bool {
        let mut out = Vec::with_capacity(payload.len() + 10);
        out.push(if fin { 0x80 } else { 0 } | (opcode & 0x0f));
        if len < 126 {
            out.push(len as u8);
        } else if len <= u64::from(u16::MAX) {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(127);
            out.extend_from_slice(&len.to_be_bytes());
        }
        out.extend_from_slice(payload);
        self.write_raw(&out)
    }

    /// Sends one complete unmasked frame.
    pub fn send_frame(&mut self, opcode: u8, payload: &[u8]) -> bool {
        self.send_frame_with_len(opcode, true, payload, payload.len() as u64)
    }

    /// Sends a text frame (the bytes need not be UTF-8).
    pub fn send_text_bytes(&mut self, bytes: &[u8]) -> bool {
        self.send_frame(opcode::TEXT, bytes)
    }

    /// Sends a text frame.
    pub fn send_text(&mut self, text: &str) -> bool {
        self.send_text_bytes(text.as_bytes())
    }

    /// Sends a binary frame.
    pub fn send_binary(&mut self, bytes: &[u8]) -> bool {
        self.send_frame(opcode::BINARY, bytes)
    }

    /// Reads the next frame from the client within `timeout`, unmasked. `None` on close,
    /// timeout, or a frame over 16 MiB.
    pub fn read_frame(&mut self, timeout: Duration) -> Option<ClientFrame> {
        let deadline = Instant::now() + timeout;
        let head = self.take(2, deadline)?;
        let opcode = head[0] & 0x0f;
        let masked = head[1] & 0x80 != 0;
        let len = match head[1] & 0x7f {
            126 => u64::from(u16::from_be_bytes(self.take(2, deadline)?.try_into().ok()?)),
            127 => u64::from_be_bytes(self.take(8, deadline)?.try_into().ok()?),
            n => u64::from(n),
        };
        if len > MAX_CLIENT_FRAME {
            return None;
        }
        let mask = if masked {
            Some(self.take(4, deadline)?)
        } else {
            None
        };
        let mut payload = self.take(len as usize, deadline)?;
        if let Some(mask) = mask {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= mask[i % 4];
            }
        }
        Some(ClientFrame { opcode, payload })
    }

    /// The next text frame from the client within `timeout`, skipping other frames. `None` on
    /// close or timeout.
    pub fn read_text(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let frame = self.read_frame(left)?;
            match frame.opcode {
                opcode::TEXT => return String::from_utf8(frame.payload).ok(),
                opcode::CLOSE => return None,
                _ => continue,
            }
        }
    }

    /// Reads and discards until the client closes the connection (or the server is dropped),
    /// at most `timeout`. True when the client closed.
    pub fn wait_closed(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            self.pending.clear();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            let _ = self.stream.set_read_timeout(Some(left));
            let mut buf = [0u8; 16 * 1024];
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return false
                }
                Err(_) => return true,
            }
        }
    }

    /// Closes the TCP connection at once (no websocket close frame).
    pub fn close(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// `Sec-WebSocket-Accept` for `key` (RFC 6455 §4.2.2): base64 of SHA-1 of key + GUID.
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.trim().as_bytes());
    sha.update(WS_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// The JSON of an Engine.IO 4 open packet with these timings (as text, so a test can also
/// write values no real server would, e.g. `-1` or `1e300`).
pub fn open_packet_raw(ping_interval: &str, ping_timeout: &str) -> String {
    format!(
        r#"{{"sid":"fake-eio-sid","upgrades":[],"pingInterval":{ping_interval},"pingTimeout":{ping_timeout},"maxPayload":1000000}}"#
    )
}

/// The JSON of an Engine.IO 4 open packet with these timings in milliseconds.
pub fn open_packet(ping_interval_ms: u64, ping_timeout_ms: u64) -> String {
    open_packet_raw(&ping_interval_ms.to_string(), &ping_timeout_ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc_6455() {
        // The example of RFC 6455 §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
