//! Several Client objects on one server share one Engine.IO connection, as the JavaScript
//! client's manager does, each on its own namespace (issue 3, item 5). Driven through the C ABI
//! against real servers; the servers print the id of the Engine.IO connection each namespace
//! socket came on (`"engine"` in their `connect` lines), which is what the tests compare.

mod common;

use common::{
    ack_event, client, close, connect, is_ack, is_connection, is_message, reconnect_fast,
    send_with_ack, tick, OPEN, WAIT,
};
use testkit::host::{Object, V};
use testkit::servers::{Flavor, Server, ServerOptions};

/// The Engine.IO connection id of the next namespace socket that joined `nsp` (each call takes
/// the next `connect` line of `nsp`).
fn next_engine(server: &Server, nsp: &str) -> String {
    let line = server
        .wait_connect(WAIT, nsp)
        .unwrap_or_else(|| panic!("a connect line for {nsp}"));
    let v: serde_json::Value = serde_json::from_str(&line).expect("JSON line");
    v["engine"].as_str().expect("engine id").to_owned()
}

/// Waits for the server's report that `nsp` joined on Engine.IO connection `engine`. (On
/// Engine.IO 3 servers every connection joins `/` by itself, the version probe's too, so the
/// lines of `/` are not all ours: this looks for the one that matters.)
fn joined_on(server: &Server, nsp: &str, engine: &str) -> bool {
    let (nsp, engine) = (
        format!(r#""nsp":"{nsp}""#),
        format!(r#""engine":"{engine}""#),
    );
    server
        .wait_line(WAIT, |l| {
            l.starts_with(r#"{"type":"connect","#) && l.contains(&nsp) && l.contains(&engine)
        })
        .is_some()
}

/// An `echo` round trip on `obj`'s namespace.
fn echo(obj: &Object, text: &str) {
    obj.call("On", &[V::from("echo")]).unwrap();
    obj.call("Send", &[V::from("echo"), V::from(text)]).unwrap();
    let ev = obj
        .wait_event(WAIT, |e| is_message("echo")(e) && e.data.contains(text))
        .unwrap_or_else(|| panic!("echo {text}"));
    assert_eq!(ev.data, format!(r#"["echo","{text}"]"#));
}

/// Connects `root` to `/` and `chat` to `/chat` of `server`, checks that they share one
/// Engine.IO connection, and returns its id.
fn join_one_engine(server: &Server, root: &Object, chat: &Object) -> String {
    connect(root, &server.url("/"));
    connect(chat, &server.url("/chat"));
    let engine = next_engine(server, "/");
    assert_eq!(
        next_engine(server, "/chat"),
        engine,
        "one Engine.IO connection"
    );
    engine
}

/// An `echo` round trip on `obj`, which must never have seen its connection end (no connection
/// event but Open) while other objects came and went on the shared connection.
fn echo_undisturbed(obj: &Object, text: &str) {
    echo(obj, text);
    assert!(
        !obj.history()
            .iter()
            .any(|e| is_connection(e) && e.event != OPEN),
        "the namespace saw its connection end: {:?}",
        obj.history()
    );
}

/// `/chat` first, then `/` on a second object, then `/slow` on a third: one Engine.IO connection,
/// and each object's round trip stays on its namespace. `/` joining an open Engine.IO 3 session
/// gets the server's automatic reply that arrived before it attached.
fn three_namespaces_share(flavor: Flavor) {
    let server = Server::start(ServerOptions::new(flavor));
    let chat = client();
    connect(&chat, &server.url("/chat"));
    let root = client();
    connect(&root, &server.url("/"));
    let slow = client();
    connect(&slow, &server.url("/slow"));
    let engine = next_engine(&server, "/chat");
    assert!(
        joined_on(&server, "/", &engine),
        "{flavor:?}: / on another engine"
    );
    if matches!(flavor, Flavor::Sio1 | Flavor::Sio2) {
        // Every Engine.IO 3 connection has a `/` socket, so the line above proves little there;
        // the socket id of `/` is the Engine.IO connection's id on those servers.
        assert_eq!(root.get("SessionID").unwrap(), V::from(engine.as_str()));
    }
    assert!(
        joined_on(&server, "/slow", &engine),
        "{flavor:?}: /slow on another engine"
    );
    echo(&chat, "в чат");
    echo(&root, "в корень");
    echo(&slow, "медленно");
    for (obj, other) in [(&chat, "в корень"), (&root, "в чат"), (&slow, "в чат")] {
        assert!(
            !obj.history().iter().any(|e| e.data.contains(other)),
            "{flavor:?}: an event of another namespace"
        );
    }
    for obj in [&chat, &root, &slow] {
        obj.call("Disconnect", &[]).unwrap();
        let ev = obj.wait_event(WAIT, is_connection).expect("Close");
        assert_eq!(ev.event, close("Normal"));
    }
}

#[test]
fn namespaces_share_one_connection_on_socket_io_4() {
    three_namespaces_share(Flavor::Sio4);
}

#[test]
fn namespaces_share_one_connection_on_socket_io_4_with_eio3_allowed() {
    three_namespaces_share(Flavor::Sio4Eio3);
}

#[test]
fn namespaces_share_one_connection_on_socket_io_2() {
    three_namespaces_share(Flavor::Sio2);
}

#[test]
fn namespaces_share_one_connection_on_socket_io_1() {
    three_namespaces_share(Flavor::Sio1);
}

#[test]
fn namespaces_share_one_connection_on_python_socketio() {
    three_namespaces_share(Flavor::Python5);
}

#[test]
fn one_object_leaving_keeps_the_connection_of_the_others() {
    let server = Server::start(ServerOptions::default());
    let root = client();
    let chat = client();
    let engine = join_one_engine(&server, &root, &chat);

    chat.call("Disconnect", &[]).unwrap();
    assert_eq!(
        chat.wait_event(WAIT, is_connection).expect("Close").event,
        close("Normal")
    );
    server
        .wait_line(WAIT, |l| l.contains(r#""type":"disconnect","nsp":"/chat""#))
        .expect("the server saw /chat leave");
    echo_undisturbed(&root, "ещё здесь");

    // A namespace that left does not come back to the same Engine.IO connection.
    connect(&chat, &server.url("/chat"));
    assert_ne!(next_engine(&server, "/chat"), engine);
    echo(&chat, "снова");

    // Done on a shared object: the other goes on.
    drop(chat);
    echo_undisturbed(&root, "всё ещё здесь");
}

#[test]
fn different_settings_get_their_own_connections() {
    let server = Server::start(ServerOptions::default());
    let root = client();
    let chat = client();
    chat.set("Headers", V::from(r#"{"X-Tenant":"7"}"#)).unwrap();
    connect(&root, &server.url("/"));
    connect(&chat, &server.url("/chat"));
    let root_engine = next_engine(&server, "/");
    assert_ne!(next_engine(&server, "/chat"), root_engine);
    // The same namespace twice: two connections too (one socket per namespace and engine).
    let root2 = client();
    connect(&root2, &server.url("/"));
    assert_ne!(next_engine(&server, "/"), root_engine);
}

#[test]
fn a_lost_connection_closes_every_namespace_on_it_and_they_share_again() {
    let server = Server::start(ServerOptions::default());
    let root = client();
    let chat = client();
    for obj in [&root, &chat] {
        reconnect_fast(obj, 50, 200);
    }
    let first = join_one_engine(&server, &root, &chat);

    server.command(r#"{"cmd":"close-engines"}"#);
    for obj in [&root, &chat] {
        let ev = obj.wait_event(WAIT, is_connection).expect("Close");
        assert_eq!(ev.event, close("TransportClose"));
        let ev = obj
            .wait_event(WAIT, |e| is_connection(e) && e.event == OPEN)
            .expect("open again");
        assert_eq!(ev.event, OPEN);
    }
    let second = next_engine(&server, "/");
    assert_ne!(second, first);
    assert_eq!(
        next_engine(&server, "/chat"),
        second,
        "shared again after the reconnect"
    );
    echo(&root, "снова вместе");
    echo(&chat, "снова вместе");
}

#[test]
fn a_refused_namespace_leaves_the_shared_connection_to_the_others() {
    let server = Server::start(ServerOptions::default());
    let root = client();
    connect(&root, &server.url("/"));
    let engine = next_engine(&server, "/");

    let admin = client();
    admin.set("Auth", V::from(r#"{"token":"wrong"}"#)).unwrap();
    admin
        .call("Connect", &[V::from(server.url("/admin").as_str())])
        .unwrap();
    let fail = admin.wait_event(WAIT, is_connection).expect("Fail");
    assert_eq!(fail.event, r#"{"Event": "Connection","State": "Fail"}"#);
    server
        .wait_line(WAIT, |l| l.contains(r#""type":"refused","nsp":"/admin""#))
        .expect("the server refused /admin");

    echo_undisturbed(&root, "не задело");
    // The connection goes on taking namespaces.
    let chat = client();
    connect(&chat, &server.url("/chat"));
    assert!(joined_on(&server, "/chat", &engine));
}

#[test]
fn the_server_disconnecting_one_namespace_keeps_the_others() {
    let server = Server::start(ServerOptions::default());
    let root = client();
    let chat = client();
    join_one_engine(&server, &root, &chat);

    // `41` for /chat only (`disconnect-me` would close the whole Engine.IO connection).
    chat.call("Send", &[V::from("leave-me"), V::Empty]).unwrap();
    let ev = chat.wait_event(WAIT, is_connection).expect("Close");
    assert_eq!(ev.event, close("ServerDisconnect"));
    echo_undisturbed(&root, "я ещё здесь");
}

/// Floods on `/` and `/chat` at once over their shared connection: the engine hands each
/// namespace its own packets (in batches, one per run of socket reads), so each object gets every
/// one of its events once, in order, and then its flood's Ack, and nothing of the other's.
#[test]
fn floods_on_two_namespaces_of_one_connection_arrive_whole_and_in_order() {
    const N: i64 = 5_000;
    let server = Server::start(ServerOptions::default());
    let (root, chat) = (client(), client());
    join_one_engine(&server, &root, &chat);
    let objects = [&root, &chat];
    for obj in objects {
        // Room for the whole flood in the platform's event buffer (1C drops what overflows it).
        obj.set("EventBufferDepth", 2 * N as i32).unwrap();
        obj.call("On", &[V::from("tick")]).unwrap();
    }
    let flood = format!(r#"{{"n":{N}}}"#);
    let ids = objects.map(|obj| send_with_ack(obj, "flood", &flood, Some(120.0)));
    for (obj, id) in objects.into_iter().zip(ids) {
        let ack = obj
            .wait_event(WAIT, is_ack(id))
            .unwrap_or_else(|| panic!("the Ack of flood {id}"));
        assert_eq!(ack.event, ack_event(id, "flood", "Ok"));
        let history = obj.history();
        let ticks: Vec<i64> = history.iter().filter_map(tick).collect();
        assert_eq!(
            ticks,
            (0..N).collect::<Vec<i64>>(),
            "every tick once, in order"
        );
        let last_tick = history.iter().rposition(|e| tick(e).is_some());
        let ack_at = history.iter().position(is_ack(id));
        assert!(last_tick < ack_at, "the Ack after the last tick");
    }
}
