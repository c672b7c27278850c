//! SystemCertificates: the operating system's trusted roots count besides the public ones and
//! CACertificate, unless switched off. On Linux the system store is the bundle that
//! `SSL_CERT_FILE` names and the directory that `SSL_CERT_DIR` names (as curl and OpenSSL read
//! them); this test points both at CAs it makes, so it is the only test in its process: the
//! add-in reads the store once, at the first TLS connection that wants it.

mod common;

use common::{connect, english_client as client, expect_fail};
use testkit::host::V;
use testkit::servers::{Flavor, Server, ServerOptions, TestCerts};

#[test]
fn the_system_store_is_trusted_unless_switched_off() {
    let by_file = TestCerts::generate();
    let by_dir = TestCerts::generate();
    let store =
        std::env::temp_dir().join(format!("socketio1c-system-certs-{}", std::process::id()));
    let dir = store.join("certs");
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = store.join("bundle.pem");
    std::fs::write(&bundle, by_file.ca_pem()).unwrap();
    std::fs::write(dir.join("company-ca.pem"), by_dir.ca_pem()).unwrap();
    // Before this process's first TLS connection (edition 2021: no other thread reads the
    // environment yet).
    std::env::set_var("SSL_CERT_FILE", &bundle);
    std::env::set_var("SSL_CERT_DIR", &dir);

    let file_server = Server::start(ServerOptions::new(Flavor::Sio4).with_tls(&by_file));
    let dir_server = Server::start(ServerOptions::new(Flavor::Sio4).with_tls(&by_dir));
    for (server, store) in [
        (&file_server, "SSL_CERT_FILE"),
        (&dir_server, "SSL_CERT_DIR"),
    ] {
        let obj = client();
        assert_eq!(
            obj.get("СертификатыОС").unwrap(),
            V::Bool(true),
            "on by default"
        );
        obj.call("Connect", &[V::from(server.url("/").as_str())])
            .unwrap();
        let open = obj
            .wait_event(common::WAIT, common::is_connection)
            .expect("a connection event");
        assert_eq!(
            open.event,
            common::OPEN,
            "a CA in {store} is trusted: {}",
            common::last_error(&obj)
        );
        obj.done().unwrap();
    }

    // Off: the public roots and CACertificate only.
    let obj = client();
    obj.set("SystemCertificates", V::Bool(false)).unwrap();
    let why = expect_fail(&obj, &file_server.url("/"));
    assert!(why.contains("certificate is not trusted"), "{why}");
    obj.done().unwrap();
    let obj = client();
    obj.set("SystemCertificates", V::Bool(false)).unwrap();
    obj.set("CACertificate", V::from(by_dir.ca_pem().as_str()))
        .unwrap();
    connect(&obj, &dir_server.url("/"));
    obj.done().unwrap();
    let _ = std::fs::remove_dir_all(&store);
}
