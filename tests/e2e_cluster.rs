//! A socket.io 4 cluster as production runs it, end to end through the C ABI: three node
//! processes with the Redis adapter on a real `redis-server`, behind a real `nginx` with cookie
//! stickiness (`testkit::cluster`; Debian packages `redis-server` and `nginx`, which `.ci/run`
//! installs: without them these tests fail saying so).
//!
//! For every Transports setting: the session stays on the node that served its first request
//! (the upgrade too; polling never leaves it), a broadcast emitted on each other node arrives, on
//! two namespaces, and nginx's access log shows no 4xx, 5xx or 499 from start to end. Heartbeats
//! go through nginx for over 30 s on every transport at once. First, a check of the rig itself:
//! without the cookie nginx spreads requests round robin and names the node in the cookie.
//!
//! Every wait is for an event or a server line, with a generous deadline; nothing sleeps.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{
    client, connect, expect_greeting, is_connection, is_message, wait_transport, Mode, WAIT,
};
use testkit::cluster::{Access, Cluster};
use testkit::host::{Object, V};
use testkit::servers::{Flavor, ServerOptions};

/// How many nodes the tests run.
const NODES: usize = 3;

/// A Client object with `Transports` set for `mode`, subscribed to `events`.
fn client_over(mode: Mode, events: &[&str]) -> Object {
    let obj = client();
    obj.set("Transports", V::from(mode.transports())).unwrap();
    for name in events {
        obj.call("On", &[V::from(*name)]).unwrap();
    }
    obj
}

/// What the cluster saw of one connected object: the node it joined and its Engine.IO id.
struct Joined {
    node: usize,
    engine: String,
}

/// Waits for a node's report that `obj` (connected) joined `nsp`; checks it came over one of
/// `mode`'s transports.
fn joined(cluster: &Cluster, obj: &Object, nsp: &str, mode: Mode) -> Joined {
    let sid = obj.get("SessionID").unwrap();
    let sid = sid.as_str().unwrap_or_default().to_owned();
    assert!(!sid.is_empty(), "no SessionID after Open");
    let prefix = format!(r#"{{"type":"connect","nsp":"{nsp}","sid":"{sid}","#);
    let (node, line) = cluster
        .wait_line_any(WAIT, |l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no node saw {nsp} join with SessionID {sid}"));
    assert!(
        mode.joins_over()
            .iter()
            .any(|t| line.contains(&format!(r#""transport":"{t}""#))),
        "{mode:?}: {line}"
    );
    let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    Joined {
        node,
        engine: v["engine"].as_str().expect("the engine id").to_owned(),
    }
}

/// An `echo` round trip on `obj`.
fn echo(obj: &Object, text: &str) {
    obj.call("Send", &[V::from("echo"), V::from(text)]).unwrap();
    let ev = obj
        .wait_event(WAIT, |e| is_message("echo")(e) && e.data.contains(text))
        .unwrap_or_else(|| panic!("no echo of {text}"));
    assert_eq!(ev.data, format!(r#"["echo","{text}"]"#));
}

/// Waits for the node's report that `obj`'s socket on `nsp` left as a client leaves.
fn expect_goodbye(cluster: &Cluster, node: usize, nsp: &str) {
    let line = cluster.nodes[node]
        .wait_disconnect(WAIT, nsp)
        .unwrap_or_else(|| panic!("node {node} saw no disconnect of {nsp}"));
    assert!(
        line.contains(r#""reason":"client namespace disconnect""#),
        "{line}"
    );
}

/// Stops nginx (so that its access log is complete) and checks the log: requests were made, none
/// was refused, failed or cut (no status of 400 or more, 499 included), and no node printed a
/// refused or cut request either. Returns the log.
fn clean_access_log(cluster: &mut Cluster) -> Vec<Access> {
    cluster.nginx.stop();
    let log = cluster.nginx.access_log();
    assert!(
        !log.is_empty(),
        "an empty access log:\n{}",
        cluster.nginx.access_log_text()
    );
    let bad: Vec<&Access> = log.iter().filter(|a| a.status >= 400).collect();
    assert!(
        bad.is_empty(),
        "refused or cut: {bad:#?}\nthe log: {log:#?}"
    );
    for (i, node) in cluster.nodes.iter().enumerate() {
        let refused = node.lines_starting(r#"{"type":"http","#);
        assert!(refused.is_empty(), "node {i}: {refused:#?}");
    }
    log
}

/// The requests of Engine.IO session `engine` in the log (its handshake carries no `sid`: the
/// first request of a polling session is found by the `Set-Cookie` it got instead).
fn requests_of<'a>(log: &'a [Access], engine: &str) -> Vec<&'a Access> {
    log.iter()
        .filter(|a| a.query("sid") == Some(engine))
        .collect()
}

/// The scenario for one Transports setting. Two Client objects, on `/` and `/chat`, share one
/// Engine.IO connection; the cluster must keep it on one node from start to end.
fn session(mode: Mode) {
    let mut cluster = Cluster::start(NODES, ServerOptions::new(Flavor::Sio4));
    let root = client_over(
        mode,
        &["greeting", "echo", "news", "broadcast", "transport"],
    );
    let chat = client_over(mode, &["echo", "news"]);

    connect(&root, &cluster.url("/"));
    let home = joined(&cluster, &root, "/", mode);
    connect(&chat, &cluster.url("/chat"));
    let chat_home = joined(&cluster, &chat, "/chat", mode);
    assert_eq!(
        (chat_home.node, chat_home.engine.as_str()),
        (home.node, home.engine.as_str()),
        "{mode:?}: /chat rides on the connection of /"
    );
    expect_greeting(&root);

    // On the transport it ends on (after the upgrade, for polling,websocket), still its node.
    wait_transport(&root, mode.last());
    echo(&root, "эхо /");
    echo(&chat, "эхо /chat");

    // A broadcast emitted on every other node arrives, through Redis, on both namespaces.
    for other in (0..NODES).filter(|&n| n != home.node) {
        for (obj, nsp) in [(&root, "/"), (&chat, "/chat")] {
            let text = format!("{nsp} от {}", Cluster::node_name(other));
            cluster.nodes[other].emit(nsp, "news", &format!(r#"["{text}"]"#));
            let news = obj
                .wait_event(WAIT, |e| is_message("news")(e) && e.data.contains(&text))
                .unwrap_or_else(|| panic!("{mode:?}: no news from node {other} on {nsp}"));
            assert_eq!(news.data, format!(r#"["news","{text}"]"#));
        }
    }
    // And one a client asks its own node to send to everyone of /.
    root.call("Send", &[V::from("broadcast"), V::from("всем")])
        .unwrap();
    let all = root
        .wait_event(WAIT, is_message("broadcast"))
        .expect("the broadcast");
    assert_eq!(all.data, r#"["broadcast","всем"]"#);

    assert!(
        !root
            .seen()
            .iter()
            .chain(chat.seen().iter())
            .any(is_connection),
        "{mode:?}: the session was interrupted: {:?} {:?}",
        root.seen(),
        chat.seen()
    );
    root.done().unwrap();
    chat.done().unwrap();
    expect_goodbye(&cluster, home.node, "/");
    expect_goodbye(&cluster, home.node, "/chat");
    // No other node ever saw a socket of this test.
    for (i, node) in cluster.nodes.iter().enumerate() {
        if i != home.node {
            let joins = node.lines_starting(r#"{"type":"connect","#);
            assert!(joins.is_empty(), "{mode:?}: node {i} saw {joins:#?}");
        }
    }

    let log = clean_access_log(&mut cluster);
    let (addr, name) = (cluster.node_addr(home.node), Cluster::node_name(home.node));
    // Every request went to the session's node: the first one round robin (with no cookie),
    // every later one by the cookie that named the node.
    for a in &log {
        assert_eq!(a.upstream, addr, "{mode:?}: left its node: {a:?}\n{log:#?}");
    }
    let session = requests_of(&log, &home.engine);
    match mode {
        Mode::WebSocket => {
            assert_eq!(log.len(), 1, "one websocket request: {log:#?}");
            assert_eq!(
                (log[0].status, log[0].query("transport")),
                (101, Some("websocket"))
            );
        }
        Mode::Polling | Mode::Upgrade => {
            let first = &log[0];
            assert!(
                first.cookie.is_empty() && first.query("sid").is_none(),
                "the handshake is the first request: {first:?}"
            );
            assert!(
                first.set_cookie.starts_with(&format!("sticky={name};")),
                "the handshake's answer names the node: {first:?}"
            );
            assert!(session.len() >= 2, "{session:#?}");
            for a in &session {
                assert_eq!(a.cookie, name, "{mode:?}: without the cookie: {a:?}");
            }
            let websockets = session
                .iter()
                .filter(|a| a.query("transport") == Some("websocket"))
                .count();
            if mode == Mode::Polling {
                assert_eq!(websockets, 0, "{session:#?}");
                assert!(
                    session.iter().any(|a| a.method == "POST"),
                    "POSTs: {session:#?}"
                );
            } else {
                assert_eq!(websockets, 1, "one upgrade: {session:#?}");
                assert!(
                    session
                        .iter()
                        .any(|a| a.status == 101 && a.query("transport") == Some("websocket")),
                    "{session:#?}"
                );
            }
        }
    }
}

#[test]
fn cluster_over_websocket() {
    session(Mode::WebSocket);
}

#[test]
fn cluster_over_polling() {
    session(Mode::Polling);
}

#[test]
fn cluster_upgraded_from_polling() {
    session(Mode::Upgrade);
}

/// Heartbeats through nginx for over 30 s, on three sessions at once (one per Transports
/// setting, each its own Engine.IO connection, spread by round robin): with a ping every second
/// each node must see 31 heartbeats of its session, which takes at least 30 s, while no session
/// ends; afterwards each still carries an echo and the access log is clean.
#[test]
fn cluster_heartbeats_for_30_seconds_on_every_transport() {
    let mut node = ServerOptions::new(Flavor::Sio4);
    node.ping_interval_ms = Some(1000);
    node.ping_timeout_ms = Some(5000);
    node.extra_args.push("--heartbeats".into());
    let mut cluster = Cluster::start(NODES, node);

    let modes = [Mode::WebSocket, Mode::Polling, Mode::Upgrade];
    let sessions: Vec<(Mode, Object, Joined)> = modes
        .into_iter()
        .map(|mode| {
            let obj = client_over(mode, &["echo"]);
            connect(&obj, &cluster.url("/"));
            let home = joined(&cluster, &obj, "/", mode);
            (mode, obj, home)
        })
        .collect();

    const BEATS: usize = 31;
    for (mode, obj, home) in &sessions {
        let beat = format!(r#"{{"type":"heartbeat","engine":"{}","#, home.engine);
        for n in 0..BEATS {
            // The server pings every second: the n-th heartbeat comes about n s in.
            let got = cluster.nodes[home.node]
                .wait_line(WAIT + Duration::from_secs(40), |l| l.starts_with(&beat));
            assert!(
                got.is_some(),
                "{mode:?}: only {n} heartbeats; events: {:?}",
                obj.seen()
            );
        }
    }
    let mut homes = Vec::new();
    for (mode, obj, home) in sessions {
        echo(&obj, &format!("жив после {BEATS} пингов"));
        // Every event before the echo was looked at: a Close or Reconnecting would be here.
        assert!(
            !obj.seen().iter().any(is_connection),
            "{mode:?}: the session must not have ended: {:?}",
            obj.seen()
        );
        obj.done().unwrap();
        expect_goodbye(&cluster, home.node, "/");
        homes.push((mode, home));
    }

    let log = clean_access_log(&mut cluster);
    for (mode, home) in &homes {
        let mine = requests_of(&log, &home.engine);
        let addr = cluster.node_addr(home.node);
        assert!(
            mine.iter().all(|a| a.upstream == addr),
            "{mode:?}: left its node: {mine:#?}"
        );
        if *mode == Mode::Polling {
            // Each heartbeat is a ping on a GET and a pong in a POST, through nginx.
            let posts = mine.iter().filter(|a| a.method == "POST").count();
            assert!(posts >= BEATS, "{posts} POSTs: {mine:#?}");
        }
    }
}

/// One HTTP/1.1 request to 127.0.0.1:`port` with `Connection: close`; returns the head of the
/// answer (status line and headers).
fn http_get(port: u16, path: &str, cookie: Option<&str>) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to nginx");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{cookie}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The rig: a handshake without the cookie goes round robin (three in a row reach the three
/// nodes) and its answer sets a cookie naming the node; with the cookie, every request goes to
/// the node it names.
#[test]
fn the_cluster_routes_round_robin_and_then_by_cookie() {
    let mut cluster = Cluster::start(NODES, ServerOptions::new(Flavor::Sio4));
    let handshake = "/socket.io/?EIO=4&transport=polling";
    let port = cluster.nginx.port();
    let mut named = Vec::new();
    for _ in 0..NODES {
        let head = http_get(port, handshake, None);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let cookie = head
            .lines()
            .find_map(|l| l.strip_prefix("Set-Cookie: sticky="))
            .unwrap_or_else(|| panic!("no sticky cookie: {head}"));
        named.push(cookie.split(';').next().unwrap_or_default().to_owned());
    }
    named.sort();
    assert_eq!(named, ["n1", "n2", "n3"], "round robin over the nodes");
    for _ in 0..NODES {
        let head = http_get(port, handshake, Some("sticky=n2"));
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains("Set-Cookie: sticky=n2;"), "{head}");
    }
    cluster.nginx.stop();
    let log = cluster.nginx.access_log();
    assert_eq!(log.len(), 2 * NODES, "{log:#?}");
    let by_cookie: Vec<&str> = log[NODES..].iter().map(|a| a.upstream.as_str()).collect();
    assert_eq!(by_cookie, vec![cluster.node_addr(1).as_str(); NODES]);
}
