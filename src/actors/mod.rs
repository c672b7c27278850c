//! The actors of one `Client` object, the Engine they share with other objects, and how they
//! are wired.
//!
//! ```text
//!  1C thread (component) ─ ─ an emit while nothing waits before it (fast_lane) ─ ─ ─ ─► socket
//!     │ ConnCmd (Connect, Disconnect), Outbound (emits; the offline buffer)
//!     ├──────────────────────────► Connection ──── packets, through the shared writer ───► socket
//!     │                             │   ▲  attach/detach (engine::table)
//!     │                             │   │ [SocketEvent] (its namespace's packets, Opened, Closed)
//!     │                             │  Engine ◄── EngineEvent (weak, try_send) ── Heartbeat
//!     │                             │   │  ▲ reads the socket, answers pings, routes by namespace
//!     │                             │   │  └── other objects' Connections (other namespaces)
//!     │                             │   └── HeartbeatMsg ──► Heartbeat
//!     │ RegistryCmd (On, Off, …)    ▼ RegistryCmd::Deliver (batches, in order)
//!     └──────────────────────────► Registry ── [HostEvent] ──► Dispatcher ──► ExternalEvent
//!                                                                      └─► queue (GetEvent)
//!                                   notify mode: the queue, and a Pending event ─► ExternalEvent
//! ```
//!
//! Per object: Connection (its namespace: join, acks, offline buffer, reconnection), Registry
//! (subscriptions), Dispatcher (to 1C). Per Engine.IO connection: an Engine (transport, upgrade,
//! reassembly, routing by namespace) and its Heartbeat; objects connected to the same server with
//! the same settings share one, each on its own namespace, as the JavaScript client's manager.
//!
//! Inbound events travel from the Engine to the Dispatcher in batches ([`messages::Batch`]): the
//! packets of one run of socket reads (up to 64 under a flood, one in a quiet exchange) are one
//! message to the Connection, and what one turn of the Connection's loop decoded is one message to
//! the Registry and on to the Dispatcher, so each edge's send, receive and wake-up are paid per
//! batch, not per event.
//!
//! Every edge is a bounded async-channel (except the table's attach/detach, which are bounded by
//! the objects that exist); a full channel makes the sender wait, so a slow 1C slows the socket
//! reads instead of growing memory. The only back edge (Heartbeat → Engine) is a weak sender
//! with `try_send`, so there is no ownership cycle.
//!
//! Shutdown is channel closure: `Done` drops the facade's handles; the Connection sees its
//! command channel close, leaves its engine (waiting for it to close the transport when it was
//! the last namespace on it) and returns, dropping the Registry's sender; the Registry drops the
//! Dispatcher's sender; the Dispatcher drains and returns. [`ClientActors::shutdown`] waits for
//! all three, bounded.
//!
//! - `handles`: the facade's handles on the Connection and the Registry; each owns the rules
//!   for sending to its actor (which sends wait, how long, what a full channel means).
//! - `fast_lane`: an emit written on the 1C thread when nothing waits before it (saves the
//!   wake-up of the Connection on the way out); `encode`: the packets of emits.
//! - `messages`: every message type; `outbox`: what waits to be written, counted and bounded
//!   in packets and bytes, with a wake-up for a `Send` that waits for room.
//! - `shared`: what the 1C thread and the actors share while they run, in parts by job:
//!   `status` (Connected, SessionID, LastError: a [`status::Snapshot`] for the properties),
//!   `event_queue` (queue and notify modes' events, `GetEvent`'s end), `ack_book` (`SendWithAck`
//!   Ids, the server's acknowledgement requests, the acks written on the fast lane); `shared`
//!   itself keeps the delivery mode, the event source, the outbox and the fast lane.
//! - `connection`, `registry`, `dispatcher`: one actor each per object; `pending`: when the
//!   dispatcher sends notify mode's Pending event (pure).
//! - `engine`, `heartbeat`: one each per Engine.IO connection.
//!
//! # How to test an actor without a network
//! Each actor's loop has unit tests that feed it scripted input and read what it sends on, as
//! quinn-proto tests its connection without sockets:
//! - Engine and Connection (`engine/tests.rs`, `connection/tests.rs`): `transport::memory`
//!   (compiled only in tests) is a server in memory. `MemoryServer::listen()` gives it a made-up
//!   host, and a `Connect` to that host (`MemoryServer::request`) is dialled in memory, so the
//!   Engine runs unchanged over the test-only `Memory` halves of `Reader` and `Writer`. The test
//!   takes each dial as a `ServerConn`, sends packets in their wire form (`conn.open(..)`,
//!   `conn.send(r#"42["news",1]"#)`, `conn.send("1")`, or drops it), and reads what the client
//!   wrote (`conn.next()`) and what the actor sends on (the [`messages::SocketEvent`]s of an
//!   attached namespace; the Connection's [`messages::Inbound`]s for the Registry).
//! - Heartbeat: its time comes in as an [`rt::Clock`]. The tests give it an `rt::ManualClock`
//!   and poll the actor on their own thread until it waits, so they move time by hand and see
//!   "not yet" as surely as "now".
//! - Dispatcher: a recording [`EventSink`] is the platform; the queue is [`Shared`]'s
//!   ([`event_queue`]).
//!
//! Never sleep and hope: wait for the expected message, bounded by `memory::WAIT` so that a
//! failing test fails instead of hanging. Timings that the server or the properties set
//! (pingInterval, ReconnectionDelay, an ack's timeout) are made a few milliseconds in the Engine
//! and Connection tests.

pub mod ack_book;
pub mod connection;
pub mod dispatcher;
pub mod encode;
pub mod engine;
pub mod event_queue;
pub mod fast_lane;
pub mod handles;
pub mod heartbeat;
pub mod messages;
pub mod outbox;
pub mod pending;
pub mod registry;
pub mod shared;
pub mod status;

use std::sync::Arc;
use std::time::Duration;

use crate::host::EventSink;
use crate::rt::{self, Task};
use handles::{ConnectionHandle, RegistryHandle};
pub use outbox::{OUTBOX_CAPACITY, OUTBOX_MAX_BYTES};
use shared::Shared;

/// Capacity of the control channels (commands are few; the bound only guards against misuse).
const CONTROL_CAPACITY: usize = 16;
/// Capacity of the channels that carry inbound events between actors. A bounded channel
/// allocates and writes every slot up front (about 110 bytes each here), so every idle object
/// pays for it: 8 batches, of up to 64 events each, still keep the actors working in batches
/// under a flood (16 cost 1.3 KiB more per object; the flood figures moved within this VM's
/// noise, issue 19).
const PIPE_CAPACITY: usize = 8;

/// How long a cancelled task may take to stop (it only has to leave its current poll).
const CANCEL_WAIT: Duration = Duration::from_millis(200);

/// The facade's ends of one object's actors.
pub struct ClientActors {
    /// Commands and emits to the Connection.
    pub connection: ConnectionHandle,
    /// Subscriptions to the Registry.
    pub registry: RegistryHandle,
    tasks: Vec<Task<()>>,
}

impl std::fmt::Debug for ClientActors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientActors")
            .field("tasks", &self.tasks.len())
            .finish()
    }
}

impl ClientActors {
    /// Spawns the three actors of one object on the shared runtime.
    pub fn spawn(shared: Arc<Shared>, sink: Option<Arc<dyn EventSink>>) -> ClientActors {
        let (commands, commands_rx) = async_channel::bounded(CONTROL_CAPACITY);
        // Unbounded underneath (a bounded channel allocates every slot up front); the facade
        // keeps it within OUTBOX_CAPACITY packets and OUTBOX_MAX_BYTES bytes.
        let (outbox, outbox_rx) = async_channel::unbounded();
        let (registry, registry_rx) = async_channel::bounded(PIPE_CAPACITY);
        let (dispatch_tx, dispatch_rx) = async_channel::bounded(PIPE_CAPACITY);
        let channels = connection::Channels {
            commands: commands_rx,
            outbox: outbox_rx,
            registry: registry.clone(),
        };
        let tasks = vec![
            rt::spawn(dispatcher::run(dispatch_rx, shared.clone(), sink)),
            rt::spawn(registry::run(registry_rx, dispatch_tx)),
            rt::spawn(connection::run(channels, shared.clone())),
        ];
        ClientActors {
            connection: ConnectionHandle::new(commands, outbox, shared),
            registry: RegistryHandle::new(registry),
            tasks,
        }
    }

    /// Stops every actor and waits for them, at most `wait` (then they are cancelled, which
    /// also waits only for a task that is inside a poll right now). Call from the 1C thread.
    pub fn shutdown(self, wait: Duration) {
        let ClientActors {
            connection,
            registry,
            tasks,
        } = self;
        drop((connection, registry));
        rt::block_on(async move {
            let deadline = rt::now() + wait;
            for mut task in tasks {
                let left = deadline.saturating_duration_since(rt::now());
                if rt::timeout(left, &mut task).await.is_none() {
                    // Not finished in time: cancel it (dropped at its current await point).
                    let _ = rt::timeout(CANCEL_WAIT, rt::cancel(task)).await;
                }
            }
        });
    }
}
