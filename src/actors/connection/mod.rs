//! The Connection actor: owns the transport and the codecs of one `Client`.
//!
//! It runs the connection life cycle (dial, Engine.IO open, namespace CONNECT, open, close),
//! answers pings, decodes inbound packets into [`Inbound`] items for the Registry, and sends the
//! packets waiting in the outbox once the namespace is joined. One select loop waits on: control
//! commands, internal events (dial results, upgrade probes, heartbeat), the transport's reader,
//! the outbox (while not joined its packets move to the offline buffer), the connect deadline
//! and the wake-up timer (acknowledgement timeouts, reconnect backoff).
//!
//! The transport is a [`Reader`]/[`Writer`] pair (websocket or polling). A polling session that
//! may be upgraded is probed by a task of its own; when the probe succeeds polling pauses, and
//! once the reader reports it drained the Connection sends `5` on the websocket and swaps both
//! halves (`lifecycle`).
//!
//! It ends when the facade drops the command channel (`Done`), closing the transport without
//! reporting anything, and drops its senders to the Heartbeat and the Registry, which then end.
//!
//! - this file: the actor's state and its select loop;
//! - `lifecycle`: Connect, dial, join, the upgrade, Disconnect, and every way a connection ends;
//! - `inbound`: Engine.IO and Socket.IO packets from the server;
//! - `outbound`: packets from the outbox to the server, and the offline buffer;
//! - `acks`: `SendWithAck` Ids waiting for their acknowledgement;
//! - `reconnect`: reconnection with backoff, and connection-state recovery.

mod acks;
mod inbound;
mod lifecycle;
mod outbound;
mod reconnect;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};
use futures::FutureExt;

use super::messages::{
    ConnCmd, ConnEvent, ConnectRequest, HeartbeatMsg, Inbound, Outbound, RegistryCmd,
};
use super::shared::Shared;
use crate::events::CloseReason;
use crate::protocol::binary::Reassembler;
use crate::protocol::EioVersion;
use crate::rt::{self, Task};
use crate::transport::upgrade::Probed;
use crate::transport::{self, Incoming, Reader, TransportError, Writer};

/// How long a polite close (Socket.IO DISCONNECT, websocket close) may take before the socket is
/// simply dropped.
const CLOSE_WAIT: Duration = Duration::from_millis(500);

/// How many outbox packets are written before one flush.
const WRITE_BATCH: usize = 64;

/// Most binary attachments accepted in one inbound packet (socket.io's own parser stops at 10;
/// servers may send more).
const MAX_ATTACHMENTS: usize = 256;

/// Most attachment bytes accepted in one inbound packet.
const MAX_ATTACHMENT_BYTES: usize = transport::websocket::MAX_MESSAGE_BYTES;

/// Most events kept while the namespace is not yet joined (python-socketio 4 sends events
/// before its CONNECT reply); more is a protocol error.
const MAX_EARLY_EVENTS: usize = 1024;

/// The channels a Connection actor is built from.
pub struct Channels {
    /// Control commands from the facade.
    pub commands: Receiver<ConnCmd>,
    /// Packets to send, from the facade.
    pub outbox: Receiver<Outbound>,
    /// Internal events (dial results, heartbeat); the actor keeps a sender for dial tasks.
    pub events: (Sender<ConnEvent>, Receiver<ConnEvent>),
    /// To the Heartbeat actor.
    pub heartbeat: Sender<HeartbeatMsg>,
    /// To the Registry actor.
    pub registry: Sender<RegistryCmd>,
}

/// Where the connection stands.
enum Phase {
    /// No connection and no attempt.
    Idle,
    /// A dial task runs.
    Dialing { dial: Task<()> },
    /// The Engine.IO session is open; waiting for the namespace CONNECT reply.
    Joining(Session),
    /// The namespace is joined: events flow both ways.
    Open(Session),
}

/// An open Engine.IO session.
struct Session {
    writer: Writer,
    version: EioVersion,
    /// The Engine.IO session id (the socket id of Engine.IO 3 servers is made from it).
    engine_sid: String,
    /// Where the upgrade of a polling session to websocket stands.
    upgrade: Upgrade,
    reassembler: Reassembler,
    /// Events that arrived before the CONNECT reply, delivered right after Open.
    early: Vec<Inbound>,
}

/// The upgrade of a polling session to websocket.
enum Upgrade {
    /// None under way (a websocket session, an upgrade done, refused or not possible).
    None,
    /// The probe task runs.
    Probing(Task<()>),
    /// The websocket answered the probe; polling is pausing (until the reader is drained).
    Ready(Box<Probed>),
}

/// The actor's state.
struct Connection {
    shared: Arc<Shared>,
    heartbeat: Sender<HeartbeatMsg>,
    registry: Sender<RegistryCmd>,
    events_tx: Sender<ConnEvent>,
    /// The current attempt; answers from older attempts are ignored.
    gen: u64,
    phase: Phase,
    request: Option<Arc<ConnectRequest>>,
    namespace: Arc<str>,
    /// When the current attempt fails if it has not reached Open.
    deadline: Option<Instant>,
    /// Emits waiting for the namespace to be joined, in order (the offline buffer).
    send_buffer: VecDeque<Outbound>,
    /// `SendWithAck` Ids waiting for their acknowledgement.
    acks: acks::Acks,
    /// Reconnection and recovery state.
    reconnect: reconnect::Reconnect,
    /// The Engine.IO revision was corrected once in this `Connect` (see
    /// `lifecycle::on_engine_io_3_server`): a second surprise is a Fail.
    version_corrected: bool,
}

/// One thing the select loop woke up for.
enum Input {
    Command(Option<ConnCmd>),
    Event(ConnEvent),
    Incoming(Option<Result<Incoming, TransportError>>),
    Outbound(Outbound),
    Deadline,
    Wake,
}

/// Runs the actor until the facade is gone.
pub async fn run(channels: Channels, shared: Arc<Shared>) {
    let Channels {
        commands,
        outbox,
        events: (events_tx, events_rx),
        heartbeat,
        registry,
    } = channels;
    let mut conn = Connection {
        shared,
        heartbeat,
        registry,
        events_tx,
        gen: 0,
        phase: Phase::Idle,
        request: None,
        namespace: Arc::from("/"),
        deadline: None,
        send_buffer: VecDeque::new(),
        acks: acks::Acks::default(),
        reconnect: reconnect::Reconnect::default(),
        version_corrected: false,
    };
    let mut reader: Option<Reader> = None;
    loop {
        let input = {
            let take_outbox = matches!(conn.phase, Phase::Open(_)) || conn.buffer_has_room();
            let deadline = conn.deadline;
            let wake = conn.next_wake();
            let incoming = async {
                match reader.as_mut() {
                    Some(r) => r.next().await,
                    None => futures::future::pending().await,
                }
            };
            let outbound = async {
                if take_outbox {
                    match outbox.recv().await {
                        Ok(out) => out,
                        Err(_) => futures::future::pending().await,
                    }
                } else {
                    futures::future::pending().await
                }
            };
            let timer = async {
                match deadline {
                    Some(at) => rt::sleep_until(at).await,
                    None => futures::future::pending().await,
                }
            };
            let wake = async {
                match wake {
                    Some(at) => rt::sleep_until(at).await,
                    None => futures::future::pending().await,
                }
            };
            futures::select! {
                cmd = commands.recv().fuse() => Input::Command(cmd.ok()),
                ev = events_rx.recv().fuse() => match ev {
                    Ok(ev) => Input::Event(ev),
                    // The actor holds a sender itself, so this channel never closes first.
                    Err(_) => Input::Command(None),
                },
                incoming = incoming.fuse() => Input::Incoming(incoming),
                out = outbound.fuse() => Input::Outbound(out),
                _ = timer.fuse() => Input::Deadline,
                _ = wake.fuse() => Input::Wake,
            }
        };
        match input {
            Input::Command(None) => {
                conn.shutdown(&mut reader).await;
                return;
            }
            Input::Command(Some(ConnCmd::Connect(request))) => conn.connect(request),
            Input::Command(Some(ConnCmd::Disconnect)) => {
                conn.disconnect(&outbox, &mut reader).await
            }
            Input::Event(ev) => conn.on_event(ev, &mut reader).await,
            Input::Incoming(Some(Ok(Incoming::Packet(packet)))) => {
                conn.on_engine_packet(packet, &mut reader).await
            }
            Input::Incoming(Some(Ok(Incoming::Drained))) => conn.on_drained(&mut reader).await,
            Input::Incoming(Some(Err(TransportError::Protocol(err)))) => {
                conn.parse_error(err.to_string(), &mut reader).await
            }
            Input::Incoming(Some(Err(err))) => {
                let text = err.text();
                conn.end(CloseReason::TransportError, Some(text), &mut reader)
                    .await
            }
            Input::Incoming(None) => {
                conn.end(CloseReason::TransportClose, None, &mut reader)
                    .await
            }
            Input::Outbound(out) => conn.send_outbound(out, &outbox, &mut reader).await,
            Input::Deadline => conn.on_deadline(&mut reader).await,
            Input::Wake => conn.on_wake().await,
        }
    }
}
