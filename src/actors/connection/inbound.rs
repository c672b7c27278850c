//! The namespace's Socket.IO packets from the server (the engine decoded and routed them here):
//! CONNECT replies, events, acknowledgements, refusals, disconnects; and the hand-over of what
//! they make to the Registry.

use futures::future::BoxFuture;

use super::lifecycle::Leave;
use super::state::{Connection, Phase, MAX_EARLY_EVENTS};
use crate::actors::messages::Lane;
use crate::actors::messages::{AckAsked, Batch, Inbound, RegistryCmd};
use crate::events::{self, CloseReason};
use crate::log::Level;
use crate::protocol::socketio::{self, Event, Packet as SioPacket, PacketKind};
use crate::protocol::DecodeError;
use crate::text;

impl Connection {
    pub(super) fn parse_error(&mut self, why: String) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let text = text!("the server sent invalid data: {}", why; "сервер прислал неверные данные: {}", why);
            self.end(CloseReason::ParseError, Some(text)).await;
        })
    }

    /// A complete Socket.IO packet other than an event (attachments already put in place).
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
                self.shared.status().set_session(Some(&sid));
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
                self.shared.status().set_last_error(text.clone());
                self.teardown(Leave::Now).await;
                // A refusal is final, also in the middle of reconnecting (as the JS client).
                self.stop_reconnecting();
                self.report(events::fail()).await;
                self.report(events::error(&text.en, data.as_deref())).await;
                self.session_ended().await;
            }
            // Never here: the engine hands events over decoded (`SocketEvent::Event`).
            PacketKind::Event | PacketKind::BinaryEvent => {}
            PacketKind::Ack | PacketKind::BinaryAck => self.on_ack(packet).await,
        }
    }
}

impl Connection {
    /// An event of the namespace, as the engine decoded it: to the Registry (with the AckId 1C
    /// answers with, or without its recovery offset). Not async (it runs for every event, and
    /// needs no wait): what is wrong with the event, for the caller to end the connection with.
    pub(super) fn on_event(&mut self, event: Result<Event, DecodeError>) -> Result<(), String> {
        let mut event = event.map_err(|err| err.to_string())?;
        // The server appends the recovery offset only to events without an ack id.
        let ack_id = match event.ack_id {
            Some(id) => {
                let asked = AckAsked {
                    session: self.gen,
                    id,
                };
                Some(self.shared.acks().ask(asked))
            }
            None => {
                self.strip_offset(&mut event);
                None
            }
        };
        let item = Inbound::Message {
            namespace: self.namespace.clone(),
            ack_id,
            event,
        };
        match &mut self.phase {
            // Handed over at the end of this turn of the loop, with the rest of the batch.
            Phase::Open(_) => self.to_registry.push(item),
            Phase::Joining(s) if s.early.len() < MAX_EARLY_EVENTS => s.early.push(item),
            _ => return Err("too many events before the CONNECT reply".into()),
        }
        Ok(())
    }

    /// Hands an event to the Registry now, after the items decoded before it.
    pub(super) async fn report(&mut self, event: events::HostEvent) {
        self.to_registry.push(Inbound::Always(event));
        self.hand_to_registry().await;
    }

    /// Hands the items decoded so far to the Registry, in one message (waiting while it is
    /// busy: backpressure, no loss).
    pub(super) async fn hand_to_registry(&mut self) {
        if let Some(items) = Batch::take(&mut self.to_registry) {
            let _ = self.registry.send(RegistryCmd::Deliver(items)).await;
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
