//! The Connection actor's state, which the select loop (`mod.rs`) and the files of its
//! handlers (`lifecycle`, `inbound`, `outbound`, `acks`, `reconnect`) all work on.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use async_channel::{Receiver, Sender};

use super::ack_ids::Acks;
use super::backoff::Reconnect;
use crate::actors::engine::table::Link;
use crate::actors::messages::WrittenAck;
use crate::actors::messages::{Batch, Inbound, OpenSession, Outbound, RegistryCmd, SocketEvent};
use crate::actors::shared::Shared;
use crate::config::ConnectRequest;

/// How many outbox packets are written before one flush.
pub(super) const WRITE_BATCH: usize = 64;

/// Capacity of the channel from the engine (batches of the namespace's packets, at most the
/// engine's READ_STREAK each): a full channel makes the engine wait, and so slows the socket
/// reads instead of growing memory. Its slots are allocated up front, per object: 8 (see
/// `PIPE_CAPACITY`).
pub(super) const SOCKET_CAPACITY: usize = 8;

/// Most events kept while the namespace is not yet joined (python-socketio 4 sends events
/// before its CONNECT reply); more is a protocol error.
pub(super) const MAX_EARLY_EVENTS: usize = 1024;

/// Where the connection stands.
pub(super) enum Phase {
    /// No connection and no attempt.
    Idle,
    /// On an engine whose Engine.IO session is not open yet.
    Attaching(Link),
    /// The Engine.IO session is open; waiting for the namespace CONNECT reply.
    Joining(Session),
    /// The namespace is joined: events flow both ways.
    Open(Session),
}

/// The namespace on an open Engine.IO session.
pub(super) struct Session {
    pub(super) link: Link,
    pub(super) open: OpenSession,
    /// Events that arrived before the CONNECT reply, delivered right after Open.
    pub(super) early: Vec<Inbound>,
}

/// The actor's state.
pub(super) struct Connection {
    pub(super) shared: Arc<Shared>,
    pub(super) registry: Sender<RegistryCmd>,
    /// The current attempt; the server's acknowledgement requests are tied to it.
    pub(super) gen: u64,
    pub(super) phase: Phase,
    /// The engine's events for the current attempt (a new channel per attach). Pinned: the
    /// select loop polls it as a stream.
    pub(super) socket: Option<Pin<Box<Receiver<Batch<SocketEvent>>>>>,
    pub(super) request: Option<Arc<ConnectRequest>>,
    pub(super) namespace: Arc<str>,
    /// When the current attempt fails if it has not reached Open.
    pub(super) deadline: Option<Instant>,
    /// Emits waiting for the namespace to be joined, in order (the offline buffer).
    pub(super) send_buffer: VecDeque<Outbound>,
    /// `SendWithAck` Ids waiting for their acknowledgement.
    pub(super) acks: Acks,
    /// The buffer [`Connection::adopt_written_acks`] swaps with the facade's (no allocation per
    /// `SendWithAck` written on the fast lane).
    pub(super) written_acks: Vec<WrittenAck>,
    /// Reconnection and recovery state.
    pub(super) reconnect: Reconnect,
    /// The acknowledgement timer as last armed. Kept until it fires, also once no Id waits any
    /// more: a `SendWithAck` that the facade writes itself needs no wake-up of this actor while
    /// this timer fires before its own deadline (see [`Connection::arm_wake`]).
    pub(super) ack_timer: Option<Instant>,
    /// Items for the Registry decoded in this turn of the loop, handed over together at its
    /// end (or before anything reported: the order holds). Empty between turns.
    pub(super) to_registry: Vec<Inbound>,
}
