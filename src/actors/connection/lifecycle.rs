//! The life cycle of a namespace connection: Connect, attach to an engine, join, Disconnect,
//! and every way it ends.

use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::Receiver;

use super::state::{Connection, Phase, Session, SOCKET_CAPACITY};
use crate::actors::engine;
use crate::actors::messages::{OpenSession, Outbound};
use crate::config::ConnectRequest;
use crate::config::SYSTEM_PROXY;
use crate::events::{self, CloseReason};
use crate::lang::Text;
use crate::log::Level;
use crate::protocol::engineio::Packet as EioPacket;
use crate::protocol::socketio::{self, Packet as SioPacket};
use crate::protocol::EioVersion;
use crate::rt;
use crate::text;
use crate::transport::proxy::ProxyAddr;

/// How long a polite goodbye (the Socket.IO DISCONNECT) may take before it is given up.
const GOODBYE_WAIT: Duration = Duration::from_millis(500);

/// How long leaving waits for the engine to close its transport when this was its last
/// namespace (its polite close is bounded by the engine's own wait; this only adds slack).
const ENGINE_END_WAIT: Duration = Duration::from_secs(2);

/// How [`Connection::teardown`] leaves the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leave {
    /// Wait until the transport is closed when this was the engine's last namespace: `Done`
    /// (no task of the object outlives it) and `Disconnect` (the socket is gone by the Close).
    WaitForClose,
    /// The engine has ended already, or the namespace alone ends: nothing to wait for.
    Now,
}

impl Connection {
    /// `Connect`: starts attempt `gen + 1`.
    pub(super) fn start(&mut self, request: Arc<ConnectRequest>) {
        if !matches!(self.phase, Phase::Idle) {
            // The facade refuses Connect while busy; a race with the end of an attempt lands
            // here and is ignored rather than tearing down a live connection.
            return;
        }
        let deadline = rt::now() + request.config.timeout;
        self.begin(request, deadline);
    }

    /// Starts attempt `gen + 1` (attached to an engine) that must reach Open by `deadline`.
    fn begin(&mut self, request: Arc<ConnectRequest>, deadline: Instant) {
        self.gen += 1;
        self.namespace = Arc::from(request.endpoint.namespace.as_str());
        self.deadline = Some(deadline);
        self.request = Some(request.clone());
        self.shared.status().set_busy(true);
        if let Some(log) = &request.log {
            log.check();
        }
        // The URI's query and the Query, Headers and Auth values may carry secrets: not logged.
        request.log(Level::Info, || {
            let e = &request.endpoint;
            let c = &request.config;
            let proxy = match ProxyAddr::parse(&c.proxy) {
                _ if c.proxy == SYSTEM_PROXY => "the system's".to_owned(),
                Ok(Some(proxy)) => proxy.authority().to_owned(),
                _ => "none".to_owned(),
            };
            format!(
                "connecting to {}://{}:{}, namespace {}, path {}, transports {:?}, protocol {:?}, proxy {proxy}",
                if e.secure { "wss" } else { "ws" },
                e.host,
                e.port,
                e.namespace,
                c.path,
                c.transports,
                c.protocol,
            )
        });
        let (to, socket) = async_channel::bounded(SOCKET_CAPACITY);
        let link = engine::attach(&request, self.namespace.clone(), to);
        self.socket = Some(Box::pin(socket));
        self.phase = Phase::Attaching(link);
    }

    /// The engine's session is open (or open again after a revision correction): send the
    /// namespace CONNECT, except for `/` on Engine.IO 3, which those servers join by themselves
    /// (and refuse a second CONNECT for).
    pub(super) fn on_opened(&mut self, open: OpenSession) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let link = match std::mem::replace(&mut self.phase, Phase::Idle) {
                Phase::Attaching(link) => link,
                Phase::Joining(session) => session.link,
                other => {
                    self.phase = other;
                    return;
                }
            };
            let version = open.version;
            let writer = open.writer.clone();
            self.phase = Phase::Joining(Session {
                link,
                open,
                early: Vec::new(),
            });
            if version == EioVersion::V4 || &*self.namespace != "/" {
                let auth = self.connect_payload();
                let payload = if version == EioVersion::V4 {
                    auth
                } else {
                    None
                };
                let packet = SioPacket::connect(&self.namespace, payload);
                let frame = EioPacket::Message(socketio::encode(&packet));
                let result = engine::send(&writer, frame).await;
                self.on_write_error(result).await;
            }
        })
    }

    /// `Disconnect`: sends what is already in the outbox, leaves the namespace, closes, and
    /// reports Close/Normal (also when an attempt was still in progress).
    pub(super) fn disconnect<'a>(
        &'a mut self,
        outbox: &'a Receiver<Outbound>,
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
            self.goodbye(outbox).await;
            self.teardown(Leave::WaitForClose).await;
            self.log(Level::Info, || "closed (Normal): Disconnect".into());
            self.report(events::close(CloseReason::Normal)).await;
            self.session_ended().await;
        })
    }

    /// What `Disconnect` and the end of the object (`Done`) tell a joined namespace's server:
    /// the sends still waiting in the outbox, then the namespace's DISCONNECT packet (at most
    /// [`GOODBYE_WAIT`]), so that the server sees the client leave ("client namespace
    /// disconnect"), never a lost transport that it would keep a recovery session for.
    pub(super) fn goodbye<'a>(&'a mut self, outbox: &'a Receiver<Outbound>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Phase::Open(session) = &self.phase else {
                return;
            };
            let writer = session.open.writer.clone();
            if self.write_outbox(&writer, outbox).await.is_ok() {
                let packet = SioPacket::disconnect(&self.namespace);
                let frame = EioPacket::Message(socketio::encode(&packet));
                let _ = rt::timeout(GOODBYE_WAIT, engine::send(&writer, frame)).await;
            }
        })
    }

    /// Ends the current attempt or connection because of the network or the server: Close with
    /// `reason` when the namespace was joined, Fail otherwise (unless `reconnect` plans another
    /// attempt: then nothing but LastError until it has run). `why` goes to LastError, and to an
    /// Error event after the Close/Fail when it is a failure (not for an orderly close by the
    /// server). The state event comes first: seed code reacts to it and then reads LastError.
    pub(super) fn end(&mut self, reason: CloseReason, why: Option<Text>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let was_open = matches!(self.phase, Phase::Open(_));
            if matches!(self.phase, Phase::Idle) {
                return;
            }
            self.log(Level::Info, || {
                let why = why
                    .as_ref()
                    .map_or(String::new(), |w| format!(": {}", w.en));
                match was_open {
                    true => format!("closed ({}){why}", reason.as_str()),
                    false => format!("the attempt failed{why}"),
                }
            });
            self.teardown(Leave::Now).await;
            // Decided before anything is reported, so that Connect stays refused meanwhile.
            let retrying = self.plan_reconnect(was_open, reason);
            if let Some(why) = &why {
                self.shared.status().set_last_error(why.clone());
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
                self.shared.status().set_last_error(why.clone());
                self.report(events::fail()).await;
                self.report(events::error(&why.en, None)).await;
            }
        })
    }

    /// Leaves the engine and drops any attempt; back to Idle. Reports nothing. With
    /// [`Leave::WaitForClose`] and when this was the engine's last namespace, waits (bounded)
    /// until its transport is closed.
    pub(super) fn teardown(&mut self, leave: Leave) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Dropped first: an engine waiting to hand this namespace a packet goes on at once.
            self.socket = None;
            // The facade writes no more; what it wrote belongs to this session.
            self.shared.set_lane(None);
            self.adopt_written_acks();
            let link = match std::mem::replace(&mut self.phase, Phase::Idle) {
                Phase::Idle => None,
                Phase::Attaching(link) => Some(link),
                Phase::Joining(session) | Phase::Open(session) => Some(session.link),
            };
            let ended = link.and_then(|link| link.detach());
            self.deadline = None;
            self.gen += 1;
            self.shared.status().set_session(None);
            // The server forgets its acknowledgement requests with the session; before any Close
            // is reported, so that `Ack` refuses them from then on.
            self.shared.acks().clear_requests();
            self.shared.status().set_busy(false);
            if let (Some(ended), Leave::WaitForClose) = (ended, leave) {
                let _ = rt::timeout(ENGINE_END_WAIT, ended.recv()).await;
            }
        })
    }

    pub(super) fn on_deadline(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let secs = self
                .request
                .as_ref()
                .map_or(String::new(), |r| r.config.timeout_text.clone());
            let why = text!("no connection within the timeout ({} s)", secs; "нет подключения за время таймаута ({} с)", secs);
            self.end(CloseReason::TransportError, Some(why)).await;
        })
    }
}
