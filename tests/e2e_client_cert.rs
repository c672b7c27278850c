//! Mutual TLS end to end: the add-in, loaded through its C ABI by the host emulator, against a
//! socket.io 4 server over https that requires a client certificate issued by a CA made at test
//! time and prints the subject it received (`tls-client` lines).
//!
//! Every form `ClientCertificate` takes (PKCS#12 as OpenSSL 3, Windows' 3DES and OpenSSL 1.x's
//! RC2 write it; a PEM file; PEM text), RSA and ECDSA keys, over websocket and polling; and each
//! failure in words that say what to change: a wrong password, no key, a key of another
//! certificate, no certificate set, a certificate the server does not trust.

mod common;

use common::{
    connect, english_client as client, expect_fail, fail_reason, is_message, russian_client,
    wait_for_lines, Mode, WAIT,
};
use testkit::host::{Object, V};
use testkit::servers::{ClientKey, Flavor, Server, ServerOptions, TestCerts};

/// A server that requires a client certificate from `certs`' CA.
fn mutual_tls_server(certs: &TestCerts) -> Server {
    Server::start(
        ServerOptions::new(Flavor::Sio4)
            .with_tls(certs)
            .requiring_client_certificates(certs),
    )
}

/// An English client that trusts `certs`' CA, without reconnection.
fn trusting_client(certs: &TestCerts) -> Object {
    let obj = client();
    obj.set("CACertificate", V::from(certs.ca_pem().as_str()))
        .unwrap();
    obj
}

/// The subjects of the client certificates the server accepted, in order.
fn accepted_subjects(server: &Server) -> Vec<String> {
    server
        .lines()
        .iter()
        .filter(|l| l.starts_with(r#"{"type":"tls-client""#))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["authorized"], true, "{l}");
            v["subject"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

/// Waits until the server printed a `tls-client` line for `subject`.
fn wait_accepted(server: &Server, subject: &str) {
    let line = format!(r#"{{"type":"tls-client","subject":"{subject}","authorized":true}}"#);
    server
        .wait_line(WAIT, |l| l == line)
        .unwrap_or_else(|| panic!("the server never accepted {subject}: {:?}", server.lines()));
}

#[test]
fn every_form_of_client_certificate_opens_with_rsa_and_ecdsa_keys() {
    let certs = TestCerts::generate();
    let server = mutual_tls_server(&certs);
    for (key, name) in [
        (ClientKey::Rsa, "1c-rsa"),
        (ClientKey::EcdsaP256, "1c-ecdsa"),
    ] {
        let cert = certs.client(name, key);
        let pem_text = cert.pem_text();
        let forms = [
            ("PKCS#12 AES", cert.pfx.display().to_string(), true),
            ("PKCS#12 3DES", cert.pfx_3des.display().to_string(), true),
            ("PKCS#12 RC2", cert.pfx_rc2.display().to_string(), true),
            ("PEM file", cert.pem.display().to_string(), false),
            ("PEM text", pem_text, false),
        ];
        for (form, value, password) in forms {
            let obj = trusting_client(&certs);
            obj.set("ClientCertificate", V::from(value.as_str()))
                .unwrap();
            if password {
                obj.set("ClientCertificatePassword", V::from(cert.password.as_str()))
                    .unwrap();
            }
            obj.call("On", &[V::from("echo")]).unwrap();
            connect(&obj, &server.url("/"));
            wait_accepted(&server, name);
            obj.call("Send", &[V::from("echo"), V::from(form)]).unwrap();
            let echo = obj.wait_event(WAIT, is_message("echo")).expect("the echo");
            assert_eq!(echo.data, format!(r#"["echo","{form}"]"#), "{name} {form}");
            obj.done().unwrap();
        }
    }
    assert!(accepted_subjects(&server).len() >= 10);
}

#[test]
fn polling_offers_the_client_certificate_too() {
    let certs = TestCerts::generate();
    let server = mutual_tls_server(&certs);
    let cert = certs.client("1c-polling", ClientKey::EcdsaP256);
    let obj = trusting_client(&certs);
    obj.set("Transports", V::from(Mode::Polling.transports()))
        .unwrap();
    obj.set("ClientCertificate", V::from(cert.pem_text().as_str()))
        .unwrap();
    connect(&obj, &server.url("/"));
    let joined = server.wait_connect(WAIT, "/").expect("the namespace join");
    assert!(joined.contains(r#""transport":"polling""#), "{joined}");
    // Every HTTP connection of the session (the handshake and the long polls) showed it.
    let subjects = accepted_subjects(&server);
    assert!(
        !subjects.is_empty() && subjects.iter().all(|s| s == "1c-polling"),
        "{subjects:?}"
    );
    obj.done().unwrap();
}

#[test]
fn the_password_is_never_read_back() {
    let obj = client();
    obj.set("ClientCertificate", V::from("C:\\certs\\client.pfx"))
        .unwrap();
    obj.set("ClientCertificatePassword", V::from("секрет"))
        .unwrap();
    assert_eq!(
        obj.get("ClientCertificate").unwrap(),
        V::from("C:\\certs\\client.pfx")
    );
    assert_eq!(obj.get("ClientCertificatePassword").unwrap(), V::from(""));
    // Russian names reach the same properties.
    assert_eq!(
        obj.get("ПарольКлиентскогоСертификата").unwrap(),
        V::from("")
    );
    assert!(obj.set("ClientCertificate", V::I32(1)).is_err());
    obj.done().unwrap();
}

#[test]
fn a_wrong_password_says_so_in_english_and_russian() {
    let certs = TestCerts::generate();
    let server = mutual_tls_server(&certs);
    let cert = certs.client("1c-password", ClientKey::Rsa);
    let obj = trusting_client(&certs);
    obj.set(
        "ClientCertificate",
        V::from(cert.pfx.display().to_string().as_str()),
    )
    .unwrap();
    obj.set("ClientCertificatePassword", V::from("not the password"))
        .unwrap();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(
        why.contains("ClientCertificatePassword does not open it (wrong password)")
            && why.contains("client-1c-password.pfx"),
        "{why}"
    );
    // No password at all is a wrong password too.
    obj.set("ClientCertificatePassword", V::from("")).unwrap();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(why.contains("wrong password"), "{why}");

    let ru = russian_client();
    ru.set(
        "КлиентскийСертификат",
        V::from(cert.pfx_3des.display().to_string().as_str()),
    )
    .unwrap();
    ru.set("ПарольКлиентскогоСертификата", V::from("неверный"))
        .unwrap();
    let why = fail_reason(&ru, &server.url("/"));
    assert!(
        why.contains("ПарольКлиентскогоСертификата не подходит (неверный пароль)"),
        "{why}"
    );
    // The settings were refused before anything was dialled.
    assert!(accepted_subjects(&server).is_empty());
}

#[test]
fn a_certificate_without_its_key_or_with_another_key_is_refused_before_dialling() {
    let certs = TestCerts::generate();
    let server = mutual_tls_server(&certs);
    let alice = certs.client("alice", ClientKey::EcdsaP256);
    let bob = certs.client("bob", ClientKey::EcdsaP256);
    let obj = trusting_client(&certs);

    obj.set(
        "ClientCertificate",
        V::from(alice.cert.display().to_string().as_str()),
    )
    .unwrap();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(why.contains("contains no private key"), "{why}");

    let mismatched = format!(
        "{}{}",
        std::fs::read_to_string(&alice.cert).unwrap(),
        std::fs::read_to_string(&bob.key).unwrap()
    );
    obj.set("ClientCertificate", V::from(mismatched.as_str()))
        .unwrap();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(
        why.contains("the private key does not belong to the certificate")
            && why.contains("the PEM text"),
        "{why}"
    );

    let garbage = std::env::temp_dir().join(format!("socketio1c-cc-{}.pfx", std::process::id()));
    std::fs::write(&garbage, b"\x30\x03\x02\x01\x07").unwrap();
    obj.set(
        "ClientCertificate",
        V::from(garbage.display().to_string().as_str()),
    )
    .unwrap();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(
        why.contains("neither a PKCS#12 file (.pfx, .p12) nor PEM"),
        "{why}"
    );
    std::fs::remove_file(&garbage).unwrap();
    assert!(accepted_subjects(&server).is_empty());
}

#[test]
fn a_server_that_requires_a_certificate_says_so_when_none_is_set() {
    let certs = TestCerts::generate();
    let server = mutual_tls_server(&certs);
    for mode in [Mode::WebSocket, Mode::Polling] {
        let obj = trusting_client(&certs);
        obj.set("Transports", V::from(mode.transports())).unwrap();
        let why = expect_fail(&obj, &server.url("/"));
        assert!(
            why.contains("the server requires a client certificate: set ClientCertificate"),
            "{mode:?}: {why}"
        );
    }
    server
        .wait_line(WAIT, |l| l.starts_with(r#"{"type":"tls-client-error""#))
        .expect("the server refused the handshake");
    assert!(accepted_subjects(&server).is_empty());
}

#[test]
fn a_certificate_from_another_ca_is_refused_by_the_server() {
    let certs = TestCerts::generate();
    let server = mutual_tls_server(&certs);
    let other_ca = TestCerts::generate();
    let stranger = other_ca.client("stranger", ClientKey::Rsa);
    let obj = trusting_client(&certs);
    obj.set(
        "ClientCertificate",
        V::from(stranger.pem.display().to_string().as_str()),
    )
    .unwrap();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(
        why.contains("the server refused the client certificate")
            && why.contains("a certificate authority the server trusts"),
        "{why}"
    );
    assert!(accepted_subjects(&server).is_empty());
}

#[test]
fn the_log_names_both_certificates_and_never_the_password() {
    let certs = TestCerts::generate();
    let server = mutual_tls_server(&certs);
    let cert = certs.client("1c-logged", ClientKey::Rsa);
    let log = certs.dir.join("client.log");
    let obj = trusting_client(&certs);
    obj.set("LogFile", V::from(log.display().to_string().as_str()))
        .unwrap();
    obj.set(
        "ClientCertificate",
        V::from(cert.pfx.display().to_string().as_str()),
    )
    .unwrap();
    obj.set("ClientCertificatePassword", V::from(cert.password.as_str()))
        .unwrap();
    connect(&obj, &server.url("/"));
    let text = wait_for_lines(
        &log,
        &[
            r#"the server's certificate "CN=localhost" verified"#,
            r#"TLS client certificate offered when the server asks: "CN=1c-logged""#,
        ],
    );
    assert!(!text.contains(&cert.password), "{text}");
    obj.done().unwrap();
}
