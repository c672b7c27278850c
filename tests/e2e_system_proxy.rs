//! `Proxy = "system"` on Linux: the environment as curl reads it (`HTTPS_PROXY` for wss,
//! `HTTP_PROXY` for ws, `ALL_PROXY`, `NO_PROXY`), against the test CONNECT proxy. The only test
//! in its process: it sets the environment, which other threads must not be reading meanwhile.
//! (The Windows settings are read from the registry; their rules have unit tests in
//! `src/transport/system_proxy.rs`.)

mod common;

use common::{connect, english_client as client, expect_fail};
use testkit::host::V;
use testkit::proxy::{Proxy, ProxyOptions};
use testkit::servers::{Flavor, Server, ServerOptions, TestCerts};

/// Every spelling of the variables, cleared first: the machine may set some (the lower-case
/// names win over the upper-case ones).
const VARIABLES: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

#[test]
fn the_system_proxy_comes_from_the_environment() {
    for name in VARIABLES {
        std::env::remove_var(name);
    }
    let proxy = Proxy::start(ProxyOptions::default());
    let server = Server::start(ServerOptions::new(Flavor::Sio4));
    let certs = TestCerts::generate();
    let tls_server = Server::start(ServerOptions::new(Flavor::Sio4).with_tls(&certs));

    // Nothing set: system means direct.
    let obj = client();
    obj.set("Proxy", V::from("системный")).unwrap();
    assert_eq!(obj.get("Прокси").unwrap(), V::from("system"));
    connect(&obj, &server.url("/"));
    assert_eq!(proxy.tunnels(), 0);
    obj.done().unwrap();

    // ws:// goes through HTTP_PROXY.
    std::env::set_var("HTTP_PROXY", proxy.url());
    let obj = client();
    obj.set("Proxy", V::from("system")).unwrap();
    connect(&obj, &server.url("/"));
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].target, format!("127.0.0.1:{}", server.port()));
    obj.done().unwrap();

    // wss:// goes through HTTPS_PROXY (given without a scheme, as curl accepts it), not
    // HTTP_PROXY; TLS runs inside the tunnel.
    std::env::set_var("HTTP_PROXY", "http://127.0.0.1:1");
    std::env::set_var("https_proxy", format!("127.0.0.1:{}", proxy.port()));
    let obj = client();
    obj.set("Proxy", V::from("system")).unwrap();
    obj.set("CACertificate", V::from(certs.ca_pem().as_str()))
        .unwrap();
    connect(&obj, &tls_server.url("/"));
    assert_eq!(proxy.tunnels(), 2);
    obj.done().unwrap();

    // NO_PROXY exempts the server: directly, although HTTP_PROXY names a closed port.
    std::env::set_var("NO_PROXY", "localhost,127.0.0.0/8");
    let obj = client();
    obj.set("Proxy", V::from("system")).unwrap();
    connect(&obj, &server.url("/"));
    assert_eq!(proxy.tunnels(), 2);
    obj.done().unwrap();

    // A setting that cannot be used says where it came from, never its value.
    std::env::remove_var("NO_PROXY");
    std::env::set_var("HTTP_PROXY", "socks5://user:s3cret@127.0.0.1:1080");
    let obj = client();
    obj.set("Proxy", V::from("system")).unwrap();
    let why = expect_fail(&obj, &server.url("/"));
    assert!(
        why.contains("HTTP_PROXY") && why.contains("http://"),
        "{why}"
    );
    assert!(!why.contains("s3cret"), "{why}");
    obj.done().unwrap();
    for name in VARIABLES {
        std::env::remove_var(name);
    }
}
