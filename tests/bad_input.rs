//! Bad input from the 1C side, through the C ABI as 1C calls it (the host emulator): every
//! property and method with wrong types, missing and extra arguments, empty and huge strings,
//! invalid URIs and JSON, calls in every connection state, `Done` at awkward moments and many
//! create/destroy cycles. Each call gets what api.md promises: an exception with a clear,
//! bounded message (also in `LastError`), or nothing; never a crash, a leak or a violation.

mod common;

use std::time::Duration;

use common::{english_client, is_connection, speak_to_fake_server};
use testkit::fake_server::{open_packet, FakeServer, Peer};
use testkit::host::{self, CallError, ErrorKind, Object, V};

/// Long enough for a loaded CI machine.
const WAIT: Duration = Duration::from_secs(30);

/// The longest exception text accepted: the message must say what to change, not echo 10 MB.
const MAX_MESSAGE_CHARS: usize = 2_000;

/// A client whose platform speaks English, so that messages can be checked by their words, for
/// the fake servers here.
fn english_fake_client() -> Object {
    let obj = english_client();
    speak_to_fake_server(&obj);
    obj
}

/// 10 MB of text.
fn huge() -> String {
    "Ж".repeat(5 << 20)
}

/// One of each type, plus edge values of each: what a careless 1C program could pass.
fn odd_values() -> Vec<V> {
    vec![
        V::Empty,
        V::Bool(true),
        V::Bool(false),
        V::I32(0),
        V::I32(-1),
        V::I32(i32::MAX),
        V::F64(f64::NAN),
        V::F64(f64::INFINITY),
        V::F64(-1e300),
        V::F64(0.5),
        V::Str(String::new()),
        V::Str(" ".into()),
        V::Str("gar\u{0}bage ☃".into()),
        V::Str("{".into()),
        // Long enough to show that no text is echoed whole; the 10 MB cases have their own test.
        V::Str("Ж".repeat(50_000)),
        V::Blob(Vec::new()),
        V::Blob(vec![0, 255, 1]),
    ]
}

/// A refusal must be a 1C exception with a clear, bounded message that `LastError` repeats.
fn check_refusal(obj: &Object, what: &str, err: &CallError) {
    match err.kind {
        // Refused by the host before the add-in was called (1C does the same).
        ErrorKind::NotWritable
        | ErrorKind::NotReadable
        | ErrorKind::TooManyArguments
        | ErrorKind::MissingArgument => return,
        ErrorKind::Raised => {}
        other => panic!("{what}: unexpected failure {other:?}: {err}"),
    }
    assert!(err.exception, "{what}: {err}");
    assert!(
        !err.message.trim().is_empty(),
        "{what}: an exception without a message"
    );
    assert!(
        err.message.chars().count() <= MAX_MESSAGE_CHARS,
        "{what}: an exception message of {} characters",
        err.message.chars().count()
    );
    assert!(
        !err.message.contains("internal error"),
        "{what}: a panic inside the add-in: {}",
        err.message
    );
    assert_eq!(
        obj.get("LastError").unwrap(),
        V::Str(err.message.clone()),
        "{what}: LastError differs from the exception"
    );
}

fn short(v: &V) -> String {
    let s = format!("{v:?}");
    s.chars().take(60).collect()
}

#[test]
fn every_property_with_every_type() {
    let obj = english_fake_client();
    let count = obj.prop_count();
    assert!(count > 0);
    let mut refused = 0;
    let mut accepted = 0;
    for n in 0..count {
        let name = obj.prop_name(n, 0).expect("property name");
        assert!(obj.get_index(n).is_ok(), "{name} is not readable");
        for v in odd_values() {
            let before = obj.get_index(n).unwrap();
            let what = format!("{name} = {}", short(&v));
            match obj.set_index(n, v.clone()) {
                Ok(()) => {
                    accepted += 1;
                    assert!(obj.get_index(n).is_ok(), "{what}: cannot read it back");
                }
                Err(e) => {
                    refused += 1;
                    check_refusal(&obj, &what, &e);
                    assert_eq!(
                        obj.get_index(n).unwrap(),
                        before,
                        "{what}: changed on refusal"
                    );
                }
            }
        }
    }
    // Past the end and negative: not readable, not writable, no crash.
    for n in [-1, count, count + 1000, i64::from(i32::MAX)] {
        assert_eq!(obj.get_index(n).unwrap_err().kind, ErrorKind::NotReadable);
        assert_eq!(
            obj.set_index(n, 1).unwrap_err().kind,
            ErrorKind::NotWritable
        );
        assert_eq!(obj.prop_name(n, 0), None);
    }
    assert_eq!(obj.prop_name(0, 2), None);
    assert_eq!(obj.prop_name(0, -1), None);
    assert!(refused > 0 && accepted > 0);
    eprintln!("properties: {accepted} writes accepted, {refused} refused");
    obj.done().unwrap();
    host::assert_clean();
}

#[test]
fn every_method_with_wrong_types_and_counts() {
    let obj = english_fake_client();
    let count = obj.method_count();
    let mut calls = 0;
    for m in 0..count {
        let name = obj.method_name(m, 0).expect("method name");
        let n = usize::try_from(obj.param_count(m)).unwrap();
        for v in odd_values() {
            // Connect with any of these values is refused (none is a URI), so nothing dials.
            let mut args = vec![v.clone(); n];
            calls += 1;
            if let Err(e) = obj.call_index(m, &mut args) {
                check_refusal(&obj, &format!("{name}({})", short(&v)), &e);
            }
        }
        for k in 0..n {
            let mut args = vec![V::from("x"); k];
            calls += 1;
            if let Err(e) = obj.call_index(m, &mut args) {
                check_refusal(&obj, &format!("{name} with {k} of {n} arguments"), &e);
            }
        }
        let mut extra = vec![V::from("x"); n + 2];
        assert_eq!(
            obj.call_index(m, &mut extra).unwrap_err().kind,
            ErrorKind::TooManyArguments
        );
    }
    for m in [-1, count, count + 1000] {
        calls += 1;
        let err = obj.call_index(m, &mut []).unwrap_err();
        check_refusal(&obj, &format!("method number {m}"), &err);
        assert_eq!(obj.method_name(m, 0), None);
        assert_eq!(obj.param_default(m, 0), None);
    }
    eprintln!("methods: {calls} calls with bad arguments");
    obj.done().unwrap();
    host::assert_clean();
}

#[test]
fn invalid_uris_are_refused_at_once() {
    let obj = english_fake_client();
    for uri in [
        String::new(),
        "   ".into(),
        "localhost:3000".into(),
        "ftp://127.0.0.1/".into(),
        "ws://".into(),
        "ws:///chat".into(),
        "ws://127.0.0.1:0/".into(),
        "ws://127.0.0.1:99999/".into(),
        "ws://127.0.0.1:abc/".into(),
        "ws://user:password@127.0.0.1:1/".into(),
        "ws://[::1/".into(),
        "ws://127.0.0.1:1/a b".into(),
        "ws://127.0.0.1:1/a,b".into(),
        "ws://exa mple.com/".into(),
        format!("ws://{}/", huge()),
        huge(),
    ] {
        let Err(err) = obj.call("Connect", &[V::from(uri.as_str())]) else {
            panic!("Connect({:?}) was accepted", short(&V::Str(uri)));
        };
        check_refusal(&obj, &format!("Connect({:?})", short(&V::Str(uri))), &err);
        assert!(err.message.contains("URI"), "{}", err.message);
    }
    // Nothing was started: no event, not connected.
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
    assert!(obj.drain().is_empty());
    obj.done().unwrap();
    host::assert_clean();
}

#[test]
fn invalid_json_arguments_and_properties() {
    let obj = english_fake_client();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for json in [
        "",
        "[1,",
        "{\"a\":}",
        "nope",
        "[1] [2]",
        "\u{feff}[]",
        deep.as_str(),
    ] {
        let err = obj
            .call("SendJSON", &[V::from("ev"), V::from(json)])
            .unwrap_err();
        check_refusal(&obj, &format!("SendJSON({json:.20})"), &err);
        assert!(err.message.contains("JSON"), "{}", err.message);
        for prop in ["Query", "Headers", "Auth"] {
            if json.is_empty() {
                continue; // "" clears these properties
            }
            let err = obj.set(prop, json).unwrap_err();
            check_refusal(&obj, &format!("{prop} = {json:.20}"), &err);
        }
    }
    obj.done().unwrap();
    host::assert_clean();
}

#[test]
fn huge_values_are_taken_or_refused_cleanly() {
    let obj = english_fake_client();
    let big = huge();
    obj.call("Send", &[V::from("big"), V::from(big.as_str())])
        .unwrap();
    obj.call("Send", &[V::from(big.as_str()), V::Empty])
        .unwrap();
    // Before Connect the sends wait in the offline buffer, bounded in bytes: sooner or later
    // one is refused with a message that names the buffer.
    let blob = V::Blob(vec![1; 10 << 20]);
    let mut refused = None;
    for i in 0..20 {
        if let Err(e) = obj.call("Send", &[V::from("blob"), blob.clone()]) {
            check_refusal(&obj, "Send(10 MB)", &e);
            refused = Some((i, e.message));
            break;
        }
    }
    let (i, message) = refused.expect("the offline buffer took 200 MB");
    assert!(i > 0, "the first 10 MB send was refused");
    assert!(message.contains("send buffer is full"), "{message}");
    // One message over the size limit is refused whatever the buffer holds.
    let err = obj
        .call("Send", &[V::from("blob"), V::Blob(vec![7; 65 << 20])])
        .unwrap_err();
    check_refusal(&obj, "Send(65 MB)", &err);
    assert!(
        err.message.contains("message size limit"),
        "{}",
        err.message
    );
    obj.set("EventSource", big.as_str()).unwrap();
    assert_eq!(
        obj.get("EventSource").unwrap().as_str().map(str::len),
        Some(big.len())
    );
    obj.call("On", &[V::from(big.as_str())]).unwrap();
    obj.call("Off", &[V::from(big.as_str())]).unwrap();
    obj.done().unwrap();
    host::assert_clean();
}

/// A server that opens a session and keeps it, answering nothing more.
fn good_server() -> FakeServer {
    FakeServer::start(|mut peer: Peer| {
        if peer.open_socketio(&open_packet(60_000, 60_000)).is_some() {
            peer.wait_closed(WAIT);
        }
    })
}

/// A server that accepts TCP and never answers: a connection attempt stays pending.
fn silent_server() -> FakeServer {
    FakeServer::start(|mut peer: Peer| {
        peer.wait_closed(WAIT);
    })
}

#[test]
fn calls_in_every_state() {
    let obj = english_fake_client();
    obj.set("Reconnection", false).unwrap();
    // Before Connect: Disconnect does nothing, Send is buffered, GetEvent finds nothing.
    obj.call("Disconnect", &[]).unwrap();
    obj.call("Disconnect", &[]).unwrap();
    obj.call("Send", &[V::from("early"), V::from("x")]).unwrap();
    let mut out = [V::Empty, V::Empty, V::I32(0)];
    assert_eq!(obj.call_out("GetEvent", &mut out).unwrap(), V::Bool(false));
    assert!(obj.drain().is_empty(), "events before Connect");

    // While connecting: a second Connect is refused; Disconnect ends the attempt.
    let silent = silent_server();
    obj.set("Timeout", 30).unwrap();
    obj.call("Connect", &[silent.url("/").into()]).unwrap();
    let err = obj.call("Connect", &[silent.url("/").into()]).unwrap_err();
    check_refusal(&obj, "Connect while connecting", &err);
    assert!(err.message.contains("already"), "{}", err.message);
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
    obj.call("Disconnect", &[]).unwrap();
    let ev = obj
        .wait_event(WAIT, is_connection)
        .expect("Close after Disconnect");
    assert!(ev.event.contains(r#""Reason": "Normal""#), "{ev:?}");
    obj.call("Disconnect", &[]).unwrap();

    // Connected, twice refused, then Disconnect twice.
    let good = good_server();
    obj.call("Connect", &[good.url("/").into()]).unwrap();
    let ev = obj.wait_event(WAIT, is_connection).expect("Open");
    assert!(ev.event.contains(r#""State": "Open""#), "{ev:?}");
    assert!(obj.call("Connect", &[good.url("/").into()]).is_err());
    obj.call("Send", &[V::from("now"), V::from("y")]).unwrap();
    obj.call("Disconnect", &[]).unwrap();
    obj.call("Disconnect", &[]).unwrap();
    let ev = obj.wait_event(WAIT, is_connection).expect("Close");
    assert!(ev.event.contains(r#""Reason": "Normal""#), "{ev:?}");

    // After Disconnect: connect again works.
    obj.call("Connect", &[good.url("/").into()]).unwrap();
    let ev = obj.wait_event(WAIT, is_connection).expect("Open again");
    assert!(ev.event.contains(r#""State": "Open""#), "{ev:?}");
    assert!(
        !obj.seen().iter().any(|e| e.event.contains("Error")),
        "{:?}",
        obj.seen()
    );
    obj.done().unwrap();
    drop((silent, good));
    host::assert_clean();
}

#[test]
fn done_while_connecting() {
    let silent = silent_server();
    for _ in 0..5 {
        let obj = english_fake_client();
        obj.set("Timeout", 30).unwrap();
        obj.call("Connect", &[silent.url("/").into()]).unwrap();
        let probe = obj.probe();
        obj.done().unwrap();
        assert!(probe.memory().is_clean(), "{:?}", probe.memory());
    }
    host::assert_clean();
}

/// A server that sends events as fast as it can until the client goes away.
fn flood_server() -> FakeServer {
    FakeServer::start(|mut peer: Peer| {
        if peer.open_socketio(&open_packet(60_000, 60_000)).is_some() {
            let mut i = 0u64;
            while peer.send_text(&format!(r#"42["flood",{i},"Привет мир!"]"#)) {
                i += 1;
            }
        }
    })
}

#[test]
fn done_while_a_flood_is_arriving() {
    let server = flood_server();
    for mode in ["events", "queue"] {
        let obj = english_fake_client();
        obj.set("DeliveryMode", mode).unwrap();
        obj.call("On", &[V::from("flood")]).unwrap();
        obj.call("Connect", &[server.url("/").into()]).unwrap();
        if mode == "events" {
            obj.wait_event(WAIT, |e| e.event.contains(r#""Name": "flood""#))
                .expect("the flood");
        } else {
            let mut out = [V::Empty, V::Empty, V::I32(30_000)];
            // The first event is Open, then the flood.
            for _ in 0..2 {
                assert_eq!(obj.call_out("GetEvent", &mut out).unwrap(), V::Bool(true));
            }
            assert!(out[0].as_str().unwrap().contains("flood"), "{out:?}");
        }
        let probe = obj.probe();
        obj.done().unwrap();
        assert!(probe.memory().is_clean(), "{:?}", probe.memory());
        assert_eq!(probe.violations(), Vec::<String>::new());
    }
    host::assert_clean();
}

#[test]
fn hundreds_of_create_destroy_cycles() {
    for i in 0..300 {
        let obj = english_fake_client();
        obj.set("EventSource", format!("cycle {i}")).unwrap();
        obj.call("On", &[V::from("x")]).unwrap();
        obj.call("Send", &[V::from("x"), V::I32(i)]).unwrap();
        if i % 2 == 0 {
            obj.done().unwrap();
        } else {
            obj.delete().unwrap();
        }
    }
    host::assert_clean();
}
