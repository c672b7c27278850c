//! Emits reach the server in the order of the calls, whichever way each one leaves the add-in:
//! written on the 1C thread (the fast lane: JSON arguments while nothing waits before them) or
//! handed to the Connection actor (binary arguments; everything after a `SendWithAck` until the
//! Connection has taken it over). Against the real socket.io 4 server, over websocket and over
//! polling (where every emit takes the Connection's path), on namespaces sharing a connection.

mod common;

use std::time::Duration;

use base64::Engine;
use common::*;
use testkit::host::{Object, V};
use testkit::servers::{Server, ServerOptions};

/// How many emits each object sends.
const EMITS: u32 = 3000;

/// Sends `EMITS` events named `seq` mixing the three kinds of emit, and returns the `args` the
/// server must log for them, in order.
fn send_mixed(obj: &Object) -> Vec<serde_json::Value> {
    let mut expected = Vec::new();
    for i in 0..EMITS {
        // Emits in a tight row are a burst (the Connection writes them); after a pause of more
        // than the fast lane's burst gap (20 µs) an emit may be written by the calling thread.
        if i % 3 != 0 {
            std::thread::sleep(Duration::from_micros(40));
        }
        match i % 10 {
            3 => {
                let bytes = (i as u16).to_be_bytes().to_vec();
                let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
                obj.call("Send", &[V::from("seq"), V::Blob(bytes)])
                    .expect("Send binary");
                expected.push(serde_json::json!([{ "_binary_base64": b64 }]));
            }
            7 => {
                send_with_ack(obj, "seq", &format!("[{i}]"), Some(60.0));
                expected.push(serde_json::json!([i]));
            }
            _ => {
                obj.call("Send", &[V::from("seq"), V::I32(i as i32)])
                    .expect("Send");
                expected.push(serde_json::json!([i]));
            }
        }
    }
    expected
}

/// The `args` of the `seq` events the server logged on `nsp`, in the order it got them (up to
/// `n`; fewer if the rest does not come within the deadline).
fn received(server: &Server, nsp: &str, n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map_while(|_| server.wait_event_on(WAIT, nsp, "seq"))
        .map(|line| line_args(&line))
        .collect()
}

fn assert_in_order(got: &[serde_json::Value], expected: &[serde_json::Value], what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: how many arrived");
    for (n, (g, e)) in got.iter().zip(expected).enumerate() {
        assert_eq!(g, e, "{what}: emit #{n} out of order or changed");
    }
}

#[test]
fn emits_arrive_in_call_order_over_websocket_and_polling() {
    let server = Server::start(ServerOptions::default());
    for transports in ["websocket", "polling"] {
        let obj = client();
        obj.set("Transports", V::from(transports)).unwrap();
        // A namespace per transport, so that each run reads only its own lines.
        let nsp = if transports == "websocket" {
            "/"
        } else {
            "/chat"
        };
        connect(&obj, &server.url(nsp));
        let expected = send_mixed(&obj);
        let got = received(&server, nsp, expected.len());
        assert_in_order(&got, &expected, transports);
        // Every SendWithAck gets its one Ack event (the server has no handler: Timeout would
        // come after 60 s, so none has come yet and none is Disconnected).
        assert!(
            !obj.history().iter().any(is_any_ack),
            "{transports}: {:?}",
            obj.history()
                .iter()
                .filter(|e| is_any_ack(e))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn namespaces_sharing_a_connection_each_keep_their_order() {
    let server = Server::start(ServerOptions::default());
    let a = client();
    let b = client();
    connect(&a, &server.url("/"));
    connect(&b, &server.url("/chat"));
    let (expected_a, expected_b) = std::thread::scope(|s| {
        let ta = s.spawn(|| send_mixed(&a));
        let tb = s.spawn(|| send_mixed(&b));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    let got_a = received(&server, "/", expected_a.len());
    assert_in_order(&got_a, &expected_a, "/");
    let got_b = received(&server, "/chat", expected_b.len());
    assert_in_order(&got_b, &expected_b, "/chat");
}
