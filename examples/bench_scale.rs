//! Many `Client` objects in one process (issues 5 and 19): for 100 and 1000 objects, each
//! connected to the real socket.io 4.8 server (its default heartbeat: a ping every 25 s), measures
//! the resident memory per idle object (VmRSS deltas), the thread count of the process (it must
//! not grow with the objects), the time to connect them all, and what the idle objects cost over
//! `--idle` seconds (60): CPU seconds and wake-ups (context switches) per second, of the whole
//! process. The same for as many sockets of node's socket.io-client 4.8 (`forceNew`, one
//! process: tests/servers/bench/node-idle.js), in the same run, against the same server.
//!
//! ```text
//! nice -n 10 cargo run --release --example bench_scale               # 100, 1000 objects, 60 s idle
//! cargo run --release --example bench_scale -- --counts 1,10,100 --idle 5
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
//! `BENCH_SCALE_TRIM=1` also prints, per child, the connected RSS per object after glibc's
//! `malloc_trim`: how much of it is free memory the allocator kept (stderr).
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

use measure::{rss_bytes, status_field, Usage};
use opened::wait_open;

const WAIT: Duration = Duration::from_secs(120);

/// The two ways of connecting the objects, as the table names them.
const ALL_AT_ONCE: &str = "all at once";
const ONE_AT_A_TIME: &str = "one at a time";

/// What one side's N idle objects cost (one child process).
#[derive(Debug, Clone, Copy, Default)]
struct Idle {
    connect_s: f64,
    rss_base: f64,
    rss_created: f64,
    rss_connected: f64,
    cpu_s: f64,
    switches: f64,
    threads_before: u64,
    threads_after: u64,
}

impl Idle {
    /// From the child's last line: `IDLE` and the fields in order.
    fn parse(line: &str) -> Option<Idle> {
        let f: Vec<f64> = line
            .strip_prefix("IDLE ")?
            .split(' ')
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        let [connect_s, rss_base, rss_created, rss_connected, cpu_s, switches, before, after] =
            f[..]
        else {
            return None;
        };
        Some(Idle {
            connect_s,
            rss_base,
            rss_created,
            rss_connected,
            cpu_s,
            switches,
            threads_before: before as u64,
            threads_after: after as u64,
        })
    }

    fn line(&self) -> String {
        format!(
            "IDLE {} {} {} {} {} {} {} {}",
            self.connect_s,
            self.rss_base,
            self.rss_created,
            self.rss_connected,
            self.cpu_s,
            self.switches,
            self.threads_before,
            self.threads_after
        )
    }

    /// Resident KiB per object: (connected, of which created, of which the connection).
    fn kib_per_object(&self, n: usize) -> (f64, f64, f64) {
        let kib = |bytes: f64| bytes.max(0.0) / 1024.0 / n as f64;
        (
            kib(self.rss_connected - self.rss_base),
            kib(self.rss_created - self.rss_base),
            kib(self.rss_connected - self.rss_created),
        )
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let n: usize = args[1].parse().expect("--child N URL MODE IDLE_S");
        let idle = Duration::from_secs_f64(args[4].parse().expect("IDLE_S"));
        child(n, &args[2], args[3] == ONE_AT_A_TIME, idle);
        return;
    }
    let flag = |name: &str| {
        let i = args.iter().position(|a| a == name)?;
        Some(
            args.get(i + 1)
                .unwrap_or_else(|| panic!("{name} wants a value"))
                .clone(),
        )
    };
    let counts: Vec<usize> = flag("--counts").map_or(vec![100, 1000], |c| {
        c.split(',')
            .map(|c| c.parse().expect("--counts 100,1000"))
            .collect()
    });
    let idle_s: f64 = flag("--idle").map_or(60.0, |s| s.parse().expect("--idle SECONDS"));
    println!("# socketio1c scale benchmark");
    println!("machine: {}", measure::machine());
    println!("add-in: {}", testkit::host::addin_path().display());
    println!("idle: {idle_s} s after the connects, the server's default heartbeat");
    let mut opts = ServerOptions::default();
    opts.extra_args.push("--quiet".into());
    let server = Server::start(opts);
    let url = server.url("/");
    println!();
    println!("| objects | connects | client | connect all (s) | RSS per idle connected object (KiB) | of which: created, not connected (KiB) | of which: connection (KiB) | idle CPU (s) | wake-ups/s | threads before → after |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut per_object_kib = 0.0;
    for n in counts {
        let available_kib = meminfo("MemAvailable") as f64;
        let projected = per_object_kib * n as f64;
        if projected > available_kib / 2.0 {
            println!(
                "| {n} | | | not run: {:.0} MiB projected, {:.0} MiB available | | | | | | |",
                projected / 1024.0,
                available_kib / 1024.0
            );
            continue;
        }
        for mode in [ALL_AT_ONCE, ONE_AT_A_TIME] {
            let idle = idle_s.to_string();
            let exe = std::env::current_exe().expect("current_exe");
            let mut ours = Command::new(exe);
            ours.args(["--child", &n.to_string(), &url, mode, &idle]);
            let mut node = Command::new("node");
            node.arg(node_idle_script())
                .args([&n.to_string(), &url, mode, &idle]);
            let mut sides = Vec::new();
            for (client, command) in [("ours", ours), ("node", node)] {
                match run_side(command) {
                    Ok(side) => {
                        let (kib, created, connection) = side.kib_per_object(n);
                        let threads = if client == "ours" {
                            format!("{} → {}", side.threads_before, side.threads_after)
                        } else {
                            "–".to_owned()
                        };
                        println!(
                            "| {n} | {mode} | {client} | {:.3} | {kib:.1} | {created:.1} | {connection:.1} | {:.3} | {:.1} | {threads} |",
                            side.connect_s,
                            side.cpu_s,
                            side.switches / idle_s,
                        );
                        per_object_kib = f64::max(per_object_kib, kib);
                        sides.push(side);
                    }
                    Err(why) => println!("| {n} | {mode} | {client} | failed: {why} | | | | | | |"),
                }
            }
            if let [ours, node] = sides[..] {
                let ratio = |a: f64, b: f64| {
                    if b > 0.0 {
                        format!("{:.2}×", a / b)
                    } else {
                        "–".into()
                    }
                };
                println!(
                    "| {n} | {mode} | ours/node | {} | {} | | | {} | {} | |",
                    ratio(ours.connect_s, node.connect_s),
                    ratio(ours.kib_per_object(n).0, node.kib_per_object(n).0),
                    ratio(ours.cpu_s, node.cpu_s),
                    ratio(ours.switches, node.switches),
                );
            }
        }
    }
}

/// Runs one side's child; its [`Idle`] line.
fn run_side(mut command: Command) -> Result<Idle, String> {
    // The child's stderr is the caller's: its notes (`BENCH_SCALE_TRIM`'s line) and, when it
    // fails, why.
    command.stderr(std::process::Stdio::inherit());
    let out = command.output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "the child failed ({}; its stderr is above)",
            out.status
        ));
    }
    let last = stdout.lines().last().unwrap_or_default();
    Idle::parse(last)
        .or_else(|| node_line(last))
        .ok_or_else(|| format!("unexpected output {last:?}"))
}

/// node-idle.js's JSON line as an [`Idle`] (node's thread count is not read).
fn node_line(line: &str) -> Option<Idle> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let f = |k: &str| v[k].as_f64();
    Some(Idle {
        connect_s: f("connect_s")?,
        rss_base: f("rss_base")?,
        rss_created: f("rss_created")?,
        rss_connected: f("rss_connected")?,
        cpu_s: f("cpu_s")?,
        switches: f("vcsw")? + f("ivcsw")?,
        threads_before: 0,
        threads_after: 0,
    })
}

fn node_idle_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers/bench/node-idle.js")
}

fn meminfo(field: &str) -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// `BENCH_SCALE_TRIM=1`: how much of the connected objects' RSS was the allocator's free memory
/// (glibc keeps freed pages inside its heap resident; `malloc_trim` returns them). Printed to
/// stderr; the table is measured after it, so do not compare a trimmed run's table with others.
fn report_trimmed(n: usize, rss_base: u64, rss_connected: u64) {
    #[cfg(target_env = "gnu")]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim takes any pad and only releases free memory.
        unsafe { malloc_trim(0) };
        let kib = |rss: u64| rss.saturating_sub(rss_base) as f64 / 1024.0 / n as f64;
        eprintln!(
            "malloc_trim: {:.1} → {:.1} KiB per connected object",
            kib(rss_connected),
            kib(rss_bytes())
        );
    }
    #[cfg(not(target_env = "gnu"))]
    eprintln!("malloc_trim: glibc only ({n} objects, RSS {rss_base} → {rss_connected})");
}

fn new_object() -> Object {
    let obj = library()
        .create("Client", &HostOptions::default())
        .expect("create the Client object");
    obj.set("Timeout", V::from("60")).expect("Timeout");
    obj
}

/// One count, in a fresh process: prints its [`Idle`] line.
fn child(n: usize, url: &str, one_at_a_time: bool, idle: Duration) {
    // Warm: the runtime's threads start with the first object; one connection warms the code.
    let warm = new_object();
    warm.call("Connect", &[V::from(url)]).expect("Connect");
    wait_open(&warm, WAIT);
    warm.done().expect("Done");
    std::thread::sleep(Duration::from_millis(500));
    let (rss_base, threads_before) = (rss_bytes(), status_field("Threads"));

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
    let connect_s = t0.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let (rss_connected, threads_after) = (rss_bytes(), status_field("Threads"));
    if std::env::var_os("BENCH_SCALE_TRIM").is_some() {
        report_trimmed(n, rss_base, rss_connected);
    }

    // The idle window: this thread sleeps, as 1C's does between events; what the process spends
    // now is the add-in's (heartbeats and their wake-ups).
    let before = Usage::now();
    std::thread::sleep(idle);
    let used = Usage::now().since(before);
    for obj in &objects {
        assert_eq!(
            obj.get("Connected").unwrap(),
            V::Bool(true),
            "an object lost its connection while idle"
        );
    }
    let side = Idle {
        connect_s,
        rss_base: rss_base as f64,
        rss_created: rss_created as f64,
        rss_connected: rss_connected as f64,
        cpu_s: used.cpu_s,
        switches: (used.vcsw + used.ivcsw) as f64,
        threads_before,
        threads_after,
    };
    println!("{}", side.line());
    for obj in objects {
        obj.done().expect("Done");
    }
    testkit::host::assert_clean();
}
