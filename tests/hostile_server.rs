//! The add-in against a hostile server: one malformed or adversarial case per connection, sent by
//! the raw fake server of `testkit::fake_server`. Each case must end in a Close or Fail event
//! (and, for a failure, an Error event that says what was wrong) within a bounded time, leave
//! `Connected` false, and leave the host emulator clean: no leak of platform memory, no contract
//! violation, no event after `Done`. The process surviving every case is the rest of the proof.

mod common;

use std::time::Duration;

use common::{client, is_close_or_fail, is_error, speak_to_fake_server};
use testkit::fake_server::{opcode, open_packet, open_packet_raw, FakeServer, Peer};
use testkit::host::{self, Event, Object, V};

/// Long enough for a loaded CI machine; a passing case takes well under a second, or the
/// add-in's connect timeout ([`CONNECT_TIMEOUT`]) for the silent servers.
const WAIT: Duration = Duration::from_secs(30);

/// The `Timeout` property for these tests, in seconds: bounds the cases where the server says
/// nothing.
const CONNECT_TIMEOUT: &str = "2";

/// How long a handler keeps a connection open after its payload, waiting for the client to
/// hang up (the server is dropped at the end of the case, which ends the wait anyway).
const HOLD: Duration = Duration::from_secs(60);

/// Server timings that never interfere: no ping is due within a case.
fn quiet_open() -> String {
    open_packet(60_000, 60_000)
}

/// How a case must end.
#[derive(Debug, Clone, Copy)]
enum End {
    /// `{"Event": "Connection","State": "Fail"}`, then an Error whose message contains this.
    Fail(&'static str),
    /// A Close with this reason, then an Error whose message contains the text.
    Close(&'static str, &'static str),
    /// An orderly Close with this reason (the server closed), which needs no Error event.
    Closed(&'static str),
}

/// A client for a hostile server: a short connect timeout, no reconnection (it would only
/// repeat the case), every event subscribed.
fn hostile_client() -> Object {
    let obj = client();
    obj.set("Timeout", CONNECT_TIMEOUT).unwrap();
    obj.set("Reconnection", false).unwrap();
    speak_to_fake_server(&obj);
    obj.call("On", &["*".into()]).unwrap();
    obj
}

/// Connects a client to a fake server running `handler` for the connection and checks that it
/// ends as `end` says. Returns every event the client received.
fn case(handler: impl Fn(Peer) + Send + Sync + 'static, end: End) -> Vec<Event> {
    let server = FakeServer::start(handler);
    let obj = hostile_client();
    let probe = obj.probe();
    obj.call("Connect", &[server.url("/").into()]).unwrap();
    let state = obj
        .wait_event(WAIT, is_close_or_fail)
        .unwrap_or_else(|| panic!("no Close/Fail within {WAIT:?}; events: {:?}", obj.seen()));
    let close = |reason: &str| {
        format!(r#"{{"Event": "Connection","State": "Close","Reason": "{reason}"}}"#)
    };
    let (want_state, want_text) = match end {
        End::Fail(text) => (
            r#"{"Event": "Connection","State": "Fail"}"#.to_owned(),
            Some(text),
        ),
        End::Close(reason, text) => (close(reason), Some(text)),
        End::Closed(reason) => (close(reason), None),
    };
    assert_eq!(state.event, want_state, "events before: {:?}", obj.seen());
    let mut events = obj.seen();
    events.push(state.clone());
    if let Some(want_text) = want_text {
        let error = obj
            .wait_event(WAIT, is_error)
            .unwrap_or_else(|| panic!("no Error event after {state:?}"));
        assert!(
            error.event.contains(want_text),
            "the Error event does not say {want_text:?}: {}",
            error.event
        );
        let last_error = obj.get("LastError").unwrap();
        assert!(
            last_error.as_str().is_some_and(|s| !s.is_empty()),
            "LastError is empty"
        );
        events.push(error);
    }
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
    assert_eq!(obj.get("SessionID").unwrap(), V::from(""));
    obj.done().unwrap();
    drop(server);
    assert!(probe.memory().is_clean(), "{:?}", probe.memory());
    assert_eq!(probe.violations(), Vec::<String>::new());
    host::assert_clean();
    events
}

/// A handler that opens a Socket.IO session normally and then sends `frames` (text).
fn after_open(frames: &'static [&'static str]) -> impl Fn(Peer) + Send + Sync + 'static {
    move |mut peer: Peer| {
        if peer.open_socketio(&quiet_open()).is_some() {
            for f in frames {
                peer.send_text(f);
            }
            peer.wait_closed(HOLD);
        }
    }
}

/// `<type>…` with an unknown Engine.IO type, and with an unknown Socket.IO type.
#[test]
fn unknown_packet_types() {
    case(
        after_open(&["9hello"]),
        End::Close("ParseError", "unknown packet type '9'"),
    );
    case(
        after_open(&["49[\"x\"]"]),
        End::Close("ParseError", "unknown packet type '9'"),
    );
}

#[test]
fn truncated_json() {
    case(
        after_open(&[r#"42["ev",{"a":"#]),
        End::Close("ParseError", "invalid JSON"),
    );
}

#[test]
fn invalid_json() {
    case(
        after_open(&["42[nope]"]),
        End::Close("ParseError", "invalid JSON"),
    );
}

#[test]
fn events_that_are_not_arrays() {
    case(
        after_open(&[r#"42{"a":1}"#]),
        End::Close("ParseError", "an EVENT payload must be a JSON array"),
    );
    case(
        after_open(&["42\"text\""]),
        End::Close("ParseError", "an EVENT payload must be a JSON array"),
    );
    case(
        after_open(&["42[]"]),
        End::Close("ParseError", "must not be an empty array"),
    );
    case(
        after_open(&[r#"42[{"name":"x"},1]"#]),
        End::Close(
            "ParseError",
            "the event name must be a JSON string or number",
        ),
    );
}

#[test]
fn invalid_utf8_in_a_text_frame() {
    case(
        |mut peer: Peer| {
            if peer.open_socketio(&quiet_open()).is_some() {
                peer.send_text_bytes(b"42[\"ev\",\"\xff\xfe\"]");
                peer.wait_closed(HOLD);
            }
        },
        End::Close("TransportError", "UTF-8"),
    );
}

/// A frame whose header announces 1 TiB: refused from the header, before any allocation.
#[test]
fn oversized_frame() {
    case(
        |mut peer: Peer| {
            if peer.open_socketio(&quiet_open()).is_some() {
                peer.send_frame_with_len(opcode::TEXT, true, b"42[", 1 << 40);
                peer.wait_closed(HOLD);
            }
        },
        End::Close("TransportError", "message size limit"),
    );
}

/// A message in small fragments that add up to more than the limit.
#[test]
fn oversized_fragmented_message() {
    case(
        |mut peer: Peer| {
            if peer.open_socketio(&quiet_open()).is_some() {
                let chunk = vec![b'a'; 1 << 20];
                peer.send_frame_with_len(opcode::TEXT, false, b"42[\"", 4);
                for _ in 0..80 {
                    if !peer.send_frame_with_len(
                        opcode::CONTINUATION,
                        false,
                        &chunk,
                        chunk.len() as u64,
                    ) {
                        break;
                    }
                }
                peer.wait_closed(HOLD);
            }
        },
        End::Close("TransportError", "message size limit"),
    );
}

/// The count says one attachment, but a text packet comes instead.
#[test]
fn attachment_count_that_lies_high() {
    case(
        after_open(&[
            r#"451-["ev",{"_placeholder":true,"num":0}]"#,
            r#"42["next"]"#,
        ]),
        End::Close("ParseError", "after 0 of 1 binary attachments"),
    );
}

/// Two attachments announced, one sent, then silence: the heartbeat ends it.
#[test]
fn attachments_that_never_come() {
    case(
        |mut peer: Peer| {
            if peer.open_socketio(&open_packet(200, 200)).is_some() {
                peer.send_text(r#"452-["ev",{"_placeholder":true,"num":0}]"#);
                peer.send_binary(&[1, 2, 3]);
                peer.wait_closed(HOLD);
            }
        },
        End::Close("PingTimeout", "heartbeat"),
    );
}

#[test]
fn too_many_attachments() {
    case(
        after_open(&[r#"45300-["ev"]"#]),
        End::Close("ParseError", "more than 256 attachments"),
    );
    case(
        after_open(&[r#"451001-["ev"]"#]),
        End::Close("ParseError", "more than 1000 attachments"),
    );
    case(
        after_open(&[r#"4599999999999999999999999-["ev"]"#]),
        End::Close("ParseError", "attachments"),
    );
}

#[test]
fn placeholder_out_of_range() {
    case(
        |mut peer: Peer| {
            if peer.open_socketio(&quiet_open()).is_some() {
                peer.send_text(r#"451-["ev",{"_placeholder":true,"num":5}]"#);
                peer.send_binary(&[1, 2, 3]);
                peer.wait_closed(HOLD);
            }
        },
        End::Close(
            "ParseError",
            "placeholder 5 but the packet has 1 attachment",
        ),
    );
}

#[test]
fn binary_frame_without_a_binary_packet() {
    case(
        |mut peer: Peer| {
            if peer.open_socketio(&quiet_open()).is_some() {
                peer.send_binary(&[1, 2, 3]);
                peer.wait_closed(HOLD);
            }
        },
        End::Close("ParseError", "binary data arrived without a binary packet"),
    );
}

#[test]
fn json_nested_too_deeply() {
    case(
        |mut peer: Peer| {
            if peer.open_socketio(&quiet_open()).is_some() {
                let depth = 100_000;
                let text = format!("42[\"deep\",{}{}]", "[".repeat(depth), "]".repeat(depth));
                peer.send_text(&text);
                peer.wait_closed(HOLD);
            }
        },
        End::Close("ParseError", "nested deeper than"),
    );
}

/// Acknowledgements for ids the client never sent are ignored: the session goes on.
#[test]
fn acks_for_ids_never_sent() {
    let server = FakeServer::start(after_open(&[
        r#"4399["x"]"#,
        r#"4318446744073709551615[]"#,
        r#"461-0[{"_placeholder":true,"num":0}]"#,
    ]));
    let obj = hostile_client();
    obj.call("Connect", &[server.url("/").into()]).unwrap();
    let open = obj.wait_event(WAIT, is_state_or_open).expect("Open");
    assert!(open.event.contains(r#""State": "Open""#), "{open:?}");
    // The binary ack waits for its attachment; the session stays up until Disconnect.
    obj.call("Disconnect", &[]).unwrap();
    let close = obj.wait_event(WAIT, is_close_or_fail).expect("Close");
    assert_eq!(
        close.event,
        r#"{"Event": "Connection","State": "Close","Reason": "Normal"}"#,
        "{:?}",
        obj.seen()
    );
    assert!(!obj.seen().iter().any(is_error), "{:?}", obj.seen());
    obj.done().unwrap();
    host::assert_clean();
}

fn is_state_or_open(e: &Event) -> bool {
    is_close_or_fail(e) || e.event.contains(r#""State": "Open""#)
}

/// pingInterval and pingTimeout of 0: clamped, so the silent server is declared dead soon
/// instead of the client spinning.
#[test]
fn ping_interval_zero() {
    case(
        |mut peer: Peer| {
            if peer.open_socketio(&open_packet(0, 0)).is_some() {
                peer.wait_closed(HOLD);
            }
        },
        End::Close("PingTimeout", "heartbeat"),
    );
}

#[test]
fn ping_interval_negative() {
    case(
        |mut peer: Peer| {
            if peer.handshake().is_some() {
                peer.send_text(&format!("0{}", open_packet_raw("-1", "20000")));
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("is not a non-negative integer"),
    );
    case(
        |mut peer: Peer| {
            if peer.handshake().is_some() {
                peer.send_text(&format!("0{}", open_packet_raw("1e300", "20000")));
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("is not a non-negative integer"),
    );
}

/// The largest integers: clamped to a day, no overflow; the session works and closes normally.
#[test]
fn ping_interval_enormous() {
    let max = u64::MAX.to_string();
    let server = FakeServer::start(move |mut peer: Peer| {
        if peer.open_socketio(&open_packet_raw(&max, &max)).is_some() {
            peer.send_text(r#"42["hello","world"]"#);
            peer.wait_closed(HOLD);
        }
    });
    let obj = hostile_client();
    obj.call("Connect", &[server.url("/").into()]).unwrap();
    let msg = obj
        .wait_event(WAIT, |e| e.event.contains(r#""Name": "hello""#))
        .unwrap_or_else(|| panic!("no message; events: {:?}", obj.seen()));
    assert_eq!(msg.data, r#"["hello","world"]"#);
    obj.call("Disconnect", &[]).unwrap();
    let close = obj.wait_event(WAIT, is_close_or_fail).expect("Close");
    assert!(close.event.contains(r#""Reason": "Normal""#), "{close:?}");
    obj.done().unwrap();
    host::assert_clean();
}

/// The Engine.IO session opens, and then the server never answers the namespace CONNECT.
#[test]
fn open_packet_never_followed_by_anything() {
    case(
        |mut peer: Peer| {
            if peer.handshake().is_some() {
                peer.send_text(&format!("0{}", quiet_open()));
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("no connection within the timeout"),
    );
}

#[test]
fn server_accepts_tcp_and_never_answers() {
    case(
        |mut peer: Peer| {
            peer.wait_closed(HOLD);
        },
        End::Fail("no connection within the timeout"),
    );
}

#[test]
fn server_closes_mid_handshake() {
    case(
        |mut peer: Peer| {
            if peer.read_request(WAIT).is_some() {
                peer.write_raw(b"HTTP/1.1 101 Switching Protocols\r\nUpgr");
                peer.close();
            }
        },
        End::Fail("websocket"),
    );
    case(
        |peer: Peer| {
            peer.close();
        },
        End::Fail("websocket"),
    );
}

#[test]
fn garbage_http() {
    case(
        |mut peer: Peer| {
            if peer.read_request(WAIT).is_some() {
                peer.write_raw(b"\x00\xff\xfegarbage\r\n\r\n");
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("websocket"),
    );
    case(
        |mut peer: Peer| {
            if peer.read_request(WAIT).is_some() {
                let body = "x".repeat(100_000);
                peer.write_raw(
                    format!(
                        "HTTP/1.1 403 Forbidden\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("HTTP 403"),
    );
}

/// A response head that never ends: refused after a bounded number of bytes.
#[test]
fn endless_http_headers() {
    case(
        |mut peer: Peer| {
            if peer.read_request(WAIT).is_some() {
                peer.write_raw(b"HTTP/1.1 101 Switching Protocols\r\n");
                let line =
                    b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
                for _ in 0..100_000 {
                    if !peer.write_raw(line) {
                        break;
                    }
                }
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("websocket"),
    );
}

#[test]
fn wrong_first_packet() {
    case(
        |mut peer: Peer| {
            if peer.handshake().is_some() {
                peer.send_text(r#"42["early"]"#);
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("open packet"),
    );
    case(
        |mut peer: Peer| {
            if peer.handshake().is_some() {
                peer.send_binary(&[0, 1, 2]);
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("open packet"),
    );
    case(
        |mut peer: Peer| {
            if peer.handshake().is_some() {
                peer.send_text("0{\"sid\":");
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("invalid Engine.IO handshake"),
    );
    case(
        |mut peer: Peer| {
            if peer.handshake().is_some() {
                peer.close();
            }
        },
        End::Fail("connection"),
    );
}

#[test]
fn connect_error_with_junk() {
    case(
        |mut peer: Peer| {
            if peer.handshake().is_some() {
                peer.send_text(&format!("0{}", quiet_open()));
                let _ = peer.read_text(WAIT);
                peer.send_text("44garbage");
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("invalid JSON"),
    );
    case(
        |mut peer: Peer| {
            if peer.handshake().is_some() {
                peer.send_text(&format!("0{}", quiet_open()));
                let _ = peer.read_text(WAIT);
                peer.send_text(r#"44{"message":{"deep":[1,2]},"data":null}"#);
                peer.wait_closed(HOLD);
            }
        },
        End::Fail(r#"refused the connection: {\"deep\":[1,2]}"#),
    );
}

/// Events before the CONNECT reply are kept (python-socketio sends some), but only so many.
#[test]
fn flood_of_events_before_the_connect_reply() {
    case(
        |mut peer: Peer| {
            if peer.handshake().is_some() {
                peer.send_text(&format!("0{}", quiet_open()));
                let _ = peer.read_text(WAIT);
                for i in 0..5000 {
                    if !peer.send_text(&format!(r#"42["early",{i}]"#)) {
                        break;
                    }
                }
                peer.wait_closed(HOLD);
            }
        },
        End::Fail("too many events before the CONNECT reply"),
    );
}

#[test]
fn close_frame_with_an_invalid_code() {
    case(
        |mut peer: Peer| {
            if peer.open_socketio(&quiet_open()).is_some() {
                peer.send_frame(opcode::CLOSE, &[0x03, 0xe7, b'x']);
                peer.wait_closed(HOLD);
            }
        },
        End::Closed("TransportClose"),
    );
}

#[test]
fn control_frame_too_long() {
    case(
        |mut peer: Peer| {
            if peer.open_socketio(&quiet_open()).is_some() {
                peer.send_frame(opcode::PING, &[b'p'; 200]);
                peer.wait_closed(HOLD);
            }
        },
        End::Close("TransportError", "connection error"),
    );
}

/// What a failing connect leaves for 1C code to see: every event, LastError, every AddError.
fn visible_texts(obj: &Object) -> Vec<String> {
    let mut texts: Vec<String> = obj
        .history()
        .into_iter()
        .flat_map(|e| [e.source, e.event, e.data])
        .collect();
    texts.push(format!("{:?}", obj.get("LastError").unwrap()));
    texts.extend(obj.errors().into_iter().map(|e| e.descr));
    texts
}

/// The Headers, Auth and Proxy values go to the server (or the proxy) and nowhere else: not
/// into an event, LastError or an exception, whichever way the connect fails.
#[test]
fn credentials_never_reach_events_or_last_error() {
    const SECRET: &str = "SECRET";
    let headers = r#"{"Authorization":"Bearer SECRET-HEADER-1","X-Api-Key":"SECRET-HEADER-2"}"#;
    let auth = r#"{"token":"SECRET-AUTH-3"}"#;
    let prepared = || {
        let obj = hostile_client();
        obj.set("Headers", headers).unwrap();
        obj.set("Auth", auth).unwrap();
        obj
    };
    let (saw_tx, saw_rx) = std::sync::mpsc::channel::<String>();

    // The server refuses the upgrade after reading the headers.
    let server = FakeServer::start(move |mut peer: Peer| {
        if let Some(req) = peer.read_request(WAIT) {
            let _ = saw_tx.send(format!("{:?}", req.headers));
            peer.write_raw(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope");
            peer.wait_closed(HOLD);
        }
    });
    let obj = prepared();
    obj.call("Connect", &[server.url("/").into()]).unwrap();
    obj.wait_event(WAIT, is_error).expect("an Error event");
    let sent = saw_rx
        .recv_timeout(WAIT)
        .expect("the server saw the request");
    assert!(
        sent.contains("SECRET-HEADER-1"),
        "the header was not sent: {sent}"
    );
    for text in visible_texts(&obj) {
        assert!(!text.contains(SECRET), "a credential leaked: {text}");
    }
    obj.done().unwrap();
    drop(server);

    // The server refuses the namespace after reading the CONNECT packet with the auth.
    let (saw_tx, saw_rx) = std::sync::mpsc::channel::<String>();
    let server = FakeServer::start(move |mut peer: Peer| {
        if peer.handshake().is_some() {
            peer.send_text(&format!("0{}", quiet_open()));
            if let Some(connect) = peer.read_text(WAIT) {
                let _ = saw_tx.send(connect);
            }
            peer.send_text(r#"44{"message":"invalid token"}"#);
            peer.wait_closed(HOLD);
        }
    });
    let obj = prepared();
    obj.call("Connect", &[server.url("/").into()]).unwrap();
    let err = obj.wait_event(WAIT, is_error).expect("an Error event");
    assert!(err.event.contains("invalid token"), "{err:?}");
    let sent = saw_rx
        .recv_timeout(WAIT)
        .expect("the server saw the CONNECT");
    assert!(
        sent.contains("SECRET-AUTH-3"),
        "the auth was not sent: {sent}"
    );
    for text in visible_texts(&obj) {
        assert!(!text.contains(SECRET), "a credential leaked: {text}");
    }
    obj.done().unwrap();
    drop(server);

    // Nothing listens (and, with a proxy, the proxy is not there either).
    let closed = testkit::servers::closed_port();
    let obj = prepared();
    obj.set(
        "Proxy",
        format!("http://user:SECRET-PROXY-4@127.0.0.1:{closed}"),
    )
    .unwrap();
    obj.call("Connect", &[format!("ws://127.0.0.1:{closed}/").into()])
        .unwrap();
    obj.wait_event(WAIT, is_error).expect("an Error event");
    for text in visible_texts(&obj) {
        assert!(!text.contains(SECRET), "a credential leaked: {text}");
    }
    obj.done().unwrap();
    host::assert_clean();
}

/// A `wss://` URI never turns into plain text: against a server that speaks plain HTTP the
/// connect fails with a TLS error, and the server never sees a readable request.
#[test]
fn wss_never_falls_back_to_plain_ws() {
    let (saw_tx, saw_rx) = std::sync::mpsc::channel::<bool>();
    let server = FakeServer::start(move |mut peer: Peer| {
        // A TLS ClientHello has no blank line; a plain request would.
        let plain = peer.read_request(Duration::from_secs(1)).is_some();
        let _ = saw_tx.send(plain);
        peer.write_raw(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    let obj = hostile_client();
    obj.set("Timeout", 20).unwrap();
    assert_eq!(obj.get("VerifyCertificate").unwrap(), V::Bool(true));
    obj.call(
        "Connect",
        &[format!("wss://127.0.0.1:{}/", server.port()).into()],
    )
    .unwrap();
    let state = obj.wait_event(WAIT, is_close_or_fail).expect("Fail");
    assert!(state.event.contains(r#""State": "Fail""#), "{state:?}");
    let err = obj.wait_event(WAIT, is_error).expect("an Error event");
    assert!(err.event.contains("TLS"), "{err:?}");
    let plain = saw_rx
        .recv_timeout(WAIT)
        .expect("the server saw a connection");
    assert!(!plain, "the client sent a plain request to a wss:// URI");
    obj.done().unwrap();
    host::assert_clean();
}
