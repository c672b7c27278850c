//! The websocket transport: one Engine.IO packet per websocket message.
//!
//! Opens the stream, performs the websocket handshake with the `Headers` property and the
//! session's cookies, and hands out a writer half (owned by the Connection actor) and a reader
//! half (polled by the same actor's select loop). Both halves know the Engine.IO revision, which
//! decides the binary frame layout (a `0x04` type byte in EIO3, raw data in EIO4).
//!
//! [`dial`] opens a new session (the first message is the open packet); [`open`] only makes
//! the connection, for the upgrade of a polling session; [`dial_detecting`] tells the server's
//! revision when polling cannot be used to ask.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::http::{header, HeaderName, HeaderValue};
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use async_tungstenite::tungstenite::{Error as WsError, Message};
use async_tungstenite::{WebSocketReceiver, WebSocketSender};
use futures::{Sink, SinkExt, StreamExt};

use super::cookies::CookieJar;
use super::error::TransportError;
use super::io::{log_sent, BoxedIo};
use super::{http, url};
use crate::config::ConnectRequest;
use crate::config::MAX_MESSAGE_BYTES;
use crate::log::ObjectLog;
use crate::protocol::engineio::{self, OpenInfo, Packet};
use crate::protocol::EioVersion;
use crate::rt;

/// The websocket read buffer of each connection: most of an idle connection's memory (4 KiB
/// holds a hundred small frames of a flood per read; a larger frame is still read whole, in
/// more steps).
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// The sending half of an open websocket.
pub struct WsWriter {
    sink: WebSocketSender<BoxedIo>,
    version: EioVersion,
    /// The object's log, for the packets sent (`debug`).
    log: Option<Arc<ObjectLog>>,
}

/// Frames [`WsReader::finish`] reads between two yields to the executor.
const DRAIN_YIELD_EVERY: u32 = 64;

/// The receiving half of an open websocket.
pub struct WsReader {
    stream: WebSocketReceiver<BoxedIo>,
    version: EioVersion,
    /// A packet read ahead (while telling the revision), handed out first.
    pending: Option<Packet>,
}

/// Opens a websocket to the server of `req` with `transport=websocket`, joining the polling
/// session `sid` when given (an upgrade), else starting a new session.
pub async fn open(
    req: &ConnectRequest,
    version: EioVersion,
    sid: Option<&str>,
    jar: &CookieJar,
) -> Result<(WsWriter, WsReader), TransportError> {
    let io = super::connect::open_stream(req).await?;

    let url = url::engine_url(req, true, version, sid);
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|err| TransportError::Request(err.to_string()))?;
    let mut user_cookie = None;
    for (name, value) in &req.config.headers {
        if name.eq_ignore_ascii_case("cookie") {
            user_cookie = Some(value.as_str());
        }
        if http::is_reserved_header(name) {
            continue;
        }
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|err| TransportError::Request(err.to_string()))?;
        let value =
            HeaderValue::from_str(value).map_err(|err| TransportError::Request(err.to_string()))?;
        request.headers_mut().insert(name, value);
    }
    if let Some(cookie) = jar.header(user_cookie) {
        let value = HeaderValue::from_str(&cookie)
            .map_err(|err| TransportError::Request(err.to_string()))?;
        request.headers_mut().insert(header::COOKIE, value);
    }
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(MAX_MESSAGE_BYTES);
    config.max_frame_size = Some(MAX_MESSAGE_BYTES);
    // tungstenite reads into a 128 KiB buffer by default (zero-filled before each read): per
    // connection that is most of an idle object's memory. Socket.IO frames are small; a large
    // one is still read whole, in more steps.
    config.read_buffer_size = READ_BUFFER_BYTES;
    let (stream, response) = async_tungstenite::client_async_with_config(request, io, Some(config))
        .await
        .map_err(|err| match err {
            WsError::Http(response) => {
                let body = response.body().as_deref().unwrap_or_default().to_vec();
                let http = http::Response {
                    status: response.status().as_u16(),
                    binary: false,
                    body,
                };
                match http.refusal(version) {
                    TransportError::Http { status, message } => {
                        TransportError::Handshake(format!("HTTP {status} {message}"))
                    }
                    other => other,
                }
            }
            WsError::Io(err) => match super::tls::failure(&err) {
                // The server's refusal of a client certificate arrives with its first answer.
                Some(tls) => TransportError::Tls(tls),
                None => TransportError::Handshake(err.to_string()),
            },
            other => TransportError::Handshake(other.to_string()),
        })?;
    for value in response.headers().get_all(header::SET_COOKIE) {
        if let Ok(value) = value.to_str() {
            jar.store(value);
        }
    }
    let (sink, stream) = stream.split();
    Ok((
        WsWriter {
            sink,
            version,
            log: req.log.clone(),
        },
        WsReader {
            stream,
            version,
            pending: None,
        },
    ))
}

/// Opens a new websocket Engine.IO session and waits for the server's open packet.
pub async fn dial(
    req: &ConnectRequest,
    version: EioVersion,
    jar: &CookieJar,
) -> Result<(WsWriter, WsReader, OpenInfo), TransportError> {
    let (writer, mut reader) = open(req, version, None, jar).await?;
    let open = match reader.next().await {
        None => return Err(TransportError::Closed),
        // A socket.io 3.x/4.x server without `allowEIO3` accepts the websocket of an Engine.IO 3
        // client and then writes an HTTP 400 into it, which reads as a broken frame.
        Some(Err(TransportError::Io(why))) if version == EioVersion::V3 => {
            return Err(TransportError::Io(format!(
                "{why} (before the Engine.IO handshake; if the server is socket.io 3.x/4.x, set ProtocolVersion to \"auto\" or \"4\")"
            )))
        }
        Some(Err(err)) => return Err(err),
        Some(Ok(Packet::Open(open))) => open,
        Some(Ok(other)) => {
            return Err(TransportError::Io(format!(
                "expected the Engine.IO open packet, got {}",
                describe(&other)
            )));
        }
    };
    Ok((writer, reader, open))
}

/// Opens a new session on a server whose revision is unknown, learning it on this websocket
/// (so the server sees no other connection): asks for Engine.IO 4 and decides from what the
/// server does. Engine.IO 4 servers since engine.io 6.2 put `maxPayload` in the open packet;
/// socket.io 1.x/2.x servers ignore `EIO=4` and send `40` (their automatic join of `/`) right
/// after it, while a 3.x/4.x server sends nothing before the client's CONNECT. So: `maxPayload`,
/// or no `40` within `window`, means Engine.IO 4.
pub async fn dial_detecting(
    req: &ConnectRequest,
    jar: &CookieJar,
    window: Duration,
) -> Result<(WsWriter, WsReader, OpenInfo, EioVersion), TransportError> {
    let (mut writer, mut reader, open) = dial(req, EioVersion::V4, jar).await?;
    if open.max_payload.is_some() {
        return Ok((writer, reader, open, EioVersion::V4));
    }
    let version = match rt::timeout(window, reader.stream.next()).await {
        None => EioVersion::V4,
        Some(None) => return Err(TransportError::Closed),
        Some(Some(Err(err))) => return Err(TransportError::Io(err.to_string())),
        Some(Some(Ok(message))) => {
            let version = match &message {
                Message::Text(text) if text.as_str().starts_with("40") => EioVersion::V3,
                _ => EioVersion::V4,
            };
            reader.version = version;
            reader.pending = match reader.decode(message) {
                Some(Ok(packet)) => Some(packet),
                Some(Err(err)) => return Err(err),
                None => None,
            };
            version
        }
    };
    writer.version = version;
    Ok((writer, reader, open, version))
}

/// A packet for an error message: its kind, not its (possibly large) content.
fn describe(packet: &Packet) -> &'static str {
    match packet {
        Packet::Open(_) => "open",
        Packet::Close => "close",
        Packet::Ping(_) => "ping",
        Packet::Pong(_) => "pong",
        Packet::Message(_) => "message",
        Packet::Binary(_) => "binary data",
        Packet::Upgrade => "upgrade",
        Packet::Noop => "noop",
    }
}

impl WsReader {
    /// After this side's close frame ([`WsWriter::close`]): reads, and drops, what the server
    /// still sends until its close frame or the end of the stream, at most `wait`. Closing a
    /// socket with unread data makes the kernel answer with a reset, which can discard the
    /// server's copy of our last frames (a namespace DISCONNECT) before the server read them.
    pub async fn finish(mut self, wait: Duration) {
        let drain = async {
            let mut read = 0u32;
            while let Some(Ok(_)) = self.stream.next().await {
                // A server that floods keeps every read ready: without a yield this loop would
                // hold the executor thread (every object's) and its own timeout would never fire.
                read = read.wrapping_add(1);
                if read.is_multiple_of(DRAIN_YIELD_EVERY) {
                    rt::yield_now().await;
                }
            }
        };
        let _ = rt::timeout(wait, drain).await;
    }

    /// The next Engine.IO packet; `None` when the server closed the websocket. Websocket-level
    /// pings are answered by the websocket layer and skipped here. A message that is not
    /// Engine.IO is [`TransportError::Protocol`]. Cancel safe.
    pub async fn next(&mut self) -> Option<Result<Packet, TransportError>> {
        if let Some(packet) = self.pending.take() {
            return Some(Ok(packet));
        }
        loop {
            let message = match self.stream.next().await? {
                Ok(message) => message,
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => return None,
                Err(WsError::Capacity(err)) => {
                    return Some(Err(TransportError::Io(format!(
                        "the server sent a message over the message size limit of {} MiB ({err})",
                        MAX_MESSAGE_BYTES >> 20
                    ))))
                }
                Err(err) => return Some(Err(TransportError::Io(err.to_string()))),
            };
            if let Some(decoded) = self.decode(message) {
                return match decoded {
                    Err(TransportError::Closed) => None,
                    other => Some(other),
                };
            }
        }
    }

    /// One websocket message as a packet; `None` for control messages.
    fn decode(&self, message: Message) -> Option<Result<Packet, TransportError>> {
        let decoded = match message {
            Message::Text(text) => engineio::decode_str(text.as_str()),
            Message::Binary(bytes) => engineio::decode_binary(self.version, bytes.to_vec()),
            Message::Close(_) => return Some(Err(TransportError::Closed)),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return None,
        };
        Some(decoded.map_err(TransportError::Protocol))
    }
}

/// What [`WsWriter::send_now`] did with a packet.
#[derive(Debug)]
pub enum SendNow {
    /// The packet is written to the socket.
    Written,
    /// The packet is taken but (part of it) still waits in the writer: flush it.
    Queued,
    /// The websocket cannot take a packet without waiting (or is broken): here it is back.
    NotNow(Packet),
    /// The packet was taken, and then the transport broke.
    Failed(TransportError),
}

impl WsWriter {
    /// One packet as the websocket message that carries it in this revision.
    fn version_message(&self, packet: Packet) -> Message {
        match packet {
            Packet::Binary(data) => {
                Message::Binary(engineio::encode_binary(self.version, data).into())
            }
            other => {
                let mut text = String::new();
                engineio::push_text(&other, &mut text);
                Message::Text(text.into())
            }
        }
    }

    /// Queues one packet without flushing (call [`WsWriter::flush`] after a batch).
    pub async fn feed(&mut self, packet: Packet) -> Result<(), TransportError> {
        log_sent(self.log.as_ref(), &packet);
        let message = self.version_message(packet);
        self.sink
            .feed(message)
            .await
            .map_err(|err| TransportError::Io(err.to_string()))
    }

    /// Sends one packet from a thread that must not wait (the 1C thread): takes it only if
    /// the websocket is ready for it at once, then writes what the socket accepts now. Whatever
    /// the socket does not take stays queued in the writer for the next [`WsWriter::flush`].
    /// `taken` runs once the websocket has taken the packet, before any byte of it is written.
    pub fn send_now(&mut self, packet: Packet, taken: impl FnOnce()) -> SendNow {
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        let mut sink = Pin::new(&mut self.sink);
        match sink.as_mut().poll_ready(&mut cx) {
            Poll::Ready(Ok(())) => {}
            // Not taken: the normal path meets the same error and reports it.
            Poll::Ready(Err(_)) | Poll::Pending => return SendNow::NotNow(packet),
        }
        log_sent(self.log.as_ref(), &packet);
        let message = self.version_message(packet);
        taken();
        let mut sink = Pin::new(&mut self.sink);
        if let Err(err) = sink.as_mut().start_send(message) {
            return SendNow::Failed(TransportError::Io(err.to_string()));
        }
        match sink.poll_flush(&mut cx) {
            Poll::Ready(Ok(())) => SendNow::Written,
            Poll::Ready(Err(err)) => SendNow::Failed(TransportError::Io(err.to_string())),
            Poll::Pending => SendNow::Queued,
        }
    }

    /// Writes out everything queued.
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        self.sink
            .flush()
            .await
            .map_err(|err| TransportError::Io(err.to_string()))
    }

    /// Sends one packet now.
    pub async fn send(&mut self, packet: Packet) -> Result<(), TransportError> {
        self.feed(packet).await?;
        self.flush().await
    }

    /// Closes the websocket politely, giving up after `wait`.
    pub async fn close(mut self, wait: Duration) {
        let _ = rt::timeout(wait, self.sink.close(None)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use super::*;
    use crate::config::ConnectionConfig;
    use crate::endpoint::Endpoint;

    /// The upgrade of a polling session carries the session id, the `Headers` property and the
    /// session's cookies (after the user's own `Cookie`); a refusal names the server's reason.
    #[test]
    fn the_upgrade_request_carries_sid_headers_and_cookies() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            while !head.ends_with("\r\n\r\n") {
                if reader.read_line(&mut head).unwrap() == 0 {
                    break;
                }
            }
            let body = r#"{"code":3,"message":"Bad request"}"#;
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            head
        });
        let config = ConnectionConfig {
            headers: vec![
                ("X-Api-Key".into(), "k".into()),
                ("Cookie".into(), "user=1".into()),
                ("Sec-WebSocket-Key".into(), "forged".into()),
            ],
            ..ConnectionConfig::default()
        };
        let request = ConnectRequest {
            endpoint: Endpoint::parse(&format!("ws://127.0.0.1:{port}/")).unwrap(),
            config,
            log: None,
        };
        let jar = CookieJar::new();
        jar.store("io=abc; Path=/; HttpOnly");
        let result = rt::block_on(open(&request, EioVersion::V4, Some("s1"), &jar));
        match result {
            // tungstenite hands over only the part of the body that came with the headers, so
            // the server's reason may or may not be there; the status always is.
            Err(TransportError::Handshake(why)) => {
                assert!(
                    why == "HTTP 400 Bad request" || why.trim() == "HTTP 400",
                    "{why}"
                )
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("the handshake cannot succeed"),
        }
        let head = server.join().unwrap().to_ascii_lowercase();
        assert!(
            head.starts_with("get /socket.io/?eio=4&transport=websocket&sid=s1 http/1.1\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nx-api-key: k\r\n"), "{head}");
        assert!(head.contains("\r\ncookie: user=1; io=abc\r\n"), "{head}");
        assert!(!head.contains("forged"), "{head}");
    }

    /// A server's side that floods without end: every read is ready at once and brings more
    /// one-byte text frames (`6`, an Engine.IO noop); every write is taken.
    struct Flood {
        at: usize,
    }

    const FRAME: [u8; 3] = [0x81, 0x01, b'6'];

    impl futures::AsyncRead for Flood {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            for byte in buf.iter_mut() {
                *byte = FRAME[self.at % FRAME.len()];
                self.at += 1;
            }
            std::task::Poll::Ready(Ok(buf.len()))
        }
    }

    impl futures::AsyncWrite for Flood {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            std::task::Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn poll_close(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// Reading a flooding server up to its close frame ends at the deadline, and leaves the
    /// executor to the other tasks meanwhile (it used to loop inside one poll for as long as the
    /// server sent: the whole process's objects stalled).
    #[test]
    fn finishing_against_a_flood_ends_at_its_deadline() {
        let io: BoxedIo = Box::new(Flood { at: 0 });
        let stream = rt::block_on(async_tungstenite::WebSocketStream::from_raw_socket(
            io,
            async_tungstenite::tungstenite::protocol::Role::Client,
            None,
        ));
        let (_, stream) = stream.split();
        let reader = WsReader {
            stream,
            version: EioVersion::V4,
            pending: None,
        };
        let (done_tx, done) = std::sync::mpsc::channel();
        let _finish = rt::spawn(async move {
            reader.finish(Duration::from_millis(100)).await;
            let _ = done_tx.send(());
        });
        // Another task on the same executor gets its turn while the drain runs.
        let (other_tx, other) = std::sync::mpsc::channel();
        let _other = rt::spawn(async move {
            let _ = other_tx.send(());
        });
        let deadline = Duration::from_secs(20);
        assert!(
            other.recv_timeout(deadline).is_ok(),
            "the other task never ran"
        );
        assert!(done.recv_timeout(deadline).is_ok(), "finish never ended");
    }
}
