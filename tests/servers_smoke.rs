//! Smoke tests of the test servers themselves (`testkit::servers`), with no client library:
//! every flavor starts, listens on a free port and answers the Engine.IO revision it should, the
//! flags reach it, its stdout lines and stdin commands work, and TLS and restart work. The
//! `selftest_*` tests run `tests/servers/selftest.js`, which checks every handler of every flavor
//! with the official JavaScript clients.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use testkit::servers::{install, Flavor, Server, ServerOptions, TestCerts};

const WAIT: Duration = Duration::from_secs(10);

/// One HTTP/1.0 request over a plain `TcpStream` (HTTP/1.0, so the body simply ends at close):
/// returns the status code and the body.
fn http(port: u16, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read the response");
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(&resp)));
    let status_line = String::from_utf8_lossy(&resp[..split]).into_owned();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    (status, resp[split + 4..].to_vec())
}

fn get(port: u16, path: &str) -> (u16, String) {
    let (status, body) = http(port, "GET", path, b"");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The `sid` of an open packet in `body`.
fn sid_of(body: &str) -> String {
    let start = body.find("\"sid\":\"").expect("sid in the open packet") + 7;
    let end = body[start..].find('"').unwrap() + start;
    body[start..end].to_string()
}

/// True for an Engine.IO 3 text payload that starts with the open packet: `<len>:0{`.
fn is_eio3_text_open(body: &str) -> bool {
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && body[digits..].starts_with(":0{")
}

/// One packet as an Engine.IO 3 text payload, `<length>:<packet>`. The length counts UTF-16
/// code units. socket.io 1.7.4 (engine.io 1.8) differs: it runs `utf8.encode` on text packets
/// before framing and `utf8.decode` after, so over polling a packet travels as its UTF-8 bytes,
/// each written as one character (UTF-8 encoded twice on the wire), and the length counts bytes.
fn eio3_text_payload(flavor: Flavor, packet: &str) -> String {
    if flavor == Flavor::Sio1 {
        let twice: String = packet.bytes().map(char::from).collect();
        format!("{}:{twice}", packet.len())
    } else {
        format!("{}:{packet}", packet.encode_utf16().count())
    }
}

fn start(flavor: Flavor) -> Server {
    Server::start(ServerOptions {
        ping_interval_ms: Some(2000),
        ping_timeout_ms: Some(1200),
        ..ServerOptions::new(flavor)
    })
}

/// The checks every flavor shares: LISTENING, URLs, the flags in the open packet, a raw
/// polling session that joins "/" (the connect line), a stdin emit that reaches it, an event
/// line, and a command error.
fn common_checks(server: &Server, eio: u8) {
    let port = server.port();
    assert_ne!(port, 0);
    assert!(server.lines()[0].starts_with("LISTENING "));
    assert_eq!(server.url("/chat"), format!("ws://127.0.0.1:{port}/chat"));
    assert_eq!(server.http_url(""), format!("http://127.0.0.1:{port}"));

    let b64 = if eio == 3 { "&b64=1" } else { "" };
    let base = format!("/socket.io/?EIO={eio}&transport=polling{b64}");
    let (status, open) = get(port, &base);
    assert_eq!(status, 200, "{open}");
    assert!(open.contains("\"pingInterval\":2000"), "{open}");
    assert!(open.contains("\"pingTimeout\":1200"), "{open}");
    let sid = sid_of(&open);
    let session = format!("{base}&sid={sid}");

    // EIO4 clients join "/" with a CONNECT; EIO3 servers connect "/" by themselves.
    if eio == 4 {
        let (status, ok) = http(port, "POST", &session, b"40");
        // node answers "ok", python-engineio "OK".
        let ok = String::from_utf8_lossy(&ok).to_ascii_lowercase();
        assert_eq!((status, ok.as_str()), (200, "ok"));
    }
    let connect = server.wait_connect(WAIT, "/").expect("connect line");
    assert!(connect.contains("\"headers\":{"), "{connect}");
    // The `40` of "/" may ride with the open packet (socket.io 2.x) or come in the next poll.
    let (_, first) = get(port, &session);
    assert!(
        open.contains(":40") || first.contains("40"),
        "{open} / {first}"
    );

    server.emit("/", "news", r#"["Привет",{"n":1}]"#);
    let mut polled = first;
    for _ in 0..5 {
        if polled.contains("news") {
            break;
        }
        polled = get(port, &session).1;
    }
    assert!(polled.contains(r#"42["news","#), "{polled}");

    // An event from the client is reported, with its ack flag.
    let packet = r#"42["hello",1,"два"]"#;
    let event = if eio == 4 {
        packet.to_string()
    } else {
        eio3_text_payload(server.flavor(), packet)
    };
    let (status, ok) = http(port, "POST", &session, event.as_bytes());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&ok));
    let line = server.wait_event(WAIT, "hello").expect("event line");
    assert!(
        line.ends_with(r#","event":"hello","args":[1,"два"],"ack":false}"#),
        "{line}"
    );

    let err = server
        .command_wait(r#"{"cmd":"no-such-command"}"#, WAIT)
        .expect_err("an unknown command fails");
    assert!(err.contains("\"type\":\"error\""), "{err}");
}

#[test]
fn sio4_serves_eio4_only() {
    let server = start(Flavor::Sio4);
    let (status, body) = get(server.port(), "/socket.io/?EIO=4&transport=polling");
    assert_eq!(status, 200);
    assert!(
        body.starts_with("0{") && body.contains("\"maxPayload\""),
        "{body}"
    );
    let (status, body) = get(server.port(), "/socket.io/?EIO=3&transport=polling");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Unsupported protocol version"), "{body}");
    common_checks(&server, 4);
}

#[test]
fn sio4_eio3_serves_both() {
    let server = start(Flavor::Sio4Eio3);
    let (status, body) = get(server.port(), "/socket.io/?EIO=4&transport=polling");
    assert_eq!(status, 200);
    assert!(body.starts_with("0{"), "{body}");
    let (status, body) = get(server.port(), "/socket.io/?EIO=3&transport=polling&b64=1");
    assert_eq!(status, 200);
    assert!(is_eio3_text_open(&body), "{body}");
    common_checks(&server, 4);
    common_checks(&server, 3);
}

#[test]
fn sio2_serves_eio3_whatever_is_asked() {
    let server = start(Flavor::Sio2);
    for eio in ["3", "4"] {
        let path = format!("/socket.io/?EIO={eio}&transport=polling&b64=1");
        let (status, body) = get(server.port(), &path);
        assert_eq!(status, 200);
        assert!(is_eio3_text_open(&body), "EIO={eio}: {body}");
    }
    common_checks(&server, 3);
}

#[test]
fn sio1_serves_eio3_whatever_is_asked() {
    let server = start(Flavor::Sio1);
    let (status, body) = get(server.port(), "/socket.io/?EIO=3&transport=polling&b64=1");
    assert_eq!(status, 200);
    assert!(is_eio3_text_open(&body), "{body}");
    // Without b64=1, socket.io 1.7.4 answers with the binary payload even for text:
    // 0x00 (string), the length digit by digit, 0xFF, then the packet.
    let (status, body) = http(
        server.port(),
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        b"",
    );
    assert_eq!(status, 200);
    assert_eq!(body[0], 0x00, "{body:?}");
    let ff = body
        .iter()
        .position(|b| *b == 0xFF)
        .expect("0xFF after the length");
    assert!(body[1..ff].iter().all(|d| *d <= 9));
    assert!(body[ff + 1..].starts_with(b"0{"));
    common_checks(&server, 3);
}

#[test]
fn python5_serves_eio4_only() {
    let server = start(Flavor::Python5);
    let (status, body) = get(server.port(), "/socket.io/?EIO=4&transport=polling");
    assert_eq!(status, 200);
    assert!(body.starts_with("0{"), "{body}");
    let (status, body) = get(server.port(), "/socket.io/?EIO=3&transport=polling");
    assert_eq!(status, 400, "{body}");
    common_checks(&server, 4);
}

/// node checks the chain (our CA) and the IP address in the certificate, as a client would.
fn https_status_with_node(url: &str, ca: &std::path::Path) -> String {
    let script = "const https = require('https'); const fs = require('fs');\
        https.get(process.argv[1], { ca: fs.readFileSync(process.argv[2]) }, (res) => {\
          let b = ''; res.on('data', (d) => (b += d));\
          res.on('end', () => { console.log(res.statusCode + ' ' + b.slice(0, 2)); });\
        }).on('error', (e) => { console.log('error ' + e.code); });";
    let out = Command::new(install::node_program())
        .args(["-e", script, url])
        .arg(ca)
        .output()
        .expect("run node");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn tls_servers_present_the_test_certificate() {
    let certs = TestCerts::generate();
    let other = TestCerts::generate();
    for flavor in [Flavor::Sio4, Flavor::Sio1, Flavor::Python5] {
        let server = Server::start(ServerOptions::new(flavor).with_tls(&certs));
        assert!(server.is_tls());
        assert_eq!(
            server.url("/"),
            format!("wss://127.0.0.1:{}/", server.port())
        );
        let url = format!("{}?EIO=4&transport=polling", server.http_url("/socket.io/"));
        let expect = if flavor == Flavor::Sio1 {
            "200 "
        } else {
            "200 0{"
        };
        let trusted = https_status_with_node(&url, &certs.ca_cert);
        assert!(trusted.starts_with(expect), "{flavor}: {trusted}");
        let untrusted = https_status_with_node(&url, &other.ca_cert);
        assert!(untrusted.starts_with("error "), "{flavor}: {untrusted}");
    }
}

#[test]
fn restart_listens_again_on_the_same_port() {
    let server = Server::start(ServerOptions::new(Flavor::Sio2));
    let port = server.port();
    server.restart(Duration::from_millis(200));
    assert_eq!(server.port(), port);
    let (status, body) = get(port, "/socket.io/?EIO=3&transport=polling&b64=1");
    assert_eq!(status, 200);
    assert!(is_eio3_text_open(&body), "{body}");
}

#[test]
fn dropping_a_server_ends_its_process() {
    let server = Server::start(ServerOptions::new(Flavor::Sio4));
    let pid = server.pid();
    drop(server);
    // Reaped by Drop: no process (not even a zombie) has that pid any more.
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists() || cfg!(not(target_os = "linux"))
    );
}

fn selftest(flavor: Flavor) {
    install::ensure_node_modules();
    if flavor == Flavor::Python5 {
        install::ensure_python_venv();
    }
    let dir = install::servers_dir();
    let out = Command::new(install::node_program())
        .arg(dir.join("selftest.js"))
        .arg(flavor.name())
        .current_dir(&dir)
        .output()
        .expect("run selftest.js");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "selftest.js {flavor} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ok "), "{stdout}");
}

#[test]
fn selftest_sio4() {
    selftest(Flavor::Sio4);
}

#[test]
fn selftest_sio4_eio3() {
    selftest(Flavor::Sio4Eio3);
}

#[test]
fn selftest_sio2() {
    selftest(Flavor::Sio2);
}

#[test]
fn selftest_sio1() {
    selftest(Flavor::Sio1);
}

#[test]
fn selftest_python5() {
    selftest(Flavor::Python5);
}

/// The README demo server (`examples/server/chat-server.js`) runs with the test servers' node
/// modules, listens on a free port and greets in Russian.
#[test]
fn chat_example_server_listens() {
    use std::io::BufRead;
    install::ensure_node_modules();
    let script = install::repo_root().join("examples/server/chat-server.js");
    let mut child = Command::new(install::node_program())
        .arg(&script)
        .args(["--port", "0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start chat-server.js");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let port: u16 = first
        .trim()
        .strip_prefix("LISTENING ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("not a LISTENING line: {first:?}"));
    let (status, open) = get(port, "/socket.io/?EIO=4&transport=polling");
    let sid = sid_of(&open);
    let session = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    let (post, _) = http(port, "POST", &session, b"40");
    let (_, greeting) = get(port, &session);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!((status, post), (200, 200));
    assert!(greeting.contains("Привет мир!"), "{greeting}");
}

/// `--recovery` makes socket.io 4 send a `pid`, `--transports websocket` refuses polling, and
/// `--quiet` drops the event lines (not the connect lines).
#[test]
fn flags_recovery_transports_quiet() {
    let server = Server::start(ServerOptions {
        recovery: true,
        extra_args: vec!["--quiet".into()],
        ..ServerOptions::new(Flavor::Sio4)
    });
    let port = server.port();
    let (_, open) = get(port, "/socket.io/?EIO=4&transport=polling");
    let session = format!("/socket.io/?EIO=4&transport=polling&sid={}", sid_of(&open));
    http(port, "POST", &session, b"40");
    let (_, connected) = get(port, &session);
    assert!(
        connected.starts_with("40{\"sid\":\"") && connected.contains("\"pid\":\""),
        "{connected}"
    );
    http(port, "POST", &session, br#"42["quiet"]"#);
    server.wait_connect(WAIT, "/").expect("connect line");
    server
        .command_wait(r#"{"cmd":"disconnect-all"}"#, WAIT)
        .unwrap();
    server.wait_disconnect(WAIT, "/").expect("disconnect line");
    assert!(!server
        .lines()
        .iter()
        .any(|l| l.contains("\"type\":\"event\"")));

    for flavor in [Flavor::Sio4, Flavor::Sio2, Flavor::Python5] {
        let server = Server::start(ServerOptions {
            transports: Some("websocket".into()),
            ..ServerOptions::new(flavor)
        });
        let (status, body) = get(server.port(), "/socket.io/?EIO=4&transport=polling&b64=1");
        assert_eq!(status, 400, "{flavor}: {body}");
    }
}
