//! The Engine actor's loop against a scripted server in memory (`transport::memory`): no
//! socket. Namespaces attach through the table as Connections do and read their
//! [`SocketEvent`]s; the server end sends packets in their wire form and reads what the engine
//! wrote. Heartbeat timings here are the server's smallest (100 ms), so a lost heartbeat takes a
//! fifth of a second of real time (a second for the Engine.IO 3 pong); everything else happens
//! as soon as the loop has run.

use std::sync::Arc;

use crate::actors::engine::table::Link;
use crate::actors::messages::{OpenSession, SocketEvent, Unbatched};
use crate::config::{ConnectionConfig, ProtocolChoice};
use crate::events::CloseReason;
use crate::lang::Text;
use crate::protocol::socketio::{self, Event, Packet as SioPacket};
use crate::protocol::{DecodeError, EioVersion};
use crate::rt;
use crate::transport::memory::{MemoryServer, ServerConn, WAIT};

/// A namespace on the server's engine, attached as its Connection would be.
struct Attached {
    link: Link,
    events: Unbatched<SocketEvent>,
}

fn attach(server: &MemoryServer, namespace: &str, config: ConnectionConfig) -> Attached {
    let request = server.request(namespace, config);
    let (to, events) = async_channel::bounded(32);
    let link = super::attach(&request, Arc::from(namespace), to);
    Attached {
        link,
        events: Unbatched::new(events),
    }
}

/// `/` attached and its session open (engine sid `e1`, a heartbeat too slow to matter): how
/// most tests start.
async fn open_root(server: &MemoryServer) -> (Attached, ServerConn) {
    let mut root = attach(server, "/", ConnectionConfig::default());
    let conn = server.accept().await;
    conn.open("e1", QUIET_MS, QUIET_MS);
    root.opened().await;
    (root, conn)
}

impl Attached {
    async fn next(&mut self) -> SocketEvent {
        self.events.next().await.expect("the engine went away")
    }

    async fn opened(&mut self) -> OpenSession {
        match self.next().await {
            SocketEvent::Opened(open) => open,
            other => panic!("expected Opened, got {other:?}"),
        }
    }

    async fn packet(&mut self) -> SioPacket {
        match self.next().await {
            SocketEvent::Packet(packet) => packet,
            other => panic!("expected a packet, got {other:?}"),
        }
    }

    async fn event(&mut self) -> Event {
        match self.next().await {
            SocketEvent::Event(Ok(event)) => event,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// Closed for `reason`, with a text for LastError.
    async fn closed_because(&mut self, reason: CloseReason) {
        let (got, why) = self.closed().await;
        assert_eq!(got, reason);
        assert!(why.is_some(), "{reason:?} without a text");
    }

    async fn closed(&mut self) -> (CloseReason, Option<Text>) {
        match self.next().await {
            SocketEvent::Closed { reason, why } => (reason, why),
            other => panic!("expected Closed, got {other:?}"),
        }
    }
}

/// Heartbeat timings that never fire during a test.
const QUIET_MS: u64 = 60_000;

#[test]
fn the_open_packet_opens_the_session_for_every_namespace() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut root = attach(&server, "/", ConnectionConfig::default());
        let conn = server.accept().await;
        assert_eq!(conn.version, EioVersion::V4);
        conn.open("e1", QUIET_MS, QUIET_MS);
        let open = root.opened().await;
        assert_eq!((open.version, &*open.engine_sid), (EioVersion::V4, "e1"));
        // A namespace that comes later shares the open session (no second dial).
        let mut chat = attach(&server, "/chat", ConnectionConfig::default());
        assert_eq!(&*chat.opened().await.engine_sid, "e1");
    });
}

#[test]
fn packets_reach_the_namespace_they_name() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut root = attach(&server, "/", ConnectionConfig::default());
        let mut chat = attach(&server, "/chat", ConnectionConfig::default());
        let conn = server.accept().await;
        conn.open("e1", QUIET_MS, QUIET_MS);
        root.opened().await;
        chat.opened().await;
        conn.send(r#"42["a",1]"#);
        conn.send(r#"42/chat,["b",2]"#);
        // Nobody here joined it: dropped.
        conn.send(r#"42/other,["c"]"#);
        conn.send(r#"451-["bin",{"_placeholder":true,"num":0}]"#);
        conn.send_binary(b"hi");
        let a = root.event().await;
        assert_eq!((a.name(), a.args()), ("a", r#"["a",1]"#));
        assert_eq!(chat.event().await.args(), r#"["b",2]"#);
        // The attachment is in place of its placeholder.
        let binary = root.event().await;
        assert!(binary.binary);
        assert_eq!(
            binary.args(),
            r#"["bin",{"_placeholder":true,"num":0,"base64":"aGk="}]"#
        );
    });
}

/// An event whose payload is no event ends its namespace only: the engine goes on.
#[test]
fn an_invalid_event_is_handed_to_its_namespace() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let (mut root, conn) = open_root(&server).await;
        conn.send("42[]");
        conn.send(r#"43["ack"]"#);
        match root.next().await {
            SocketEvent::Event(Err(err)) => assert_eq!(
                err,
                DecodeError::InvalidPayload("an EVENT payload must not be an empty array")
            ),
            other => panic!("expected an invalid event, got {other:?}"),
        }
        assert_eq!(socketio::encode(&root.packet().await), r#"3["ack"]"#);
    });
}

#[test]
fn a_ping_is_answered_with_a_pong() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let (_root, conn) = open_root(&server).await;
        conn.send("2");
        assert_eq!(conn.next().await.as_deref(), Some("3"));
    });
}

/// The server's close packet ends the session for every namespace, the engine closes its side,
/// and the next attach gets a new engine (a new dial).
#[test]
fn the_servers_close_ends_the_session_for_every_namespace() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut root = attach(&server, "/", ConnectionConfig::default());
        let mut chat = attach(&server, "/chat", ConnectionConfig::default());
        let conn = server.accept().await;
        conn.open("e1", QUIET_MS, QUIET_MS);
        root.opened().await;
        chat.opened().await;
        conn.send("1");
        assert_eq!(root.closed().await, (CloseReason::TransportClose, None));
        assert_eq!(chat.closed().await, (CloseReason::TransportClose, None));
        assert_eq!(conn.next().await, None, "the engine closed its writer");
        let mut again = attach(&server, "/", ConnectionConfig::default());
        let conn = server.accept().await;
        conn.open("e2", QUIET_MS, QUIET_MS);
        assert_eq!(&*again.opened().await.engine_sid, "e2");
    });
}

#[test]
fn a_transport_the_server_drops_is_a_transport_close() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let (mut root, conn) = open_root(&server).await;
        drop(conn);
        assert_eq!(root.closed().await, (CloseReason::TransportClose, None));
    });
}

#[test]
fn invalid_data_is_a_parse_error() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let (mut root, conn) = open_root(&server).await;
        conn.send("4{not socket.io");
        let (reason, why) = root.closed().await;
        assert_eq!(reason, CloseReason::ParseError);
        let why = why.expect("a reason").en;
        assert!(why.starts_with("the server sent invalid data: "), "{why}");
    });
}

#[test]
fn a_dial_the_server_refuses_fails_every_waiting_namespace() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut root = attach(&server, "/", ConnectionConfig::default());
        let mut chat = attach(&server, "/chat", ConnectionConfig::default());
        drop(server.accept().await);
        for namespace in [&mut root, &mut chat] {
            namespace.closed_because(CloseReason::TransportError).await;
        }
    });
}

/// Engine.IO 4: the server pings; one that stops is lost after pingInterval + pingTimeout.
#[test]
fn a_server_that_stops_pinging_is_a_ping_timeout() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut root = attach(&server, "/", ConnectionConfig::default());
        let conn = server.accept().await;
        conn.open("e1", 100, 100);
        root.opened().await;
        root.closed_because(CloseReason::PingTimeout).await;
    });
}

/// Engine.IO 3: the client pings every pingInterval; a pong keeps the session, a missing one
/// loses it. (pingTimeout is a second: the test's own pong must beat it on a busy machine.)
#[test]
fn eio3_the_engine_pings_and_a_missing_pong_is_a_ping_timeout() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let config = ConnectionConfig {
            protocol: ProtocolChoice::V3,
            ..ConnectionConfig::default()
        };
        let mut root = attach(&server, "/", config);
        let conn = server.accept().await;
        assert_eq!(conn.version, EioVersion::V3);
        conn.open("e3", 100, 1000);
        assert_eq!(root.opened().await.version, EioVersion::V3);
        assert_eq!(conn.next().await.as_deref(), Some("2"));
        conn.send("3");
        assert_eq!(conn.next().await.as_deref(), Some("2"));
        assert_eq!(root.closed().await.0, CloseReason::PingTimeout);
    });
}

/// The engine stays while a namespace is on it; the last one to leave gets the end signal,
/// which closes once the transport is closed.
#[test]
fn the_last_namespace_leaving_closes_the_transport() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let mut root = attach(&server, "/", ConnectionConfig::default());
        let mut chat = attach(&server, "/chat", ConnectionConfig::default());
        let conn = server.accept().await;
        conn.open("e1", QUIET_MS, QUIET_MS);
        root.opened().await;
        chat.opened().await;
        assert!(chat.link.detach().is_none(), "/ is still on the engine");
        conn.send("2");
        assert_eq!(conn.next().await.as_deref(), Some("3"), "still running");
        let ended = root.link.detach().expect("the last namespace");
        assert_eq!(conn.next().await, None, "the engine closed its writer");
        let end = rt::timeout(WAIT, ended.recv()).await;
        assert!(end.expect("the engine ended").is_err());
    });
}

/// A server flooding a namespace nobody joined (nothing downstream fills up and makes the
/// engine wait) still leaves the executor thread to the other tasks: the engine gives it back
/// every run of reads. Without that, another object's task ran only once the flood paused.
#[test]
fn a_flood_nobody_reads_leaves_the_executor_to_the_other_tasks() {
    rt::block_on(async {
        let server = MemoryServer::listen();
        let request = server.request("/", ConnectionConfig::default());
        let (to, events) = async_channel::bounded(32);
        let watch = events.clone();
        let link = super::attach(&request, Arc::from("/"), to);
        let mut root = Attached {
            link,
            events: Unbatched::new(events),
        };
        let conn = server.accept().await;
        conn.open("e1", QUIET_MS, QUIET_MS);
        root.opened().await;
        // Another object's task, woken while the engine is in the middle of the flood: it must
        // run before the engine has read what comes after the wake-up.
        let (wake, woken) = async_channel::bounded::<()>(1);
        let other = rt::spawn(async move {
            let _ = woken.recv().await;
            watch.is_empty()
        });
        for i in 0..100_000 {
            conn.send(&format!(r#"42/nobody,["flood",{i}]"#));
        }
        let _ = wake.try_send(());
        conn.send(r#"42["after"]"#);
        assert!(
            rt::timeout(WAIT, other).await.expect("the other task ran"),
            "the engine read on past the other task's wake-up without giving the thread back"
        );
        assert_eq!(root.event().await.name(), "after");
    });
}
