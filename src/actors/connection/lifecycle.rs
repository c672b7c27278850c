//! The life cycle of a connection: Connect, dial, join, the upgrade from polling to websocket,
//! Disconnect, and every way it ends.

use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{
    Connection, Phase, Session, Upgrade, CLOSE_WAIT, MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES,
};
use crate::actors::messages::{
    ConnEvent, ConnectRequest, HeartbeatMsg, Inbound, Outbound, RegistryCmd,
};
use crate::component::settings::ProtocolChoice;
use crate::events::{self, CloseReason};
use crate::lang::Text;
use crate::protocol::binary::Reassembler;
use crate::protocol::engineio::Packet as EioPacket;
use crate::protocol::socketio::{self, Packet as SioPacket, PacketKind};
use crate::protocol::EioVersion;
use crate::rt;
use crate::text;
use crate::transport::upgrade::{self, Probed};
use crate::transport::{self, Dialed, Reader, TransportError, Writer};
use async_channel::Receiver;

impl Connection {
    /// `Connect`: starts attempt `gen + 1`.
    pub(super) fn start(&mut self, request: Arc<ConnectRequest>) {
        if !matches!(self.phase, Phase::Idle) {
            // The facade refuses Connect while busy; a race with the end of an attempt lands
            // here and is ignored rather than tearing down a live connection.
            return;
        }
        self.version_corrected = false;
        let deadline = rt::now() + request.settings.timeout;
        self.begin(request, deadline);
    }

    /// Starts attempt `gen + 1` (a dial task) that must reach Open by `deadline`.
    fn begin(&mut self, request: Arc<ConnectRequest>, deadline: Instant) {
        self.gen += 1;
        self.namespace = Arc::from(request.endpoint.namespace.as_str());
        self.deadline = Some(deadline);
        self.request = Some(request.clone());
        self.shared.set_busy(true);
        let gen = self.gen;
        let events = self.events_tx.clone();
        let dial = rt::spawn(async move {
            let result = transport::dial::dial(request).await;
            let _ = events.send(ConnEvent::Dialed { gen, result }).await;
        });
        self.phase = Phase::Dialing { dial };
    }

    /// The server answered the namespace CONNECT without a session id: it speaks Socket.IO
    /// rev 4 over Engine.IO 3 (socket.io 1.x/2.x), although this session was opened as Engine.IO
    /// 4. With `ProtocolVersion` "auto" (the revision came from memory that is out of date, or
    /// from a websocket-only server slow to show it) the answer is corrected and the `Connect`
    /// starts over, once and without telling 1C; with "4" it is a Fail that says what to change.
    pub(super) fn on_engine_io_3_server<'a>(
        &'a mut self,
        reader: &'a mut Option<Reader>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match self.request.clone() {
                Some(request)
                    if request.settings.protocol == ProtocolChoice::Auto
                        && !self.version_corrected =>
                {
                    transport::dial::remember_version(&request, EioVersion::V3);
                    self.version_corrected = true;
                    let deadline = self
                        .deadline
                        .unwrap_or_else(|| rt::now() + request.settings.timeout);
                    self.teardown(reader).await;
                    self.begin(request, deadline);
                }
                _ => {
                    let why = text!(
                        "the server joined the namespace without a session id, as socket.io 1.x/2.x servers do: set ProtocolVersion to \"3\" or \"auto\"";
                        "сервер подключил пространство имён без идентификатора сессии, как серверы socket.io 1.x/2.x: установите ВерсияПротокола \"3\" или \"auto\""
                    );
                    self.end(CloseReason::TransportError, Some(why), reader)
                        .await;
                }
            }
        })
    }

    /// `Disconnect`: sends what is already in the outbox, leaves the namespace, closes, and
    /// reports Close/Normal (also when an attempt was still in progress).
    pub(super) fn disconnect<'a>(
        &'a mut self,
        outbox: &'a Receiver<Outbound>,
        reader: &'a mut Option<Reader>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
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
                    let frame = EioPacket::Message(socketio::encode(&packet));
                    let _ = rt::timeout(CLOSE_WAIT, session.writer.send(frame)).await;
                }
            }
            self.teardown(reader).await;
            self.report(events::close(CloseReason::Normal)).await;
            self.session_ended().await;
        })
    }

    /// `Done`: closes without reporting.
    pub(super) fn shutdown<'a>(&'a mut self, reader: &'a mut Option<Reader>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.teardown(reader).await;
        })
    }

    /// Ends the current attempt or connection because of the network or the server: Close with
    /// `reason` when the namespace was joined, Fail otherwise (unless `reconnect` plans another
    /// attempt: then nothing but LastError until it has run). `why` goes to LastError, and to an
    /// Error event after the Close/Fail when it is a failure (not for an orderly close by the
    /// server). The state event comes first: seed code reacts to it and then reads LastError.
    pub(super) fn end<'a>(
        &'a mut self,
        reason: CloseReason,
        why: Option<Text>,
        reader: &'a mut Option<Reader>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
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
        })
    }

    /// Drops the transport and any attempt; back to Idle. Reports nothing.
    pub(super) fn teardown<'a>(&'a mut self, reader: &'a mut Option<Reader>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let phase = std::mem::replace(&mut self.phase, Phase::Idle);
            match phase {
                Phase::Idle => {}
                Phase::Dialing { dial } => {
                    rt::cancel(dial).await;
                }
                Phase::Joining(session) | Phase::Open(session) => {
                    let _ = self.heartbeat.try_send(HeartbeatMsg::Stop);
                    if let Upgrade::Probing(probe) = session.upgrade {
                        rt::cancel(probe).await;
                    }
                    if let Some(reader) = reader.take() {
                        reader.close().await;
                    }
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
        })
    }

    /// Hands an event to the Registry (waiting while it is busy: backpressure, no loss).
    pub(super) async fn report(&self, event: events::HostEvent) {
        let _ = self
            .registry
            .send(RegistryCmd::Deliver(Inbound::Always(event)))
            .await;
    }

    pub(super) fn on_deadline<'a>(
        &'a mut self,
        reader: &'a mut Option<Reader>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let secs = self
                .request
                .as_ref()
                .map_or(String::new(), |r| r.settings.timeout_text.clone());
            let why = text!("no connection within the timeout ({} s)", secs; "нет подключения за время таймаута ({} с)", secs);
            self.end(CloseReason::TransportError, Some(why), reader)
                .await;
        })
    }

    pub(super) fn on_event<'a>(
        &'a mut self,
        event: ConnEvent,
        reader: &'a mut Option<Reader>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match event {
                ConnEvent::Dialed { gen, result } if gen == self.gen => match result {
                    Ok(dialed) => self.on_dialed(dialed, reader).await,
                    Err(err) => {
                        let text = err.text();
                        self.end(CloseReason::TransportError, Some(text), reader)
                            .await
                    }
                },
                ConnEvent::Upgraded { gen, result } if gen == self.gen => {
                    self.on_probed(result, reader).await
                }
                ConnEvent::SendPing { gen } if gen == self.gen => {
                    if let Phase::Joining(s) | Phase::Open(s) = &mut self.phase {
                        if let Err(err) = s.writer.send(EioPacket::Ping(String::new())).await {
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
        })
    }

    /// The Engine.IO session is open: start the heartbeat, join the namespace, and start the
    /// upgrade probe when the session may move to a websocket.
    pub(super) fn on_dialed<'a>(
        &'a mut self,
        dialed: Dialed,
        reader: &'a mut Option<Reader>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Dialed {
                mut writer,
                reader: new_reader,
                open,
                version,
                upgrade,
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
                let frame = EioPacket::Message(socketio::encode(&packet));
                if let Err(err) = writer.send(frame).await {
                    new_reader.close().await;
                    writer.close(CLOSE_WAIT).await;
                    let text = err.text();
                    self.end(CloseReason::TransportError, Some(text), reader)
                        .await;
                    return;
                }
            }
            let upgrade = match (upgrade, &self.request) {
                (Some(ticket), Some(request)) => {
                    // The probe message is queued before the probe starts, so the GET loop knows
                    // what a noop answer means.
                    new_reader.probing();
                    let (gen, events, request) =
                        (self.gen, self.events_tx.clone(), request.clone());
                    Upgrade::Probing(rt::spawn(async move {
                        let result = upgrade::probe(request, version, ticket).await;
                        let _ = events.send(ConnEvent::Upgraded { gen, result }).await;
                    }))
                }
                _ => Upgrade::None,
            };
            *reader = Some(new_reader);
            self.phase = Phase::Joining(Session {
                writer,
                version,
                engine_sid: open.sid,
                upgrade,
                reassembler: Reassembler::new(MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES),
                early: Vec::new(),
            });
        })
    }

    /// The upgrade probe finished: on success polling pauses (the switch follows when the reader
    /// is drained); on failure the session stays on polling, as the JS client does.
    async fn on_probed(
        &mut self,
        result: Result<Probed, TransportError>,
        reader: &mut Option<Reader>,
    ) {
        let (Phase::Joining(session) | Phase::Open(session)) = &mut self.phase else {
            return;
        };
        let Some(current) = reader.as_ref() else {
            return;
        };
        match result {
            Ok(probed) => {
                session.upgrade = Upgrade::Ready(Box::new(probed));
                current.pause();
            }
            Err(_) => {
                session.upgrade = Upgrade::None;
                current.resume();
            }
        }
    }

    /// Polling has paused and every packet it brought has been handled: send `5` on the probed
    /// websocket and carry on over it alone.
    pub(super) fn on_drained<'a>(
        &'a mut self,
        reader: &'a mut Option<Reader>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let (Phase::Joining(session) | Phase::Open(session)) = &mut self.phase else {
                return;
            };
            let Upgrade::Ready(probed) = std::mem::replace(&mut session.upgrade, Upgrade::None)
            else {
                let why =
                    text!("polling stopped unexpectedly"; "опрос (polling) неожиданно остановился");
                self.end(CloseReason::TransportError, Some(why), reader)
                    .await;
                return;
            };
            let Probed {
                writer: mut ws_writer,
                reader: ws_reader,
            } = *probed;
            if let Err(err) = ws_writer.send(EioPacket::Upgrade).await {
                let text = err.text();
                self.end(CloseReason::TransportError, Some(text), reader)
                    .await;
                return;
            }
            // The polling writer is dropped without a close packet: the session lives on.
            drop(std::mem::replace(
                &mut session.writer,
                Writer::WebSocket(ws_writer),
            ));
            if let Some(polling) = reader.replace(Reader::WebSocket(ws_reader)) {
                polling.close().await;
            }
        })
    }
}
