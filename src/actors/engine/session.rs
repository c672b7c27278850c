//! The Engine.IO session of an engine: the dial, the open, the upgrade from polling to
//! websocket, the heartbeat's requests, the revision correction, and closing the transport.

use std::sync::Arc;
use std::time::Duration;

use async_channel::Receiver;
use futures::future::BoxFuture;

use super::state::{
    send, Engine, Phase, Session, Upgrade, CLOSE_WAIT, MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES,
};
use crate::actors::messages::{EngineCmd, EngineEvent, HeartbeatMsg, SocketEvent};
use crate::config::ProtocolChoice;
use crate::events::CloseReason;
use crate::log::Level;
use crate::protocol::binary::Reassembler;
use crate::protocol::engineio::Packet as EioPacket;
use crate::protocol::EioVersion;
use crate::rt;
use crate::text;
use crate::transport::upgrade::{self, Probed};
use crate::transport::{self, Dialed, Reader, TransportError, Writer};

impl Engine {
    /// Starts dial `gen + 1` in a task of its own.
    pub(super) fn dial(&mut self) {
        self.gen += 1;
        let (gen, events, request) = (self.gen, self.events_tx.clone(), self.request.clone());
        self.phase = Phase::Dialing(rt::spawn(async move {
            let result = transport::dial::dial(request).await.map(Box::new);
            let _ = events.send(EngineEvent::Dialed { gen, result }).await;
        }));
    }

    pub(super) fn on_event<'a>(
        &'a mut self,
        event: EngineEvent,
        commands: &'a Receiver<EngineCmd>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match event {
                EngineEvent::Dialed { gen, result } if gen == self.gen => match result {
                    Ok(dialed) => self.on_dialed(*dialed).await,
                    Err(err) => {
                        let text = err.text();
                        self.request.log(Level::Error, || {
                            format!("could not open the session: {}", text.en)
                        });
                        self.close(CloseReason::TransportError, Some(text), commands)
                            .await
                    }
                },
                EngineEvent::Upgraded { gen, result } if gen == self.gen => self.on_probed(result),
                EngineEvent::SendPing { gen } if gen == self.gen => {
                    if let Phase::Open(s) = &self.phase {
                        let writer = s.writer.clone();
                        if let Err(err) = send(&writer, EioPacket::Ping(String::new())).await {
                            let text = err.text();
                            self.close(CloseReason::TransportError, Some(text), commands)
                                .await;
                        }
                    }
                }
                EngineEvent::HeartbeatExpired { gen } if gen == self.gen => {
                    let why = text!("the server did not answer the heartbeat in time"; "сервер не ответил на проверку связи вовремя");
                    self.request
                        .log(Level::Info, || format!("heartbeat lost: {}", why.en));
                    self.close(CloseReason::PingTimeout, Some(why), commands)
                        .await;
                }
                // Answers for a dial that is already over.
                _ => {}
            }
        })
    }

    /// The Engine.IO session is open: start the heartbeat and the upgrade probe (when the
    /// session may move to a websocket), and tell every attached namespace.
    async fn on_dialed(&mut self, dialed: Dialed) {
        let Dialed {
            writer,
            reader,
            open,
            version,
            upgrade,
        } = dialed;
        self.request.log(Level::Info, || {
            let max_payload = open.max_payload.map_or("not sent".into(), |n| n.to_string());
            format!(
                "session {} open: Engine.IO {} over {}, pingInterval {} ms, pingTimeout {} ms, maxPayload {max_payload}{}",
                open.sid,
                version.query_value(),
                if reader.is_polling() { "polling" } else { "websocket" },
                open.ping_interval_ms,
                open.ping_timeout_ms,
                if upgrade.is_some() { ", upgrade to websocket offered" } else { "" },
            )
        });
        let _ = self.heartbeat.try_send(HeartbeatMsg::Start {
            gen: self.gen,
            version,
            interval: Duration::from_millis(open.ping_interval_ms),
            timeout: Duration::from_millis(open.ping_timeout_ms),
            now: rt::now(),
        });
        let upgrade = match upgrade {
            Some(ticket) => {
                // The probe message is queued before the probe starts, so the GET loop knows
                // what a noop answer means.
                reader.probing();
                let (gen, events, request) =
                    (self.gen, self.events_tx.clone(), self.request.clone());
                Upgrade::Probing(rt::spawn(async move {
                    let result = upgrade::probe(request, version, ticket).await.map(Box::new);
                    let _ = events.send(EngineEvent::Upgraded { gen, result }).await;
                }))
            }
            None => Upgrade::None,
        };
        self.reader = Some(reader);
        let session = Session {
            writer: Arc::new(futures::lock::Mutex::new(Some(writer))),
            version,
            engine_sid: Arc::from(open.sid),
            upgrade,
            reassembler: Reassembler::new(MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES),
        };
        let opened = session.open_info();
        self.phase = Phase::Open(session);
        for outlet in self.sockets.iter_mut() {
            outlet.send(SocketEvent::Opened(opened.clone())).await;
        }
    }

    /// A namespace's CONNECT was answered without a session id: the server speaks Socket.IO
    /// rev 4 over Engine.IO 3 (socket.io 1.x/2.x), although this session was opened as Engine.IO
    /// 4. With `ProtocolVersion` "auto" (the revision came from memory that is out of date, or
    /// from a websocket-only server slow to show it) the engine remembers Engine.IO 3 and dials
    /// again, once and without telling 1C (the namespaces get a new Opened and CONNECT again);
    /// with "4" it is a Fail that says what to change.
    pub(super) fn on_engine_io_3_server<'a>(
        &'a mut self,
        commands: &'a Receiver<EngineCmd>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if self.request.config.protocol == ProtocolChoice::Auto && !self.version_corrected {
                transport::dial::remember_version(&self.request, EioVersion::V3);
                self.version_corrected = true;
                self.teardown().await;
                self.dial();
            } else {
                let why = text!(
                    "the server joined the namespace without a session id, as socket.io 1.x/2.x servers do: set ProtocolVersion to \"3\" or \"auto\"";
                    "сервер подключил пространство имён без идентификатора сессии, как серверы socket.io 1.x/2.x: установите ВерсияПротокола \"3\" или \"auto\""
                );
                self.close(CloseReason::TransportError, Some(why), commands)
                    .await;
            }
        })
    }

    /// The upgrade probe finished: on success polling pauses (the switch follows when the reader
    /// is drained); on failure the session stays on polling, as the JS client does.
    fn on_probed(&mut self, result: Result<Box<Probed>, TransportError>) {
        let (Phase::Open(session), Some(reader)) = (&mut self.phase, self.reader.as_ref()) else {
            return;
        };
        match result {
            Ok(probed) => {
                self.request.log(Level::Info, || {
                    "upgrade: the websocket probe answered; moving to it".into()
                });
                session.upgrade = Upgrade::Ready(probed);
                reader.pause();
            }
            Err(err) => {
                self.request.log(Level::Info, || {
                    format!(
                        "upgrade: the websocket probe failed, staying on polling: {}",
                        err.text().en
                    )
                });
                session.upgrade = Upgrade::None;
                reader.resume();
            }
        }
    }

    /// Polling has paused and every packet it brought has been handled: send `5` on the probed
    /// websocket and carry on over it alone.
    pub(super) fn on_drained<'a>(
        &'a mut self,
        commands: &'a Receiver<EngineCmd>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Phase::Open(session) = &mut self.phase else {
                return;
            };
            let Upgrade::Ready(probed) = std::mem::replace(&mut session.upgrade, Upgrade::None)
            else {
                let why =
                    text!("polling stopped unexpectedly"; "опрос (polling) неожиданно остановился");
                self.close(CloseReason::TransportError, Some(why), commands)
                    .await;
                return;
            };
            let Probed {
                writer: mut ws_writer,
                reader: ws_reader,
            } = *probed;
            // The shared writer is held from the `5` to the switch: a packet POSTed after the
            // `5` would reach a polling transport the server has already dropped.
            let writer = session.writer.clone();
            let mut slot = writer.lock().await;
            if let Err(err) = ws_writer.send(EioPacket::Upgrade).await {
                drop(slot);
                let text = err.text();
                self.close(CloseReason::TransportError, Some(text), commands)
                    .await;
                return;
            }
            // The polling writer is dropped without a close packet: the session lives on.
            let polling_writer = slot.replace(Writer::WebSocket(ws_writer));
            drop(slot);
            drop(polling_writer);
            if let Some(polling) = self.reader.replace(Reader::WebSocket(ws_reader)) {
                polling.close().await;
            }
        })
    }

    /// Drops the transport and any dial; reports nothing. The writer is taken out of the shared
    /// slot first, so a Connection writing after this gets `Closed`.
    pub(super) fn teardown(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            match std::mem::replace(&mut self.phase, Phase::Closed) {
                Phase::Closed => {}
                Phase::Dialing(dial) => {
                    rt::cancel(dial).await;
                }
                Phase::Open(session) => {
                    // Out of the shared slot first: a Connection writing from now on keeps its
                    // packets for the next connection instead of losing them here.
                    let writer = session.writer.lock().await.take();
                    let _ = self.heartbeat.try_send(HeartbeatMsg::Stop);
                    if let Upgrade::Probing(probe) = session.upgrade {
                        rt::cancel(probe).await;
                    }
                    // The JavaScript client's order: the close packet first, then the reader
                    // ends once the server has answered its pending poll (cutting that GET
                    // first shows as an aborted request, and the close POST then as one for an
                    // unknown session, behind a proxy).
                    match writer {
                        Some(writer) => {
                            let reader = self.reader.take();
                            if let Some(reader) = &reader {
                                reader.end_after_poll();
                            }
                            writer.close(CLOSE_WAIT).await;
                            if let Some(reader) = reader {
                                reader.finish(CLOSE_WAIT).await;
                            }
                        }
                        None => {
                            if let Some(reader) = self.reader.take() {
                                reader.close().await;
                            }
                        }
                    }
                }
            }
            self.root_reply = None;
            self.gen += 1;
        })
    }
}
