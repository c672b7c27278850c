//! The Connection actor: owns the transport and the codecs of one `Client`.
//!
//! It runs the connection life cycle (dial, Engine.IO open, namespace CONNECT, open, close),
//! answers pings, decodes inbound packets into [`Inbound`] items for the Registry, and sends the
//! packets waiting in the outbox once the namespace is joined. One select loop waits on: control
//! commands, internal events (dial results, heartbeat), the websocket, the outbox (only while
//! joined: until then the channel itself is the offline buffer) and the connect deadline.
//!
//! It ends when the facade drops the command channel (`Done`), closing the transport without
//! reporting anything, and drops its senders to the Heartbeat and the Registry, which then end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};
use futures::FutureExt;

use super::messages::{
    Arg, ConnCmd, ConnEvent, ConnectRequest, HeartbeatMsg, Inbound, Outbound, RegistryCmd,
};
use super::shared::Shared;
use crate::component::settings::ProtocolChoice;
use crate::events::{self, CloseReason, MessageType};
use crate::lang::Text;
use crate::protocol::binary::{self, Reassembler};
use crate::protocol::engineio::{self, Packet as EioPacket};
use crate::protocol::socketio::{self, Packet as SioPacket, PacketKind};
use crate::protocol::{json, EioVersion, Frame};
use crate::rt::{self, Task};
use crate::text;
use crate::transport::{self, Dialed, TransportError, WsReader, WsWriter};

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
    writer: WsWriter,
    version: EioVersion,
    reassembler: Reassembler,
    /// Events that arrived before the CONNECT reply, delivered right after Open.
    early: Vec<Inbound>,
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
}

/// One thing the select loop woke up for.
enum Input {
    Command(Option<ConnCmd>),
    Event(ConnEvent),
    Frame(Option<Result<Frame, TransportError>>),
    Outbound(Outbound),
    Deadline,
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
    };
    let mut reader: Option<WsReader> = None;
    loop {
        let input = {
            let open = matches!(conn.phase, Phase::Open(_));
            let deadline = conn.deadline;
            let frame = async {
                match reader.as_mut() {
                    Some(r) => r.next().await,
                    None => futures::future::pending().await,
                }
            };
            let outbound = async {
                if open {
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
            futures::select! {
                cmd = commands.recv().fuse() => Input::Command(cmd.ok()),
                ev = events_rx.recv().fuse() => match ev {
                    Ok(ev) => Input::Event(ev),
                    // The actor holds a sender itself, so this channel never closes first.
                    Err(_) => Input::Command(None),
                },
                frame = frame.fuse() => Input::Frame(frame),
                out = outbound.fuse() => Input::Outbound(out),
                _ = timer.fuse() => Input::Deadline,
            }
        };
        match input {
            Input::Command(None) => {
                conn.shutdown(&mut reader).await;
                return;
            }
            Input::Command(Some(ConnCmd::Connect(request))) => conn.start(request),
            Input::Command(Some(ConnCmd::Disconnect)) => {
                conn.disconnect(&outbox, &mut reader).await
            }
            Input::Event(ev) => conn.on_event(ev, &mut reader).await,
            Input::Frame(Some(Ok(frame))) => conn.on_frame(frame, &mut reader).await,
            Input::Frame(Some(Err(err))) => {
                let text = err.text();
                conn.end(CloseReason::TransportError, Some(text), &mut reader)
                    .await
            }
            Input::Frame(None) => {
                conn.end(CloseReason::TransportClose, None, &mut reader)
                    .await
            }
            Input::Outbound(out) => conn.send_outbound(out, &outbox, &mut reader).await,
            Input::Deadline => conn.on_deadline(&mut reader).await,
        }
    }
}

impl Connection {
    /// `Connect`: starts attempt `gen + 1`.
    fn start(&mut self, request: Arc<ConnectRequest>) {
        if !matches!(self.phase, Phase::Idle) {
            // The facade refuses Connect while busy; a race with the end of an attempt lands
            // here and is ignored rather than tearing down a live connection.
            return;
        }
        self.gen += 1;
        self.namespace = Arc::from(request.endpoint.namespace.as_str());
        self.deadline = Some(rt::now() + request.settings.timeout);
        self.request = Some(request.clone());
        self.shared.set_busy(true);
        let gen = self.gen;
        let events = self.events_tx.clone();
        let version = match request.settings.protocol {
            ProtocolChoice::V3 => EioVersion::V3,
            ProtocolChoice::V4 | ProtocolChoice::Auto => EioVersion::V4,
        };
        let dial = rt::spawn(async move {
            let result = transport::websocket::dial(&request, version).await;
            let _ = events.send(ConnEvent::Dialed { gen, result }).await;
        });
        self.phase = Phase::Dialing { dial };
    }

    /// `Disconnect`: sends what is already in the outbox, leaves the namespace, closes, and
    /// reports Close/Normal (also when an attempt was still in progress).
    async fn disconnect(&mut self, outbox: &Receiver<Outbound>, reader: &mut Option<WsReader>) {
        if matches!(self.phase, Phase::Idle) {
            return;
        }
        if matches!(self.phase, Phase::Open(_)) {
            while let Ok(out) = outbox.try_recv() {
                if self.write_outbound(out).await.is_err() {
                    break;
                }
            }
            if let Phase::Open(session) = &mut self.phase {
                let packet = SioPacket {
                    kind: PacketKind::Disconnect,
                    nsp: self.namespace.to_string(),
                    id: None,
                    attachments: 0,
                    payload: None,
                };
                let frame = engineio::encode(
                    session.version,
                    &EioPacket::Message(socketio::encode(&packet)),
                );
                let _ = rt::timeout(CLOSE_WAIT, session.writer.send(frame)).await;
            }
        }
        self.teardown(reader).await;
        self.report(events::close(CloseReason::Normal)).await;
    }

    /// `Done`: closes without reporting.
    async fn shutdown(&mut self, reader: &mut Option<WsReader>) {
        self.teardown(reader).await;
    }

    /// Ends the current attempt or connection because of the network or the server: Close with
    /// `reason` when the namespace was joined, Fail otherwise. `why` goes to LastError, and to an
    /// Error event after the Close/Fail when it is a failure (not for an orderly close by the
    /// server). The state event comes first: seed code reacts to it and then reads LastError.
    async fn end(&mut self, reason: CloseReason, why: Option<Text>, reader: &mut Option<WsReader>) {
        let was_open = matches!(self.phase, Phase::Open(_));
        if matches!(self.phase, Phase::Idle) {
            return;
        }
        self.teardown(reader).await;
        if let Some(why) = &why {
            self.shared.set_last_error(why.clone());
        }
        if was_open {
            self.report(events::close(reason)).await;
            let orderly = matches!(
                reason,
                CloseReason::ServerDisconnect | CloseReason::TransportClose
            );
            if let (Some(why), false) = (why, orderly) {
                self.report(events::error(&why.en, None)).await;
            }
        } else {
            let why = why.unwrap_or_else(|| {
                text!("the connection closed before the namespace was joined";
                      "соединение закрылось до подключения к пространству имён")
            });
            self.shared.set_last_error(why.clone());
            self.report(events::fail()).await;
            self.report(events::error(&why.en, None)).await;
        }
    }

    /// Drops the transport and any attempt; back to Idle. Reports nothing.
    async fn teardown(&mut self, reader: &mut Option<WsReader>) {
        let phase = std::mem::replace(&mut self.phase, Phase::Idle);
        match phase {
            Phase::Idle => {}
            Phase::Dialing { dial } => {
                rt::cancel(dial).await;
            }
            Phase::Joining(session) | Phase::Open(session) => {
                let _ = self.heartbeat.try_send(HeartbeatMsg::Stop);
                *reader = None;
                session.writer.close(CLOSE_WAIT).await;
            }
        }
        self.deadline = None;
        self.gen += 1;
        self.shared.set_session(None);
        self.shared.set_busy(false);
    }

    /// Hands an event to the Registry (waiting while it is busy: backpressure, no loss).
    async fn report(&self, event: events::HostEvent) {
        let _ = self
            .registry
            .send(RegistryCmd::Deliver(Inbound::Always(event)))
            .await;
    }

    async fn on_deadline(&mut self, reader: &mut Option<WsReader>) {
        let secs = self
            .request
            .as_ref()
            .map_or(String::new(), |r| r.settings.timeout_text.clone());
        let why = text!("no connection within the timeout ({} s)", secs; "нет подключения за время таймаута ({} с)", secs);
        self.end(CloseReason::TransportError, Some(why), reader)
            .await;
    }

    async fn on_event(&mut self, event: ConnEvent, reader: &mut Option<WsReader>) {
        match event {
            ConnEvent::Dialed { gen, result } if gen == self.gen => match result {
                Ok(dialed) => self.on_dialed(dialed, reader).await,
                Err(err) => {
                    let text = err.text();
                    self.end(CloseReason::TransportError, Some(text), reader)
                        .await
                }
            },
            ConnEvent::SendPing { gen } if gen == self.gen => {
                if let Phase::Joining(s) | Phase::Open(s) = &mut self.phase {
                    let frame = engineio::encode(s.version, &EioPacket::Ping(String::new()));
                    if let Err(err) = s.writer.send(frame).await {
                        let text = err.text();
                        self.end(CloseReason::TransportError, Some(text), reader)
                            .await;
                    }
                }
            }
            ConnEvent::HeartbeatExpired { gen } if gen == self.gen => {
                let why = text!("the server did not answer the heartbeat in time"; "сервер не ответил на проверку связи вовремя");
                self.end(CloseReason::PingTimeout, Some(why), reader).await;
            }
            // Answers for an attempt that is already over.
            _ => {}
        }
    }

    /// The Engine.IO session is open: start the heartbeat and join the namespace.
    async fn on_dialed(&mut self, dialed: Dialed, reader: &mut Option<WsReader>) {
        let Dialed {
            mut writer,
            reader: new_reader,
            open,
            version,
        } = dialed;
        let _ = self.heartbeat.try_send(HeartbeatMsg::Start {
            gen: self.gen,
            version,
            interval: Duration::from_millis(open.ping_interval_ms),
            timeout: Duration::from_millis(open.ping_timeout_ms),
            now: rt::now(),
        });
        // Engine.IO 3 servers join "/" by themselves and refuse a second CONNECT for it.
        let needs_connect = version == EioVersion::V4 || &*self.namespace != "/";
        if needs_connect {
            let auth = self
                .request
                .as_ref()
                .map(|r| r.settings.auth_json.clone())
                .filter(|a| !a.is_empty());
            let packet = SioPacket {
                kind: PacketKind::Connect,
                nsp: self.namespace.to_string(),
                id: None,
                attachments: 0,
                payload: if version == EioVersion::V4 {
                    auth
                } else {
                    None
                },
            };
            let frame = engineio::encode(version, &EioPacket::Message(socketio::encode(&packet)));
            if let Err(err) = writer.send(frame).await {
                let text = err.text();
                self.end(CloseReason::TransportError, Some(text), reader)
                    .await;
                return;
            }
        }
        *reader = Some(new_reader);
        self.phase = Phase::Joining(Session {
            writer,
            version,
            reassembler: Reassembler::new(MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES),
            early: Vec::new(),
        });
    }

    async fn on_frame(&mut self, frame: Frame, reader: &mut Option<WsReader>) {
        let version = match &self.phase {
            Phase::Joining(s) | Phase::Open(s) => s.version,
            _ => return,
        };
        let packet = match frame {
            Frame::Text(text) => engineio::decode_text(text),
            Frame::Binary(bytes) => engineio::decode_binary(version, bytes),
        };
        let packet = match packet {
            Ok(p) => p,
            Err(err) => return self.parse_error(err.to_string(), reader).await,
        };
        match packet {
            EioPacket::Ping(data) => {
                let _ = self.heartbeat.try_send(HeartbeatMsg::Ping(rt::now()));
                if let Phase::Joining(s) | Phase::Open(s) = &mut self.phase {
                    let frame = engineio::encode(s.version, &EioPacket::Pong(data));
                    if let Err(err) = s.writer.send(frame).await {
                        let text = err.text();
                        self.end(CloseReason::TransportError, Some(text), reader)
                            .await;
                    }
                }
            }
            EioPacket::Pong(_) => {
                let _ = self.heartbeat.try_send(HeartbeatMsg::Pong(rt::now()));
            }
            EioPacket::Close => self.end(CloseReason::TransportClose, None, reader).await,
            EioPacket::Message(text) => {
                let decoded = match &mut self.phase {
                    Phase::Joining(s) | Phase::Open(s) => {
                        socketio::decode_owned(text).and_then(|p| s.reassembler.start(p))
                    }
                    _ => return,
                };
                match decoded {
                    Ok(Some(packet)) => self.on_packet(packet, reader).await,
                    Ok(None) => {}
                    Err(err) => self.parse_error(err.to_string(), reader).await,
                }
            }
            EioPacket::Binary(bytes) => {
                let decoded = match &mut self.phase {
                    Phase::Joining(s) | Phase::Open(s) => s.reassembler.push(bytes),
                    _ => return,
                };
                match decoded {
                    Ok(Some(packet)) => self.on_packet(packet, reader).await,
                    Ok(None) => {}
                    Err(err) => self.parse_error(err.to_string(), reader).await,
                }
            }
            EioPacket::Open(_) | EioPacket::Upgrade | EioPacket::Noop => {}
        }
    }

    async fn parse_error(&mut self, why: String, reader: &mut Option<WsReader>) {
        let text = text!("the server sent invalid data: {}", why; "сервер прислал неверные данные: {}", why);
        self.end(CloseReason::ParseError, Some(text), reader).await;
    }

    /// A complete Socket.IO packet (attachments already put in place).
    async fn on_packet(&mut self, packet: SioPacket, reader: &mut Option<WsReader>) {
        if packet.nsp != *self.namespace {
            // Another namespace on a shared session: not ours.
            return;
        }
        match packet.kind {
            PacketKind::Connect => {
                let reply = socketio::connect_reply(packet.payload.as_deref());
                let phase = std::mem::replace(&mut self.phase, Phase::Idle);
                let Phase::Joining(mut session) = phase else {
                    self.phase = phase;
                    return;
                };
                // Engine.IO 3 servers send no sid: the socket id is the engine's.
                let sid = reply.sid.unwrap_or_default();
                self.shared.set_session(Some(&sid));
                self.deadline = None;
                let early = std::mem::take(&mut session.early);
                self.phase = Phase::Open(session);
                self.report(events::open(false)).await;
                for item in early {
                    let _ = self.registry.send(RegistryCmd::Deliver(item)).await;
                }
            }
            PacketKind::Disconnect => {
                let why = text!("the server disconnected the namespace {}", self.namespace; "сервер отключил пространство имён {}", self.namespace);
                self.end(CloseReason::ServerDisconnect, Some(why), reader)
                    .await;
            }
            PacketKind::ConnectError => {
                let socketio::ConnectError { message, data } =
                    socketio::connect_error_message(packet.payload.as_deref());
                let text = text!("the server refused the connection: {}", message; "сервер отказал в подключении: {}", message);
                self.shared.set_last_error(text.clone());
                self.teardown(reader).await;
                self.report(events::fail()).await;
                self.report(events::error(&text.en, data.as_deref())).await;
            }
            PacketKind::Event | PacketKind::BinaryEvent => {
                let kind = if packet.kind == PacketKind::BinaryEvent {
                    MessageType::Binary
                } else {
                    MessageType::String
                };
                let payload = packet.payload.unwrap_or_default();
                let name = match socketio::split_event(&payload) {
                    Ok(args) => args.name,
                    Err(err) => return self.parse_error(err.to_string(), reader).await,
                };
                // 1C gets the arguments as compact JSON with non-ASCII as it is (python servers
                // escape it); JavaScript servers' text passes through without a copy.
                let args_json = match json::compact(&payload) {
                    std::borrow::Cow::Borrowed(_) => payload,
                    std::borrow::Cow::Owned(compacted) => compacted,
                };
                let item = Inbound::Message {
                    namespace: self.namespace.clone(),
                    name,
                    kind,
                    ack_id: packet.id,
                    args_json,
                };
                match &mut self.phase {
                    Phase::Open(_) => {
                        let _ = self.registry.send(RegistryCmd::Deliver(item)).await;
                    }
                    Phase::Joining(s) if s.early.len() < MAX_EARLY_EVENTS => s.early.push(item),
                    _ => {
                        self.parse_error("too many events before the CONNECT reply".into(), reader)
                            .await
                    }
                }
            }
            // Acknowledgements arrive with SendWithAck (not in this build).
            PacketKind::Ack | PacketKind::BinaryAck => {}
        }
    }

    /// Sends one outbox packet and then whatever else is already waiting, flushing once.
    async fn send_outbound(
        &mut self,
        first: Outbound,
        outbox: &Receiver<Outbound>,
        reader: &mut Option<WsReader>,
    ) {
        let mut result = self.write_outbound(first).await;
        let mut batch = 1;
        while result.is_ok() && batch < WRITE_BATCH {
            let Ok(next) = outbox.try_recv() else { break };
            result = self.write_outbound(next).await;
            batch += 1;
        }
        if result.is_ok() {
            if let Phase::Open(s) = &mut self.phase {
                result = s.writer.flush().await;
            }
        }
        if let Err(err) = result {
            let text = err.text();
            self.end(CloseReason::TransportError, Some(text), reader)
                .await;
        }
    }

    /// Encodes one outbound packet into the writer's buffer (no flush).
    async fn write_outbound(&mut self, out: Outbound) -> Result<(), TransportError> {
        let Phase::Open(session) = &mut self.phase else {
            return Ok(());
        };
        let Outbound::Event { name, args } = out;
        let version = session.version;
        let (text, attachments) = encode_event(&self.namespace, &name, &args);
        session
            .writer
            .feed(engineio::encode(version, &EioPacket::Message(text)))
            .await?;
        for bytes in attachments {
            session
                .writer
                .feed(engineio::encode(version, &EioPacket::Binary(bytes)))
                .await?;
        }
        Ok(())
    }
}

/// Encodes an outbound event: the packet text and its binary attachments, if any.
fn encode_event(nsp: &str, name: &str, args: &[Arg]) -> (String, Vec<Vec<u8>>) {
    if args.iter().all(|a| matches!(a, Arg::Json(_))) {
        let json: Vec<&str> = args
            .iter()
            .filter_map(|a| match a {
                Arg::Json(json) => Some(json.as_str()),
                Arg::Binary(_) => None,
            })
            .collect();
        return (socketio::encode_event(nsp, None, name, &json), Vec::new());
    }
    let args = args
        .iter()
        .map(|a| match a {
            Arg::Json(json) => binary::Arg::Json(json),
            Arg::Binary(bytes) => binary::Arg::Binary(bytes.clone()),
        })
        .collect();
    binary::encode_binary_event(nsp, None, name, args)
}
