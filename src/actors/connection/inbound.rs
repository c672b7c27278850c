//! Packets from the server: Engine.IO (pings, close, messages) and Socket.IO (CONNECT replies,
//! events, acknowledgements, refusals, disconnects).

use futures::future::BoxFuture;
use std::borrow::Cow;

use super::{Connection, Phase, MAX_EARLY_EVENTS};
use crate::actors::messages::{AckAsked, HeartbeatMsg, Inbound, RegistryCmd};
use crate::events::{self, CloseReason, MessageType};
use crate::protocol::engineio::Packet as EioPacket;
use crate::protocol::json;
use crate::protocol::socketio::{self, Packet as SioPacket, PacketKind};
use crate::protocol::EioVersion;
use crate::rt;
use crate::text;
use crate::transport::Reader;

impl Connection {
    /// One Engine.IO packet from the server, whichever transport brought it.
    pub(super) async fn on_engine_packet(
        &mut self,
        packet: EioPacket,
        reader: &mut Option<Reader>,
    ) {
        if !matches!(self.phase, Phase::Joining(_) | Phase::Open(_)) {
            return;
        }
        match packet {
            EioPacket::Ping(data) => {
                let _ = self.heartbeat.try_send(HeartbeatMsg::Ping(rt::now()));
                if let Phase::Joining(s) | Phase::Open(s) = &mut self.phase {
                    if let Err(err) = s.writer.send(EioPacket::Pong(data)).await {
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

    pub(super) fn parse_error<'a>(
        &'a mut self,
        why: String,
        reader: &'a mut Option<Reader>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let text = text!("the server sent invalid data: {}", why; "сервер прислал неверные данные: {}", why);
            self.end(CloseReason::ParseError, Some(text), reader).await;
        })
    }

    /// A complete Socket.IO packet (attachments already put in place).
    pub(super) async fn on_packet(&mut self, packet: SioPacket, reader: &mut Option<Reader>) {
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
                let sid = match reply.sid {
                    Some(sid) => sid,
                    // Engine.IO 3 servers send no sid: the socket id is made from the engine's.
                    None if session.version == EioVersion::V3 => {
                        eio3_socket_id(&self.namespace, &session.engine_sid)
                    }
                    // Only socket.io 1.x/2.x servers answer so, and they do not speak
                    // Engine.IO 4 (a wrong ProtocolVersion, or a wrong guess).
                    None => {
                        self.phase = Phase::Joining(session);
                        self.on_engine_io_3_server(reader).await;
                        return;
                    }
                };
                self.shared.set_session(Some(&sid));
                self.deadline = None;
                let recovered = self.joined(reply.pid);
                let early = std::mem::take(&mut session.early);
                self.phase = Phase::Open(session);
                self.report(events::open(recovered)).await;
                for item in early {
                    let _ = self.registry.send(RegistryCmd::Deliver(item)).await;
                }
                self.flush_send_buffer(reader).await;
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
                // A refusal is final, also in the middle of reconnecting (as the JS client).
                self.stop_reconnecting();
                self.report(events::fail()).await;
                self.report(events::error(&text.en, data.as_deref())).await;
                self.session_ended().await;
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
                    Cow::Borrowed(_) => payload,
                    Cow::Owned(compacted) => compacted,
                };
                // The server appends the recovery offset only to events without an ack id.
                let (ack_id, args_json) = match packet.id {
                    Some(id) => {
                        let asked = AckAsked {
                            session: self.gen,
                            id,
                        };
                        (Some(self.shared.ask_ack(asked)), args_json)
                    }
                    None => (None, self.strip_offset(args_json)),
                };
                let item = Inbound::Message {
                    namespace: self.namespace.clone(),
                    name,
                    kind,
                    ack_id,
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
            PacketKind::Ack | PacketKind::BinaryAck => self.on_ack(packet).await,
        }
    }
}

/// The socket id an Engine.IO 3 server gives a namespace socket (socket.io 1.x/2.x
/// `socket.js`): the engine's session id for `/`, `<nsp>#<engine sid>` for other namespaces.
fn eio3_socket_id(namespace: &str, engine_sid: &str) -> String {
    if namespace == "/" {
        engine_sid.to_owned()
    } else {
        format!("{namespace}#{engine_sid}")
    }
}

#[cfg(test)]
mod tests {
    use super::eio3_socket_id;

    #[test]
    fn engine_io_3_socket_ids() {
        assert_eq!(eio3_socket_id("/", "abc"), "abc");
        assert_eq!(eio3_socket_id("/chat", "abc"), "/chat#abc");
    }
}
