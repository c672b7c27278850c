//! A soak run (issue 18): many `Client` objects, loaded through the add-in's C ABI by the host
//! emulator as 1C loads them, each sending with acknowledgements at a modest rate, for half an
//! hour, against a socket.io 4 server that drops every connection and listens again every
//! minute. Not part of `cargo test` (`tests/bench_smoke.rs` runs a tiny one).
//!
//! ```text
//! cargo build --release --examples
//! nohup target/release/examples/soak > soak.log 2>&1 &      # 100 objects, 30 min, restart every 60 s
//! cargo run --release --example soak -- --objects 3 --duration 10 --restart-every 4 --down-ms 300
//! ```
//!
//! Flags: `--objects N` (100), `--duration S` (1800), `--restart-every S` (60), `--down-ms MS`
//! (1000: how long the server does not listen at a restart), `--send-every-ms MS` (1000, per
//! object: `SendWithAck("ack", "[n]", ack timeout)`, staggered over the objects), `--ack-timeout
//! S` (10), `--warmup S` (120: samples before it are not compared).
//!
//! This process is the 1C process: one thread (the 1C thread) creates the objects, connects
//! them, then every 20 ms takes each object's queued events, as 1C's idle loop does, and makes
//! the sends that are due. The server runs in a helper process (`server.rs`). Half-way between
//! restarts (when every object should be connected again) and at the end it prints one row:
//! resident memory (`VmRSS`), threads and open files (`/proc/self/fd`) of this process, the
//! objects connected, and the acknowledgement counts. At the end it stops sending, waits until
//! every send has its Ack event (at most the ack timeout plus 15 s) and every object is
//! connected, takes the last row, disconnects and destroys every object.
//!
//! It fails (exit code 1) when an invariant breaks:
//! - a `SendWithAck` Id without exactly one Ack event (Ok with the number sent, Timeout or
//!   Disconnected);
//! - an event other than Open, Close (TransportClose or TransportError at a restart, Normal after
//!   `Disconnect`), Reconnecting, Ack and Message: each is printed (the first 20) and counted;
//!   an exception from a call counts too;
//! - an object not connected at the end, an event dropped by the host, a host contract
//!   violation (`testkit::host`);
//! - resident memory, threads or open files not flat after the warm-up: the last row above the
//!   first row after the warm-up by more than [`RSS_SLACK`] (+ [`RSS_SLACK_MIB`]), or
//!   [`COUNT_SLACK`] threads or files.

#[path = "../bench/measure.rs"]
mod measure;
#[path = "../bench/opened.rs"]
mod opened;
mod server;
mod tally;

use std::time::{Duration, Instant};

use testkit::host::{library, HostOptions, Object, V};

use measure::{open_fds, status_field, Usage};
use server::RestartingServer;
use tally::{Tally, Waiting};

/// How often the 1C thread takes the events and makes the sends that are due.
const TICK: Duration = Duration::from_millis(20);

/// How long the end waits for the last Ack events beyond the ack timeout.
const DRAIN_MARGIN: Duration = Duration::from_secs(15);

/// How long a `Connect` or `Disconnect` may take to show its event.
const WAIT: Duration = Duration::from_secs(30);

/// Flat: the last row's RSS at most this much above the first row after the warm-up …
const RSS_SLACK: f64 = 0.10;
/// … plus this many MiB.
const RSS_SLACK_MIB: f64 = 4.0;
/// Flat: at most this many more threads or open files.
const COUNT_SLACK: u64 = 2;

struct Opts {
    objects: usize,
    duration: Duration,
    restart_every: Duration,
    down: Duration,
    send_every: Duration,
    ack_timeout_s: f64,
    warmup: Duration,
}

fn parse_args() -> Opts {
    let mut o = Opts {
        objects: 100,
        duration: Duration::from_secs(1800),
        restart_every: Duration::from_secs(60),
        down: Duration::from_millis(1000),
        send_every: Duration::from_millis(1000),
        ack_timeout_s: 10.0,
        warmup: Duration::from_secs(120),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        let num: f64 = v
            .parse()
            .ok()
            .filter(|n: &f64| *n > 0.0)
            .unwrap_or_else(|| panic!("{a} needs a number above 0, not {v}"));
        match a.as_str() {
            "--server-helper" => {
                server::helper(Duration::from_millis(num as u64));
                std::process::exit(0);
            }
            "--objects" => o.objects = num as usize,
            "--duration" => o.duration = Duration::from_secs_f64(num),
            "--restart-every" => o.restart_every = Duration::from_secs_f64(num),
            "--down-ms" => o.down = Duration::from_millis(num as u64),
            "--send-every-ms" => o.send_every = Duration::from_millis(num as u64),
            "--ack-timeout" => o.ack_timeout_s = num,
            "--warmup" => o.warmup = Duration::from_secs_f64(num),
            other => panic!("unknown flag {other}; see examples/soak/main.rs"),
        }
    }
    o
}

/// One row of the table.
struct Row {
    t_s: f64,
    rss_kib: u64,
    threads: u64,
    fds: u64,
    connected: usize,
    restarts: usize,
    sent: u64,
    ok: u64,
    timeout: u64,
    disconnected: u64,
    waiting: usize,
    unexpected: u64,
    cpu_s: f64,
}

impl Row {
    fn print(&self, label: &str) {
        println!(
            "| {label}{:.0} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            self.t_s,
            self.rss_kib as f64 / 1024.0,
            self.threads,
            self.fds,
            self.connected,
            self.restarts,
            self.sent,
            self.ok,
            self.timeout,
            self.disconnected,
            self.waiting,
            self.unexpected,
            self.cpu_s,
        );
    }
}

/// The 1C side: the objects, what each waits for, and the counts.
struct Soak {
    t0: Instant,
    objects: Vec<Object>,
    waiting: Vec<Waiting>,
    /// The next number each object sends.
    next_n: Vec<u64>,
    tally: Tally,
    restarts: usize,
    ack_timeout_s: f64,
}

impl Soak {
    fn t_s(&self) -> f64 {
        self.t0.elapsed().as_secs_f64()
    }

    /// Takes every queued event of every object; `closing`: after `Disconnect`.
    fn take_events(&mut self, closing: bool) {
        let t_s = self.t_s();
        for (i, obj) in self.objects.iter().enumerate() {
            let (tally, w) = (&mut self.tally, &mut self.waiting[i]);
            obj.take_events(Duration::ZERO, |raw| {
                tally.event(t_s, i, w, &raw.decode(), closing)
            });
        }
    }

    /// `SendWithAck("ack", "[n]", ack timeout)` on object `i`.
    fn send(&mut self, i: usize) {
        let n = self.next_n[i];
        self.next_n[i] += 1;
        let args = [
            V::from("ack"),
            V::from(format!("[{n}]").as_str()),
            V::F64(self.ack_timeout_s),
        ];
        match self.objects[i].call("SendWithAck", &args) {
            Ok(id) => {
                let id = id.as_f64().unwrap_or(0.0) as u64;
                self.tally.sent += 1;
                if self.waiting[i].acks.insert(id, n).is_some() {
                    let t_s = self.t_s();
                    self.tally
                        .unexpected(t_s, i, format!("SendWithAck returned Id {id} twice"));
                }
            }
            Err(e) => {
                let t_s = self.t_s();
                self.tally
                    .unexpected(t_s, i, format!("SendWithAck raised: {e}"));
            }
        }
    }

    fn waiting_acks(&self) -> usize {
        self.waiting.iter().map(|w| w.acks.len()).sum()
    }

    fn connected(&self) -> usize {
        self.waiting.iter().filter(|w| w.open).count()
    }

    fn row(&self) -> Row {
        Row {
            t_s: self.t_s(),
            rss_kib: status_field("VmRSS"),
            threads: status_field("Threads"),
            fds: open_fds() as u64,
            connected: self.connected(),
            restarts: self.restarts,
            sent: self.tally.sent,
            ok: self.tally.ok,
            timeout: self.tally.timeout,
            disconnected: self.tally.disconnected,
            waiting: self.waiting_acks(),
            unexpected: self.tally.unexpected,
            cpu_s: Usage::now().cpu_s,
        }
    }
}

fn main() {
    let o = parse_args();
    println!("# socketio1c soak");
    println!("machine: {}", measure::machine());
    println!("add-in: {}", testkit::host::addin_path().display());
    println!(
        "{} objects, {:.0} s, server restart every {:.0} s (not listening for {} ms), one \
         SendWithAck per object every {} ms (timeout {} s), warm-up {:.0} s",
        o.objects,
        o.duration.as_secs_f64(),
        o.restart_every.as_secs_f64(),
        o.down.as_millis(),
        o.send_every.as_millis(),
        o.ack_timeout_s,
        o.warmup.as_secs_f64(),
    );
    let mut server = RestartingServer::start(o.down);
    let mut soak = Soak {
        t0: Instant::now(),
        objects: Vec::new(),
        waiting: (0..o.objects).map(|_| Waiting::default()).collect(),
        next_n: vec![1; o.objects],
        tally: Tally::default(),
        restarts: 0,
        ack_timeout_s: o.ack_timeout_s,
    };
    soak.objects = (0..o.objects).map(|_| new_object(&server.url)).collect();
    for (obj, w) in soak.objects.iter().zip(&mut soak.waiting) {
        opened::wait_open(obj, WAIT);
        w.open = true;
        soak.tally.opens += 1;
    }
    let mut failures: Vec<String> = Vec::new();

    println!();
    println!("| t (s) | RSS (MiB) | threads | open files | connected | restarts | acks sent | Ok | Timeout | Disconnected | waiting | unexpected | CPU (s) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let t0 = Instant::now();
    soak.t0 = t0;
    let end = t0 + o.duration;
    let mut next_restart = t0 + o.restart_every;
    let mut next_row = t0 + o.restart_every / 2;
    let n = o.objects as u32;
    let mut next_send: Vec<Instant> = (0..n).map(|i| t0 + o.send_every * i / n).collect();
    let mut rows: Vec<Row> = Vec::new();
    let mut helper_gone = false;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if now >= next_restart {
            if server.restart() {
                soak.restarts += 1;
            } else if !helper_gone {
                helper_gone = true;
                failures.push("the server helper exited".into());
            }
            next_restart += o.restart_every;
        }
        soak.take_events(false);
        for (i, due) in next_send.iter_mut().enumerate() {
            if now >= *due {
                soak.send(i);
                // A late tick does not make a burst: the next send is one interval from now.
                *due = (*due + o.send_every).max(now);
            }
        }
        if now >= next_row {
            let row = soak.row();
            row.print("");
            rows.push(row);
            next_row += o.restart_every;
        }
        std::thread::sleep(TICK);
    }

    // The end: no more sends; every send's Ack event and every object connected again.
    let deadline = Instant::now() + Duration::from_secs_f64(o.ack_timeout_s) + DRAIN_MARGIN;
    while Instant::now() < deadline && (soak.waiting_acks() > 0 || soak.connected() < o.objects) {
        soak.take_events(false);
        std::thread::sleep(TICK);
    }
    let last = soak.row();
    last.print("end ");
    let missing = soak.waiting_acks();
    let not_connected = o.objects - soak.connected();
    let dropped: usize = soak.objects.iter().map(Object::dropped_events).sum();

    // Goodbye: Disconnect (Close/Normal expected), then 1C destroys each object.
    for (i, obj) in soak.objects.iter().enumerate() {
        if let Err(e) = obj.call("Disconnect", &[]) {
            failures.push(format!("object #{i}: Disconnect raised: {e}"));
        }
    }
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline && soak.waiting.iter().any(|w| !w.closed_normally) {
        soak.take_events(true);
        std::thread::sleep(TICK);
    }
    let not_closed = soak.waiting.iter().filter(|w| !w.closed_normally).count();
    for (i, obj) in std::mem::take(&mut soak.objects).into_iter().enumerate() {
        if let Err(e) = obj.done() {
            failures.push(format!("object #{i}: Done: {e}"));
        }
    }
    drop(server);

    let t = &soak.tally;
    println!();
    let after: Vec<&Row> = rows
        .iter()
        .filter(|r| r.t_s >= o.warmup.as_secs_f64())
        .chain([&last])
        .collect();
    let first = after[0];
    let max = |f: fn(&Row) -> u64| after.iter().map(|r| f(r)).max().unwrap_or(0);
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "after the warm-up (from t = {:.0} s, {} rows): RSS first {:.1} MiB, last {:.1} MiB, max \
         {:.1} MiB, trend {}; threads first {}, last {}, max {}; open files first {}, \
         last {}, max {}",
        first.t_s,
        after.len(),
        mib(first.rss_kib),
        mib(last.rss_kib),
        mib(max(|r| r.rss_kib)),
        trend(&after),
        first.threads,
        last.threads,
        max(|r| r.threads),
        first.fds,
        last.fds,
        max(|r| r.fds),
    );
    if mib(last.rss_kib) > mib(first.rss_kib) * (1.0 + RSS_SLACK) + RSS_SLACK_MIB {
        failures.push(format!(
            "resident memory grew from {:.1} to {:.1} MiB after the warm-up",
            mib(first.rss_kib),
            mib(last.rss_kib)
        ));
    }
    for (what, a, b) in [
        ("threads", first.threads, last.threads),
        ("open files", first.fds, last.fds),
    ] {
        if b > a + COUNT_SLACK {
            failures.push(format!("{what} grew from {a} to {b} after the warm-up"));
        }
    }
    println!(
        "acks: {} sent = {} Ok + {} Timeout + {} Disconnected + {missing} without an Ack event; \
         {} Ack events of no waiting send; {} Ok answers not the number sent",
        t.sent, t.ok, t.timeout, t.disconnected, t.stray_acks, t.wrong_answers
    );
    if missing > 0 {
        failures.push(format!("{missing} sends have no Ack event"));
    }
    if t.sent != t.ok + t.timeout + t.disconnected + missing as u64 {
        failures.push("the Ack events do not add up to the sends".into());
    }
    if t.ok == 0 {
        failures.push("no send was acknowledged".into());
    }
    let closes: Vec<String> = t.closes.iter().map(|(r, c)| format!("{r} {c}")).collect();
    println!(
        "connection events: {} Open (objects × (restarts + 1) = {}), Close: {}, {} Reconnecting; \
         {} Message events; {} restarts",
        t.opens,
        o.objects * (soak.restarts + 1),
        closes.join(", "),
        t.reconnecting,
        t.messages,
        soak.restarts,
    );
    if t.lost() == 0 && soak.restarts > 0 {
        failures.push("no restart was seen by any object".into());
    }
    println!("unexpected events: {}", t.unexpected);
    for u in &t.unexpected_seen {
        println!("  {u}");
    }
    if t.unexpected > 0 {
        failures.push(format!("{} unexpected events", t.unexpected));
    }
    if not_connected > 0 {
        failures.push(format!("{not_connected} objects not connected at the end"));
    }
    if not_closed > 0 {
        failures.push(format!(
            "{not_closed} objects without Close/Normal after Disconnect"
        ));
    }
    let violations = testkit::host::violations();
    println!(
        "host: {dropped} events dropped, {} contract violations",
        violations.len()
    );
    if dropped > 0 {
        failures.push(format!("the host dropped {dropped} events"));
    }
    failures.extend(violations);
    if failures.is_empty() {
        println!("result: PASS");
    } else {
        println!("result: FAIL");
        for f in &failures {
            println!("  {f}");
        }
        std::process::exit(1);
    }
}

/// A `Client` object for `url`, connecting, with nothing subscribed and no event history kept
/// (1C keeps none).
fn new_object(url: &str) -> Object {
    let obj = library()
        .create("Client", &HostOptions::default())
        .expect("create the Client object");
    obj.keep_history(false);
    obj.call("Connect", &[V::from(url)]).expect("Connect");
    obj
}

/// The least-squares slope of RSS over time, in KiB per minute (from 3 rows on).
fn trend(rows: &[&Row]) -> String {
    let n = rows.len() as f64;
    if rows.len() < 3 {
        return "n/a (fewer than 3 rows)".into();
    }
    let (mt, mr) = rows.iter().fold((0.0, 0.0), |(t, r), row| {
        (t + row.t_s / n, r + row.rss_kib as f64 / n)
    });
    let (cov, var) = rows.iter().fold((0.0, 0.0), |(c, v), row| {
        let dt = row.t_s - mt;
        (c + dt * (row.rss_kib as f64 - mr), v + dt * dt)
    });
    format!("{:+.1} KiB/min", cov / var.max(f64::MIN_POSITIVE) * 60.0)
}
