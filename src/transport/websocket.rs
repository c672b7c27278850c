//! The websocket transport: one Engine.IO packet per websocket message.
//!
//! Opens TCP, performs the websocket handshake with the request's headers, reads the server's
//! open packet, and then hands out a writer half (owned by the Connection actor) and a reader
//! half (polled by the same actor's select loop).

use std::time::Duration;

use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use async_tungstenite::tungstenite::{Error as WsError, Message};
use async_tungstenite::{WebSocketReceiver, WebSocketSender};
use futures::{SinkExt, StreamExt};

use super::{url, BoxedIo, Dialed, TransportError};
use crate::actors::messages::ConnectRequest;
use crate::protocol::engineio::{self, Packet};
use crate::protocol::{EioVersion, Frame};
use crate::rt;

/// Largest websocket message accepted from the server. Socket.IO servers refuse more than
/// 1 MB by default (`maxHttpBufferSize`); this leaves room for servers that raise it while still
/// bounding what a hostile server can make us allocate.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// The sending half of an open websocket.
pub struct WsWriter(WebSocketSender<BoxedIo>);

/// The receiving half of an open websocket.
pub struct WsReader(WebSocketReceiver<BoxedIo>);

/// Opens a websocket Engine.IO session and waits for the server's open packet.
pub async fn dial(req: &ConnectRequest, version: EioVersion) -> Result<Dialed, TransportError> {
    let e = &req.endpoint;
    let io = super::connect::open_stream(e, &req.settings).await?;

    let url = url::engine_url(req, true, version, None);
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|err| TransportError::Request(err.to_string()))?;
    for (name, value) in &req.settings.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|err| TransportError::Request(err.to_string()))?;
        let value =
            HeaderValue::from_str(value).map_err(|err| TransportError::Request(err.to_string()))?;
        request.headers_mut().insert(name, value);
    }
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(MAX_MESSAGE_BYTES);
    config.max_frame_size = Some(MAX_MESSAGE_BYTES);
    let (stream, _response) =
        async_tungstenite::client_async_with_config(request, io, Some(config))
            .await
            .map_err(|err| match err {
                WsError::Http(response) => {
                    let body = response
                        .body()
                        .as_deref()
                        .map(String::from_utf8_lossy)
                        .unwrap_or_default();
                    TransportError::Handshake(format!("HTTP {} {}", response.status(), body.trim()))
                }
                other => TransportError::Handshake(other.to_string()),
            })?;
    let (writer, reader) = stream.split();
    let (writer, mut reader) = (WsWriter(writer), WsReader(reader));

    let open = match reader.next().await {
        None => return Err(TransportError::Closed),
        Some(Err(err)) => return Err(err),
        Some(Ok(Frame::Text(text))) => {
            match engineio::decode_text(text).map_err(TransportError::Protocol)? {
                Packet::Open(open) => open,
                other => {
                    return Err(TransportError::Io(format!(
                        "expected the Engine.IO open packet, got {other:?}"
                    )));
                }
            }
        }
        Some(Ok(Frame::Binary(_))) => {
            return Err(TransportError::Io(
                "expected the Engine.IO open packet, got binary data".into(),
            ));
        }
    };
    Ok(Dialed {
        writer,
        reader,
        open,
        version,
    })
}

impl WsReader {
    /// The next Engine.IO frame; `None` when the server closed the websocket. Websocket-level
    /// pings are answered by the websocket layer and skipped here.
    pub async fn next(&mut self) -> Option<Result<Frame, TransportError>> {
        loop {
            return match self.0.next().await? {
                Ok(Message::Text(text)) => Some(Ok(Frame::Text(text.as_str().to_owned()))),
                Ok(Message::Binary(bytes)) => Some(Ok(Frame::Binary(bytes.to_vec()))),
                Ok(Message::Close(_)) => None,
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => None,
                Err(WsError::Capacity(err)) => Some(Err(TransportError::Io(format!(
                    "the server sent a message over the message size limit of {} MiB ({err})",
                    MAX_MESSAGE_BYTES >> 20
                )))),
                Err(err) => Some(Err(TransportError::Io(err.to_string()))),
            };
        }
    }
}

impl WsWriter {
    /// Queues one frame without flushing (call [`WsWriter::flush`] after a batch).
    pub async fn feed(&mut self, frame: Frame) -> Result<(), TransportError> {
        let message = match frame {
            Frame::Text(text) => Message::Text(text.into()),
            Frame::Binary(bytes) => Message::Binary(bytes.into()),
        };
        self.0
            .feed(message)
            .await
            .map_err(|err| TransportError::Io(err.to_string()))
    }

    /// Writes out everything queued.
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        self.0
            .flush()
            .await
            .map_err(|err| TransportError::Io(err.to_string()))
    }

    /// Sends one frame now.
    pub async fn send(&mut self, frame: Frame) -> Result<(), TransportError> {
        self.feed(frame).await?;
        self.flush().await
    }

    /// Closes the websocket politely, giving up after `wait`.
    pub async fn close(mut self, wait: Duration) {
        let _ = rt::timeout(wait, self.0.close(None)).await;
    }
}
