//! Reconnection, the offline buffer across reconnects, and connection-state recovery, end to end
//! against real socket.io 4 servers whose transport is closed, or whose process stops listening
//! and drops every connection (`restart`), while the add-in is driven through its C ABI.

mod common;

use std::collections::HashMap;

use common::*;
use testkit::host::{Event, Object, V};
#[cfg(unix)]
use testkit::servers::signal;
use testkit::servers::{closed_port, Server, ServerOptions};

fn session_id(obj: &Object) -> String {
    obj.get("SessionID")
        .unwrap()
        .as_str()
        .expect("SessionID is a String")
        .to_owned()
}

/// A Close for a lost transport (which of the two depends on how the socket went down).
fn is_lost(e: &Event) -> bool {
    e.event == close("TransportClose") || e.event == close("TransportError")
}

fn is_reconnecting(e: &Event) -> bool {
    e.event.contains(r#""State": "Reconnecting""#)
}

/// Starts a restart of `server` that keeps it from listening for `delay_ms`, without waiting for
/// it to listen again (see [`listening_again`]).
fn begin_restart(server: &Server, delay_ms: u64) {
    server
        .command_wait(
            &format!(r#"{{"cmd":"restart","delay_ms":{delay_ms}}}"#),
            WAIT,
        )
        .expect("restart");
}

/// Waits until `server` listens again after [`begin_restart`].
fn listening_again(server: &Server) {
    let again = format!("LISTENING {}", server.port());
    server
        .wait_line(WAIT, |l| l == again)
        .expect("the server listens again");
}

#[test]
fn a_closed_transport_reconnects_and_rejoins_the_namespace() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    reconnect_fast(&obj, 100, 200);
    obj.call("On", &[V::from("echo")]).unwrap();
    connect(&obj, &server.url("/chat"));
    let first = session_id(&obj);
    server.wait_connect(WAIT, "/chat").expect("first join");

    obj.call("Send", &[V::from("close-transport"), V::Empty])
        .unwrap();
    let ev = expect_connection(&obj, &close("TransportClose"));
    assert_eq!(ev.data, r#"{"Connection": "Close"}"#);
    let ev = expect_connection(&obj, &reconnecting(1));
    assert_eq!(ev.data, r#"{"Connection": "Reconnecting"}"#);
    // No recovery on this server: a plain Open.
    let ev = expect_connection(&obj, OPEN);
    assert_eq!(ev.data, r#"{"Connection": "Open"}"#);

    assert_eq!(obj.get("Connected").unwrap(), V::Bool(true));
    let second = session_id(&obj);
    assert!(!second.is_empty() && second != first, "{first} → {second}");
    let join = server.wait_connect(WAIT, "/chat").expect("second join");
    assert!(join.contains(&format!(r#""sid":"{second}""#)), "{join}");

    obj.call("Send", &[V::from("echo"), V::from("снова")])
        .unwrap();
    let ev = obj.wait_event(WAIT, is_message("echo")).expect("echo");
    assert_eq!(ev.data, r#"["echo","снова"]"#);
}

/// Freezes a server process (SIGSTOP) until dropped (SIGCONT): its sockets stay open and it
/// answers nothing, not even pings.
#[cfg(unix)]
struct Frozen(u32);

#[cfg(unix)]
impl Frozen {
    fn new(server: &Server) -> Frozen {
        signal(server.pid(), "-STOP");
        Frozen(server.pid())
    }
}

#[cfg(unix)]
impl Drop for Frozen {
    fn drop(&mut self) {
        signal(self.0, "-CONT");
    }
}

#[cfg(unix)]
#[test]
fn a_silent_server_is_a_ping_timeout_and_is_reconnected() {
    let server = Server::start(ServerOptions {
        ping_interval_ms: Some(300),
        ping_timeout_ms: Some(300),
        ..ServerOptions::default()
    });
    let obj = client();
    reconnect_fast(&obj, 100, 200);
    obj.set("Timeout", V::I32(1)).unwrap();
    connect(&obj, &server.url("/"));
    let frozen = Frozen::new(&server);
    expect_connection(&obj, &close("PingTimeout"));
    expect_connection(&obj, &reconnecting(1));
    drop(frozen);
    obj.wait_event(WAIT, |e| e.event == OPEN)
        .expect("open again once the server answers");
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(true));
}

#[test]
fn attempts_are_counted_and_the_last_failure_is_a_fail() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    reconnect_fast(&obj, 50, 100);
    obj.set("ReconnectionAttempts", V::I32(3)).unwrap();
    obj.set("Timeout", V::I32(2)).unwrap();
    connect(&obj, &server.url("/"));

    drop(server);
    let ev = obj.wait_event(WAIT, is_connection).expect("Close");
    assert!(is_lost(&ev), "{ev:?}");
    for n in 1..=3 {
        expect_connection(&obj, &reconnecting(n));
    }
    let ev = expect_connection(&obj, FAIL);
    assert_eq!(ev.data, r#"{"Connection": "Fail"}"#);
    let error = obj.wait_event(WAIT, is_error).expect("an Error event");
    assert!(error.event.len() > r#"{"Event": "Error","Message": ""}"#.len());
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
    assert_eq!(obj.get("SessionID").unwrap(), V::from(""));
    assert!(obj
        .get("LastError")
        .unwrap()
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    // No fourth attempt, and the object takes a new Connect.
    let nowhere = format!("ws://127.0.0.1:{}/", closed_port());
    obj.call("Connect", &[V::from(nowhere.as_str())])
        .expect("Connect after Fail");
    expect_connection(&obj, FAIL);
    assert!(!obj.history().iter().any(|e| e.event == reconnecting(4)));
}

#[test]
fn disconnect_during_the_backoff_stops_it() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    // The first attempt would start after 30 to 60 s: the Disconnect below comes long before.
    reconnect_fast(&obj, 60_000, 60_000);
    connect(&obj, &server.url("/"));
    obj.call("Send", &[V::from("close-transport"), V::Empty])
        .unwrap();
    expect_connection(&obj, &close("TransportClose"));
    obj.call("Disconnect", &[]).unwrap();
    let ev = expect_connection(&obj, &close("Normal"));
    assert_eq!(ev.data, r#"{"Connection": "Close"}"#);
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
    // Not busy any more: Connect is taken at once.
    connect(&obj, &server.url("/"));
    obj.call("Disconnect", &[]).unwrap();
    expect_connection(&obj, &close("Normal"));
    assert!(
        !obj.history().iter().any(is_reconnecting),
        "{:?}",
        obj.history()
    );
}

#[test]
fn no_reconnect_after_a_server_side_disconnect_or_disconnect() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    reconnect_fast(&obj, 10, 10);
    connect(&obj, &server.url("/"));
    obj.call("Send", &[V::from("disconnect-me"), V::Empty])
        .unwrap();
    expect_connection(&obj, &close("ServerDisconnect"));
    // Were a reconnect pending, Connect would be refused as "already connecting".
    connect(&obj, &server.url("/"));
    server
        .command_wait(r#"{"cmd":"disconnect-all"}"#, WAIT)
        .expect("disconnect-all");
    expect_connection(&obj, &close("ServerDisconnect"));
    connect(&obj, &server.url("/"));
    obj.call("Disconnect", &[]).unwrap();
    expect_connection(&obj, &close("Normal"));
    connect(&obj, &server.url("/"));
    assert!(
        !obj.history().iter().any(is_reconnecting),
        "{:?}",
        obj.history()
    );
}

#[test]
fn reconnection_off_means_close_and_nothing_more() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.set("Reconnection", V::Bool(false)).unwrap();
    reconnect_fast(&obj, 10, 10);
    connect(&obj, &server.url("/"));
    obj.call("Send", &[V::from("close-transport"), V::Empty])
        .unwrap();
    expect_connection(&obj, &close("TransportClose"));
    connect(&obj, &server.url("/"));
    assert!(!obj.history().iter().any(is_reconnecting));
}

#[test]
fn sends_buffered_while_the_server_is_away_go_out_once_in_order() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    reconnect_fast(&obj, 100, 300);
    connect(&obj, &server.url("/"));

    // The server stops listening for 3 s: everything sent meanwhile waits in the buffer.
    begin_restart(&server, 3000);
    let ev = obj.wait_event(WAIT, is_connection).expect("Close");
    assert!(is_lost(&ev), "{ev:?}");
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
    let mut ids = Vec::new();
    for i in 0..300 {
        obj.call("Send", &[V::from("seq"), V::I32(i)]).unwrap();
        if i % 50 == 49 {
            ids.push((i, send_with_ack(&obj, "ack", &format!("[{i}]"), Some(60.0))));
        }
    }
    listening_again(&server);
    obj.wait_event(WAIT, |e| e.event == OPEN)
        .expect("open again");

    for (i, id) in ids {
        let ev = obj.wait_event(WAIT, is_ack(id)).expect("Ack");
        assert_eq!(ev.event, ack_event(id, "ack", "Ok"));
        assert_eq!(ev.data, format!("[{i}]"));
    }
    server
        .wait_line(WAIT, |l| l.contains(r#""event":"seq","args":[299]"#))
        .expect("the last one");
    let got: Vec<i64> = server
        .lines()
        .iter()
        .filter(|l| l.contains(r#""event":"seq""#))
        .map(|l| line_args(l)[0].as_i64().expect("a number"))
        .collect();
    assert_eq!(got, (0..300).collect::<Vec<i64>>());
}

#[test]
fn an_engine_closed_mid_stream_keeps_the_order_and_delivers_the_buffered_once() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    reconnect_fast(&obj, 200, 400);
    connect(&obj, &server.url("/"));
    let send = |i: i32| {
        obj.call("Send", &[V::from("seq"), V::I32(i)]).unwrap();
    };
    (0..100).for_each(send);
    server
        .wait_line(WAIT, |l| l.contains(r#""event":"seq","args":[99]"#))
        .expect("the first hundred");

    // The engine closes while sends go on: the ones in flight may be lost (at most once), the
    // ones that wait for the next connection are delivered once, in order.
    server.command(r#"{"cmd":"close-engines"}"#);
    let mut i = 100;
    while obj.get("Connected").unwrap() == V::Bool(true) && i < 100_000 {
        send(i);
        i += 1;
    }
    let buffered = i;
    (buffered..buffered + 200).for_each(send);
    let last = buffered + 199;
    obj.wait_event(WAIT, |e| e.event == OPEN)
        .expect("open again");
    server
        .wait_line(WAIT, |l| {
            l.contains(&format!(r#""event":"seq","args":[{last}]"#))
        })
        .expect("the last one");
    let got: Vec<i32> = server
        .lines()
        .iter()
        .filter(|l| l.contains(r#""event":"seq""#))
        .map(|l| line_args(l)[0].as_i64().expect("a number") as i32)
        .collect();
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "out of order or twice: {got:?}"
    );
    let wanted: Vec<i32> = (0..100).chain(buffered..=last).collect();
    let missing: Vec<&i32> = wanted.iter().filter(|i| !got.contains(i)).collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    eprintln!(
        "close-engines mid-stream: {} sends raced the close, {} of them arrived",
        buffered - 100,
        got.iter().filter(|i| (100..buffered).contains(*i)).count()
    );
}

#[test]
fn restarts_while_sending_with_acks_lose_nothing_acknowledged() {
    const ROUNDS: usize = 20;
    let server = Server::start(ServerOptions::default());
    let obj = client();
    // Up to a thousand sends per round race the drop and each gets an Ack event, all read only
    // at the end: room for every one of them in the platform's queue (the default 1000 would
    // move the overflow to GetEvent's queue, which this test does not read).
    obj.set("EventBufferDepth", V::from(1_000_000)).unwrap();
    reconnect_fast(&obj, 50, 200);
    connect(&obj, &server.url("/"));

    let mut sent: Vec<(u64, usize)> = Vec::new();
    let mut k = 0;
    let mut send = |sent: &mut Vec<(u64, usize)>| {
        k += 1;
        let id = send_with_ack(&obj, "ack", &format!("[{k}]"), Some(15.0));
        sent.push((id, k));
    };
    let mut raced = 0;
    for _ in 0..ROUNDS {
        (0..3).for_each(|_| send(&mut sent));
        // Not waiting for the server to act: these sends race with the drop, so some are in
        // flight when the connection goes.
        server.command(r#"{"cmd":"restart","delay_ms":100}"#);
        for _ in 0..1000 {
            send(&mut sent);
            raced += 1;
            if obj.get("Connected").unwrap() == V::Bool(false) {
                break;
            }
        }
        // Buffered while the server is away.
        (0..3).for_each(|_| send(&mut sent));
        listening_again(&server);
    }

    // Exactly one Ack event per Id.
    let mut states: HashMap<u64, (String, String)> = HashMap::new();
    while states.len() < sent.len() {
        let ev = obj.wait_event(WAIT, is_any_ack).unwrap_or_else(|| {
            panic!(
                "{} of {} Ids have no Ack event; LastError = {:?}",
                sent.len() - states.len(),
                sent.len(),
                obj.get("LastError")
            )
        });
        let v: serde_json::Value = serde_json::from_str(&ev.event).expect("JSON event");
        let id = v["Id"].as_u64().expect("Id");
        let state = v["State"].as_str().expect("State").to_owned();
        assert!(
            states.insert(id, (state, ev.data)).is_none(),
            "a second Ack event for {id}"
        );
    }
    // The server prints each event before acknowledging it, but its lines reach the test through
    // a reader thread: a last event sent after all the others, once seen, means every earlier
    // line is in.
    obj.call("Send", &[V::from("marker"), V::from("end")])
        .unwrap();
    server
        .wait_event(WAIT, "marker")
        .expect("the marker after every send");
    let mut arrived: HashMap<i64, usize> = HashMap::new();
    for line in server.lines() {
        if line.contains(r#""type":"event""#) && line.contains(r#""event":"ack""#) {
            *arrived
                .entry(line_args(&line)[0].as_i64().expect("k"))
                .or_default() += 1;
        }
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (id, k) in &sent {
        let (state, data) = &states[id];
        let times = arrived.get(&(*k as i64)).copied().unwrap_or(0);
        assert!(times <= 1, "send {k} arrived {times} times");
        match state.as_str() {
            "Ok" => {
                assert_eq!(times, 1, "send {k} was acknowledged but never arrived");
                assert_eq!(data, &format!("[{k}]"));
            }
            "Disconnected" | "Timeout" => assert_eq!(data, "[]"),
            other => panic!("state {other}"),
        }
        *counts.entry(state.as_str()).or_default() += 1;
    }
    eprintln!(
        "{ROUNDS} restarts, {} sends with ack ({raced} racing the drops): {counts:?}",
        sent.len()
    );
    assert!(counts.get("Ok").copied().unwrap_or(0) > 0);
}

#[test]
fn recovery_replays_missed_events_without_duplicates() {
    let server = Server::start(ServerOptions {
        recovery: true,
        ..ServerOptions::default()
    });
    let obj = client();
    reconnect_fast(&obj, 100, 300);
    obj.set("Auth", V::from(r#"{"token": "t"}"#)).unwrap();
    obj.call("On", &[V::from("*")]).unwrap();
    connect(&obj, &server.url("/"));
    let sid = session_id(&obj);

    // The server appends an offset to every event: 1C does not see it.
    let ev = obj
        .wait_event(WAIT, is_message("greeting"))
        .expect("greeting");
    assert_eq!(ev.data, r#"["greeting","Привет мир!"]"#);
    server.emit("/", "before", "[0]");
    let ev = obj.wait_event(WAIT, is_message("before")).expect("before");
    assert_eq!(ev.data, r#"["before",0]"#);

    // The transport drops; while the client is away, the server emits three events.
    begin_restart(&server, 2000);
    let ev = obj.wait_event(WAIT, is_connection).expect("Close");
    assert!(is_lost(&ev), "{ev:?}");
    for i in 1..=3 {
        server.emit("/", "missed", &format!("[{i}]"));
    }
    listening_again(&server);
    let ev = obj
        .wait_event(WAIT, |e| e.event.contains(r#""State": "Open""#))
        .expect("open again");
    assert_eq!(ev.event, OPEN_RECOVERED);
    assert_eq!(ev.data, r#"{"Connection": "Open"}"#);
    assert_eq!(session_id(&obj), sid, "the session id is restored");

    for i in 1..=3 {
        let ev = obj.wait_event(WAIT, is_message("missed")).expect("missed");
        assert_eq!(ev.data, format!(r#"["missed",{i}]"#));
    }
    server.emit("/", "after", "[4]");
    let ev = obj.wait_event(WAIT, is_message("after")).expect("after");
    assert_eq!(ev.data, r#"["after",4]"#);

    let history = obj.history();
    for (name, times) in [("before", 1), ("missed", 3), ("after", 1)] {
        assert_eq!(
            history.iter().filter(|e| is_message(name)(e)).count(),
            times,
            "{name}: {history:?}"
        );
    }
    let rejoin = server
        .lines()
        .into_iter()
        .filter(|l| l.contains(r#""type":"connect""#))
        .nth(1)
        .expect("a second connect line");
    assert!(rejoin.contains(r#""recovered":true"#), "{rejoin}");
    let auth: serde_json::Value = serde_json::from_str(&rejoin).expect("JSON");
    let auth = &auth["auth"];
    assert_eq!(auth["token"], "t", "{rejoin}");
    assert!(
        auth["pid"].is_string() && auth["offset"].is_string(),
        "{rejoin}"
    );
}
