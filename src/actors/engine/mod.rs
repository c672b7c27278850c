//! The Engine actor: one Engine.IO connection, shared by the Client objects whose namespaces
//! ride on it (the JavaScript client's manager).
//!
//! It dials with the first `Connect`'s settings, owns the transport's reader, answers pings,
//! runs the upgrade from polling to websocket, reassembles binary packets, decodes each
//! Socket.IO packet (an event into its name and compact arguments, once for all the actors after
//! it) and routes it to the Connection of its namespace. The writer is shared
//! ([`SharedWriter`]): Connections write their own packets, so an emit costs no extra hop.
//! It has a Heartbeat actor of its own, because heartbeats belong to the Engine.IO connection,
//! not to a namespace.
//!
//! Its life is one Engine.IO session: when the session ends (the server closes it, the network
//! breaks, the heartbeat expires, invalid data) every attached Connection gets
//! [`SocketEvent::Closed`] and the engine ends; Connections that reconnect get a new engine. It
//! also ends when its last namespace leaves. Either way it takes itself out of the table first
//! ([`table::retire`]), so no `Attach` is lost, and it closes its end signal last, after the
//! transport and the Heartbeat are gone: the last Connection to leave waits for that, so no task
//! of an object outlives its `Done`.
//!
//! - this file: the select loop, the routing by namespace, and [`attach`];
//! - `outlet`: where a namespace's events go, a run of reads' packets in one message;
//! - `session`: dial, open, the upgrade, and closing the transport;
//! - `state`: the actor's state (the session, the upgrade), which this file and `session` share;
//! - `table`: which engines exist and who may share them (it does not know the actor: this
//!   file hands it the spawn);
//! - `tests`: the loop against a scripted server in memory.

mod outlet;
mod session;
mod state;
pub mod table;

use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use async_channel::{Receiver, Sender};
use futures::{FutureExt, StreamExt};

use super::messages::{Batch, EngineCmd, EngineEvent, HeartbeatMsg, SocketEvent};
use crate::config::ConnectRequest;
use crate::events::CloseReason;
use crate::lang::Text;
use crate::log::Level;
use crate::protocol::engineio::Packet as EioPacket;
use crate::protocol::socketio::{self, Packet as SioPacket, PacketKind};
use crate::protocol::EioVersion;
use crate::rt;
use crate::text;
use crate::transport::{Incoming, TransportError};
use outlet::{Flushed, Outlet, Outlets};
pub(super) use state::send;
use state::{Engine, Phase, CLOSE_WAIT};
use table::{Link, Start};

/// Capacity of the channels to and from the Heartbeat and from the dial and probe tasks (a few
/// messages per heartbeat interval).
const EVENTS_CAPACITY: usize = 4;

/// Most packets read in a row before the loop looks at its commands and events (the reader
/// comes first in its select, so under a flood they would wait for the flood's end otherwise:
/// a heartbeat's ping, a namespace leaving).
const READ_STREAK: u32 = 64;

/// One thing the select loop woke up for.
enum Input {
    Command(Option<EngineCmd>),
    Event(EngineEvent),
    Incoming(Option<Result<Incoming, TransportError>>),
}

/// Puts `namespace` on an engine for `request` ([`table::attach`]), spawning the engine when a
/// new one is needed.
pub fn attach(
    request: &Arc<ConnectRequest>,
    namespace: Arc<str>,
    to: Sender<Batch<SocketEvent>>,
) -> Link {
    table::attach(request, namespace, to, |start| {
        rt::spawn(run(start));
    })
}

/// Runs the engine until its session ends or its last namespace leaves.
async fn run(start: Start) {
    let Start {
        id,
        key,
        request,
        commands,
        ended,
    } = start;
    let (heartbeat, heartbeat_rx) = async_channel::bounded(EVENTS_CAPACITY);
    let (events_tx, events_rx) = async_channel::bounded(EVENTS_CAPACITY);
    // Pinned: the select loop polls them as streams.
    let mut commands = pin!(commands);
    let mut events_rx = pin!(events_rx);
    let heartbeat_task = rt::spawn(super::heartbeat::run(
        heartbeat_rx,
        events_tx.downgrade(),
        rt::RuntimeClock,
    ));
    let mut engine = Engine {
        id,
        key,
        request,
        sockets: Outlets::default(),
        heartbeat,
        events_tx,
        gen: 0,
        phase: Phase::Closed,
        reader: None,
        version_corrected: false,
        root_reply: None,
    };
    engine.dial();
    let mut streak = 0;
    while !matches!(engine.phase, Phase::Closed) {
        // Every READ_STREAK packets in a row, the run's packets are handed over, the other
        // tasks get the executor thread once (a server that floods keeps every read ready, and
        // when nothing downstream fills up, e.g. packets of a namespace nobody joined, the loop
        // would never give the thread back to the other objects), and the control channels get
        // a look first.
        let control = if streak >= READ_STREAK {
            streak = 0;
            engine.sockets.flush_all().await;
            rt::yield_now().await;
            (commands.try_recv().map(|cmd| Input::Command(Some(cmd))))
                .or_else(|_| events_rx.try_recv().map(Input::Event))
                .ok()
        } else {
            None
        };
        let input = if let Some(input) = control {
            input
        } else {
            let Engine {
                reader, sockets, ..
            } = &mut engine;
            let mut incoming = pin!(async {
                match reader.as_mut() {
                    Some(r) => r.next().await,
                    None => futures::future::pending().await,
                }
            });
            loop {
                // The reader comes first: while packets are buffered the channels are not even
                // polled (each poll of a receiver takes its listener's lock). When nothing is
                // buffered, this poll has also registered the wake-up for the next data.
                if let Poll::Ready(incoming) = futures::poll!(incoming.as_mut()) {
                    break Input::Incoming(incoming);
                }
                // The run of reads is over: its packets go to their Connections, then the
                // engine waits. Had the hand-over to wait, the wake-up it consumed may have been
                // the reader's: read again first.
                if sockets.flush_all().await == Flushed::AfterWaiting {
                    continue;
                }
                // Not polled again while waiting (that would cost a failed read): any wake-up
                // ends this select through `woken`, and the loop polls the reader again. The
                // channels are polled as streams: a receiver keeps its registration for the next
                // message across turns, where a `recv()` per turn would register anew. (Fused
                // here: a closed channel is a terminated stream, which `select!` would never
                // poll, and its end would go unnoticed.)
                let woken = {
                    let mut first = true;
                    futures::future::poll_fn(move |_| {
                        if std::mem::take(&mut first) {
                            Poll::Pending
                        } else {
                            Poll::Ready(())
                        }
                    })
                };
                let woke = futures::select_biased! {
                    () = woken.fuse() => None,
                    cmd = commands.next().fuse() => Some(Input::Command(cmd)),
                    ev = events_rx.next().fuse() => Some(match ev {
                        Some(ev) => Input::Event(ev),
                        // The engine holds a sender itself, so this channel never closes first.
                        None => Input::Command(None),
                    }),
                };
                if let Some(input) = woke {
                    break input;
                }
            }
        };
        streak = if matches!(input, Input::Incoming(_)) {
            streak + 1
        } else {
            0
        };
        match input {
            Input::Command(Some(EngineCmd::Attach { namespace, to })) => {
                engine.attach(namespace, to).await
            }
            Input::Command(Some(EngineCmd::Detach { namespace })) => {
                engine.sockets.remove(&namespace);
                if engine.sockets.is_empty()
                    && table::retire(&engine.key, engine.id, &commands, true)
                {
                    engine.teardown().await;
                    engine.phase = Phase::Closed;
                }
            }
            Input::Command(Some(EngineCmd::Failed { why })) => {
                engine
                    .close(CloseReason::TransportError, Some(why), &commands)
                    .await
            }
            // Only after `retire`, which also ends the loop; kept for completeness.
            Input::Command(None) => {
                engine.teardown().await;
                engine.phase = Phase::Closed;
            }
            Input::Event(ev) => engine.on_event(ev, &commands).await,
            // One packet per turn of the loop: trying the reader for more without waiting would
            // cost a failed read and a new reactor registration (two syscalls) whenever nothing
            // more has arrived, which under a real server's trickle is most of the time.
            Input::Incoming(incoming) => engine.on_incoming(incoming, &commands).await,
        }
    }
    let Engine { heartbeat, .. } = engine;
    drop(heartbeat);
    heartbeat_task.await;
    drop(ended);
}

impl Engine {
    /// What the transport's reader yielded.
    async fn on_incoming(
        &mut self,
        incoming: Option<Result<Incoming, TransportError>>,
        commands: &Receiver<EngineCmd>,
    ) {
        match incoming {
            Some(Ok(Incoming::Packet(packet))) => self.on_engine_packet(packet, commands).await,
            Some(Ok(Incoming::Drained)) => self.on_drained(commands).await,
            Some(Err(TransportError::Protocol(err))) => {
                self.parse_error(err.to_string(), commands).await
            }
            Some(Err(err)) => {
                let text = err.text();
                self.close(CloseReason::TransportError, Some(text), commands)
                    .await
            }
            None => {
                self.close(CloseReason::TransportClose, None, commands)
                    .await
            }
        }
    }

    /// A namespace joins: it gets the session at once when it is open (and, on Engine.IO 3,
    /// the server's automatic reply for `/`), or with everyone else when the dial completes.
    async fn attach(&mut self, namespace: Arc<str>, to: Sender<Batch<SocketEvent>>) {
        let mut outlet = Outlet::new(to);
        if let Phase::Open(session) = &self.phase {
            outlet.push(SocketEvent::Opened(session.open_info()));
            if &*namespace == "/" {
                if let Some(reply) = self.root_reply.take() {
                    outlet.push(SocketEvent::Packet(reply));
                }
            }
            outlet.flush().await;
        }
        self.sockets.insert(namespace, outlet);
    }

    /// One Engine.IO packet from the server, whichever transport brought it.
    async fn on_engine_packet(&mut self, packet: EioPacket, commands: &Receiver<EngineCmd>) {
        let Phase::Open(session) = &mut self.phase else {
            return;
        };
        match packet {
            EioPacket::Ping(data) => {
                let _ = self.heartbeat.try_send(HeartbeatMsg::Ping(rt::now()));
                let writer = session.writer.clone();
                if let Err(err) = send(&writer, EioPacket::Pong(data)).await {
                    let text = err.text();
                    self.close(CloseReason::TransportError, Some(text), commands)
                        .await;
                }
            }
            EioPacket::Pong(_) => {
                let _ = self.heartbeat.try_send(HeartbeatMsg::Pong(rt::now()));
            }
            EioPacket::Close => {
                self.close(CloseReason::TransportClose, None, commands)
                    .await
            }
            EioPacket::Message(text) => {
                self.request
                    .log(Level::Debug, || format!("<- {}", crate::log::packet(&text)));
                match socketio::decode_owned(text).and_then(|p| session.reassembler.start(p)) {
                    Ok(Some(packet)) => self.route(packet, commands).await,
                    Ok(None) => {}
                    Err(err) => self.parse_error(err.to_string(), commands).await,
                }
            }
            EioPacket::Binary(bytes) => match session.reassembler.push(bytes) {
                Ok(Some(packet)) => self.route(packet, commands).await,
                Ok(None) => {}
                Err(err) => self.parse_error(err.to_string(), commands).await,
            },
            EioPacket::Open(_) | EioPacket::Upgrade | EioPacket::Noop => {}
        }
    }

    /// A complete Socket.IO packet: to the Connection of its namespace, an event as the
    /// [`socketio::Event`] that everything after this passes on.
    async fn route(&mut self, packet: SioPacket, commands: &Receiver<EngineCmd>) {
        let Phase::Open(session) = &self.phase else {
            return;
        };
        let version = session.version;
        if packet.kind == PacketKind::Connect
            && version == EioVersion::V4
            && socketio::connect_reply(packet.payload.as_deref())
                .sid
                .is_none()
        {
            // Only socket.io 1.x/2.x servers answer so, and they do not speak Engine.IO 4.
            return self.on_engine_io_3_server(commands).await;
        }
        match self.sockets.get_mut(&packet.nsp) {
            // Handed over at the end of this run of reads.
            Some(outlet) => outlet.push(match packet.kind {
                PacketKind::Event | PacketKind::BinaryEvent => {
                    SocketEvent::Event(socketio::Event::from_packet(packet))
                }
                _ => SocketEvent::Packet(packet),
            }),
            None if packet.kind == PacketKind::Connect
                && version == EioVersion::V3
                && packet.nsp == "/" =>
            {
                self.root_reply = Some(packet)
            }
            // A namespace nobody here has joined (or one that just left).
            None => {}
        }
    }

    fn parse_error<'a>(
        &'a mut self,
        why: String,
        commands: &'a Receiver<EngineCmd>,
    ) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            let text = text!("the server sent invalid data: {}", why; "сервер прислал неверные данные: {}", why);
            self.close(CloseReason::ParseError, Some(text), commands)
                .await;
        })
    }

    /// The session ended (or could not be opened): out of the table, the writer out of the
    /// shared slot (so writes from now on keep their packets for the next connection), every
    /// attached namespace (and any whose `Attach` is still queued) told why, then the transport
    /// closed (which may take a polite close's wait, so it comes last).
    fn close<'a>(
        &'a mut self,
        reason: CloseReason,
        why: Option<Text>,
        commands: &'a Receiver<EngineCmd>,
    ) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            if matches!(self.phase, Phase::Closed) {
                return;
            }
            table::retire(&self.key, self.id, commands, false);
            let writer = match &self.phase {
                Phase::Open(session) => session.writer.lock().await.take(),
                _ => None,
            };
            // After the packets routed before the end, which still go out first.
            let mut sockets = self.sockets.take_all();
            while let Ok(cmd) = commands.try_recv() {
                if let EngineCmd::Attach { to, .. } = cmd {
                    sockets.push(Outlet::new(to));
                }
            }
            for mut outlet in sockets {
                outlet
                    .send(SocketEvent::Closed {
                        reason,
                        why: why.clone(),
                    })
                    .await;
            }
            self.teardown().await;
            if let Some(writer) = writer {
                writer.close(CLOSE_WAIT).await;
            }
        })
    }
}

// Last in the file: tests/layers.rs reads a file up to its tests.
#[cfg(test)]
mod tests;
