//! The life cycle of a connection: Connect, dial, join, Disconnect, and every way it ends.

use std::sync::Arc;
use std::time::Duration;

use super::{Connection, Phase, Session, CLOSE_WAIT, MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES};
use crate::actors::messages::{
    ConnEvent, ConnectRequest, HeartbeatMsg, Inbound, Outbound, RegistryCmd,
};
use crate::component::settings::ProtocolChoice;
use crate::events::{self, CloseReason};
use crate::lang::Text;
use crate::protocol::binary::Reassembler;
use crate::protocol::engineio::{self, Packet as EioPacket};
use crate::protocol::socketio::{self, Packet as SioPacket, PacketKind};
use crate::protocol::EioVersion;
use crate::rt;
use crate::text;
use crate::transport::{self, Dialed, WsReader};
use async_channel::Receiver;

impl Connection {
    /// `Connect`: starts attempt `gen + 1`.
    pub(super) fn start(&mut self, request: Arc<ConnectRequest>) {
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
    pub(super) async fn disconnect(
        &mut self,
        outbox: &Receiver<Outbound>,
        reader: &mut Option<WsReader>,
    ) {
        let was_waiting = self.stop_reconnecting();
        if matches!(self.phase, Phase::Idle) {
            if was_waiting {
                // Between reconnect attempts: the waiting ends here.
                self.report(events::close(CloseReason::Normal)).await;
            }
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
        self.session_ended().await;
    }

    /// `Done`: closes without reporting.
    pub(super) async fn shutdown(&mut self, reader: &mut Option<WsReader>) {
        self.teardown(reader).await;
    }

    /// Ends the current attempt or connection because of the network or the server: Close with
    /// `reason` when the namespace was joined, Fail otherwise (unless `reconnect` plans another
    /// attempt: then nothing but LastError until it has run). `why` goes to LastError, and to an
    /// Error event after the Close/Fail when it is a failure (not for an orderly close by the
    /// server). The state event comes first: seed code reacts to it and then reads LastError.
    pub(super) async fn end(
        &mut self,
        reason: CloseReason,
        why: Option<Text>,
        reader: &mut Option<WsReader>,
    ) {
        let was_open = matches!(self.phase, Phase::Open(_));
        if matches!(self.phase, Phase::Idle) {
            return;
        }
        self.teardown(reader).await;
        // Decided before anything is reported, so that Connect stays refused meanwhile.
        let retrying = self.plan_reconnect(was_open, reason);
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
            self.session_ended().await;
        } else if !retrying {
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
    pub(super) async fn teardown(&mut self, reader: &mut Option<WsReader>) {
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
        // The server forgets its acknowledgement requests with the session; before any Close
        // is reported, so that `Ack` refuses them from then on.
        self.shared.clear_ack_requests();
        self.shared.set_busy(false);
    }

    /// Hands an event to the Registry (waiting while it is busy: backpressure, no loss).
    pub(super) async fn report(&self, event: events::HostEvent) {
        let _ = self
            .registry
            .send(RegistryCmd::Deliver(Inbound::Always(event)))
            .await;
    }

    pub(super) async fn on_deadline(&mut self, reader: &mut Option<WsReader>) {
        let secs = self
            .request
            .as_ref()
            .map_or(String::new(), |r| r.settings.timeout_text.clone());
        let why = text!("no connection within the timeout ({} s)", secs; "нет подключения за время таймаута ({} с)", secs);
        self.end(CloseReason::TransportError, Some(why), reader)
            .await;
    }

    pub(super) async fn on_event(&mut self, event: ConnEvent, reader: &mut Option<WsReader>) {
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
    pub(super) async fn on_dialed(&mut self, dialed: Dialed, reader: &mut Option<WsReader>) {
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
            let auth = self.connect_payload();
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
}
