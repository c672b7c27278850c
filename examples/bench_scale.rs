//! Many `Client` objects in one process (issue 5): for 1, 100 and 1000 objects, each connected
//! to the real socket.io 4.8 server, measures the resident memory per idle object (VmRSS deltas),
//! the thread count of the process (it must not grow with the objects) and the time to connect
//! them all.
//!
//! ```text
//! nice -n 10 cargo run --release --example bench_scale               # 1, 100, 1000 objects
//! cargo run --release --example bench_scale -- --counts 1,10,100
//! ```
//!
//! Each count runs in a fresh child process (this example re-runs itself with `--child N URL`),
//! so that memory freed by an earlier count cannot hide a later count's cost. In the child:
//! 1. load the add-in and let its runtime start (one object created, connected, destroyed);
//!    read VmRSS and Threads: the baseline;
//! 2. create N objects (`Timeout` 60): "created" (the host emulator's own per-object state is
//!    in here too, about 1 KiB per object);
//! 3. `Connect` all, then wait for every Open: the connect time; idle 2 s; "connected".
//!
//! Each count runs twice: "all at once" (every `Connect` called, then every Open awaited: a
//! thousand dials in flight together) and "one at a time" (each Open awaited before the next
//! `Connect`). The memory of a dial in flight (TLS and HTTP state, tens of KiB) is freed when it
//! completes, but the allocator keeps the pages it once needed, so the first figure includes the
//! high-water mark of a thousand concurrent dials and the second is closer to what an idle
//! connection holds.
//!
//! Before the 1000 round the parent checks `MemAvailable` against the per-object figure of the
//! previous round and stops with a note rather than push a shared machine into swap.

#[path = "bench/measure.rs"]
mod measure;
#[path = "bench/opened.rs"]
mod opened;

use std::process::Command;
use std::time::{Duration, Instant};

use testkit::host::{library, HostOptions, Object, V};
use testkit::servers::{Server, ServerOptions};

use measure::{rss_bytes, status_field};
use opened::wait_open;

const WAIT: Duration = Duration::from_secs(120);

/// The two ways of connecting the objects, as the table names them.
const ALL_AT_ONCE: &str = "all at once";
const ONE_AT_A_TIME: &str = "one at a time";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let n: usize = args[1].parse().expect("--child N URL MODE");
        child(n, &args[2], args[3] == ONE_AT_A_TIME);
        return;
    }
    let counts: Vec<usize> = match args.iter().position(|a| a == "--counts") {
        Some(i) => args[i + 1]
            .split(',')
            .map(|c| c.parse().expect("--counts 1,100,1000"))
            .collect(),
        None => vec![1, 100, 1000],
    };
    println!("# socketio1c scale benchmark");
    println!("machine: {}", measure::machine());
    println!("add-in: {}", testkit::host::addin_path().display());
    let mut opts = ServerOptions::default();
    opts.extra_args.push("--quiet".into());
    let server = Server::start(opts);
    let url = server.url("/");
    println!();
    println!("| objects | connects | connect all (s) | connects/s | RSS per idle connected object (KiB) | of which: created, not connected (KiB) | of which: connection (KiB) | threads before → after |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut per_object_kib = 0.0;
    for n in counts {
        let available_kib = meminfo("MemAvailable") as f64;
        let projected = per_object_kib * n as f64;
        if projected > available_kib / 2.0 {
            println!(
                "| {n} | | not run: {:.0} MiB projected, {:.0} MiB available | | | | | |",
                projected / 1024.0,
                available_kib / 1024.0
            );
            continue;
        }
        for mode in [ALL_AT_ONCE, ONE_AT_A_TIME] {
            let exe = std::env::current_exe().expect("current_exe");
            let out = Command::new(exe)
                .args(["--child", &n.to_string(), &url, mode])
                .output()
                .expect("run the child");
            let text = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() {
                println!(
                    "| {n} | {mode} | child failed: {} | | | | | |",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                );
                continue;
            }
            let row = text.lines().last().unwrap_or_default().to_owned();
            println!("{row}");
            per_object_kib = row
                .split('|')
                .nth(5)
                .and_then(|c| c.trim().parse().ok())
                .unwrap_or(per_object_kib)
                .max(per_object_kib);
        }
    }
}

fn meminfo(field: &str) -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn new_object() -> Object {
    let obj = library()
        .create("Client", &HostOptions::default())
        .expect("create the Client object");
    obj.set("Timeout", V::from("60")).expect("Timeout");
    obj
}

/// One count, in a fresh process: prints one table row.
fn child(n: usize, url: &str, one_at_a_time: bool) {
    // Warm: the runtime's threads start with the first object; one connection warms the code.
    let warm = new_object();
    warm.call("Connect", &[V::from(url)]).expect("Connect");
    wait_open(&warm, WAIT);
    warm.done().expect("Done");
    std::thread::sleep(Duration::from_millis(500));
    let (rss0, threads0) = (rss_bytes(), status_field("Threads"));

    let objects: Vec<Object> = (0..n).map(|_| new_object()).collect();
    let rss_created = rss_bytes();

    let t0 = Instant::now();
    for obj in &objects {
        obj.call("Connect", &[V::from(url)]).expect("Connect");
        if one_at_a_time {
            wait_open(obj, WAIT);
        }
    }
    if !one_at_a_time {
        for obj in &objects {
            wait_open(obj, WAIT);
        }
    }
    let mode = if one_at_a_time {
        ONE_AT_A_TIME
    } else {
        ALL_AT_ONCE
    };
    let connect_s = t0.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let (rss1, threads1) = (rss_bytes(), status_field("Threads"));

    let kib = |bytes: u64| bytes as f64 / 1024.0 / n as f64;
    println!(
        "| {n} | {mode} | {connect_s:.3} | {:.0} | {:.1} | {:.1} | {:.1} | {threads0} → {threads1} |",
        n as f64 / connect_s,
        kib(rss1.saturating_sub(rss0)),
        kib(rss_created.saturating_sub(rss0)),
        kib(rss1.saturating_sub(rss_created)),
    );
    for obj in objects {
        obj.done().expect("Done");
    }
    testkit::host::assert_clean();
}
