//! `wss://` verified end to end: the add-in, loaded through its C ABI by the host emulator,
//! against a socket.io 4 server whose certificate comes from a CA made at test time
//! (`TestCerts`: valid for 127.0.0.1, ::1 and localhost).
//!
//! Trusted (CACertificate as PEM text or as a file path, or VerifyCertificate = False) opens;
//! anything else fails with a Fail event, the reason in LastError and an Error event, and never
//! falls back to plain `ws://`.

mod common;

use common::{
    connect, english_client as client, expect_fail, fail_reason, is_connection, is_message,
    russian_client, CLOSE_NORMAL, WAIT,
};
use testkit::host::{Object, V};
use testkit::servers::{Flavor, Server, ServerOptions, TestCerts};

fn tls_server(certs: &TestCerts) -> Server {
    Server::start(ServerOptions::new(Flavor::Sio4).with_tls(certs))
}

/// Connects and asserts that the attempt opens.
fn expect_open(obj: &Object, url: &str) {
    connect(obj, url);
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(true));
}

/// No namespace connection reached the server: the client did not get through in any form.
fn assert_no_connection(server: &Server) {
    let connects: Vec<String> = server
        .lines()
        .into_iter()
        .filter(|l| l.starts_with(r#"{"type":"connect""#))
        .collect();
    assert!(connects.is_empty(), "the server saw {connects:?}");
}

#[test]
fn wss_with_the_ca_as_pem_text_opens_echoes_and_closes() {
    let certs = TestCerts::generate();
    let server = tls_server(&certs);
    let obj = client();
    obj.set("CACertificate", V::from(certs.ca_pem().as_str()))
        .unwrap();
    for name in ["greeting", "echo"] {
        obj.call("On", &[V::from(name)]).unwrap();
    }
    let url = server.url("/");
    assert!(url.starts_with("wss://127.0.0.1:"), "{url}");
    expect_open(&obj, &url);

    let greeting = obj
        .wait_event(WAIT, is_message("greeting"))
        .expect("the greeting");
    assert_eq!(greeting.data, r#"["greeting","Привет мир!"]"#);
    obj.call("Send", &[V::from("echo"), V::from("через TLS")])
        .unwrap();
    let echo = obj.wait_event(WAIT, is_message("echo")).expect("the echo");
    assert_eq!(echo.data, r#"["echo","через TLS"]"#);
    let got = server.wait_event(WAIT, "echo").expect("the server got it");
    assert!(got.contains(r#""args":["через TLS"]"#), "{got}");

    obj.call("Disconnect", &[]).unwrap();
    let close = obj.wait_event(WAIT, is_connection).expect("Close");
    assert_eq!(close.event, CLOSE_NORMAL);
    obj.done().unwrap();
}

#[test]
fn wss_with_the_ca_as_a_file_path_opens() {
    let certs = TestCerts::generate();
    let server = tls_server(&certs);
    let obj = client();
    let path = certs.ca_cert.display().to_string();
    obj.set("CACertificate", V::from(path.as_str())).unwrap();
    expect_open(&obj, &server.url("/"));
    server
        .wait_connect(WAIT, "/")
        .expect("the server saw the connection");
    obj.done().unwrap();
}

#[test]
fn wss_without_the_ca_fails_because_the_certificate_is_not_trusted() {
    let certs = TestCerts::generate();
    let server = tls_server(&certs);

    let obj = client();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(
        why.contains("the server's certificate is not trusted")
            && why.contains("unknown certificate authority")
            && why.contains("CACertificate"),
        "{why}"
    );

    // The same refusal in Russian for a Russian interface (the emulator's default).
    let ru = russian_client();
    let why = fail_reason(&ru, &server.url("/"));
    assert!(
        why.contains("сертификат сервера не является доверенным") && why.contains("СертификатУЦ"),
        "{why}"
    );

    // A different CA is no better than none.
    let other = TestCerts::generate();
    obj.set("CACertificate", V::from(other.ca_pem().as_str()))
        .unwrap();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(
        why.contains("the server's certificate is not trusted") && why.contains("CACertificate"),
        "{why}"
    );
    assert_no_connection(&server);
}

#[test]
fn verify_certificate_false_opens_without_the_ca() {
    let certs = TestCerts::generate();
    let server = tls_server(&certs);
    let obj = client();
    obj.set("VerifyCertificate", V::Bool(false)).unwrap();
    obj.call("On", &[V::from("echo")]).unwrap();
    expect_open(&obj, &server.url("/"));
    obj.call("Send", &[V::from("echo"), V::from("insecure")])
        .unwrap();
    let echo = obj.wait_event(WAIT, is_message("echo")).expect("the echo");
    assert_eq!(echo.data, r#"["echo","insecure"]"#);
    obj.done().unwrap();
}

#[test]
fn a_host_name_the_certificate_does_not_cover_fails() {
    // The certificate covers 127.0.0.1, ::1 and localhost; 127.0.0.2 is loopback too (Linux
    // and Windows route all of 127/8 locally) but not in the certificate.
    let certs = TestCerts::generate();
    let mut options = ServerOptions::new(Flavor::Sio4).with_tls(&certs);
    options.extra_args = vec!["--host".into(), "127.0.0.2".into()];
    let server = Server::start(options);
    let url = format!("wss://127.0.0.2:{}/", server.port());

    let obj = client();
    obj.set("CACertificate", V::from(certs.ca_pem().as_str()))
        .unwrap();
    let why = expect_fail(&obj, &url);
    assert!(
        why.contains("not trusted") && why.contains(r#"not valid for the host name "127.0.0.2""#),
        "{why}"
    );
    assert_no_connection(&server);

    // The control: the same server opens when the check is off, so the name was the reason.
    obj.set("VerifyCertificate", V::Bool(false)).unwrap();
    expect_open(&obj, &url);
    obj.done().unwrap();
}

#[test]
fn garbage_in_ca_certificate_fails_with_a_clear_last_error() {
    let certs = TestCerts::generate();
    let server = tls_server(&certs);
    let obj = client();
    let key_path = certs.server_key.display().to_string();
    for (ca, expected) in [
        ("not a certificate", "cannot read the CACertificate file"),
        (
            "-----BEGIN CERTIFICATE-----\n!!! not base64 !!!\n-----END CERTIFICATE-----\n",
            "is not valid PEM",
        ),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "cannot be used as a trusted root",
        ),
        (key_path.as_str(), "contains no certificate"),
    ] {
        obj.set("CACertificate", V::from(ca)).unwrap();
        let why = expect_fail(&obj, &server.url("/"));
        assert!(
            why.contains("CACertificate") && why.contains(expected),
            "{ca:?}: {why}"
        );
    }
    assert_no_connection(&server);
}

#[test]
fn wss_to_a_plain_server_fails_and_never_falls_back_to_ws() {
    let server = Server::start(ServerOptions::new(Flavor::Sio4));
    let url = server.url("/").replacen("ws://", "wss://", 1);
    let obj = client();
    obj.set("VerifyCertificate", V::Bool(false)).unwrap();
    let why = expect_fail(&obj, &url);
    assert!(why.contains("did not answer in TLS"), "{why}");
    assert_no_connection(&server);
}
