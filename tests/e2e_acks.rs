//! Acknowledgements both ways, binary data both ways and the catch-all subscription, end to end:
//! the add-in through its C ABI against real socket.io 4 (and 2) servers.
//!
//! `SendWithAck` gets exactly one Ack event per Id (Ok, Timeout or Disconnected); `Ack` answers a
//! server's request once; attachments travel as binary frames out and as base64 placeholders in.

mod common;

use common::*;
use testkit::host::V;
use testkit::servers::{Flavor, Server, ServerOptions};

#[test]
fn send_with_ack_returns_counting_ids_and_ok_events_with_the_ack_arguments() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    connect(&obj, &server.url("/chat"));

    let first = send_with_ack(&obj, "ack", r#"[1, "два", {"x": null}]"#, None);
    let second = send_with_ack(&obj, "echo", r#""один аргумент""#, Some(10.0));
    let third = send_with_ack(
        &obj,
        "emit-back",
        r#"{"event":"noop","args":[]}"#,
        Some(30.0),
    );
    assert_eq!((first, second, third), (1, 2, 3));

    let ev = obj.wait_event(WAIT, is_ack(first)).expect("Ack 1");
    assert_eq!(ev.event, ack_event(1, "ack", "Ok"));
    assert_eq!(ev.data, r#"[1,"два",{"x":null}]"#);
    let ev = obj.wait_event(WAIT, is_ack(second)).expect("Ack 2");
    assert_eq!(ev.event, ack_event(2, "echo", "Ok"));
    assert_eq!(ev.data, r#"["один аргумент"]"#);
    // emit-back acknowledges with no arguments.
    let ev = obj.wait_event(WAIT, is_ack(third)).expect("Ack 3");
    assert_eq!(ev.event, ack_event(3, "emit-back", "Ok"));
    assert_eq!(ev.data, "[]");

    let line = server
        .wait_event_on(WAIT, "/chat", "ack")
        .expect("the server got `ack`");
    assert!(
        line.ends_with(r#""args":[1,"два",{"x":null}],"ack":true}"#),
        "{line}"
    );

    // Exactly one Ack event per Id.
    let ack_events = obj.history().iter().filter(|e| is_any_ack(e)).count();
    assert_eq!(ack_events, 3, "{:?}", obj.history());

    for bad in [
        vec![V::from("ack"), V::from("[1,")],
        vec![V::from("ack"), V::from("[]"), V::F64(0.0)],
        vec![V::from("ack"), V::from("[]"), V::from("5")],
        vec![V::from("disconnect"), V::from("[]")],
    ] {
        let err = obj.call("SendWithAck", &bad).expect_err("refused");
        assert!(err.exception && !err.message.is_empty(), "{bad:?}: {err:?}");
    }
    // A refused call takes no Id.
    assert_eq!(send_with_ack(&obj, "ack", "[]", None), 4);
}

#[test]
fn the_timeout_fires_also_in_the_offline_buffer_and_the_packet_is_never_sent() {
    let server = Server::start(ServerOptions::default());
    let obj = client();

    // Not connected: the packet waits in the offline buffer, and its timeout still runs.
    let buffered = send_with_ack(&obj, "ack", r#"["stale"]"#, Some(0.3));
    let ev = obj.wait_event(WAIT, is_ack(buffered)).expect("Timeout");
    assert_eq!(ev.event, ack_event(buffered, "ack", "Timeout"));
    assert_eq!(ev.data, "[]");

    // After the timeout the packet is gone: a marker sent later arrives, the stale one never did.
    connect(&obj, &server.url("/"));
    obj.call("Send", &[V::from("marker"), V::from("m")])
        .unwrap();
    server.wait_event(WAIT, "marker").expect("the marker");
    assert!(
        !server.lines().iter().any(|l| l.contains("stale")),
        "a timed-out packet was sent: {:?}",
        server.lines()
    );

    // Sent, but no handler answers: Timeout too, and a late answer cannot come.
    let sent = send_with_ack(&obj, "unanswered", "[]", Some(0.3));
    let line = server.wait_event(WAIT, "unanswered").expect("sent");
    assert!(line.ends_with(r#""ack":true}"#), "{line}");
    let ev = obj.wait_event(WAIT, is_ack(sent)).expect("Timeout");
    assert_eq!(ev.event, ack_event(sent, "unanswered", "Timeout"));
}

#[test]
fn acks_written_by_the_calling_thread_time_out_in_order() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    connect(&obj, &server.url("/"));
    // Connected and idle: each of these is written by the 1C thread itself (the fast lane).
    // The first arms the Connection's timer; the second's deadline is later, so the Connection
    // learns of it only when that timer fires, and must still time it out.
    let first = send_with_ack(&obj, "unanswered", "[1]", Some(0.5));
    server.wait_event(WAIT, "unanswered").expect("the first");
    let second = send_with_ack(&obj, "unanswered", "[2]", Some(0.6));
    server.wait_event(WAIT, "unanswered").expect("the second");
    let ev = obj.wait_event(WAIT, is_any_ack).expect("Timeout 1");
    assert_eq!(ev.event, ack_event(first, "unanswered", "Timeout"));
    let ev = obj.wait_event(WAIT, is_any_ack).expect("Timeout 2");
    assert_eq!(ev.event, ack_event(second, "unanswered", "Timeout"));
    // Now the Connection has no timer: it has to be told of the next one to time it out.
    let third = send_with_ack(&obj, "unanswered", "[3]", Some(0.3));
    let ev = obj.wait_event(WAIT, is_any_ack).expect("Timeout 3");
    assert_eq!(ev.event, ack_event(third, "unanswered", "Timeout"));
    // An answered one is Ok, once.
    let fourth = send_with_ack(&obj, "ack", "[4]", Some(30.0));
    let ev = obj.wait_event(WAIT, is_any_ack).expect("Ok 4");
    assert_eq!(ev.event, ack_event(fourth, "ack", "Ok"));
    assert_eq!(ev.data, "[4]");
}

#[test]
fn a_lost_connection_fails_sent_acks_and_keeps_buffered_ones() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.set("Reconnection", V::Bool(false)).unwrap();
    connect(&obj, &server.url("/"));

    let sent = send_with_ack(&obj, "unanswered", "[]", Some(60.0));
    server.wait_event(WAIT, "unanswered").expect("sent");
    obj.call("Send", &[V::from("close-transport"), V::Empty])
        .unwrap();
    expect_connection(&obj, &close("TransportClose"));
    let ev = obj.wait_event(WAIT, is_ack(sent)).expect("Disconnected");
    assert_eq!(ev.event, ack_event(sent, "unanswered", "Disconnected"));
    assert_eq!(ev.data, "[]");

    // Sent while not connected: it waits, goes out after the next join and is answered.
    let later = send_with_ack(&obj, "ack", r#"["later"]"#, Some(60.0));
    connect(&obj, &server.url("/"));
    let ev = obj.wait_event(WAIT, is_ack(later)).expect("Ok");
    assert_eq!(ev.event, ack_event(later, "ack", "Ok"));
    assert_eq!(ev.data, r#"["later"]"#);

    // A server-side disconnect fails what was sent as well.
    let sent = send_with_ack(&obj, "unanswered", "[]", Some(60.0));
    server.wait_event(WAIT, "unanswered").expect("sent");
    obj.call("Send", &[V::from("disconnect-me"), V::Empty])
        .unwrap();
    expect_connection(&obj, &close("ServerDisconnect"));
    let ev = obj.wait_event(WAIT, is_ack(sent)).expect("Disconnected");
    assert_eq!(ev.event, ack_event(sent, "unanswered", "Disconnected"));
}

#[test]
fn the_server_asks_and_ack_answers_exactly_once() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.call("On", &[V::from("question")]).unwrap();
    connect(&obj, &server.url("/"));

    send_json(&obj, "ask", r#"["сколько?", 5]"#);
    let ev = obj
        .wait_event(WAIT, is_message("question"))
        .expect("question");
    assert_eq!(
        ev.event,
        r#"{"Event": "Message","Namespace": "/","Name": "question","Type": "String","AckId": 1}"#
    );
    assert_eq!(ev.data, r#"["question","сколько?",5]"#);
    obj.call("Ack", &[V::I32(1), V::from(r#"["ответ", {"n": 1}]"#)])
        .unwrap();
    let answer = server
        .wait_line(WAIT, |l| l.contains(r#""type":"answer""#))
        .expect("the server got the answer");
    assert!(answer.contains(r#""args":["ответ",{"n":1}]"#), "{answer}");

    // Answered already, never asked, not a Number: clear exceptions.
    for id in [V::I32(1), V::I32(999), V::from("1"), V::F64(1.5)] {
        let err = obj
            .call("Ack", &[id.clone(), V::from("[]")])
            .expect_err("refused");
        assert!(err.exception && !err.message.is_empty(), "{id:?}: {err:?}");
    }
    let err = obj.call("Ack", &[V::I32(1), V::from("[]")]).unwrap_err();
    assert!(err.message.contains('1'), "{err:?}");

    // The server asks within an acknowledged emit: our answer travels back to us as the ack.
    let id = send_with_ack(&obj, "ask", r#"["ещё?"]"#, None);
    let ev = obj
        .wait_event(WAIT, is_message("question"))
        .expect("question");
    assert!(ev.event.ends_with(r#","AckId": 2}"#), "{}", ev.event);
    // Invalid JSON does not use up the request.
    assert!(obj.call("Ack", &[V::I32(2), V::from("[")]).is_err());
    obj.call("Ack", &[V::I32(2), V::from(r#""да""#)]).unwrap();
    let ev = obj.wait_event(WAIT, is_ack(id)).expect("Ack");
    assert_eq!(ev.event, ack_event(id, "ask", "Ok"));
    assert_eq!(ev.data, r#"["да"]"#);
}

#[test]
fn requests_of_a_closed_connection_cannot_be_answered() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.call("On", &[V::from("question")]).unwrap();
    connect(&obj, &server.url("/"));
    send_json(&obj, "ask", "[]");
    let ev = obj
        .wait_event(WAIT, is_message("question"))
        .expect("question");
    assert!(ev.event.ends_with(r#","AckId": 1}"#), "{}", ev.event);
    obj.call("Disconnect", &[]).unwrap();
    expect_connection(&obj, &close("Normal"));
    let err = obj.call("Ack", &[V::I32(1), V::from("[]")]).unwrap_err();
    assert!(err.exception, "{err:?}");
}

/// The placeholders the `binary` handler's Buffers become: `<01 02 03>` and `{file: "hello"}`.
const BINARY_ARGS: &str = r#"{"_placeholder":true,"num":0,"base64":"AQID"},{"file":{"_placeholder":true,"num":1,"base64":"aGVsbG8="}}"#;

fn binary_both_ways(flavor: Flavor) {
    let server = Server::start(ServerOptions::new(flavor));
    let obj = client();
    if !flavor.speaks_eio4() {
        obj.set("ProtocolVersion", V::from("3")).unwrap();
    }
    obj.call("On", &[V::from("binary")]).unwrap();
    obj.call("On", &[V::from("many")]).unwrap();
    connect(&obj, &server.url("/"));

    obj.call("Send", &[V::from("upload"), V::Blob(vec![0, 1, 2, 255])])
        .unwrap();
    let line = server.wait_event(WAIT, "upload").expect("upload");
    assert!(
        line.contains(r#""args":[{"_binary_base64":"AAEC/w=="}]"#),
        "{flavor}: {line}"
    );

    let id = send_with_ack(&obj, "binary", "[]", None);
    let ev = obj.wait_event(WAIT, is_message("binary")).expect("binary");
    assert_eq!(
        ev.event,
        r#"{"Event": "Message","Namespace": "/","Name": "binary","Type": "Binary"}"#
    );
    assert_eq!(ev.data, format!(r#"["binary",{BINARY_ARGS}]"#));
    let ev = obj.wait_event(WAIT, is_ack(id)).expect("binary ack");
    assert_eq!(ev.event, ack_event(id, "binary", "Ok"));
    assert_eq!(ev.data, format!("[{BINARY_ARGS}]"));

    // Twelve attachments, nested at several depths.
    let blobs: Vec<String> = (0..12u8)
        .map(|i| {
            let b64 = base64_of(&[i, i + 1]);
            format!(r#"{{"_binary_base64":"{b64}"}}"#)
        })
        .collect();
    let args = format!(
        r#"[{{"a":[{},{{"b":{}}}]}},[{}],{}]"#,
        blobs[0],
        blobs[1],
        blobs[2..6].join(","),
        blobs[6..].join(",")
    );
    server.emit("/", "many", &args);
    let ev = obj.wait_event(WAIT, is_message("many")).expect("many");
    assert!(ev.event.contains(r#""Type": "Binary""#), "{}", ev.event);
    let data: serde_json::Value = serde_json::from_str(&ev.data).expect("JSON data");
    let mut found = Vec::new();
    collect_placeholders(&data, &mut found);
    assert_eq!(found.len(), 12, "{flavor}: {}", ev.data);
    for (num, b64) in found {
        let i = num as u8;
        assert_eq!(b64, base64_of(&[i, i + 1]), "{flavor}: attachment {num}");
    }
}

fn collect_placeholders(v: &serde_json::Value, out: &mut Vec<(u64, String)>) {
    match v {
        serde_json::Value::Object(map) if map.get("_placeholder") == Some(&true.into()) => {
            out.push((
                map["num"].as_u64().expect("num"),
                map["base64"].as_str().expect("base64").to_owned(),
            ));
        }
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_placeholders(v, out)),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_placeholders(v, out)),
        _ => {}
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn binary_both_ways_on_socket_io_4() {
    binary_both_ways(Flavor::Sio4);
}

#[test]
fn binary_both_ways_on_socket_io_2() {
    binary_both_ways(Flavor::Sio2);
}

#[test]
fn acks_both_ways_on_socket_io_2() {
    let server = Server::start(ServerOptions::new(Flavor::Sio2));
    let obj = client();
    obj.set("ProtocolVersion", V::from("3")).unwrap();
    obj.call("On", &[V::from("question")]).unwrap();
    connect(&obj, &server.url("/chat"));
    let id = send_with_ack(&obj, "ack", r#"[{"k": "в"}]"#, None);
    let ev = obj.wait_event(WAIT, is_ack(id)).expect("Ack");
    assert_eq!(ev.event, ack_event(id, "ack", "Ok"));
    assert_eq!(ev.data, r#"[{"k":"в"}]"#);
    send_json(&obj, "ask", "[7]");
    let ev = obj
        .wait_event(WAIT, is_message("question"))
        .expect("question");
    assert_eq!(
        ev.event,
        r#"{"Event": "Message","Namespace": "/chat","Name": "question","Type": "String","AckId": 1}"#
    );
    obj.call("Ack", &[V::I32(1), V::from("[8]")]).unwrap();
    let answer = server
        .wait_line(WAIT, |l| l.contains(r#""type":"answer""#))
        .expect("answer");
    assert!(answer.contains(r#""args":[8]"#), "{answer}");
}

#[test]
fn star_delivers_every_event_until_off() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.call("On", &[V::from("*")]).unwrap();
    connect(&obj, &server.url("/"));
    // Sent on connection, before anything was asked for.
    obj.wait_event(WAIT, is_message("welcome"))
        .expect("welcome");
    obj.wait_event(WAIT, is_message("greeting"))
        .expect("greeting");
    send_json(
        &obj,
        "emit-back",
        r#"{"event":"имя с пробелом","args":[1]}"#,
    );
    let ev = obj
        .wait_event(WAIT, is_message("имя с пробелом"))
        .expect("any name");
    assert_eq!(ev.data, r#"["имя с пробелом",1]"#);
    send_json(&obj, "binary", "[]");
    obj.wait_event(WAIT, is_message("binary")).expect("binary");
    send_json(&obj, "ask", "[]");
    let ev = obj
        .wait_event(WAIT, is_message("question"))
        .expect("question");
    assert!(ev.event.contains(r#""AckId": "#), "{}", ev.event);

    // Off("*"): nothing more, until a name is subscribed again.
    obj.call("Off", &[V::from("*")]).unwrap();
    send_json(&obj, "emit-back", r#"{"event":"after-off","args":[]}"#);
    obj.call("On", &[V::from("marker")]).unwrap();
    send_json(&obj, "emit-back", r#"{"event":"marker","args":[]}"#);
    obj.wait_event(WAIT, is_message("marker")).expect("marker");
    assert!(
        !obj.history().iter().any(is_message("after-off")),
        "delivered after Off(\"*\"): {:?}",
        obj.history()
    );
}
