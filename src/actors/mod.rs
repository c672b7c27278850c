//! The actors of one `Client` object and how they are wired.
//!
//! ```text
//!  1C thread (component)                                    
//!     │ ConnCmd (Connect, Disconnect)      ┌──────────── HeartbeatMsg ──────────┐
//!     │ Outbound (emits: the offline buffer)│                                    ▼
//!     ├──────────────────────────────► Connection ◄── ConnEvent (weak, try_send) ─ Heartbeat
//!     │                                     │ RegistryCmd::Deliver (in order)
//!     │ RegistryCmd (On, Off, OffAll)       ▼
//!     └──────────────────────────────► Registry ── HostEvent ──► Dispatcher ──► ExternalEvent
//!                                                                            └─► queue (GetEvent)
//! ```
//!
//! Every edge is a bounded async-channel; a full channel makes the sender wait, so a slow 1C
//! slows the socket reads instead of growing memory. The only back edge (Heartbeat →
//! Connection) is a weak sender with `try_send`, so there is no ownership cycle.
//!
//! Shutdown is channel closure: `Done` drops the facade's senders; the Connection sees its
//! command channel close, closes the transport and returns, dropping the Heartbeat's and the
//! Registry's senders; they return; the Registry drops the Dispatcher's sender; the Dispatcher
//! drains and returns. [`ClientActors::shutdown`] waits for all four, bounded.
//!
//! - `messages`: every message type.
//! - `shared`: what the 1C thread reads while the actors run (Connected, SessionID, …).
//! - `connection`, `heartbeat`, `registry`, `dispatcher`: one actor each.

pub mod connection;
pub mod dispatcher;
pub mod heartbeat;
pub mod messages;
pub mod registry;
pub mod shared;

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use async_channel::Sender;

use crate::host::EventSink;
use crate::rt::{self, Task};
use messages::{ConnCmd, Outbound, RegistryCmd};
use shared::Shared;

/// Capacity of the outbox: how many sends wait for a connection before `Send` refuses.
pub const OUTBOX_CAPACITY: usize = 10_000;
/// The most bytes (event names and argument texts or data) that sends may hold in the outbox at
/// once; also the largest single message `Send` accepts.
pub const OUTBOX_MAX_BYTES: usize = 64 << 20;
/// Capacity of the control channels (commands are few; the bound only guards against misuse).
const CONTROL_CAPACITY: usize = 16;
/// Capacity of the channels that carry inbound events between actors.
const PIPE_CAPACITY: usize = 128;

/// How long a cancelled task may take to stop (it only has to leave its current poll).
const CANCEL_WAIT: Duration = Duration::from_millis(200);

/// The facade's ends of one object's actors.
pub struct ClientActors {
    /// Control commands to the Connection.
    pub commands: Sender<ConnCmd>,
    /// Emits to the Connection, in order.
    pub outbox: Sender<Outbound>,
    /// Bytes held by the packets in the outbox (see [`messages::OutboxTicket`]).
    pub outbox_bytes: Arc<AtomicUsize>,
    /// Subscriptions to the Registry.
    pub registry: Sender<RegistryCmd>,
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
    /// Spawns the four actors of one object on the shared runtime.
    pub fn spawn(shared: Arc<Shared>, sink: Option<Arc<dyn EventSink>>) -> ClientActors {
        let (commands, commands_rx) = async_channel::bounded(CONTROL_CAPACITY);
        // Unbounded underneath (a bounded channel allocates every slot up front); the facade
        // keeps it within OUTBOX_CAPACITY packets and OUTBOX_MAX_BYTES bytes.
        let (outbox, outbox_rx) = async_channel::unbounded();
        let (registry, registry_rx) = async_channel::bounded(PIPE_CAPACITY);
        let (dispatch_tx, dispatch_rx) = async_channel::bounded(PIPE_CAPACITY);
        let (heartbeat_tx, heartbeat_rx) = async_channel::bounded(CONTROL_CAPACITY);
        let events = async_channel::bounded(CONTROL_CAPACITY);
        let weak_events = events.0.downgrade();
        let channels = connection::Channels {
            commands: commands_rx,
            outbox: outbox_rx,
            events,
            heartbeat: heartbeat_tx,
            registry: registry.clone(),
        };
        let tasks = vec![
            rt::spawn(dispatcher::run(dispatch_rx, shared.clone(), sink)),
            rt::spawn(registry::run(registry_rx, dispatch_tx)),
            rt::spawn(heartbeat::run(heartbeat_rx, weak_events)),
            rt::spawn(connection::run(channels, shared)),
        ];
        ClientActors {
            commands,
            outbox,
            outbox_bytes: Arc::default(),
            registry,
            tasks,
        }
    }

    /// Stops every actor and waits for them, at most `wait` (then they are cancelled, which
    /// also waits only for a task that is inside a poll right now). Call from the 1C thread.
    pub fn shutdown(self, wait: Duration) {
        let ClientActors {
            commands,
            outbox,
            registry,
            tasks,
            ..
        } = self;
        drop((commands, outbox, registry));
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
