//! The namespace's Socket.IO packets from the server (the engine routed them here): CONNECT
//! replies, events, acknowledgements, refusals, disconnects.

use futures::future::BoxFuture;
use std::borrow::Cow;
use std::sync::Arc;

use super::lifecycle::Leave;
use super::{Connection, Phase, MAX_EARLY_EVENTS};
use crate::actors::messages::Lane;
use crate::actors::messages::{AckAsked, Inbound};
use crate::events::{self, CloseReason, MessageType};
use crate::log::Level;
use crate::protocol::json;
use crate::protocol::socketio::{self, Packet as SioPacket, PacketKind};
use crate::text;

impl Connection {
    fn parse_error(&mut self, why: String) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let text = text!("the server sent invalid data: {}", why; "сервер прислал неверные данные: {}", why);
            self.end(CloseReason::ParseError, Some(text)).await;
        })
    }

    /// A complete Socket.IO packet (attachments already put in place).
    pub(super) async fn on_packet(&mut self, packet: SioPacket) {
        match packet.kind {
            PacketKind::Connect => {
                let reply = socketio::connect_reply(packet.payload.as_deref());
                let phase = std::mem::replace(&mut self.phase, Phase::Idle);
                let Phase::Joining(mut session) = phase else {
                    self.phase = phase;
                    return;
                };
                // Engine.IO 3 servers send no sid: the socket id is made from the engine's (the
                // engine has already dealt with a reply without one on Engine.IO 4).
                let sid = reply
                    .sid
                    .unwrap_or_else(|| eio3_socket_id(&self.namespace, &session.open.engine_sid));
                self.shared.set_session(Some(&sid));
                self.deadline = None;
                let recovered = self.joined(reply.pid);
                let early = std::mem::take(&mut session.early);
                self.shared.set_lane(Some(Lane {
                    writer: session.open.writer.clone(),
                    namespace: self.namespace.clone(),
                    gen: self.gen,
                }));
                self.phase = Phase::Open(session);
                self.log(Level::Info, || {
                    let recovered = if recovered { ", session recovered" } else { "" };
                    format!(
                        "open: namespace {} joined, socket id {sid}{recovered}",
                        self.namespace
                    )
                });
                self.report(events::open(recovered)).await;
                self.to_registry.extend(early);
                self.flush_send_buffer().await;
            }
            PacketKind::Disconnect => {
                let why = text!("the server disconnected the namespace {}", self.namespace; "сервер отключил пространство имён {}", self.namespace);
                self.end(CloseReason::ServerDisconnect, Some(why)).await;
            }
            PacketKind::ConnectError => {
                let socketio::ConnectError { message, data } =
                    socketio::connect_error_message(packet.payload.as_deref());
                let text = text!("the server refused the connection: {}", message; "сервер отказал в подключении: {}", message);
                self.shared.set_last_error(text.clone());
                self.teardown(Leave::Now).await;
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
                    Ok(args) => self.event_name(&args.name),
                    Err(err) => return self.parse_error(err.to_string()).await,
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
                    // Handed over at the end of this turn of the loop, with the rest of the batch.
                    Phase::Open(_) => self.to_registry.push(item),
                    Phase::Joining(s) if s.early.len() < MAX_EARLY_EVENTS => s.early.push(item),
                    _ => {
                        self.parse_error("too many events before the CONNECT reply".into())
                            .await
                    }
                }
            }
            PacketKind::Ack | PacketKind::BinaryAck => self.on_ack(packet).await,
        }
    }
}

impl Connection {
    /// `name` as the Registry gets it: the previous event's name again when it is the same (a
    /// stream of one event is the common case), so such a stream allocates no name.
    fn event_name(&mut self, name: &str) -> Arc<str> {
        if *self.last_event_name != *name {
            self.last_event_name = Arc::from(name);
        }
        self.last_event_name.clone()
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
