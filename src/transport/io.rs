//! The vocabulary every transport shares: the byte stream under it and what its reader yields.

use crate::protocol::engineio::Packet;

/// Any byte stream a transport runs over: TCP, a proxy tunnel, TLS over either.
pub trait AsyncReadWrite: futures::AsyncRead + futures::AsyncWrite + Send + Unpin {}
impl<T: futures::AsyncRead + futures::AsyncWrite + Send + Unpin> AsyncReadWrite for T {}

/// A boxed byte stream.
pub type BoxedIo = Box<dyn AsyncReadWrite>;

/// What a [`Reader`] yields.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// An Engine.IO packet from the server.
    Packet(Packet),
    /// Polling has stopped for an upgrade and every packet it received has been yielded: the
    /// websocket can take over now.
    Drained,
}
