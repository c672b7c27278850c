//! The floor under any client's inbound cost against the real socket.io 4.8 server: the
//! cheapest reader there is (one thread, blocking reads, no event handed anywhere) takes the
//! same `flood` of small `tick` events that `examples/bench` measures, and prints its events per
//! second of wall time and of CPU time. What it pays per event is the kernel's cost of receiving
//! the server's stream (one segment per event or so, an ACK per drained read, a sleep and a
//! wake-up per read) plus the websocket frame parsing, nothing else: no client can do less
//! without reading later on purpose (BENCHMARKS.md, "Where the time goes").
//!
//! ```text
//! cargo run --release --example read_floor -- --runs 5 --pin
//! ```
//!
//! Flags: `--runs R` (5, after one warm-up flood), `--inbound N` (200000), `--pin` (the server on
//! CPU 0, this process on CPU 1, as `bench --pin` does).

#[path = "bench/measure.rs"]
mod measure;

use std::net::TcpStream;
use std::time::Instant;

use async_tungstenite::tungstenite::{client, Message, Utf8Bytes, WebSocket};
use testkit::servers::{Flavor, Server, ServerOptions};

use measure::{pin, summary, Usage};

/// Events of the warm-up flood (the server's flood path gets optimised by node meanwhile).
const WARMUP_FLOOD: usize = 20_000;

fn main() {
    let (mut runs, mut n, mut pinned) = (5, 200_000, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = || -> usize {
            let v = args.next().unwrap_or_else(|| panic!("{a} needs a value"));
            v.parse().unwrap_or_else(|_| panic!("not a number: {v}"))
        };
        match a.as_str() {
            "--runs" => runs = num(),
            "--inbound" => n = num(),
            "--pin" => pinned = true,
            other => panic!("unknown flag {other}; see examples/read_floor.rs"),
        }
    }
    let mut opts = ServerOptions::new(Flavor::Sio4);
    opts.extra_args.push("--quiet".into());
    let server = Server::start(opts);
    if pinned {
        pin(server.pid(), 0);
        pin(std::process::id(), 1);
    }
    println!("# read floor: a blocking websocket reader, socket.io 4.8 server");
    println!("machine: {}", measure::machine());

    let mut ws = connect(server.port());
    flood(&mut ws, WARMUP_FLOOD.min(n));
    let (mut wall, mut cpu, mut kernel, mut switches) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let u0 = Usage::now();
        let t0 = Instant::now();
        flood(&mut ws, n);
        let wall_s = t0.elapsed().as_secs_f64();
        let used = Usage::now().since(u0);
        wall.push(n as f64 / wall_s);
        cpu.push(n as f64 / used.cpu_s);
        kernel.push(100.0 * used.sys_s / used.cpu_s);
        switches.push(1000.0 * used.vcsw as f64 / n as f64);
    }
    println!("{runs} runs of N={n}; median (min–max)");
    for (figure, xs) in [
        ("events/s (wall)", &wall),
        ("events per CPU-s", &cpu),
        ("kernel share of CPU (%)", &kernel),
        ("voluntary ctx switches per 1000 events", &switches),
    ] {
        let (med, min, max) = summary(xs);
        println!("| {figure} | {med:.0} ({min:.0}–{max:.0}) |");
    }
}

/// A websocket Engine.IO 4 session joined to the main namespace, with blocking reads.
fn connect(port: u16) -> WebSocket<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    tcp.set_nodelay(true).expect("TCP_NODELAY");
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = client(url, tcp).expect("websocket handshake");
    let open = next_text(&mut ws);
    assert!(open.starts_with('0'), "not an open packet: {open}");
    send(&mut ws, "40");
    while !next_text(&mut ws).starts_with("40") {}
    ws
}

/// Asks for a flood of `n` `tick` events and reads until the last one.
fn flood(ws: &mut WebSocket<TcpStream>, n: usize) {
    send(ws, &format!(r#"42["flood",{{"n":{n},"event":"tick"}}]"#));
    let mut got = 0;
    while got < n {
        let text = next_text(ws);
        got += usize::from(text.starts_with(r#"42["tick""#));
    }
}

/// The next text message (as received: no copy); answers the server's pings on the way.
fn next_text(ws: &mut WebSocket<TcpStream>) -> Utf8Bytes {
    loop {
        match ws.read().expect("read from the server") {
            Message::Text(text) if text.as_str() == "2" => send(ws, "3"),
            Message::Text(text) => return text,
            _ => {}
        }
    }
}

fn send(ws: &mut WebSocket<TcpStream>, text: &str) {
    ws.send(Message::text(text)).expect("write to the server");
}
