//! The benchmarks still run (issue 5): `examples/bench` against every server it knows and its
//! paced scenario (issue 19), `examples/bench_scale` with a few objects, `examples/read_floor` and
//! `examples/soak` (issue 18), each with tiny counts, in the test profile. No figure is checked (speed is measured by running them, see
//! BENCHMARKS.md); what fails here is what makes a benchmark run worthless: a dropped event, an
//! outbound run the server did not count whole, a failed connection, a host contract violation,
//! or a hang.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use testkit::host::example_path;

/// Far above a passing run (seconds, also unoptimised on a loaded machine).
const DEADLINE: Duration = Duration::from_secs(600);

/// Runs example `name` with `args` to its end; its exit status and its stdout and stderr.
fn run_example(name: &str, args: &[&str]) -> (bool, String) {
    let mut child = Command::new(example_path(name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start example {name}: {e}"));
    // Both pipes are read on threads while the child runs, so a full pipe cannot stall it.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the example") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("example {name} {args:?} did not finish within {DEADLINE:?}");
        }
        // The child's end is not an event we can block on with a deadline: poll it.
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = format!(
        "{}\n--- stderr ---\n{}",
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default()
    );
    (status.success(), out)
}

#[test]
fn bench_runs_against_every_server_and_both_clients() {
    let (ok, out) = run_example(
        "bench",
        &[
            "--runs",
            "1",
            "--warmup-runs",
            "0",
            "--servers",
            "real,fake,sio2,polling,wss",
            "--inbound",
            "2000",
            "--outbound",
            "2000",
            "--rtt",
            "50",
            "--acks",
            "500",
            "--window",
            "20",
            "--binary",
            "200",
            "--bytes",
            "64",
            "--sends",
            "20",
            "--send-bytes",
            "65536",
            "--connects",
            "5",
        ],
    );
    assert!(ok, "bench failed:\n{out}");
    assert!(
        out.contains("checks: no event dropped by the host; every counted outbound run complete"),
        "bench's checks failed:\n{out}"
    );
    let socket_io_servers = [
        "| socket.io 4.8 server |",
        "| socket.io 2.5 server (EIO3; node: client 2.5) |",
        "| socket.io 4.8 server, polling only |",
        "| socket.io 4.8 server over TLS (wss) |",
    ];
    let every_figure = [
        "inbound events/s (wall)",
        "inbound, 1C thread woken at the end: events/s (wall)",
        "inbound, notify mode (GetEvent): events/s (wall)",
        "outbound sends/s received (wall)",
        "ack round trip p50 (µs)",
        "acks/s with a window unanswered (wall)",
    ];
    let rows = socket_io_servers
        .iter()
        .chain(&["| fake blast server |"])
        .flat_map(|server| every_figure.iter().map(move |figure| (*server, *figure)))
        // The fake server blasts text frames only: no binary scenario there.
        .chain(socket_io_servers.iter().flat_map(|server| {
            [
                "binary inbound events/s (wall)",
                "binary sends/s received (wall)",
            ]
            .map(|figure| (*server, figure))
        }));
    for (server, figure) in rows {
        let row = format!("{server} {figure} | **");
        let line = out
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| panic!("no row {row:?} in:\n{out}"));
        // Both clients measured: no "–" in the ours or node column.
        assert_eq!(
            line.matches("**").count(),
            4,
            "a client has no figure in {line:?}"
        );
    }
}

/// The paced scenario: a slow rate for a second, to one object and spread over a few, in both
/// delivery modes, every event there and in order for both clients.
#[test]
fn bench_paced_completes() {
    let (ok, out) = run_example(
        "bench",
        &[
            "--runs",
            "1",
            "--warmup-runs",
            "0",
            "--servers",
            "real",
            "--scenarios",
            "paced",
            "--rates",
            "300",
            "--objects",
            "1,3",
            "--pace-seconds",
            "1",
        ],
    );
    assert!(ok, "bench failed:\n{out}");
    assert!(
        out.contains("checks (paced): every event the server sent came, in order, to every object"),
        "bench's paced checks failed:\n{out}"
    );
    for objects in ["1 object", "3 objects"] {
        for mode in ["events mode", "notify mode (GetEvent)"] {
            let row = format!(
                "| socket.io 4.8 server | paced 300/s to {objects}, {mode}: client CPU per event (µs) | **"
            );
            let line = out
                .lines()
                .find(|l| l.starts_with(&row))
                .unwrap_or_else(|| panic!("no row {row:?} in:\n{out}"));
            assert_eq!(
                line.matches("**").count(),
                4,
                "a client has no figure in {line:?}"
            );
        }
    }
}

/// The floor reader takes a small flood from the real server and prints its figures.
#[test]
fn read_floor_reads_a_flood() {
    let (ok, out) = run_example("read_floor", &["--runs", "1", "--inbound", "2000"]);
    assert!(ok, "read_floor failed:\n{out}");
    assert!(
        out.contains("| events per CPU-s | "),
        "no figure in read_floor's output:\n{out}"
    );
}

#[test]
fn bench_scale_connects_a_few_objects() {
    let (ok, out) = run_example("bench_scale", &["--counts", "1,5", "--idle", "1"]);
    assert!(ok, "bench_scale failed:\n{out}");
    for n in ["| 1 |", "| 5 |"] {
        for client in ["ours", "node"] {
            assert!(
                out.lines()
                    .any(|l| l.starts_with(n) && l.contains(&format!("| {client} |"))),
                "no row for {n} objects of {client} in:\n{out}"
            );
        }
    }
}

/// A tiny soak: 3 objects for 10 s, the server restarted every 4 s; every invariant of the real
/// one holds (every Ack accounted for, no unexpected event, flat resources).
#[test]
fn soak_survives_restarts() {
    let started = Instant::now();
    let (ok, out) = run_example(
        "soak",
        &[
            "--objects",
            "3",
            "--duration",
            "10",
            "--restart-every",
            "4",
            "--down-ms",
            "300",
            "--send-every-ms",
            "200",
            "--ack-timeout",
            "3",
            "--warmup",
            "4",
        ],
    );
    assert!(ok, "soak failed:\n{out}");
    assert!(out.contains("result: PASS"), "no PASS in:\n{out}");
    assert!(
        out.lines().any(|l| l.starts_with("| end ")),
        "no last row in:\n{out}"
    );
    assert!(
        out.contains("restarts") && !out.contains(" 0 restarts"),
        "no restart in:\n{out}"
    );
    eprintln!("soak smoke: {:?}", started.elapsed());
}
