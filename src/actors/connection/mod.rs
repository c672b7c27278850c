//! The Connection actor: one `Client`'s namespace socket on an Engine.IO connection.
//!
//! It runs the namespace's life cycle (attach to an engine, CONNECT, open, close), turns the
//! namespace's packets (decoded by the engine) into [`Inbound`] items for the Registry, and
//! writes the packets waiting in the outbox once the namespace is joined. The Engine.IO
//! connection itself (dial, transport, heartbeat, upgrade) belongs to an
//! [`engine`](crate::actors::engine) that may be shared with other objects' namespaces; the
//! Connection writes through the engine's shared writer and gets its namespace's packets over a
//! channel of its own (one per attach). One select loop waits on:
//! control commands, the engine's [`SocketEvent`]s, the outbox (while not joined its packets
//! move to the offline buffer), the connect deadline and the wake-up timer (acknowledgement
//! timeouts, reconnect backoff).
//!
//! It ends when the facade drops the command channel (`Done`): it says goodbye as `Disconnect`
//! does (the outbox, then the namespace's DISCONNECT), leaves its engine without reporting
//! anything (waiting, bounded, for the transport to close when it was the engine's last
//! namespace) and drops its sender to the Registry, which then ends.
//!
//! - this file: the select loop and the engine's events;
//! - `state`: the actor's state, which every file below works on (so none of them imports this
//!   one, nor another both ways);
//! - `lifecycle`: Connect, attach, join, Disconnect, and every way a connection ends;
//! - `inbound`: Socket.IO packets of the namespace (CONNECT replies, events, refusals, …), and
//!   the hand-over to the Registry;
//! - `outbound`: packets from the outbox to the server, and the offline buffer;
//! - `acks`: the Ack events of `SendWithAck`; `ack_ids`: the Ids waiting for their
//!   acknowledgement (pure bookkeeping);
//! - `reconnect`: reconnection with backoff, and connection-state recovery; `backoff`: its
//!   state and the delay before each attempt;
//! - `tests`: the loop against a scripted server in memory.

mod ack_ids;
mod acks;
mod backoff;
mod inbound;
mod lifecycle;
mod outbound;
mod reconnect;
mod state;

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::Arc;
use std::time::Instant;

use async_channel::{Receiver, Sender};
use futures::{FutureExt, StreamExt};

use super::messages::{Batch, ConnCmd, Outbound, RegistryCmd, SocketEvent};
use super::shared::Shared;
use crate::events::CloseReason;
use crate::log::Level;
use crate::rt;
use ack_ids::Acks;
use backoff::Reconnect;
use lifecycle::Leave;
use state::{Connection, Phase};

/// After this many engine events in a row, no further batch is taken before the loop has looked
/// at its other inputs again.
const SOCKET_BATCH: usize = 64;

/// The channels a Connection actor is built from.
pub struct Channels {
    /// Control commands from the facade.
    pub commands: Receiver<ConnCmd>,
    /// Packets to send, from the facade.
    pub outbox: Receiver<Outbound>,
    /// To the Registry actor.
    pub registry: Sender<RegistryCmd>,
}

/// One thing the select loop woke up for.
enum Input {
    Command(Option<ConnCmd>),
    Socket(Option<Batch<SocketEvent>>),
    Outbound(Outbound),
    Deadline,
    Wake,
}

/// Runs the actor until the facade is gone.
pub async fn run(channels: Channels, shared: Arc<Shared>) {
    let Channels {
        commands,
        outbox,
        registry,
    } = channels;
    // Pinned: the select loop polls them as streams.
    let mut commands = pin!(commands);
    let mut outbox = pin!(outbox);
    let mut conn = Connection {
        shared,
        registry,
        gen: 0,
        phase: Phase::Idle,
        socket: None,
        request: None,
        namespace: Arc::from("/"),
        deadline: None,
        send_buffer: VecDeque::new(),
        acks: Acks::default(),
        written_acks: Vec::new(),
        reconnect: Reconnect::default(),
        ack_timer: None,
        to_registry: Vec::new(),
    };
    let mut deadline = rt::Alarm::new();
    let mut wake = rt::Alarm::new();
    loop {
        let input = {
            let take_outbox = matches!(conn.phase, Phase::Open(_)) || conn.buffer_has_room();
            deadline.set(conn.deadline);
            wake.set(conn.arm_wake());
            // The channels are polled as streams: a receiver keeps its registration for the
            // next message across turns, where a `recv()` per turn would register anew. (Fused
            // here: a closed channel is a terminated stream, which `select!` would never poll,
            // and its end would go unnoticed.)
            let socket_rx = conn.socket.as_mut();
            let socket = async {
                match socket_rx {
                    Some(rx) => rx.next().await,
                    None => futures::future::pending().await,
                }
            };
            let mut outbox_rx = outbox.as_mut();
            let outbound = async {
                if take_outbox {
                    match outbox_rx.next().await {
                        Some(out) => out,
                        None => futures::future::pending().await,
                    }
                } else {
                    futures::future::pending().await
                }
            };
            futures::select! {
                cmd = commands.next().fuse() => Input::Command(cmd),
                ev = socket.fuse() => Input::Socket(ev),
                out = outbound.fuse() => Input::Outbound(out),
                _ = deadline.ring().fuse() => Input::Deadline,
                _ = wake.ring().fuse() => Input::Wake,
            }
        };
        match input {
            Input::Command(None) => {
                conn.log(Level::Info, || {
                    "the object is destroyed: leaving the namespace".into()
                });
                conn.goodbye(&outbox).await;
                conn.teardown(Leave::WaitForClose).await;
                return;
            }
            Input::Command(Some(ConnCmd::Connect(request))) => conn.connect(request),
            Input::Command(Some(ConnCmd::Disconnect)) => conn.disconnect(&outbox).await,
            Input::Socket(Some(batch)) => conn.on_socket_events(batch).await,
            // The engine went away without a word (it always sends Closed first).
            Input::Socket(None) => conn.end(CloseReason::TransportClose, None).await,
            Input::Outbound(out) => conn.send_outbound(out, &outbox).await,
            Input::Deadline => conn.on_deadline().await,
            Input::Wake => conn.on_wake().await,
        }
        conn.hand_to_registry().await;
        conn.report_log_failure().await;
    }
}

impl Connection {
    /// A line for the object's diagnostic log (the current Connect's), if it has one.
    fn log(&self, level: Level, text: impl FnOnce() -> String) {
        if let Some(request) = &self.request {
            request.log(level, text);
        }
    }

    /// Tells 1C, once, that the log file could not be written (logging has stopped).
    async fn report_log_failure(&mut self) {
        let failure = self
            .request
            .as_ref()
            .and_then(|r| r.log.as_ref())
            .and_then(|log| log.take_failure());
        if let Some(why) = failure {
            self.report(crate::events::error(&why, None)).await;
        }
    }

    /// The next time [`Connection::on_wake`] has work (an acknowledgement's deadline, orphaned
    /// acknowledgements, the next reconnect attempt), published for the facade's fast lane.
    /// Published *before* the written acknowledgements are taken over, and again if there were
    /// any: a `SendWithAck` written after that sees the published time, and nudges this actor
    /// only if the timer would fire after its deadline.
    fn arm_wake(&mut self) -> Option<Instant> {
        loop {
            let now = rt::now();
            // Never later than a deadline that waits; never moved later while the kept time is
            // still ahead (waking up early costs one empty turn, re-arming costs every time).
            self.ack_timer = match (
                self.ack_timer.filter(|&at| at > now),
                self.acks.next_deadline(now),
            ) {
                (Some(kept), Some(due)) => Some(kept.min(due)),
                (kept, due) => kept.or(due),
            };
            let wake = match (self.ack_timer, self.reconnect_due()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.shared.set_wake_at(wake);
            if !self.adopt_written_acks() {
                return wake;
            }
        }
    }

    /// Events from the engine: `batch`, and what else it has already handed over (up to
    /// SOCKET_BATCH events in all), taken without rebuilding the select: under a flood that is
    /// most events, and each rebuild costs more than the event itself. An event that ends the
    /// attempt (a new one has its own channel) drops the rest of its batch: stale.
    async fn on_socket_events(&mut self, batch: Batch<SocketEvent>) {
        let gen = self.gen;
        let mut handled = 0;
        let mut next = Some(batch);
        while let Some(batch) = next.take() {
            for event in batch {
                if self.gen != gen || self.socket.is_none() {
                    return;
                }
                self.on_socket_event(event).await;
                handled += 1;
            }
            if handled < SOCKET_BATCH {
                next = self.socket.as_ref().and_then(|rx| rx.try_recv().ok());
            }
        }
    }

    /// One event from the engine.
    async fn on_socket_event(&mut self, event: SocketEvent) {
        match event {
            SocketEvent::Opened(open) => self.on_opened(open).await,
            SocketEvent::Packet(packet) => self.on_packet(packet).await,
            SocketEvent::Event(event) => {
                if let Err(why) = self.on_event(event) {
                    self.parse_error(why).await
                }
            }
            SocketEvent::Closed { reason, why } => self.end(reason, why).await,
        }
    }
}

// Last in the file: tests/layers.rs reads a file up to its tests.
#[cfg(test)]
mod tests;
