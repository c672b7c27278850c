//! The round-trip demo: the add-in loaded the way 1C loads it, talking to the example chat
//! server.
//!
//! Run from the repository root (node must be installed; the server's npm packages are
//! installed on first use):
//!
//! ```text
//! cargo run --example demo
//! ```
//!
//! It starts `examples/server/chat-server.js` on a free loopback port, loads
//! `libsocketio1c.so` through the C ABI with the 1C host emulator (`testkit::host`: the same
//! calls, in the same order, as 1C:Enterprise), creates a `Client`, subscribes, connects, sends
//! a chat message and disconnects, printing every external event the way 1C's message window
//! would show `Сообщить(Событие); Сообщить(Данные);`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use testkit::host::{library, Event, HostOptions, Object, V};
use testkit::servers::install;

/// How long to wait for each expected event before giving up.
const WAIT: Duration = Duration::from_secs(20);

/// The chat server, killed when dropped.
struct ChatServer(Child);

impl Drop for ChatServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the example server on a free port and returns it with the port it listens on.
fn start_chat_server() -> Result<(ChatServer, u16), String> {
    install::ensure_node_modules();
    let script = install::repo_root().join("examples/server/chat-server.js");
    let mut child = Command::new(install::node_program())
        .arg(&script)
        .args(["--port", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start node {}: {e}", script.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = ChatServer(child);
    let mut lines = BufReader::new(stdout).lines();
    let first = lines
        .next()
        .ok_or("the chat server exited")?
        .map_err(|e| e.to_string())?;
    let port = first
        .strip_prefix("LISTENING ")
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(|| format!("unexpected first line from the chat server: {first}"))?;
    // Keep reading the server's log so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok((server, port))
}

/// Prints one event as 1C's message window shows it.
fn show(event: &Event) {
    println!("{}\n{}", event.event, event.data);
}

/// Waits for the next event matching `want`, printing every event on the way.
fn expect(client: &Object, what: &str, want: impl Fn(&Event) -> bool) -> Result<(), String> {
    loop {
        let event = client
            .next_event(WAIT)
            .ok_or_else(|| format!("no {what} within {WAIT:?}"))?;
        show(&event);
        if want(&event) {
            return Ok(());
        }
    }
}

fn run() -> Result<(), String> {
    let (_server, port) = start_chat_server()?;
    let url = format!("ws://127.0.0.1:{port}/");
    println!(
        "// chat server on {url}; the add-in: {}",
        testkit::host::addin_path().display()
    );

    let client = library().create("Client", &HostOptions::default())?;
    let version = client.get("Версия").map_err(|e| e.to_string())?;
    println!(
        "// Клиент = Новый(\"AddIn.SocketIO.Client\");  Версия = {}",
        version.as_str().unwrap_or("?")
    );
    for name in ["greeting", "new message"] {
        client
            .call("Подписаться", &[V::from(name)])
            .map_err(|e| e.to_string())?;
    }
    println!("// Клиент.Подключиться(\"{url}\");");
    client
        .call("Подключиться", &[V::from(url.as_str())])
        .map_err(|e| e.to_string())?;
    expect(&client, "Open", |e| e.data == r#"{"Connection": "Open"}"#)?;
    expect(&client, "the greeting", |e| {
        e.event.contains(r#""Name": "greeting""#)
    })?;

    println!("// Клиент.Отправить(\"new message\", \"Привет из 1С!\");");
    client
        .call(
            "Отправить",
            &[V::from("new message"), V::from("Привет из 1С!")],
        )
        .map_err(|e| e.to_string())?;
    expect(&client, "the chat message", |e| {
        e.event.contains(r#""Name": "new message""#)
    })?;

    println!("// Клиент.Отключиться();");
    client.call("Отключиться", &[]).map_err(|e| e.to_string())?;
    expect(&client, "Close", |e| e.data == r#"{"Connection": "Close"}"#)?;
    client.done()
}

fn main() {
    if let Err(err) = run() {
        eprintln!("demo failed: {err}");
        std::process::exit(1);
    }
}
