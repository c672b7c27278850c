//! The diagnostic log (`LogFile`, `LogLevel`): the connection's life at `info`, every packet
//! both ways at `debug`, one file shared by objects, never a secret, and a file that cannot be
//! written told once by an Error event while the connection goes on.

mod common;

use std::path::PathBuf;

use common::{
    connect, english_client as client, is_connection, is_error, wait_for_lines, CLOSE_NORMAL, WAIT,
};
use testkit::host::V;
use testkit::proxy::{Proxy, ProxyOptions};
use testkit::servers::{Flavor, Server, ServerOptions, TestCerts};

/// A file of its own for one test.
fn log_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("socketio1c-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn info_tells_the_connection_life_without_secrets() {
    let server = Server::start(ServerOptions::default());
    let proxy = Proxy::start(ProxyOptions::with_credentials("user", "s3cret-proxy"));
    let path = log_path("info.log");
    let obj = client();
    obj.set("ФайлЖурнала", V::from(path.to_str().unwrap()))
        .unwrap();
    assert_eq!(obj.get("LogLevel").unwrap(), V::from("info"));
    obj.set("EventSource", V::from("Чат")).unwrap();
    obj.set("Auth", V::from(r#"{"token":"s3cret-auth"}"#))
        .unwrap();
    obj.set("Headers", V::from(r#"{"X-Key":"s3cret-header"}"#))
        .unwrap();
    obj.set("Query", V::from(r#"{"key":"s3cret-query"}"#))
        .unwrap();
    obj.set(
        "Proxy",
        V::from(proxy.url_with("user:s3cret-proxy").as_str()),
    )
    .unwrap();
    connect(&obj, &format!("{}?token=s3cret-uri", server.url("/")));
    obj.call("Disconnect", &[]).unwrap();
    let close = obj.wait_event(WAIT, is_connection).expect("Close");
    assert_eq!(close.event, CLOSE_NORMAL);
    let text = wait_for_lines(
        &path,
        &[
            "connecting to ws://127.0.0.1:",
            &format!("proxy 127.0.0.1:{}", proxy.port()),
            "session ",
            "pingInterval",
            "open: namespace / joined, socket id ",
            "closed (Normal)",
        ],
    );
    assert!(
        text.lines()
            .all(|l| l.contains(" [Чат #") && l.ends_with(|c: char| c != ' ')),
        "{text}"
    );
    assert!(
        text.lines()
            .all(|l| l.starts_with("20") && l.as_bytes()[23] == b'Z'),
        "{text}"
    );
    for secret in [
        "s3cret-auth",
        "s3cret-header",
        "s3cret-query",
        "s3cret-uri",
        "s3cret-proxy",
    ] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
    assert!(!text.contains(" debug "), "{text}");
    obj.done().unwrap();
}

#[test]
fn debug_adds_every_packet_and_objects_share_a_file() {
    let server = Server::start(ServerOptions::default());
    let path = log_path("shared.log");
    let (a, b) = (client(), client());
    for obj in [&a, &b] {
        obj.set("LogFile", V::from(path.to_str().unwrap())).unwrap();
        obj.set("УровеньЖурнала", V::from("отладка")).unwrap();
        obj.set("Auth", V::from(r#"{"token":"s3cret-auth"}"#))
            .unwrap();
    }
    assert_eq!(a.get("LogLevel").unwrap(), V::from("debug"));
    connect(&a, &server.url("/"));
    connect(&b, &server.url("/chat"));
    a.call("Send", &[V::from("echo"), V::from("в журнал")])
        .unwrap();
    // Both ways: what arrived, and what went out (the CONNECTs' auth hidden).
    let text = wait_for_lines(
        &path,
        &[
            "<- 2[\"greeting\"",
            "<- 2/chat,[\"greeting\"",
            "-> 2[\"echo\",\"в журнал\"]",
            "-> 0 <auth hidden>",
            "-> 0/chat, <auth hidden>",
        ],
    );
    let numbers: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.split(" #").nth(1)?.split(']').next())
        .collect();
    assert_eq!(numbers.len(), 2, "two objects, two numbers: {text}");
    assert!(!text.contains("s3cret-auth"), "{text}");
    let err = a.set("LogLevel", V::from("verbose")).unwrap_err();
    assert!(err.to_string().contains("error"), "{err}");
    a.done().unwrap();
    b.done().unwrap();
}

#[test]
fn a_log_that_cannot_be_written_is_one_error_and_the_connection_goes_on() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    let missing = std::env::temp_dir()
        .join("socketio1c-no-such-dir")
        .join("x.log");
    obj.set("LogFile", V::from(missing.to_str().unwrap()))
        .unwrap();
    obj.call("On", &[V::from("echo")]).unwrap();
    connect(&obj, &server.url("/"));
    // Told when the connection starts: before or after Open (then among the events seen).
    let error = obj
        .seen()
        .into_iter()
        .find(is_error)
        .or_else(|| obj.wait_event(WAIT, is_error))
        .expect("an Error event");
    assert!(
        error.event.contains("cannot write the log file"),
        "{error:?}"
    );
    obj.call("Send", &[V::from("echo"), V::from("ещё жив")])
        .unwrap();
    obj.wait_event(WAIT, common::is_message("echo"))
        .expect("the connection goes on");
    let errors = obj.seen().iter().filter(|e| is_error(e)).count();
    assert_eq!(errors, 1, "one Error event: {:?}", obj.seen());
    obj.done().unwrap();
}

#[test]
fn tls_is_told_with_its_version() {
    let certs = TestCerts::generate();
    let server = Server::start(ServerOptions::new(Flavor::Sio4).with_tls(&certs));
    let path = log_path("tls.log");
    let obj = client();
    obj.set("LogFile", V::from(path.to_str().unwrap())).unwrap();
    obj.set("CACertificate", V::from(certs.ca_pem().as_str()))
        .unwrap();
    connect(&obj, &server.url("/"));
    wait_for_lines(
        &path,
        &[
            "TLS with 127.0.0.1: TLSv1_3",
            "the server's certificate \"CN=localhost\" verified",
        ],
    );
    obj.done().unwrap();
}
