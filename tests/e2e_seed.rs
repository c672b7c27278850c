//! The seed scenario of the component we replace, end to end: the add-in loaded through its C ABI
//! by the host emulator, talking to a real socket.io 4 server started on a free loopback port.
//!
//! Every wait is for an event, with a generous deadline; nothing sleeps and hopes.

mod common;

use common::{client, connect, is_connection, is_message, CLOSE_NORMAL, FAIL, OPEN, WAIT};
use std::net::TcpListener;
use testkit::host::{Object, V};
use testkit::servers::{closed_port, Server, ServerOptions};

const OPEN_DATA: &str = r#"{"Connection": "Open"}"#;
const CLOSE_DATA: &str = r#"{"Connection": "Close"}"#;
const FAIL_DATA: &str = r#"{"Connection": "Fail"}"#;

#[test]
fn open_message_send_and_close_with_the_seed_strings() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
    assert_eq!(obj.get("SessionID").unwrap(), V::from(""));
    obj.call("On", &[V::from("greeting")]).unwrap();

    let open = connect(&obj, &server.url("/"));
    assert_eq!(open.data, OPEN_DATA);
    assert_eq!(open.source, "SocketIO");
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(true));
    let sid = obj.get("SessionID").unwrap().as_str().unwrap().to_owned();
    assert!(!sid.is_empty());
    let connect_line = server
        .wait_line(WAIT, |l| l.contains(r#""type":"connect""#))
        .expect("server saw the connection");
    assert!(
        connect_line.contains(&format!(r#""sid":"{sid}""#)),
        "SessionID {sid} is not the server's socket id: {connect_line}"
    );

    // The server emits `welcome` and then `greeting`; only `greeting` is subscribed.
    let msg = obj
        .wait_event(WAIT, is_message("greeting"))
        .expect("the greeting");
    assert_eq!(
        msg.event,
        r#"{"Event": "Message","Namespace": "/","Name": "greeting","Type": "String"}"#
    );
    assert_eq!(msg.data, r#"["greeting","Привет мир!"]"#);
    assert!(
        !obj.seen().iter().any(is_message("welcome")),
        "an unsubscribed event was delivered: {:?}",
        obj.seen()
    );

    obj.call("Send", &[V::from("hello"), V::from("Привет, сервер!")])
        .unwrap();
    let got = server
        .wait_line(WAIT, |l| l.contains(r#""event":"hello""#))
        .expect("the server got the message");
    assert!(got.contains(r#""args":["Привет, сервер!"]"#), "{got}");

    obj.call("Disconnect", &[]).unwrap();
    let close = obj.wait_event(WAIT, is_connection).expect("Close");
    assert_eq!(
        (close.event.as_str(), close.data.as_str()),
        (CLOSE_NORMAL, CLOSE_DATA)
    );
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
    assert_eq!(obj.get("SessionID").unwrap(), V::from(""));
    obj.done().unwrap();
}

#[test]
fn send_types_reach_the_server_as_json() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    connect(&obj, &server.url("/"));
    obj.call("Send", &[V::from("n"), V::I32(42)]).unwrap();
    obj.call("Send", &[V::from("f"), V::F64(2.5)]).unwrap();
    obj.call("Send", &[V::from("b"), V::Bool(true)]).unwrap();
    obj.call("Send", &[V::from("u"), V::Empty]).unwrap();
    obj.call(
        "SendJSON",
        &[V::from("j"), V::from(r#"[1, {"k": "в"}, [null]]"#)],
    )
    .unwrap();
    for (name, args) in [
        ("n", "[42]"),
        ("f", "[2.5]"),
        ("b", "[true]"),
        ("u", "[null]"),
        ("j", r#"[1,{"k":"в"},[null]]"#),
    ] {
        let line = server
            .wait_line(WAIT, |l| l.contains(&format!(r#""event":"{name}""#)))
            .expect(name);
        assert!(
            line.contains(&format!(r#""args":{args}"#)),
            "{name}: {line}"
        );
    }
}

#[test]
fn off_and_off_all_stop_delivery() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    for name in ["echo", "marker"] {
        obj.call("On", &[V::from(name)]).unwrap();
    }
    connect(&obj, &server.url("/"));
    let emit_back = |event: &str| {
        obj.call(
            "SendJSON",
            &[
                V::from("emit-back"),
                V::from(format!(r#"{{"event":"{event}","args":[1]}}"#).as_str()),
            ],
        )
        .unwrap();
    };

    obj.call("Send", &[V::from("echo"), V::from("one")])
        .unwrap();
    let echo = obj
        .wait_event(WAIT, is_message("echo"))
        .expect("echo while subscribed");
    assert_eq!(echo.data, r#"["echo","one"]"#);

    // After Off, an echo is sent and then a marker; the marker arrives, the echo must not.
    obj.call("Off", &[V::from("echo")]).unwrap();
    obj.call("Send", &[V::from("echo"), V::from("two")])
        .unwrap();
    emit_back("marker");
    obj.wait_event(WAIT, is_message("marker")).expect("marker");
    assert!(
        !obj.seen().iter().any(|e| e.data.contains("two")),
        "echo after Off: {:?}",
        obj.seen()
    );

    // OffAll: nothing is delivered, not even the marker; then `*` brings everything back.
    obj.call("OffAll", &[]).unwrap();
    emit_back("marker");
    obj.call("On", &[V::from("*")]).unwrap();
    emit_back("last");
    let last = obj
        .wait_event(WAIT, is_message("last"))
        .expect("`*` delivers every event");
    assert_eq!(last.data, r#"["last",1]"#);
    assert_eq!(
        obj.seen()
            .iter()
            .filter(|e| is_message("marker")(e))
            .count(),
        1,
        "marker after OffAll: {:?}",
        obj.seen()
    );
}

#[test]
fn a_closed_port_fails_within_the_timeout() {
    let obj = client();
    obj.set("Timeout", V::from("2")).unwrap();
    obj.call(
        "Connect",
        &[V::from(
            format!("ws://127.0.0.1:{}/", closed_port()).as_str(),
        )],
    )
    .unwrap();
    let ev = obj.wait_event(WAIT, is_connection).expect("Fail");
    assert_eq!((ev.event.as_str(), ev.data.as_str()), (FAIL, FAIL_DATA));
    let last_error = obj.get("LastError").unwrap();
    assert!(
        last_error.as_str().is_some_and(|s| !s.is_empty()),
        "LastError is empty"
    );
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
}

#[test]
fn a_silent_server_fails_after_the_timeout() {
    // Accepts TCP and never answers: only the timeout can end the attempt.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let obj = client();
    obj.set("Timeout", V::I32(1)).unwrap();
    obj.call(
        "Connect",
        &[V::from(format!("ws://127.0.0.1:{port}/").as_str())],
    )
    .unwrap();
    let ev = obj.wait_event(WAIT, is_connection).expect("Fail");
    assert_eq!(ev.event, FAIL);
    let last_error = obj.get("LastError").unwrap();
    assert!(
        last_error.as_str().is_some_and(|s| s.contains("1")),
        "LastError should name the timeout: {last_error:?}"
    );
    drop(listener);
}

#[test]
fn server_disconnect_gives_close_with_its_reason() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    connect(&obj, &server.url("/"));
    obj.call("Send", &[V::from("disconnect-me"), V::Empty])
        .unwrap();
    let ev = obj.wait_event(WAIT, is_connection).expect("Close");
    assert_eq!(
        ev.event,
        r#"{"Event": "Connection","State": "Close","Reason": "ServerDisconnect"}"#
    );
    assert_eq!(ev.data, CLOSE_DATA);
}

#[test]
fn ten_objects_each_get_only_their_own_events() {
    let server = Server::start(ServerOptions::default());
    let objects: Vec<Object> = (0..10)
        .map(|i| {
            let obj = client();
            obj.set("EventSource", V::from(format!("client-{i}").as_str()))
                .unwrap();
            obj.call("On", &[V::from("*")]).unwrap();
            obj
        })
        .collect();
    for obj in &objects {
        obj.call("Connect", &[V::from(server.url("/").as_str())])
            .unwrap();
    }
    for (i, obj) in objects.iter().enumerate() {
        let open = obj.wait_event(WAIT, is_connection).expect("Open");
        assert_eq!(open.event, OPEN);
        assert_eq!(open.source, format!("client-{i}"));
        obj.call(
            "SendJSON",
            &[
                V::from("emit-back"),
                V::from(format!(r#"{{"event":"only-{i}","args":[{i}]}}"#).as_str()),
            ],
        )
        .unwrap();
    }
    for (i, obj) in objects.iter().enumerate() {
        let mine = obj
            .wait_event(WAIT, is_message(&format!("only-{i}")))
            .expect("own event");
        assert_eq!(mine.source, format!("client-{i}"));
        assert_eq!(mine.data, format!(r#"["only-{i}",{i}]"#));
        let foreign: Vec<_> = obj
            .seen()
            .into_iter()
            .filter(|e| e.event.contains(r#""Name": "only-"#))
            .collect();
        assert!(
            foreign.is_empty(),
            "client-{i} got another object's events: {foreign:?}"
        );
    }
    for obj in objects {
        obj.done().unwrap();
    }
}
