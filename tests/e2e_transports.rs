//! Every Engine.IO revision over both transports, end to end: the add-in loaded through its C
//! ABI by the host emulator, against real socket.io 4.8 (strict and with `allowEIO3`), 2.5.1,
//! 1.7.4 and python-socketio 5 servers started on free loopback ports.
//!
//! The matrix: the round-trip scenario (connect, a subscribed event with Cyrillic data, `echo`
//! sent and received back, Disconnect with Close/Normal) for each server flavor over websocket
//! only, polling only, and polling upgraded to websocket; one #[test] per cell. Then the
//! Engine.IO revision (`ProtocolVersion` auto, 3 and 4, right and wrong), the fallback from
//! websocket to polling, websocket-only servers, binary events over polling, and the socket id
//! of Engine.IO 3 namespaces.
//!
//! Every wait is for an event or a server line, with a generous deadline; nothing sleeps.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{
    ack_event, connect, expect_fail, expect_greeting, is_ack, is_connection, is_message,
    last_error, send_with_ack, wait_transport, Mode, CLOSE_NORMAL, FAIL, OPEN, WAIT,
};
use testkit::host::{library, HostOptions, Object, V};
use testkit::servers::{Flavor, Server, ServerOptions};

/// A test server on an Engine.IO path of its own. The process remembers each server's
/// Engine.IO revision by scheme, host, port and path; ports are reused by later servers of this
/// process, and a path of its own keeps one test's server from inheriting what was learnt about
/// an earlier one (of another version).
struct TestServer {
    server: Server,
    path: String,
}

impl std::ops::Deref for TestServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

/// Starts a server with `opts` on a path of its own.
fn serve(opts: ServerOptions) -> TestServer {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let path = format!("/sio-{}/", NEXT.fetch_add(1, Ordering::Relaxed));
    serve_at(opts, &path)
}

/// Starts a server with `opts` on `path`.
fn serve_at(mut opts: ServerOptions, path: &str) -> TestServer {
    opts.extra_args.extend(["--path".into(), path.to_owned()]);
    TestServer {
        server: Server::start(opts),
        path: path.to_owned(),
    }
}

/// A Client object for `server` (its `Path` set), with texts in English (the emulated platform
/// speaks Russian).
fn client_on(server: &TestServer) -> Object {
    let obj = library()
        .create("Client", &HostOptions::default())
        .expect("create the Client object");
    obj.set_language("en");
    obj.set("Path", V::from(server.path.as_str()))
        .expect("set Path");
    obj
}

/// Waits for the server's report that `obj` joined `nsp` (the line with its SessionID) and
/// checks it came over one of `transports`. Returns the line.
fn wait_join(server: &TestServer, obj: &Object, nsp: &str, transports: &[&str]) -> String {
    let sid = obj.get("SessionID").unwrap();
    let sid = sid.as_str().unwrap_or_default().to_owned();
    assert!(!sid.is_empty(), "no SessionID after Open");
    let prefix = format!(r#"{{"type":"connect","nsp":"{nsp}","sid":"{sid}","#);
    let line = server
        .wait_line(WAIT, |l| l.starts_with(&prefix))
        .unwrap_or_else(|| {
            panic!(
                "the server saw no join of {nsp} with SessionID {sid}; lines: {:#?}",
                server.lines()
            )
        });
    assert!(
        transports
            .iter()
            .any(|t| line.contains(&format!(r#""transport":"{t}""#))),
        "expected a join over {transports:?}: {line}"
    );
    line
}

/// The Engine.IO revision a flavor speaks to a client that lets it choose.
fn native_eio(flavor: Flavor) -> u8 {
    if flavor.speaks_eio4() {
        4
    } else {
        3
    }
}

/// The round-trip scenario against `flavor` over `mode`, with `ProtocolVersion` auto.
fn round_trip(flavor: Flavor, mode: Mode) {
    let server = serve(ServerOptions::new(flavor));
    let obj = client_on(&server);
    obj.set("Transports", V::from(mode.transports())).unwrap();
    for name in ["greeting", "echo", "transport"] {
        obj.call("On", &[V::from(name)]).unwrap();
    }
    connect(&obj, &server.url("/"));

    // The server's view: SessionID is its socket id, joined over the transport asked for, in
    // the server's own revision.
    let joined = wait_join(&server, &obj, "/", mode.joins_over());
    let eio = native_eio(flavor);
    assert!(
        joined.contains(&format!(r#""eio":{eio}"#)),
        "expected Engine.IO {eio}: {joined}"
    );

    expect_greeting(&obj);

    // The session is on the transport it should end on (after the upgrade, for Upgrade), and
    // the echo travels over it.
    wait_transport(&obj, mode.last());
    obj.call("Send", &[V::from("echo"), V::from("Привет, эхо! 😀")])
        .unwrap();
    let got = server
        .wait_event(WAIT, "echo")
        .expect("the server got the echo");
    assert!(got.contains(r#""args":["Привет, эхо! 😀"]"#), "{got}");
    let echo = obj
        .wait_event(WAIT, is_message("echo"))
        .expect("the echo came back");
    assert_eq!(
        echo.event,
        r#"{"Event": "Message","Namespace": "/","Name": "echo","Type": "String"}"#
    );
    assert_eq!(echo.data, r#"["echo","Привет, эхо! 😀"]"#);

    obj.call("Disconnect", &[]).unwrap();
    let close = obj.wait_event(WAIT, is_connection).expect("Close");
    assert_eq!(close.event, CLOSE_NORMAL);
    expect_goodbye(&server, flavor, "Disconnect");

    // Destroying a connected object says the same goodbye (the host emulator counts an event
    // after Done as a violation).
    connect(&obj, &server.url("/"));
    wait_join(&server, &obj, "/", mode.joins_over());
    obj.done().unwrap();
    expect_goodbye(&server, flavor, "destroying the object");
    expect_no_refused_requests(&server);
    // One socket per connection: no probe joined `/` on the side (a 1.x/2.x server joins every
    // Engine.IO session to `/`, so asking it anything by a session of its own shows here).
    let joins = server
        .lines()
        .iter()
        .filter(|l| l.starts_with(r#"{"type":"connect","nsp":"/","#))
        .count();
    assert_eq!(
        joins,
        2,
        "two Connects, {joins} sockets: {:#?}",
        server.lines()
    );
}

/// Waits for the server's report that the client left "/" and checks that it left as a client
/// does (a namespace DISCONNECT), not by losing its transport.
fn expect_goodbye(server: &TestServer, flavor: Flavor, after: &str) {
    let line = server
        .wait_disconnect(WAIT, "/")
        .unwrap_or_else(|| panic!("after {after}: the server saw no disconnect"));
    let reason = match flavor {
        Flavor::Python5 => "client disconnect",
        _ => "client namespace disconnect",
    };
    assert!(
        line.contains(&format!(r#""reason":"{reason}""#)),
        "after {after}: expected the reason {reason:?}: {line}"
    );
}

/// Checks that the node server refused or cut none of the session's HTTP requests (its "http"
/// lines; python-socketio's server prints none, so there the check passes by construction).
fn expect_no_refused_requests(server: &TestServer) {
    let refused = server.lines_starting(r#"{"type":"http","#);
    assert!(refused.is_empty(), "requests refused or cut: {refused:#?}");
}

// ----- the round-trip matrix: flavor × transport ---------------------------------------------

#[test]
fn sio4_over_websocket() {
    round_trip(Flavor::Sio4, Mode::WebSocket);
}

#[test]
fn sio4_over_polling() {
    round_trip(Flavor::Sio4, Mode::Polling);
}

#[test]
fn sio4_upgraded_from_polling() {
    round_trip(Flavor::Sio4, Mode::Upgrade);
}

#[test]
fn sio4_eio3_over_websocket() {
    round_trip(Flavor::Sio4Eio3, Mode::WebSocket);
}

#[test]
fn sio4_eio3_over_polling() {
    round_trip(Flavor::Sio4Eio3, Mode::Polling);
}

#[test]
fn sio4_eio3_upgraded_from_polling() {
    round_trip(Flavor::Sio4Eio3, Mode::Upgrade);
}

#[test]
fn sio2_over_websocket() {
    round_trip(Flavor::Sio2, Mode::WebSocket);
}

#[test]
fn sio2_over_polling() {
    round_trip(Flavor::Sio2, Mode::Polling);
}

#[test]
fn sio2_upgraded_from_polling() {
    round_trip(Flavor::Sio2, Mode::Upgrade);
}

#[test]
fn sio1_over_websocket() {
    round_trip(Flavor::Sio1, Mode::WebSocket);
}

#[test]
fn sio1_over_polling() {
    round_trip(Flavor::Sio1, Mode::Polling);
}

#[test]
fn sio1_upgraded_from_polling() {
    round_trip(Flavor::Sio1, Mode::Upgrade);
}

#[test]
fn python5_over_websocket() {
    round_trip(Flavor::Python5, Mode::WebSocket);
}

#[test]
fn python5_over_polling() {
    round_trip(Flavor::Python5, Mode::Polling);
}

#[test]
fn python5_upgraded_from_polling() {
    round_trip(Flavor::Python5, Mode::Upgrade);
}

#[test]
fn socketioxide_over_websocket() {
    round_trip(Flavor::Socketioxide, Mode::WebSocket);
}

#[test]
fn socketioxide_over_polling() {
    round_trip(Flavor::Socketioxide, Mode::Polling);
}

#[test]
fn socketioxide_upgraded_from_polling() {
    round_trip(Flavor::Socketioxide, Mode::Upgrade);
}

/// Acknowledgements both ways over `mode`: the client's `SendWithAck` answered by the server's
/// ack with its arguments; a request the server sends on its own (`emit` with an ack) answered
/// by `Ack`; and a request the server sends while handling an acknowledged emit (`ask`), whose
/// answer comes back to the client as the Ack of its emit.
fn acks_both_ways(flavor: Flavor, mode: Mode) {
    let server = serve(ServerOptions::new(flavor));
    let obj = client_on(&server);
    obj.set("Transports", V::from(mode.transports())).unwrap();
    for name in ["question", "transport"] {
        obj.call("On", &[V::from(name)]).unwrap();
    }
    connect(&obj, &server.url("/"));
    wait_join(&server, &obj, "/", mode.joins_over());
    wait_transport(&obj, mode.last());

    let id = send_with_ack(&obj, "ack", r#"[1, "два", {"x": null}]"#, None);
    let ev = obj.wait_event(WAIT, is_ack(id)).expect("the Ack");
    assert_eq!(ev.event, ack_event(id, "ack", "Ok"), "{flavor} {mode:?}");
    assert_eq!(ev.data, r#"[1,"два",{"x":null}]"#, "{flavor} {mode:?}");
    let line = server.wait_event(WAIT, "ack").expect("the server saw it");
    assert!(line.ends_with(r#""ack":true}"#), "{line}");

    // The server asks on its own.
    let sid = obj.get("SessionID").unwrap();
    let sid = sid.as_str().unwrap_or_default().to_owned();
    let cmd = format!(
        r#"{{"cmd":"emit","nsp":"/","sid":"{sid}","event":"question","args":["сколько?",5],"ack":true}}"#
    );
    server
        .command_wait(&cmd, WAIT)
        .unwrap_or_else(|e| panic!("{flavor}: {e}"));
    let (ask_id, data) = question(&obj);
    assert_eq!(data, r#"["question","сколько?",5]"#, "{flavor} {mode:?}");
    obj.call("Ack", &[V::I32(ask_id), V::from(r#"["ответ", {"n": 1}]"#)])
        .unwrap();
    let answer = server
        .wait_line(WAIT, |l| l.starts_with(r#"{"type":"answer","#))
        .expect("the server got the answer");
    assert!(
        answer.contains(r#""args":["ответ",{"n":1}]"#),
        "{flavor} {mode:?}: {answer}"
    );

    // The server asks while handling an acknowledged emit.
    let id = send_with_ack(&obj, "ask", r#"["ещё?"]"#, None);
    let (ask_id, data) = question(&obj);
    assert_eq!(data, r#"["question","ещё?"]"#, "{flavor} {mode:?}");
    obj.call("Ack", &[V::I32(ask_id), V::from(r#""да""#)])
        .unwrap();
    let ev = obj.wait_event(WAIT, is_ack(id)).expect("the Ack of ask");
    assert_eq!(ev.event, ack_event(id, "ask", "Ok"), "{flavor} {mode:?}");
    assert_eq!(ev.data, r#"["да"]"#, "{flavor} {mode:?}");
    obj.done().unwrap();
}

/// The next `question` the server asks: its AckId and data.
fn question(obj: &Object) -> (i32, String) {
    let ev = obj
        .wait_event(WAIT, is_message("question"))
        .expect("the question");
    let id = ev
        .event
        .split(r#""AckId": "#)
        .nth(1)
        .and_then(|rest| rest.trim_end_matches('}').parse().ok())
        .unwrap_or_else(|| panic!("a question with an AckId: {}", ev.event));
    (id, ev.data)
}

#[test]
fn socketioxide_acks_both_ways_and_binary_over_websocket() {
    acks_both_ways(Flavor::Socketioxide, Mode::WebSocket);
    binary_over(Flavor::Socketioxide, "auto", Mode::WebSocket);
}

#[test]
fn socketioxide_acks_both_ways_and_binary_over_polling() {
    acks_both_ways(Flavor::Socketioxide, Mode::Polling);
    binary_over(Flavor::Socketioxide, "auto", Mode::Polling);
}

#[test]
fn socketioxide_acks_both_ways_and_binary_upgraded_from_polling() {
    acks_both_ways(Flavor::Socketioxide, Mode::Upgrade);
    binary_over(Flavor::Socketioxide, "auto", Mode::Upgrade);
}

// ----- ProtocolVersion -----------------------------------------------------------------------

/// Connects with `ProtocolVersion = version` over `mode`, checks the revision the server saw,
/// and echoes text that is not ASCII (UTF-16 surrogates included) both ways.
fn joins_with(flavor: Flavor, version: &str, eio: u8, mode: Mode) {
    let server = serve(ServerOptions::new(flavor));
    let obj = client_on(&server);
    obj.set("ProtocolVersion", V::from(version)).unwrap();
    obj.set("Transports", V::from(mode.transports())).unwrap();
    obj.call("On", &[V::from("echo")]).unwrap();
    connect(&obj, &server.url("/"));
    let joined = wait_join(&server, &obj, "/", mode.joins_over());
    assert!(
        joined.contains(&format!(r#""eio":{eio}"#)),
        "ProtocolVersion {version}: expected Engine.IO {eio}: {joined}"
    );
    obj.call("Send", &[V::from("echo"), V::from("ёжик € 😀")])
        .unwrap();
    let got = server.wait_event(WAIT, "echo").expect("the echo");
    assert!(
        got.contains(r#""args":["ёжик € 😀"]"#),
        "{flavor} {mode:?}: {got}"
    );
    let echo = obj
        .wait_event(WAIT, is_message("echo"))
        .expect("the echo came back");
    assert_eq!(echo.data, r#"["echo","ёжик € 😀"]"#, "{flavor} {mode:?}");
    obj.done().unwrap();
}

#[test]
fn version_3_and_4_both_work_with_allow_eio3() {
    for mode in [Mode::WebSocket, Mode::Polling] {
        joins_with(Flavor::Sio4Eio3, "3", 3, mode);
        joins_with(Flavor::Sio4Eio3, "4", 4, mode);
    }
}

#[test]
fn version_3_works_with_socket_io_2_and_1() {
    for mode in [Mode::WebSocket, Mode::Polling] {
        joins_with(Flavor::Sio2, "3", 3, mode);
        joins_with(Flavor::Sio1, "3", 3, mode);
    }
}

#[test]
fn version_4_works_with_socket_io_4_and_python() {
    for mode in [Mode::WebSocket, Mode::Polling] {
        joins_with(Flavor::Sio4, "4", 4, mode);
        joins_with(Flavor::Python5, "4", 4, mode);
    }
}

#[test]
fn version_4_against_socket_io_2_fails_clearly() {
    for transports in ["websocket,polling", "polling"] {
        let server = serve(ServerOptions::new(Flavor::Sio2));
        let obj = client_on(&server);
        obj.set("ProtocolVersion", V::from("4")).unwrap();
        obj.set("Transports", V::from(transports)).unwrap();
        let error = expect_fail(&obj, &server.url("/"));
        assert!(
            error.contains("socket.io 1.x/2.x") && error.contains("ProtocolVersion"),
            "{transports}: {error}"
        );
        obj.done().unwrap();
    }
}

#[test]
fn version_3_against_strict_socket_io_4_fails_clearly() {
    for flavor in [Flavor::Sio4, Flavor::Python5] {
        for transports in ["websocket,polling", "polling"] {
            let server = serve(ServerOptions::new(flavor));
            let obj = client_on(&server);
            obj.set("ProtocolVersion", V::from("3")).unwrap();
            obj.set("Transports", V::from(transports)).unwrap();
            let error = expect_fail(&obj, &server.url("/"));
            assert!(
                error.contains("does not accept Engine.IO 3") && error.contains("\"auto\""),
                "{flavor} {transports}: {error}"
            );
            obj.done().unwrap();
        }
    }
}

/// Auto over websocket first: the first connect asks by a polling handshake (a socket.io 2
/// server shows it as a join over polling); the answer is remembered, so the second connect
/// goes straight to the websocket.
#[test]
fn auto_detection_is_remembered_per_server() {
    // Detection happens on the connection itself: the websocket asks for Engine.IO 4 and a
    // 1.x/2.x server answers in 3 (ignoring the query). Remembered, the next connect asks for 3.
    let server = serve(ServerOptions::new(Flavor::Sio2));
    let asked = |line: &str, eio: &str| line.contains(&format!(r#""EIO":"{eio}""#));
    let obj = client_on(&server);
    connect(&obj, &server.url("/"));
    let first = wait_join(&server, &obj, "/", &["websocket"]);
    assert!(asked(&first, "4"), "the first connect asks for 4: {first}");
    obj.call("Disconnect", &[]).unwrap();
    obj.wait_event(WAIT, is_connection).expect("Close");

    connect(&obj, &server.url("/"));
    let second = wait_join(&server, &obj, "/", &["websocket"]);
    assert!(
        asked(&second, "3"),
        "the second connect asks for 3: {second}"
    );
    obj.done().unwrap();
}

// ----- fallback and websocket-only servers ---------------------------------------------------

/// A server that allows polling only: the default `websocket,polling` falls back to polling
/// (after the revision is detected, or with it given).
#[test]
fn websocket_falls_back_to_polling() {
    for (flavor, version) in [
        (Flavor::Sio4, "auto"),
        (Flavor::Sio4, "4"),
        (Flavor::Sio2, "auto"),
        (Flavor::Sio2, "3"),
    ] {
        let server = serve(ServerOptions {
            transports: Some("polling".into()),
            ..ServerOptions::new(flavor)
        });
        let obj = client_on(&server);
        obj.set("ProtocolVersion", V::from(version)).unwrap();
        obj.call("On", &[V::from("echo")]).unwrap();
        connect(&obj, &server.url("/"));
        wait_join(&server, &obj, "/", &["polling"]);
        obj.call("Send", &[V::from("echo"), V::from("назад")])
            .unwrap();
        let echo = obj
            .wait_event(WAIT, is_message("echo"))
            .unwrap_or_else(|| panic!("{flavor} {version}: no echo over the fallback"));
        assert_eq!(echo.data, r#"["echo","назад"]"#);
        obj.done().unwrap();
    }
}

/// A server that refuses polling: auto detection asks over the websocket instead.
#[test]
fn auto_detection_against_websocket_only_servers() {
    for flavor in [Flavor::Sio4, Flavor::Sio2, Flavor::Python5] {
        let server = serve(ServerOptions {
            transports: Some("websocket".into()),
            ..ServerOptions::new(flavor)
        });
        let obj = client_on(&server);
        obj.call("On", &[V::from("greeting")]).unwrap();
        connect(&obj, &server.url("/"));
        let joined = wait_join(&server, &obj, "/", &["websocket"]);
        let eio = native_eio(flavor);
        assert!(
            joined.contains(&format!(r#""eio":{eio}"#)),
            "{flavor}: expected Engine.IO {eio}: {joined}"
        );
        expect_greeting(&obj);
        obj.done().unwrap();
    }
}

#[test]
fn polling_only_against_a_websocket_only_server_fails_clearly() {
    let server = serve(ServerOptions {
        transports: Some("websocket".into()),
        ..ServerOptions::new(Flavor::Sio4)
    });
    let obj = client_on(&server);
    obj.set("Transports", V::from("polling")).unwrap();
    let error = expect_fail(&obj, &server.url("/"));
    assert!(
        error.contains("HTTP 400") && error.contains("Transport unknown"),
        "{error}"
    );
    obj.done().unwrap();
}

// ----- binary over polling, Engine.IO 3 namespaces, headers --------------------------------

/// The `binary` handler's event and an echoed BinaryData, over `mode`.
fn binary_over(flavor: Flavor, version: &str, mode: Mode) {
    let server = serve(ServerOptions::new(flavor));
    let obj = client_on(&server);
    obj.set("Transports", V::from(mode.transports())).unwrap();
    obj.set("ProtocolVersion", V::from(version)).unwrap();
    obj.call("On", &[V::from("*")]).unwrap();
    connect(&obj, &server.url("/"));

    obj.call("Send", &[V::from("binary"), V::Empty]).unwrap();
    let binary = obj
        .wait_event(WAIT, is_message("binary"))
        .expect("the binary event");
    assert_eq!(
        binary.event, r#"{"Event": "Message","Namespace": "/","Name": "binary","Type": "Binary"}"#,
        "{flavor} {version} {mode:?}"
    );
    assert!(
        binary.data.contains(r#""num":0,"base64":"AQID""#)
            && binary.data.contains(r#""num":1,"base64":"aGVsbG8=""#),
        "{flavor} {version} {mode:?}: {}",
        binary.data
    );

    obj.call("Send", &[V::from("echo"), V::Blob(vec![0, 1, 2, 255])])
        .unwrap();
    let got = server.wait_event(WAIT, "echo").expect("the binary echo");
    assert!(
        got.contains(r#""args":[{"_binary_base64":"AAEC/w=="}]"#),
        "{flavor} {version} {mode:?}: {got}"
    );
    let echo = obj
        .wait_event(WAIT, is_message("echo"))
        .expect("the echo came back");
    assert!(
        echo.data.contains(r#""base64":"AAEC/w==""#),
        "{}",
        echo.data
    );
    obj.done().unwrap();
}

#[test]
fn binary_over_polling_engine_io_4() {
    binary_over(Flavor::Sio4, "auto", Mode::Polling);
    binary_over(Flavor::Python5, "auto", Mode::Polling);
}

#[test]
fn binary_over_polling_engine_io_3() {
    binary_over(Flavor::Sio2, "3", Mode::Polling);
    binary_over(Flavor::Sio4Eio3, "3", Mode::Polling);
    // socket.io 1.7.4 frames every body as binary (text too).
    binary_over(Flavor::Sio1, "auto", Mode::Polling);
}

/// The binary frame layouts: a `0x04` type byte in Engine.IO 3, raw data in Engine.IO 4.
#[test]
fn binary_over_websocket_in_both_revisions() {
    binary_over(Flavor::Sio4, "4", Mode::WebSocket);
    binary_over(Flavor::Sio4Eio3, "3", Mode::WebSocket);
    binary_over(Flavor::Sio2, "auto", Mode::WebSocket);
    binary_over(Flavor::Sio1, "auto", Mode::WebSocket);
}

/// Engine.IO 3 servers refuse a namespace with a plain string (`44/admin,"Not authorized"`):
/// Fail, with the server's words in LastError; the handshake query is how such a client
/// authenticates.
#[test]
fn engine_io_3_refusals_and_query_authentication() {
    for flavor in [Flavor::Sio2, Flavor::Sio1] {
        for mode in [Mode::Polling, Mode::WebSocket] {
            let server = serve(ServerOptions::new(flavor));
            let obj = client_on(&server);
            obj.set("Transports", V::from(mode.transports())).unwrap();
            let error = expect_fail(&obj, &server.url("/admin"));
            assert!(
                error.contains("Not authorized"),
                "{flavor} {mode:?}: {error}"
            );
            obj.set("Query", V::from(r#"{"token":"secret"}"#)).unwrap();
            connect(&obj, &server.url("/admin"));
            let joined = wait_join(&server, &obj, "/admin", mode.joins_over());
            assert!(joined.contains(r#""token":"secret""#), "{joined}");
            obj.done().unwrap();
        }
    }
}

/// On Engine.IO 3 the CONNECT reply carries no id: SessionID is the server's socket id,
/// `/chat#<engine sid>`. Also: the Headers property reaches the server over polling.
#[test]
fn engine_io_3_namespace_socket_ids_over_both_transports() {
    for flavor in [Flavor::Sio2, Flavor::Sio1] {
        for mode in [Mode::Polling, Mode::WebSocket] {
            let server = serve(ServerOptions::new(flavor));
            let obj = client_on(&server);
            obj.set("Transports", V::from(mode.transports())).unwrap();
            obj.set("Headers", V::from(r#"{"X-Tenant":"t1"}"#)).unwrap();
            obj.call("On", &[V::from("greeting")]).unwrap();
            connect(&obj, &server.url("/chat"));
            let joined = wait_join(&server, &obj, "/chat", mode.joins_over());
            let sid = obj.get("SessionID").unwrap();
            let sid = sid.as_str().unwrap_or_default();
            assert!(
                sid.starts_with("/chat#"),
                "{flavor} {mode:?}: SessionID {sid:?}, server: {joined}"
            );
            assert!(joined.contains(r#""x-tenant":"t1""#), "{joined}");
            let greeting = obj
                .wait_event(WAIT, is_message("greeting"))
                .expect("the greeting");
            assert_eq!(
                greeting.event,
                r#"{"Event": "Message","Namespace": "/chat","Name": "greeting","Type": "String"}"#
            );
            obj.done().unwrap();
        }
    }
}

// ----- polling under load, heartbeats, Done ----------------------------------------------------

/// Sends queued before Open go out in one batch, which the writer splits into POSTs within the
/// server's `maxPayload` (here 2000 bytes; one POST of everything would be refused with 413).
#[test]
fn polling_posts_stay_within_max_payload() {
    for (flavor, version) in [
        (Flavor::Sio4, "auto"),
        (Flavor::Sio4Eio3, "3"),
        (Flavor::Python5, "auto"),
    ] {
        let server = serve(ServerOptions {
            max_payload: Some(2000),
            ..ServerOptions::new(flavor)
        });
        let obj = client_on(&server);
        obj.set("Transports", V::from("polling")).unwrap();
        obj.set("ProtocolVersion", V::from(version)).unwrap();
        obj.call("Connect", &[V::from(server.url("/").as_str())])
            .unwrap();
        // Queued in the offline buffer: 60 packets of about 220 bytes (16 of them, the most
        // one POST carries, would already be 3.5 KB).
        let text = "ж".repeat(100);
        for i in 0..60 {
            obj.call(
                "SendJSON",
                &[
                    V::from("batch"),
                    V::from(format!(r#"[{i},"{text}"]"#).as_str()),
                ],
            )
            .unwrap();
        }
        let open = obj.wait_event(WAIT, is_connection).expect("Open");
        assert_eq!(open.event, OPEN, "{flavor}: {:?}", last_error(&obj));
        // python-socketio runs handlers concurrently: the lines may come in any order.
        let mut got: Vec<u32> = (0..60)
            .map(|n| {
                let line = server
                    .wait_event(WAIT, "batch")
                    .unwrap_or_else(|| panic!("{flavor}: only {n} batch events arrived"));
                assert!(line.contains(&text), "{flavor}: {line}");
                let args = line.split(r#""args":["#).nth(1).unwrap_or_default();
                args.split(',').next().unwrap_or_default().parse().unwrap()
            })
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..60).collect::<Vec<u32>>(), "{flavor}");
        assert!(
            !obj.seen().iter().any(is_connection),
            "{flavor}: {:?}",
            obj.seen()
        );
        obj.done().unwrap();
    }
}

/// A burst of small sends over polling reaches every server whole. socket.io 4.5+ and
/// socketioxide take it in as few POSTs as `maxPayload` allows; every other server gets at most
/// 16 packets per POST, because python-engineio drops a body of more (and answers 200): without
/// that limit this test loses events on python-socketio.
#[test]
fn a_burst_over_polling_reaches_every_server_whole() {
    const SENDS: u32 = 300;
    for flavor in [
        Flavor::Sio4,
        Flavor::Sio4Eio3,
        Flavor::Sio2,
        Flavor::Python5,
        Flavor::Socketioxide,
    ] {
        let server = serve(ServerOptions::new(flavor));
        let obj = client_on(&server);
        obj.set("Transports", V::from("polling")).unwrap();
        connect(&obj, &server.url("/"));
        // In a tight row: they queue up behind the first POST and leave in batches.
        for i in 0..SENDS {
            obj.call("Send", &[V::from("burst"), V::I32(i as i32)])
                .unwrap();
        }
        // python-socketio runs handlers concurrently: the lines may come in any order.
        let mut got: Vec<u32> = (0..SENDS)
            .map(|n| {
                let line = server.wait_event(WAIT, "burst").unwrap_or_else(|| {
                    panic!("{flavor}: only {n} of {SENDS} burst events arrived")
                });
                let args = line.split(r#""args":["#).nth(1).unwrap_or_default();
                args.split([',', ']'])
                    .next()
                    .unwrap_or_default()
                    .parse()
                    .unwrap()
            })
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..SENDS).collect::<Vec<u32>>(), "{flavor}");
        obj.done().unwrap();
    }
}

/// A quiet polling session lives through several heartbeats: Engine.IO 4 pongs (POSTed) and
/// Engine.IO 3 pings (POSTed, answered on the GET). Heartbeats can only be shown over time: with
/// pingInterval 500 ms and pingTimeout 1000 ms a missing heartbeat ends the session after 1.5 s;
/// the session is watched for 4 s, then must still carry an echo.
#[test]
fn heartbeats_over_polling() {
    for flavor in [Flavor::Sio4, Flavor::Sio2, Flavor::Sio1] {
        let server = serve(ServerOptions {
            ping_interval_ms: Some(500),
            ping_timeout_ms: Some(1000),
            ..ServerOptions::new(flavor)
        });
        let obj = client_on(&server);
        obj.set("Transports", V::from("polling")).unwrap();
        obj.call("On", &[V::from("echo")]).unwrap();
        connect(&obj, &server.url("/"));
        let ended = obj.wait_event(Duration::from_secs(4), is_connection);
        assert!(
            ended.is_none(),
            "{flavor}: the quiet session ended: {ended:?}; LastError = {:?}; server: {:#?}",
            last_error(&obj),
            server.lines()
        );
        obj.call("Send", &[V::from("echo"), V::from("жив")])
            .unwrap();
        let echo = obj
            .wait_event(WAIT, is_message("echo"))
            .expect("the echo after the quiet time");
        assert_eq!(echo.data, r#"["echo","жив"]"#);
        obj.done().unwrap();
    }
}

/// Done while a flood pours in, over every transport: no event reaches the host afterwards (the
/// emulator fails the test if any ExternalEvent comes after Done; over polling the GET task ends
/// with the object).
#[test]
fn destroying_an_object_while_it_receives_a_flood_is_clean() {
    for (flavor, mode) in [Flavor::Sio4, Flavor::Sio2]
        .into_iter()
        .flat_map(|f| [Mode::WebSocket, Mode::Polling, Mode::Upgrade].map(|m| (f, m)))
    {
        let server = serve(ServerOptions::new(flavor));
        let obj = client_on(&server);
        obj.set("Transports", V::from(mode.transports())).unwrap();
        obj.call("On", &[V::from("tick")]).unwrap();
        connect(&obj, &server.url("/"));
        obj.call(
            "SendJSON",
            &[
                V::from("flood"),
                V::from(r#"{"n": 100000, "event": "tick"}"#),
            ],
        )
        .unwrap();
        obj.wait_event(WAIT, is_message("tick"))
            .expect("the flood started");
        obj.done().unwrap();
        testkit::host::assert_clean();
    }
}

/// The server ends the session over polling: a namespace disconnect (`41`) is Close with
/// ServerDisconnect; an engine close (the close packet on the GET) is Close with TransportClose.
#[test]
fn server_side_endings_over_polling() {
    for flavor in [Flavor::Sio4, Flavor::Sio2, Flavor::Python5] {
        for (action, reason) in [
            ("disconnect-me", "ServerDisconnect"),
            ("close-transport", "TransportClose"),
        ] {
            let server = serve(ServerOptions::new(flavor));
            let obj = client_on(&server);
            obj.set("Transports", V::from("polling")).unwrap();
            obj.set("Reconnection", V::Bool(false)).unwrap();
            connect(&obj, &server.url("/"));
            obj.call("Send", &[V::from(action), V::Empty]).unwrap();
            let ev = obj.wait_event(WAIT, is_connection).expect("Close");
            assert_eq!(
                ev.event,
                format!(r#"{{"Event": "Connection","State": "Close","Reason": "{reason}"}}"#),
                "{flavor} {action}: LastError = {:?}",
                last_error(&obj)
            );
            obj.done().unwrap();
        }
    }
}

/// Starts `flavor` on `port` and `path`: the address another server of this test just left.
fn serve_in_place_of(flavor: Flavor, port: u16, path: &str) -> TestServer {
    let opts = ServerOptions {
        extra_args: vec!["--port".into(), port.to_string()],
        ..ServerOptions::new(flavor)
    };
    serve_at(opts, path)
}

/// What auto detection remembers goes out of date when another server version takes over the
/// address (1C processes run for months): the next Connect still succeeds, in the new revision.
#[test]
fn a_server_replaced_by_another_version_is_detected_again() {
    for (before, after) in [(Flavor::Sio4, Flavor::Sio2), (Flavor::Sio2, Flavor::Sio4)] {
        let first = serve(ServerOptions::new(before));
        let (port, path) = (first.port(), first.path.clone());
        let obj = client_on(&first);
        obj.call("On", &[V::from("echo")]).unwrap();
        connect(&obj, &first.url("/"));
        wait_join(&first, &obj, "/", &["websocket"]);
        obj.call("Disconnect", &[]).unwrap();
        obj.wait_event(WAIT, is_connection).expect("Close");
        drop(first);

        let second = serve_in_place_of(after, port, &path);
        assert_eq!(second.port(), port);
        connect(&obj, &second.url("/"));
        let joined = wait_join(&second, &obj, "/", &["websocket"]);
        let eio = native_eio(after);
        assert!(
            joined.contains(&format!(r#""eio":{eio}"#)),
            "{before} → {after}: {joined}"
        );
        obj.call("Send", &[V::from("echo"), V::from("снова")])
            .unwrap();
        let echo = obj.wait_event(WAIT, is_message("echo")).expect("echo");
        assert_eq!(echo.data, r#"["echo","снова"]"#);
        assert!(
            !obj.seen().iter().any(|e| e.event == FAIL),
            "{before} → {after}: {:?}",
            obj.seen()
        );
        obj.done().unwrap();
    }
}

/// Polling and its upgrade over TLS (`https://`, then `wss://`), verified against a CA made for
/// the test.
#[test]
fn polling_and_upgrade_over_tls() {
    let certs = testkit::servers::TestCerts::generate();
    for flavor in [Flavor::Sio4, Flavor::Sio2] {
        let server = serve(ServerOptions::new(flavor).with_tls(&certs));
        let obj = client_on(&server);
        obj.set("Transports", V::from("polling,websocket")).unwrap();
        obj.set("CACertificate", V::from(certs.ca_pem().as_str()))
            .unwrap();
        for name in ["echo", "transport"] {
            obj.call("On", &[V::from(name)]).unwrap();
        }
        connect(&obj, &server.http_url("/"));
        wait_join(&server, &obj, "/", &["polling", "websocket"]);
        wait_transport(&obj, "websocket");
        obj.call("Send", &[V::from("echo"), V::from("защищено")])
            .unwrap();
        let echo = obj.wait_event(WAIT, is_message("echo")).expect("echo");
        assert_eq!(echo.data, r#"["echo","защищено"]"#, "{flavor}");
        obj.done().unwrap();
    }
}
