//! The Connection actor's loop against a scripted server in memory (`transport::memory`): no
//! socket. The actor runs as `ClientActors` runs it, with a real engine under it; the test plays
//! the facade (commands and the outbox) and reads what the actor hands to the Registry. Delays
//! that the properties set (reconnection, acknowledgement timeouts) are a few milliseconds here.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_channel::{Receiver, Sender};

use crate::actors::connection::{self, Channels};
use crate::actors::messages::{AckRequest, Arg, ConnCmd, Inbound, Outbound, RegistryCmd};
use crate::actors::outbox::OUTBOX_MAX_BYTES;
use crate::actors::shared::Shared;
use crate::config::{ConnectionConfig, ProtocolChoice};
use crate::events::{self, AckState, CloseReason, HostEvent};
use crate::rt::{self, Task};
use crate::transport::memory::{MemoryServer, ServerConn, WAIT};

/// Heartbeat timings that never fire during a test.
const QUIET_MS: u64 = 60_000;

/// One Connection actor, with the test as its facade and its Registry.
struct Rig {
    shared: Arc<Shared>,
    commands: Option<Sender<ConnCmd>>,
    outbox: Sender<Outbound>,
    registry: Receiver<RegistryCmd>,
    delivered: VecDeque<Inbound>,
    actor: Task<()>,
}

impl Rig {
    fn spawn() -> Rig {
        let shared = Shared::new();
        let (commands, commands_rx) = async_channel::bounded(8);
        let (outbox, outbox_rx) = async_channel::unbounded();
        let (registry_tx, registry) = async_channel::bounded(32);
        let channels = Channels {
            commands: commands_rx,
            outbox: outbox_rx,
            registry: registry_tx,
        };
        let actor = rt::spawn(connection::run(channels, shared.clone()));
        Rig {
            shared,
            commands: Some(commands),
            outbox,
            registry,
            delivered: VecDeque::new(),
            actor,
        }
    }

    async fn command(&self, cmd: ConnCmd) {
        let commands = self.commands.as_ref().expect("the facade is there");
        commands.send(cmd).await.expect("the actor runs");
    }

    /// What the facade's `Send` and `SendWithAck` hand over: one JSON argument, and an ack Id
    /// that times out after `ack_within`.
    fn emit(&self, name: &str, arg: &str, ack: Option<(u64, Duration)>) {
        let args = vec![Arg::Json(arg.into())];
        let outbox = self.shared.outbox();
        let ticket = outbox.take_bytes(name.len() + arg.len(), OUTBOX_MAX_BYTES);
        outbox.add_packet();
        let out = Outbound::Event {
            name: name.into(),
            args,
            ack: ack.map(|(id, within)| AckRequest {
                id,
                deadline: rt::now() + within,
            }),
            ticket: ticket.expect("room in the outbox"),
        };
        self.outbox.try_send(out).expect("the actor runs");
    }

    /// The next item for the Registry; `None` once the actor has dropped its sender.
    async fn next(&mut self) -> Option<Inbound> {
        while self.delivered.is_empty() {
            let cmd = rt::timeout(WAIT, self.registry.recv()).await;
            match cmd.expect("nothing reached the Registry").ok()? {
                RegistryCmd::Deliver(items) => self.delivered.extend(items),
                other => panic!("the Connection sent {other:?}"),
            }
        }
        self.delivered.pop_front()
    }

    /// The next item, which must be one that always reaches 1C (a state change, an Ack).
    async fn event(&mut self) -> HostEvent {
        match self.next().await {
            Some(Inbound::Always(event)) => event,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// The next item, which must be a message: its name, ack Id and arguments.
    async fn message(&mut self) -> (String, Option<u64>, String) {
        match self.next().await {
            Some(Inbound::Message {
                namespace,
                ack_id,
                event,
            }) => {
                assert_eq!((&*namespace, event.binary), ("/", false));
                (event.name().to_owned(), ack_id, event.into_args())
            }
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// `Connect` to `/` on `server`; the server opens the session and accepts the namespace.
    async fn join(&mut self, server: &MemoryServer, config: ConnectionConfig) -> ServerConn {
        let request = server.request("/", config);
        self.command(ConnCmd::Connect(request)).await;
        let conn = accept_and_join(server).await;
        assert_eq!(self.event().await, events::open(false));
        conn
    }
}

/// The server side of joining `/`: the open packet, the client's CONNECT, the reply.
async fn accept_and_join(server: &MemoryServer) -> ServerConn {
    let conn = server.accept().await;
    conn.open("e1", QUIET_MS, QUIET_MS);
    assert_eq!(conn.next().await.as_deref(), Some("40"));
    conn.send(r#"40{"sid":"s1"}"#);
    conn
}

/// Reconnection a few milliseconds after a loss.
fn quick_reconnects() -> ConnectionConfig {
    ConnectionConfig {
        reconnection_delay_ms: 5,
        reconnection_delay_max_ms: 20,
        ..ConnectionConfig::default()
    }
}

#[test]
fn connect_sends_the_namespace_connect_with_auth_and_opens_on_the_reply() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let rig = Rig::spawn();
        let config = ConnectionConfig {
            auth_json: r#"{"token":"t"}"#.into(),
            ..ConnectionConfig::default()
        };
        rig.command(ConnCmd::Connect(server.request("/chat", config)))
            .await;
        let conn = server.accept().await;
        conn.open("e1", QUIET_MS, QUIET_MS);
        assert_eq!(
            conn.next().await.as_deref(),
            Some(r#"40/chat,{"token":"t"}"#)
        );
        conn.send(r#"40/chat,{"sid":"s1"}"#);
        let mut rig = rig;
        assert_eq!(rig.event().await, events::open(false));
        assert!(rig.shared.status().connected());
        assert_eq!(rig.shared.status().session_id(), "s1");
    });
}

/// Engine.IO 3 servers join `/` by themselves: their `40` opens the namespace, the client sends
/// no CONNECT of its own (the first thing it writes is the emit), and the socket id is the
/// engine's session id.
#[test]
fn eio3_the_root_namespace_is_joined_by_the_servers_own_connect() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        let config = ConnectionConfig {
            protocol: ProtocolChoice::V3,
            ..ConnectionConfig::default()
        };
        rig.command(ConnCmd::Connect(server.request("/", config)))
            .await;
        let conn = server.accept().await;
        conn.open("e3", QUIET_MS, QUIET_MS);
        conn.send("40");
        assert_eq!(rig.event().await, events::open(false));
        assert_eq!(rig.shared.status().session_id(), "e3");
        rig.emit("x", "1", None);
        assert_eq!(conn.next().await.as_deref(), Some(r#"42["x",1]"#));
    });
}

#[test]
fn inbound_events_reach_the_registry_in_order_with_their_ack_requests() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        let conn = rig.join(&server, ConnectionConfig::default()).await;
        conn.send(r#"42["news",{"a":1}]"#);
        conn.send(r#"42["news",2]"#);
        conn.send(r#"421["ask",true]"#);
        assert_eq!(
            rig.message().await,
            ("news".into(), None, r#"["news",{"a":1}]"#.into())
        );
        assert_eq!(rig.message().await.2, r#"["news",2]"#);
        let (name, ack_id, _) = rig.message().await;
        assert_eq!(name, "ask");
        // 1C answers by the AckId it got; the facade finds the server's id by it.
        let asked = rig.shared.acks().take_request(ack_id.expect("an AckId"));
        assert_eq!(asked.map(|a| a.id), Some(1));
    });
}

#[test]
fn an_acknowledgement_is_matched_to_its_send_with_ack_once() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        let conn = rig.join(&server, ConnectionConfig::default()).await;
        rig.emit("ask", "1", Some((9, WAIT)));
        assert_eq!(conn.next().await.as_deref(), Some(r#"429["ask",1]"#));
        conn.send(r#"439["yes"]"#);
        // A second answer for the same Id is late: dropped (the marker shows nothing came
        // between).
        conn.send(r#"439["again"]"#);
        conn.send(r#"42["marker"]"#);
        assert_eq!(
            rig.event().await,
            events::ack(9, "ask", AckState::Ok, r#"["yes"]"#.into())
        );
        assert_eq!(rig.message().await.0, "marker");
    });
}

/// No answer within the ack's timeout: an Ack event with State Timeout. (Whether the packet
/// went out first depends on the machine's speed: one whose deadline passed before its write is
/// kept back.)
#[test]
fn an_unanswered_send_with_ack_times_out() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        let _conn = rig.join(&server, ConnectionConfig::default()).await;
        rig.emit("ask", "1", Some((4, Duration::from_millis(20))));
        assert_eq!(
            rig.event().await,
            events::ack(4, "ask", AckState::Timeout, "[]".into())
        );
    });
}

/// Emits made before the namespace is joined wait in the offline buffer and go out, in
/// order, right after the CONNECT reply.
#[test]
fn emits_before_the_join_go_out_after_it_in_order() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        rig.command(ConnCmd::Connect(server.request("/", Default::default())))
            .await;
        rig.emit("first", "1", None);
        rig.emit("second", "2", None);
        let conn = accept_and_join(&server).await;
        assert_eq!(rig.event().await, events::open(false));
        assert_eq!(conn.next().await.as_deref(), Some(r#"42["first",1]"#));
        assert_eq!(conn.next().await.as_deref(), Some(r#"42["second",2]"#));
    });
}

#[test]
fn a_lost_connection_is_reconnected_after_the_backoff() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        let conn = rig.join(&server, quick_reconnects()).await;
        drop(conn);
        assert_eq!(
            rig.event().await,
            events::close(CloseReason::TransportClose)
        );
        assert_eq!(rig.event().await, events::reconnecting(1));
        let _conn = accept_and_join(&server).await;
        assert_eq!(rig.event().await, events::open(false));
    });
}

/// Each failed attempt is followed by the next one until `ReconnectionAttempts` is spent; then
/// Fail, and an Error that says why the last one failed.
#[test]
fn reconnecting_stops_after_the_allowed_attempts() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        let config = ConnectionConfig {
            reconnection_attempts: 2,
            ..quick_reconnects()
        };
        let conn = rig.join(&server, config).await;
        drop(conn);
        assert_eq!(
            rig.event().await,
            events::close(CloseReason::TransportClose)
        );
        assert_eq!(rig.event().await, events::reconnecting(1));
        drop(server.accept().await);
        assert_eq!(rig.event().await, events::reconnecting(2));
        drop(server.accept().await);
        assert_eq!(rig.event().await, events::fail());
        let error = rig.event().await;
        assert!(error.event.starts_with(r#"{"Event": "Error""#), "{error:?}");
        assert!(!rig.shared.status().busy(), "no further attempt");
    });
}

/// The server disconnecting the namespace is final: no reconnection (decided before the Close
/// event, so `busy` already says it).
#[test]
fn the_server_disconnecting_the_namespace_is_not_retried() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        let conn = rig.join(&server, quick_reconnects()).await;
        conn.send("41");
        assert_eq!(
            rig.event().await,
            events::close(CloseReason::ServerDisconnect)
        );
        assert!(!rig.shared.status().busy());
        assert!(!rig.shared.status().connected());
    });
}

#[test]
fn a_refusal_is_fail_with_the_servers_message() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        rig.command(ConnCmd::Connect(server.request("/", Default::default())))
            .await;
        let conn = server.accept().await;
        conn.open("e1", QUIET_MS, QUIET_MS);
        assert_eq!(conn.next().await.as_deref(), Some("40"));
        conn.send(r#"44{"message":"nope"}"#);
        assert_eq!(rig.event().await, events::fail());
        assert_eq!(
            rig.event().await,
            events::error("the server refused the connection: nope", None)
        );
    });
}

/// `Disconnect` leaves the namespace politely, the engine closes the transport (this was its
/// last namespace) before the Close event.
#[test]
fn disconnect_says_goodbye_then_reports_close() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        let conn = rig.join(&server, ConnectionConfig::default()).await;
        rig.command(ConnCmd::Disconnect).await;
        assert_eq!(conn.next().await.as_deref(), Some("41"));
        assert_eq!(conn.next().await, None, "the transport is closed");
        assert_eq!(rig.event().await, events::close(CloseReason::Normal));
    });
}

/// The facade gone (`Done`): what the outbox holds goes out, then the goodbye; nothing is
/// reported, and the actor ends, dropping the Registry's sender.
#[test]
fn the_end_of_the_object_flushes_says_goodbye_and_ends() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut rig = Rig::spawn();
        let conn = rig.join(&server, ConnectionConfig::default()).await;
        rig.emit("last", "1", None);
        rig.commands = None;
        assert_eq!(conn.next().await.as_deref(), Some(r#"42["last",1]"#));
        assert_eq!(conn.next().await.as_deref(), Some("41"));
        assert_eq!(conn.next().await, None);
        assert!(rig.next().await.is_none(), "nothing reported");
        let Rig { actor, .. } = rig;
        rt::timeout(WAIT, actor).await.expect("the actor ended");
    });
}
