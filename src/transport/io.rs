//! The vocabulary every transport shares: the byte stream under it and what its reader yields.

use std::sync::Arc;

use crate::log::{Level, ObjectLog};
use crate::protocol::engineio::Packet;

/// Any byte stream a transport runs over: TCP, a proxy tunnel, TLS over either.
pub trait AsyncReadWrite: futures::AsyncRead + futures::AsyncWrite + Send + Unpin {}
impl<T: futures::AsyncRead + futures::AsyncWrite + Send + Unpin> AsyncReadWrite for T {}

/// A boxed byte stream.
pub type BoxedIo = Box<dyn AsyncReadWrite>;

/// What a [`Reader`](super::halves::Reader) yields.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// An Engine.IO packet from the server.
    Packet(Packet),
    /// Polling has stopped for an upgrade and every packet it received has been yielded: the
    /// websocket can take over now.
    Drained,
}

/// Writes a message packet going out to the object's log at `debug` ("-> …", as the Engine writes
/// "<- …" for those it receives; a CONNECT's auth hidden, long ones cut).
pub fn log_sent(log: Option<&Arc<ObjectLog>>, packet: &Packet) {
    if let (Some(log), Packet::Message(text)) = (log, packet) {
        log.write(Level::Debug, || format!("-> {}", crate::log::packet(text)));
    }
}
