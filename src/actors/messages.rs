//! Every message the actors exchange: those of one `Client`, and those between its Connection
//! and the (possibly shared) Engine. Replies, where there are any, ride inside the message; most
//! edges are fire-and-forget.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::Sender;

use super::outbox::OutboxTicket;

use crate::config::ConnectRequest;
use crate::events::{CloseReason, HostEvent};
use crate::lang::Text;
use crate::protocol::socketio::{Event, Packet as SioPacket};
use crate::protocol::{DecodeError, EioVersion};
use crate::transport::upgrade::Probed;
use crate::transport::{Dialed, TransportError, Writer};

/// Facade → Connection: control commands. Emits travel on their own channel ([`Outbound`]),
/// which doubles as the offline buffer.
#[derive(Debug)]
pub enum ConnCmd {
    /// `Connect(URI)`: the URI parsed and the properties as they were at the call.
    Connect(Arc<ConnectRequest>),
    /// `Disconnect()`.
    Disconnect,
}

/// Facade → Connection: one packet to send once the namespace is joined, in order.
#[derive(Debug)]
pub enum Outbound {
    /// An event (`Send`, `SendJSON`, `SendWithAck`).
    Event {
        /// The event name.
        name: String,
        /// The arguments after the name.
        args: Vec<Arg>,
        /// `SendWithAck`: the id the server's acknowledgement will carry, and when to give up.
        ack: Option<AckRequest>,
        /// Its share of the outbox's byte budget, given back when the packet is dropped.
        ticket: OutboxTicket,
    },
    /// `Ack`: the answer to a server event that asked for an acknowledgement.
    Ack {
        /// The connection attempt (session) the request came on; the server forgets its
        /// requests when the session ends, so an answer for another session is dropped.
        session: u64,
        /// The server's ack id.
        id: u64,
        /// The acknowledgement's arguments.
        args: Vec<Arg>,
        /// Its share of the outbox's byte budget, given back when the packet is dropped.
        ticket: OutboxTicket,
    },
    /// The facade wrote an emit itself ([`fast_lane`](crate::actors::fast_lane)) and the
    /// Connection has to follow up: flush what the socket did not take, take over the
    /// `SendWithAck` Ids written, report a failed write.
    Flush {
        /// The write's error, if it failed.
        error: Option<TransportError>,
    },
}

impl Outbound {
    /// The `SendWithAck` id of this packet, if it has one.
    pub fn ack_id(&self) -> Option<u64> {
        match self {
            Outbound::Event { ack: Some(ack), .. } => Some(ack.id),
            _ => None,
        }
    }
}

/// What `SendWithAck` attaches to its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckRequest {
    /// The Id that `SendWithAck` returned; also the ack id on the wire.
    pub id: u64,
    /// When an Ack event with State Timeout is due if no acknowledgement came: counted from the
    /// call, so it also runs while the packet waits in the offline buffer.
    pub deadline: Instant,
}

/// A server event that asked for an acknowledgement, as the facade finds it by the AckId that
/// 1C got in the Message event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckAsked {
    /// The connection attempt (session) the event came on.
    pub session: u64,
    /// The server's ack id.
    pub id: u64,
}

/// Where the facade may write: the joined namespace's session, published by the Connection
/// while it is open.
#[derive(Debug, Clone)]
pub struct Lane {
    /// The session's shared writer.
    pub writer: SharedWriter,
    /// The joined namespace.
    pub namespace: Arc<str>,
    /// The Connection's attempt (session) the lane belongs to.
    pub gen: u64,
}

/// A `SendWithAck` written on the fast lane, for the Connection to wait for its answer.
#[derive(Debug)]
pub struct WrittenAck {
    /// Its Id and deadline.
    pub request: AckRequest,
    /// The event name, for the Ack event.
    pub name: String,
    /// The session it was written to.
    pub gen: u64,
}

/// One argument of an outbound event.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// JSON text, sent as it is.
    Json(String),
    /// Bytes, sent as a binary attachment.
    Binary(Vec<u8>),
}

/// Dial task, upgrade probe and Heartbeat → Engine.
#[derive(Debug)]
pub enum EngineEvent {
    /// The dial task of attempt `gen` finished.
    Dialed {
        /// The dial attempt this answers (stale answers are dropped).
        gen: u64,
        /// The open transport and the server's open packet, or why not (boxed: it is large, and
        /// every slot of the channel would be as large).
        result: Result<Box<Dialed>, TransportError>,
    },
    /// The websocket probe of attempt `gen`'s polling session finished (the upgrade).
    Upgraded {
        /// The dial attempt this answers (stale answers are dropped).
        gen: u64,
        /// The probed websocket, or why the session stays on polling (boxed, as `Dialed`).
        result: Result<Box<Probed>, TransportError>,
    },
    /// Heartbeat: time to send a ping (Engine.IO 3, where the client pings).
    SendPing {
        /// The attempt the heartbeat was started for.
        gen: u64,
    },
    /// Heartbeat: the server has been silent for too long.
    HeartbeatExpired {
        /// The attempt the heartbeat was started for.
        gen: u64,
    },
}

/// Connection → Engine: a namespace joins or leaves the shared Engine.IO connection.
#[derive(Debug)]
pub enum EngineCmd {
    /// Route `namespace`'s packets to `to`, and tell it when the session is open.
    Attach {
        /// The namespace (one socket per namespace and engine).
        namespace: Arc<str>,
        /// Where its [`SocketEvent`]s go (in batches: what one run of reads brought); a new
        /// channel per attach, dropped by the Connection when it leaves, so nothing stale ever
        /// reaches a later attach.
        to: Sender<Batch<SocketEvent>>,
    },
    /// `namespace` left (its Connection already dropped the receiving end).
    Detach {
        /// The namespace.
        namespace: Arc<str>,
    },
    /// Writing to the shared transport failed: the session is broken for every namespace on it.
    Failed {
        /// The write's error, for LastError and the Error events.
        why: Text,
    },
}

/// Engine → Connection: what happens to the shared Engine.IO connection, and the packets of the
/// Connection's namespace.
#[derive(Debug)]
pub enum SocketEvent {
    /// The Engine.IO session is open (again, after a revision correction): send CONNECT.
    Opened(OpenSession),
    /// A complete Socket.IO packet of this namespace (attachments in place), other than an event.
    Packet(SioPacket),
    /// An event of this namespace, decoded (attachments in place); or why its payload is no
    /// event, which ends the namespace, not the whole Engine.IO connection.
    Event(Result<Event, DecodeError>),
    /// The Engine.IO connection ended (or could not be opened); the engine is gone.
    Closed {
        /// Why, for the Close event.
        reason: CloseReason,
        /// For LastError and the Error event.
        why: Option<Text>,
    },
}

/// What a Connection needs of an open Engine.IO session.
#[derive(Debug, Clone)]
pub struct OpenSession {
    /// The session's writer, shared by every namespace on it.
    pub writer: SharedWriter,
    /// The revision spoken.
    pub version: EioVersion,
    /// The Engine.IO session id (the socket id of Engine.IO 3 servers is made from it).
    pub engine_sid: Arc<str>,
}

/// The writer of a shared session. `None` once the engine closed it. Held only while packets are
/// written, never across anything else.
pub type SharedWriter = Arc<futures::lock::Mutex<Option<Writer>>>;

/// Engine → Heartbeat.
#[derive(Debug)]
pub enum HeartbeatMsg {
    /// A session opened: start watching with the server's timings.
    Start {
        /// The dial attempt, echoed in the heartbeat's answers.
        gen: u64,
        /// Who pings whom.
        version: EioVersion,
        /// The server's pingInterval.
        interval: Duration,
        /// The server's pingTimeout.
        timeout: Duration,
        /// When the open packet arrived.
        now: Instant,
    },
    /// A ping arrived from the server (Engine.IO 4).
    Ping(Instant),
    /// A pong arrived from the server (Engine.IO 3).
    Pong(Instant),
    /// The session ended: stop watching.
    Stop,
}

/// Facade and Connection → Registry.
#[derive(Debug)]
pub enum RegistryCmd {
    /// `On(name)`; `*` subscribes to every event.
    On(String),
    /// `Off(name)`.
    Off(String),
    /// `OffAll()`.
    OffAll,
    /// Things for 1C, in order: state changes (always delivered) and messages (filtered). A
    /// batch: under a flood the Connection hands over what one turn of its loop decoded in one
    /// message, so the channel costs are paid per batch, not per event.
    Deliver(Batch<Inbound>),
}

/// Items that travel as one channel message, in order. A lone item (a quiet exchange: an
/// acknowledgement, a state change) needs no allocation of its own.
#[derive(Debug)]
pub enum Batch<T> {
    /// A lone item.
    One(T),
    /// Two or more.
    Many(Vec<T>),
}

impl<T> Batch<T> {
    /// The items of `items` (empty: `None`); `items` keeps its allocation when it held one item.
    pub fn take(items: &mut Vec<T>) -> Option<Batch<T>> {
        match items.len() {
            0 => None,
            1 => items.pop().map(Batch::One),
            // Room for a batch like this one: a flood's batches are alike, so filling the next
            // one costs no reallocations.
            n => Some(Batch::Many(std::mem::replace(items, Vec::with_capacity(n)))),
        }
    }
}

impl<T> IntoIterator for Batch<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<std::option::IntoIter<T>, std::vec::IntoIter<T>>;

    fn into_iter(self) -> Self::IntoIter {
        let (one, many) = match self {
            Batch::One(item) => (Some(item), Vec::new()),
            Batch::Many(items) => (None, items),
        };
        one.into_iter().chain(many)
    }
}

/// A test's end of a channel of batches: their items one at a time.
#[cfg(test)]
pub struct Unbatched<T> {
    from: async_channel::Receiver<Batch<T>>,
    ready: std::collections::VecDeque<T>,
}

#[cfg(test)]
impl<T> Unbatched<T> {
    /// Reads the batches of `from`.
    pub fn new(from: async_channel::Receiver<Batch<T>>) -> Unbatched<T> {
        Unbatched {
            from,
            ready: std::collections::VecDeque::new(),
        }
    }

    /// The next item; `None` once the sender is gone. Panics when nothing comes within
    /// [`WAIT`](crate::transport::memory::WAIT).
    pub async fn next(&mut self) -> Option<T> {
        if self.ready.is_empty() {
            let wait = crate::transport::memory::WAIT;
            let batch = crate::rt::timeout(wait, self.from.recv()).await;
            self.ready.extend(batch.expect("nothing came").ok()?);
        }
        self.ready.pop_front()
    }
}

/// What the Connection hands to the Registry.
#[derive(Debug)]
pub enum Inbound {
    /// A state change, an error or an acknowledgement: always delivered.
    Always(HostEvent),
    /// A message event: delivered when its name is subscribed.
    Message {
        /// The namespace it came on.
        namespace: Arc<str>,
        /// The AckId that 1C answers with, when the server asked for an acknowledgement.
        ack_id: Option<u64>,
        /// The event as the Engine decoded it (without its recovery offset).
        event: Event,
    },
}

#[cfg(test)]
mod tests {
    use super::Batch;

    #[test]
    fn a_batch_hands_out_its_items_in_order_and_empties_its_source() {
        let mut items: Vec<u32> = Vec::new();
        assert!(Batch::take(&mut items).is_none());

        items.push(7);
        let capacity = items.capacity();
        let one = Batch::take(&mut items).expect("one item");
        assert!(matches!(one, Batch::One(7)));
        assert!(items.is_empty());
        assert_eq!(
            items.capacity(),
            capacity,
            "a lone item keeps the allocation"
        );
        assert_eq!(one.into_iter().collect::<Vec<_>>(), [7]);

        items.extend([1, 2, 3]);
        let many = Batch::take(&mut items).expect("three items");
        assert!(items.is_empty());
        assert!(items.capacity() >= 3, "room for a batch like the last one");
        assert_eq!(many.into_iter().collect::<Vec<_>>(), [1, 2, 3]);
    }
}
