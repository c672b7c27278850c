//! Namespaces, Auth, Query and Headers through the C ABI against a real socket.io 4 server:
//! the URI's path is the namespace, a refused namespace gives Fail with the server's message in
//! LastError and in an Error event, and each namespace gets only its own events.

mod common;

use common::{client, is_connection, is_error, WAIT};
use testkit::host::V;
use testkit::servers::{Server, ServerOptions};

#[test]
fn auth_is_sent_in_the_connect_packet_and_opens_a_protected_namespace() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.set("Auth", V::from(r#"{"token":"secret"}"#)).unwrap();
    obj.call("On", &[V::from("greeting")]).unwrap();
    obj.call("Connect", &[V::from(server.url("/admin").as_str())])
        .unwrap();
    let open = obj.wait_event(WAIT, is_connection).expect("Open");
    assert_eq!(
        open.event,
        r#"{"Event": "Connection","State": "Open"}"#,
        "{:?}",
        obj.get("LastError")
    );
    let greeting = obj
        .wait_event(WAIT, |e| e.event.contains(r#""Name": "greeting""#))
        .expect("greeting");
    assert_eq!(
        greeting.event,
        r#"{"Event": "Message","Namespace": "/admin","Name": "greeting","Type": "String"}"#
    );
    let connect = server
        .wait_connect(WAIT, "/admin")
        .expect("the server saw /admin");
    assert!(
        connect.contains(r#""auth":{"token":"secret"}"#),
        "{connect}"
    );
}

#[test]
fn a_refused_namespace_fails_with_the_servers_message() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.set("Auth", V::from(r#"{"token":"wrong"}"#)).unwrap();
    obj.call("Connect", &[V::from(server.url("/admin").as_str())])
        .unwrap();
    let fail = obj.wait_event(WAIT, is_connection).expect("Fail");
    assert_eq!(
        (fail.event.as_str(), fail.data.as_str()),
        (
            r#"{"Event": "Connection","State": "Fail"}"#,
            r#"{"Connection": "Fail"}"#
        )
    );
    let error = obj.wait_event(WAIT, is_error).expect("an Error event");
    assert!(error.event.contains("Not authorized"), "{error:?}");
    assert_eq!(error.data, r#"{"code":401}"#, "the server's error data");
    let last = obj.get("LastError").unwrap();
    assert!(
        last.as_str().is_some_and(|s| s.contains("Not authorized")),
        "{last:?}"
    );
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
}

#[test]
fn an_unknown_namespace_fails() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.call("Connect", &[V::from(server.url("/nope").as_str())])
        .unwrap();
    let fail = obj.wait_event(WAIT, is_connection).expect("Fail");
    assert_eq!(fail.event, r#"{"Event": "Connection","State": "Fail"}"#);
    let last = obj.get("LastError").unwrap();
    assert!(
        last.as_str()
            .is_some_and(|s| s.contains("Invalid namespace")),
        "{last:?}"
    );
}

#[test]
fn each_namespace_gets_only_its_own_events() {
    let server = Server::start(ServerOptions::default());
    let root = client();
    let chat = client();
    for obj in [&root, &chat] {
        obj.call("On", &[V::from("broadcast")]).unwrap();
    }
    root.call("Connect", &[V::from(server.url("/").as_str())])
        .unwrap();
    chat.call("Connect", &[V::from(server.url("/chat").as_str())])
        .unwrap();
    for obj in [&root, &chat] {
        let open = obj.wait_event(WAIT, is_connection).expect("Open");
        assert_eq!(open.event, r#"{"Event": "Connection","State": "Open"}"#);
    }
    chat.call("Send", &[V::from("broadcast"), V::from("в чат")])
        .unwrap();
    root.call("Send", &[V::from("broadcast"), V::from("в корень")])
        .unwrap();
    let on_chat = chat
        .wait_event(WAIT, |e| e.event.contains(r#""Name": "broadcast""#))
        .expect("chat broadcast");
    assert_eq!(
        on_chat.event,
        r#"{"Event": "Message","Namespace": "/chat","Name": "broadcast","Type": "String"}"#
    );
    assert_eq!(on_chat.data, r#"["broadcast","в чат"]"#);
    let on_root = root
        .wait_event(WAIT, |e| e.event.contains(r#""Name": "broadcast""#))
        .expect("root broadcast");
    assert_eq!(on_root.data, r#"["broadcast","в корень"]"#);
    assert!(!chat
        .seen()
        .iter()
        .chain(chat.history().iter())
        .any(|e| e.data.contains("в корень")));
    assert!(!root
        .seen()
        .iter()
        .chain(root.history().iter())
        .any(|e| e.data.contains("в чат")));
}

#[test]
fn query_and_headers_reach_the_handshake() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.set("Query", V::from(r#"{"user":"Иван","n":1}"#))
        .unwrap();
    obj.set("Headers", V::from(r#"{"X-Api-Key":"k-123"}"#))
        .unwrap();
    obj.call(
        "Connect",
        &[V::from(format!("{}?room=7", server.url("/")).as_str())],
    )
    .unwrap();
    let open = obj.wait_event(WAIT, is_connection).expect("Open");
    assert_eq!(open.event, r#"{"Event": "Connection","State": "Open"}"#);
    let connect = server.wait_connect(WAIT, "/").expect("connect line");
    for part in [
        r#""user":"Иван""#,
        r#""n":"1""#,
        r#""room":"7""#,
        r#""x-api-key":"k-123""#,
    ] {
        assert!(connect.contains(part), "{part} missing in {connect}");
    }
}
