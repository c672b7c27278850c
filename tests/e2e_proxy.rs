//! The `Proxy` property end to end: the add-in, loaded through its C ABI by the host emulator,
//! reaches a real socket.io 4 server through `testkit::proxy` (an HTTP CONNECT proxy on a free
//! loopback port) over ws and wss; a proxy that wants credentials, refuses, cannot be reached or
//! answers nonsense ends the attempt with Fail, the reason in LastError and an Error event, and
//! the password never shows.

mod common;

use common::{
    connect, english_client as client, expect_fail, is_connection, is_message, last_error,
    CLOSE_NORMAL, WAIT,
};
use std::net::TcpListener;

use std::time::Duration;

use testkit::host::{Object, V};
use testkit::proxy::{base64, Outcome, Proxy, ProxyOptions};
use testkit::servers::{closed_port, Flavor, Server, ServerOptions, TestCerts};

/// Sends `echo` and waits for it to come back.
fn round_trip(obj: &Object, text: &str) {
    obj.call("Send", &[V::from("echo"), V::from(text)]).unwrap();
    let echo = obj.wait_event(WAIT, is_message("echo")).expect("the echo");
    assert_eq!(echo.data, format!(r#"["echo","{text}"]"#));
}

#[test]
fn ws_through_the_proxy_opens_and_the_proxy_saw_one_tunnel() {
    let server = Server::start(ServerOptions::new(Flavor::Sio4));
    let proxy = Proxy::start(ProxyOptions::default());
    let obj = client();
    // A websocket with the revision given: exactly one connection, so exactly one tunnel.
    obj.set("ProtocolVersion", V::from("4")).unwrap();
    obj.set("Transports", V::from("websocket")).unwrap();
    obj.set("Proxy", V::from(proxy.url().as_str())).unwrap();
    obj.call("On", &[V::from("echo")]).unwrap();
    connect(&obj, &server.url("/"));
    round_trip(&obj, "через прокси");
    obj.call("Disconnect", &[]).unwrap();
    let close = obj.wait_event(WAIT, is_connection).expect("Close");
    assert_eq!(close.event, CLOSE_NORMAL);

    let target = format!("127.0.0.1:{}", server.port());
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].target, target);
    assert_eq!(requests[0].host.as_deref(), Some(target.as_str()));
    assert_eq!(requests[0].authorization, None);
    assert_eq!(requests[0].outcome, Outcome::Tunnel);
    assert_eq!(proxy.tunnels(), 1);
    obj.done().unwrap();
}

#[test]
fn wss_through_the_proxy_verifies_the_servers_real_name() {
    let certs = TestCerts::generate();
    let server = Server::start(ServerOptions::new(Flavor::Sio4).with_tls(&certs));
    let proxy = Proxy::start(ProxyOptions::default());
    let obj = client();
    // A websocket with the revision given: exactly one connection, so exactly one tunnel.
    obj.set("ProtocolVersion", V::from("4")).unwrap();
    obj.set("Transports", V::from("websocket")).unwrap();
    obj.set("Proxy", V::from(proxy.url().as_str())).unwrap();
    obj.set("CACertificate", V::from(certs.ca_pem().as_str()))
        .unwrap();
    obj.call("On", &[V::from("echo")]).unwrap();
    // A DNS name: the proxy resolves it, and TLS inside the tunnel checks it against the
    // certificate (which covers localhost).
    let url = format!("wss://localhost:{}/", server.port());
    connect(&obj, &url);
    round_trip(&obj, "tls in a tunnel");
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].target, format!("localhost:{}", server.port()));
    assert_eq!(proxy.tunnels(), 1);

    // Without the CA the tunnel opens, and TLS inside it still refuses the certificate.
    let untrusting = client();
    untrusting
        .set("Proxy", V::from(proxy.url().as_str()))
        .unwrap();
    let why = expect_fail(&untrusting, &url);
    assert!(why.contains("certificate is not trusted"), "{why}");
    assert_eq!(proxy.tunnels(), 2);
    obj.done().unwrap();
}

#[test]
fn a_proxy_that_requires_credentials_opens_with_the_right_ones() {
    let server = Server::start(ServerOptions::new(Flavor::Sio4));
    let proxy = Proxy::start(ProxyOptions::with_credentials("user", "p@ss:w0rd"));
    let obj = client();
    // The password percent-encoded, as a URL needs it.
    obj.set(
        "Proxy",
        V::from(proxy.url_with("user:p%40ss%3Aw0rd").as_str()),
    )
    .unwrap();
    obj.call("On", &[V::from("echo")]).unwrap();
    connect(&obj, &server.url("/"));
    round_trip(&obj, "authorized");
    let requests = proxy.requests();
    assert_eq!(
        requests[0].authorization,
        Some(format!("Basic {}", base64(b"user:p@ss:w0rd")))
    );
    assert_eq!(requests[0].outcome, Outcome::Tunnel);
    obj.done().unwrap();
}

#[test]
fn wrong_or_missing_proxy_credentials_fail_with_407_and_never_show_the_password() {
    let server = Server::start(ServerOptions::new(Flavor::Sio4));
    let proxy = Proxy::start(ProxyOptions::with_credentials("user", "right"));
    let secret = "Wr0ngPassw0rd";
    let obj = client();
    obj.set(
        "Proxy",
        V::from(proxy.url_with(&format!("someone:{secret}")).as_str()),
    )
    .unwrap();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(
        why.contains("407") && why.contains("refused the user name or password"),
        "{why}"
    );
    assert!(
        why.contains(&format!("127.0.0.1:{}", proxy.port())),
        "{why}"
    );
    obj.set_language("ru");
    let why_ru = last_error(&obj);
    assert!(
        why_ru.contains("407") && why_ru.contains("прокси"),
        "{why_ru}"
    );
    for text in std::iter::once(why.as_str())
        .chain(std::iter::once(why_ru.as_str()))
        .chain(
            obj.history()
                .iter()
                .flat_map(|e| [e.event.as_str(), e.data.as_str()])
                .collect::<Vec<_>>(),
        )
    {
        assert!(
            !text.contains(secret) && !text.contains("someone"),
            "the credentials leaked: {text}"
        );
    }

    // No credentials at all: the text says what to add.
    let bare = client();
    bare.set("Proxy", V::from(proxy.url().as_str())).unwrap();
    let why = expect_fail(&bare, &server.url("/"));
    assert!(
        why.contains("407") && why.contains("requires authentication"),
        "{why}"
    );
    let outcomes: Vec<Outcome> = proxy.requests().iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [Outcome::AuthRequired, Outcome::AuthRequired]);
    assert!(server.wait_connect(Duration::ZERO, "/").is_none());
}

#[test]
fn an_unreachable_proxy_fails() {
    let server = Server::start(ServerOptions::new(Flavor::Sio4));
    let port = closed_port();
    let obj = client();
    obj.set(
        "Proxy",
        V::from(format!("http://127.0.0.1:{port}").as_str()),
    )
    .unwrap();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(
        why.contains(&format!("could not connect to the proxy 127.0.0.1:{port}")),
        "{why}"
    );
}

#[test]
fn a_proxy_that_cannot_reach_the_server_fails_with_its_status() {
    let proxy = Proxy::start(ProxyOptions::default());
    let port = closed_port();
    let obj = client();
    obj.set("Proxy", V::from(proxy.url().as_str())).unwrap();
    let why = expect_fail(&obj, &format!("ws://127.0.0.1:{port}/"));
    assert!(
        why.contains(&format!("refused to open a tunnel to 127.0.0.1:{port}"))
            && why.contains("HTTP 502 Bad Gateway"),
        "{why}"
    );
    assert_eq!(proxy.requests()[0].outcome, Outcome::BadGateway);
}

#[test]
fn a_proxy_answer_that_is_not_http_fails_as_malformed() {
    let proxy = Proxy::start(ProxyOptions::answering("SSH-2.0-OpenSSH_9.6\r\n\r\n"));
    let obj = client();
    obj.set("Proxy", V::from(proxy.url().as_str())).unwrap();
    let why = expect_fail(&obj, &format!("ws://127.0.0.1:{}/", closed_port()));
    assert!(
        why.contains("did not answer CONNECT properly")
            && why.contains(r#"is not HTTP: "SSH-2.0-OpenSSH_9.6""#),
        "{why}"
    );
}

#[test]
fn a_proxy_that_never_answers_fails_within_the_timeout() {
    // Accepts TCP (the backlog does) and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let obj = client();
    obj.set("Timeout", V::I32(1)).unwrap();
    obj.set(
        "Proxy",
        V::from(format!("http://127.0.0.1:{port}").as_str()),
    )
    .unwrap();
    let why = expect_fail(&obj, &format!("ws://127.0.0.1:{}/", closed_port()));
    assert!(why.contains("timeout"), "{why}");
    drop(silent);
}

#[test]
fn polling_and_the_upgrade_go_through_the_proxy_too() {
    let server = Server::start(ServerOptions::new(Flavor::Sio4));
    let proxy = Proxy::start(ProxyOptions::default());
    let obj = client();
    obj.set("Proxy", V::from(proxy.url().as_str())).unwrap();
    obj.set("Transports", V::from("polling,websocket")).unwrap();
    obj.call("On", &[V::from("echo")]).unwrap();
    connect(&obj, &server.url("/"));
    round_trip(&obj, "опрос через прокси");
    obj.call("Disconnect", &[]).unwrap();
    let close = obj.wait_event(WAIT, is_connection).expect("Close");
    assert_eq!(close.event, CLOSE_NORMAL);

    // Every HTTP request and the websocket went through a tunnel to the server, none around it.
    let target = format!("127.0.0.1:{}", server.port());
    let requests = proxy.requests();
    assert!(
        requests.len() >= 2,
        "polling and the upgrade need several connections: {requests:?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.target == target && r.outcome == Outcome::Tunnel),
        "{requests:?}"
    );
    obj.done().unwrap();
}
