//! The engine actor's state: the Engine.IO session, the upgrade, and what the select loop in
//! `mod.rs` and the session code in `session.rs` both work on.

use std::sync::Arc;
use std::time::Duration;

use async_channel::Sender;

use super::outlet::Outlets;
use super::table::EngineKey;
use crate::actors::messages::{EngineEvent, HeartbeatMsg, SharedWriter};
use crate::config::ConnectRequest;
use crate::protocol::binary::Reassembler;
use crate::protocol::engineio::Packet as EioPacket;
use crate::protocol::socketio::Packet as SioPacket;
use crate::protocol::EioVersion;
use crate::rt::Task;
use crate::transport::upgrade::Probed;
use crate::transport::{Reader, TransportError};

/// Most binary attachments accepted in one inbound packet (socket.io's own parser stops at 10;
/// servers may send more).
pub(super) const MAX_ATTACHMENTS: usize = 256;

/// Most attachment bytes accepted in one inbound packet.
pub(super) const MAX_ATTACHMENT_BYTES: usize = crate::config::MAX_MESSAGE_BYTES;

/// How long a polite close (websocket close, polling close packet) may take before the socket
/// is simply dropped.
pub(super) const CLOSE_WAIT: Duration = Duration::from_millis(500);

/// Where the Engine.IO connection stands.
pub(super) enum Phase {
    /// A dial task runs.
    Dialing(Task<()>),
    /// The session is open.
    Open(Session),
    /// Closed; the actor is about to end.
    Closed,
}

/// An open Engine.IO session.
pub(super) struct Session {
    pub(super) writer: SharedWriter,
    pub(super) version: EioVersion,
    pub(super) engine_sid: Arc<str>,
    pub(super) upgrade: Upgrade,
    pub(super) reassembler: Reassembler,
}

/// The upgrade of a polling session to websocket.
pub(super) enum Upgrade {
    /// None under way (a websocket session, an upgrade done, refused or not possible).
    None,
    /// The probe task runs.
    Probing(Task<()>),
    /// The websocket answered the probe; polling is pausing (until the reader is drained).
    Ready(Box<Probed>),
}

/// The actor's state.
pub(super) struct Engine {
    pub(super) id: u64,
    pub(super) key: Arc<EngineKey>,
    pub(super) request: Arc<ConnectRequest>,
    /// The attached namespaces and where their packets go.
    pub(super) sockets: Outlets,
    pub(super) heartbeat: Sender<HeartbeatMsg>,
    pub(super) events_tx: Sender<EngineEvent>,
    /// The current dial; answers from older ones are ignored.
    pub(super) gen: u64,
    pub(super) phase: Phase,
    /// The reader of the open session.
    pub(super) reader: Option<Reader>,
    /// The Engine.IO revision was corrected once (see `session::on_engine_io_3_server`).
    pub(super) version_corrected: bool,
    /// Engine.IO 3 servers join `/` by themselves: their CONNECT reply for `/`, kept until a `/`
    /// socket attaches.
    pub(super) root_reply: Option<SioPacket>,
}
/// Sends one packet on a shared writer now. Boxed: a transport's write future is large, and
/// the rare packets sent this way (pongs, CONNECT, DISCONNECT) should not make every idle
/// actor's state that large.
pub(crate) fn send(
    writer: &SharedWriter,
    packet: EioPacket,
) -> futures::future::BoxFuture<'_, Result<(), TransportError>> {
    Box::pin(async move {
        match writer.lock().await.as_mut() {
            Some(w) => w.send(packet).await,
            None => Err(TransportError::Closed),
        }
    })
}

impl Session {
    pub(super) fn open_info(&self) -> crate::actors::messages::OpenSession {
        crate::actors::messages::OpenSession {
            writer: self.writer.clone(),
            version: self.version,
            engine_sid: self.engine_sid.clone(),
        }
    }
}
