//! Throughput and latency of our add-in against the official node `socket.io-client` 4.x, on the
//! same servers with the same payloads, in one run (issue 5; method: socketio-protocol.md §5).
//!
//! ```text
//! nice -n 10 cargo run --release --example bench                  # 5 runs + 1 warm-up run
//! cargo run --release --example bench -- --runs 7 --pin           # quiet machine: pinned cores
//! cargo run --release --example bench -- --only ours --servers fake --scenarios inbound
//! cargo run --release --example bench -- --servers sio2,polling    # the other servers 1C meets
//! cargo run --release --example bench -- --servers real --scenarios paced   # paced events, ~5 min
//! ```
//!
//! Our side is the add-in (`target/release/libsocketio1c.so`, or `$SOCKETIO1C_ADDIN`) loaded
//! and driven through its C ABI by `testkit::host`, in this process; the node side is
//! `tests/servers/bench/node-client.js` in its own process. The servers are separate processes:
//! the real socket.io 4.8 server (`tests/servers/server.js --quiet`) and the fake blast server
//! (`tests/servers/bench/fake-server.js`); on request also a socket.io 2.5 server (Engine.IO 3,
//! against node's socket.io-client 2.5), the 4.8 server with both clients on HTTP long-polling
//! only, and the 4.8 server over TLS (`wss`: rustls against node's OpenSSL). Each run starts fresh servers, connects a fresh client of each kind to each, warms
//! both up with 200 echoes and a flood of 20 000 events, and measures each scenario with one
//! client, then the other (the order alternates per run):
//! - inbound: `flood` of N `tick` events; events/s of wall time and per client-CPU-second;
//! - core: the same flood, the host's 1C thread woken once all N are queued (ours; node's side
//!   is its inbound again): the add-in's cost without a wake-up of the 1C thread per event, the
//!   "transport core" of socketio-protocol.md §5.4;
//! - notify: the same flood in `DeliveryMode = "notify"` (ours; node's side is its inbound
//!   again): the events wait in the add-in's queue and the 1C thread, told by a Pending event,
//!   takes them with one `GetEvent` call each, against inbound in events mode;
//! - outbound: N `Send("bench", i)` then an echo marker; sends/s received by the server;
//! - sends: N `Send("bench", BinaryData)` of B bytes each (1 MiB), then an echo marker, against
//!   node's `emit("bench", Buffer)`; sends/s received by the server (issue 19, item 3);
//! - rtt: N sequential round trips (SendWithAck when the build has it, else echo), p50/p99;
//! - acks: N `SendWithAck`s with up to K unanswered at a time (a new one per answer), acks/s;
//! - binary: a `flood` of N events of one B-byte binary attachment each (not against the fake
//!   server, which only blasts text frames); events/s;
//! - connect: N sequential connects of a new object (a new socket), `Connect` to the Open event
//!   against node's `io()` to its `connect` event, p50/p99 (last: node's connection is the last
//!   one it opened, unwarmed);
//! - paced (only when asked; `paced.rs`, `paced_report.rs`): the server emits R events a second,
//!   evenly, for S seconds, to 1 object or in turn to K objects (new ones, one 1C thread for all),
//!   ours in events mode and in notify mode, each against node with as many sockets: CPU and
//!   context switches per event, latency from the server's emit to `ExternalEvent` (notify mode:
//!   to `GetEvent`'s return) and to the 1C handler, p50/p99, against node's handler; every
//!   object's events checked complete and in order.
//!
//! Client CPU time: getrusage(RUSAGE_SELF) here (the host emulator's event loop included, and
//! reported separately per thread), process.cpuUsage() in the node client.
//!
//! Flags: `--runs R` (5), `--warmup-runs W` (1), `--inbound N` (200000), `--outbound N`
//! (100000), `--rtt N` (2000), `--acks N` (20000), `--window K` (100), `--binary N` (20000),
//! `--bytes B` (1024), `--sends N` (200), `--send-bytes B` (1048576), `--connects N` (200), `--rates R,…` (1000,10000,50000), `--objects K,…`
//! (1,100), `--pace-seconds S` (3), `--only ours|node`, `--servers real,fake,sio2,polling,wss`
//! (real,fake; `wss`: socket.io 4.8 over TLS, both clients trusting the test CA), `--scenarios inbound,core,notify,outbound,rtt,acks,binary,sends,connect,paced` (all but
//! paced), `--pin` (server on CPU 0, clients on CPU 1, via taskset).

mod fake;
mod measure;
mod node;
mod opened;
mod ours;
mod paced;
mod paced_report;
mod report;
mod servers;

use std::collections::BTreeMap;
use std::process::Command;

use measure::pin;
use node::NodeClient;
use ours::{Ours, RttMode};
use paced::Pace;
use servers::{Servers, Target};

/// Echo round trips that warm up each new connection, not measured.
const WARMUP_ECHOES: usize = 200;

/// Events of the flood that warms up each new connection (and the server), not measured; at most
/// `--inbound`.
const WARMUP_FLOOD: usize = 20_000;

/// The names `--scenarios` takes.
const SCENARIOS: &str = "inbound,core,notify,outbound,rtt,acks,binary,sends,connect,paced";

/// One measurement of one scenario by one client.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Wall-clock seconds.
    pub wall_s: f64,
    /// Client CPU seconds (user + system).
    pub cpu_s: f64,
    /// Of which system (kernel) seconds.
    pub sys_s: f64,
    /// Voluntary context switches of the client process.
    pub vcsw: f64,
    /// Involuntary context switches of the client process (preempted).
    pub ivcsw: f64,
    /// Round trips, connects: median and 99th percentile, microseconds. Paced: of the latency
    /// to the handler (ours: the 1C thread that took the event, or `GetEvent`'s return).
    pub p50_us: f64,
    /// See `p50_us`.
    pub p99_us: f64,
    /// Paced, ours in events mode: median and 99th percentile of the latency to the host's
    /// `ExternalEvent`, microseconds.
    pub platform_p50_us: f64,
    /// See `platform_p50_us`.
    pub platform_p99_us: f64,
    /// Paced: events received; those the server sent that did not come; those that came out of
    /// order (both per object, must be 0).
    pub events: usize,
    /// See `events`.
    pub missing: usize,
    /// See `events`.
    pub out_of_order: usize,
    /// Outbound: how many events the server says it received (when it can say).
    pub server_received: Option<u64>,
    /// Ours: events the host emulator dropped (must be 0).
    pub dropped: usize,
    /// Ours: CPU seconds and context switches per thread name.
    pub threads: BTreeMap<String, measure::ThreadUse>,
}

/// How the server is asked how many events it received on a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// The real server's `stats` handler (needs acknowledgements).
    Stats,
    /// The fake server's `count` event.
    Count,
    /// Not asked.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scenario {
    Inbound,
    /// Inbound with the host's 1C thread woken once, after the last event (ours; node's side
    /// is the same flood as `Inbound`).
    InboundCore,
    /// Inbound in notify mode, drained with `GetEvent` (ours; node's side is the same flood as
    /// `Inbound`).
    InboundNotify,
    Outbound,
    Rtt,
    /// Acknowledged emits with a window of them unanswered (the build must have `SendWithAck`).
    Acks,
    /// Inbound events with one binary attachment each (socket.io servers only).
    Binary,
    /// Outbound events with one big binary attachment each (socket.io servers only).
    BinarySends,
    /// Sequential connects of new sockets, `Connect` to Open (node: `io()` to `connect`).
    Connect,
    /// Evenly paced inbound events (socket.io servers only).
    Paced(Pace),
}

/// A server under test, and how both clients talk to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// socket.io 4.8, websocket.
    Real,
    /// The fake blast server (pre-encoded frames), websocket.
    Fake,
    /// socket.io 2.5 (Engine.IO 3), websocket; node's side is socket.io-client 2.5.
    Sio2,
    /// socket.io 4.8, HTTP long-polling only (both clients).
    Polling,
    /// socket.io 4.8 over TLS (`wss://`), websocket; both clients trust the test CA through the
    /// environment (`servers::trust_test_ca`).
    Wss,
}

impl Kind {
    /// The name on the command line.
    fn flag(self) -> &'static str {
        match self {
            Kind::Real => "real",
            Kind::Fake => "fake",
            Kind::Sio2 => "sio2",
            Kind::Polling => "polling",
            Kind::Wss => "wss",
        }
    }

    /// Which node client talks to it (`node-client.js`'s `client`).
    fn node_client(self) -> &'static str {
        match self {
            Kind::Sio2 => "v2",
            _ => "v4",
        }
    }

    /// The transport both clients use.
    fn transport(self) -> &'static str {
        match self {
            Kind::Polling => "polling",
            _ => "websocket",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Client {
    Ours,
    Node,
}

/// Every sample, by scenario, server and client.
pub type Results = BTreeMap<(Scenario, Kind, Client), Vec<Sample>>;

/// The command line.
pub struct Opts {
    pub runs: usize,
    pub warmup_runs: usize,
    pub inbound: usize,
    pub outbound: usize,
    pub rtt: usize,
    /// Acknowledged emits of the `acks` scenario, and how many may be unanswered at a time.
    pub acks: usize,
    pub window: usize,
    /// Events of the `binary` scenario, and the size of each one's attachment.
    pub binary: usize,
    pub bytes: usize,
    /// Sends of the `sends` scenario, and the size of each one's attachment.
    pub sends: usize,
    pub send_bytes: usize,
    /// Connects of the `connect` scenario.
    pub connects: usize,
    /// The `paced` scenario: rates (events a second), objects the events are spread over, and
    /// how long each run paces.
    pub rates: Vec<usize>,
    pub pace_objects: Vec<usize>,
    pub pace_seconds: f64,
    pub clients: Vec<Client>,
    pub servers: Vec<Kind>,
    pub scenarios: Vec<Scenario>,
    pub pin: bool,
}

fn parse_args() -> Opts {
    let mut o = Opts {
        runs: 5,
        warmup_runs: 1,
        inbound: 200_000,
        outbound: 100_000,
        rtt: 2_000,
        acks: 20_000,
        window: 100,
        binary: 20_000,
        bytes: 1024,
        sends: 200,
        send_bytes: 1 << 20,
        connects: 200,
        rates: vec![1_000, 10_000, 50_000],
        pace_objects: vec![1, 100],
        pace_seconds: 3.0,
        clients: vec![Client::Ours, Client::Node],
        servers: vec![Kind::Real, Kind::Fake],
        scenarios: vec![
            Scenario::Inbound,
            Scenario::InboundCore,
            Scenario::InboundNotify,
            Scenario::Outbound,
            Scenario::Rtt,
            Scenario::Acks,
            Scenario::Binary,
            Scenario::BinarySends,
            Scenario::Connect,
        ],
        pin: false,
    };
    // `paced` stands for one scenario per rate, object count and delivery mode, made once every
    // flag is read.
    let mut paced = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        let num =
            |v: String| -> usize { v.parse().unwrap_or_else(|_| panic!("not a number: {v}")) };
        let nums = |v: String| -> Vec<usize> { v.split(',').map(|n| num(n.to_owned())).collect() };
        match a.as_str() {
            "--runs" => o.runs = num(value()),
            "--warmup-runs" => o.warmup_runs = num(value()),
            "--inbound" => o.inbound = num(value()),
            "--outbound" => o.outbound = num(value()),
            "--rtt" => o.rtt = num(value()),
            "--connects" => o.connects = num(value()).max(1),
            "--acks" => o.acks = num(value()),
            "--window" => o.window = num(value()).max(1),
            "--binary" => o.binary = num(value()),
            "--bytes" => o.bytes = num(value()).max(1),
            "--sends" => o.sends = num(value()),
            "--send-bytes" => o.send_bytes = num(value()).max(1),
            "--rates" => o.rates = nums(value()),
            "--objects" => o.pace_objects = nums(value()),
            "--pace-seconds" => {
                let v = value();
                o.pace_seconds = v.parse().unwrap_or_else(|_| panic!("not a number: {v}"))
            }
            "--only" => {
                o.clients = match value().as_str() {
                    "ours" => vec![Client::Ours],
                    "node" => vec![Client::Node],
                    other => panic!("--only ours|node, not {other}"),
                }
            }
            "--servers" => {
                let all = [Kind::Real, Kind::Fake, Kind::Sio2, Kind::Polling, Kind::Wss];
                o.servers = value()
                    .split(',')
                    .map(|s| {
                        all.into_iter().find(|k| k.flag() == s).unwrap_or_else(|| {
                            panic!("--servers takes real,fake,sio2,polling,wss; not {s}")
                        })
                    })
                    .collect()
            }
            "--scenarios" => {
                let names = value();
                paced = names.split(',').any(|s| s == "paced");
                o.scenarios = names
                    .split(',')
                    .filter(|&s| s != "paced")
                    .map(|s| match s {
                        "inbound" => Scenario::Inbound,
                        "core" => Scenario::InboundCore,
                        "notify" => Scenario::InboundNotify,
                        "outbound" => Scenario::Outbound,
                        "rtt" => Scenario::Rtt,
                        "acks" => Scenario::Acks,
                        "binary" => Scenario::Binary,
                        "sends" => Scenario::BinarySends,
                        "connect" => Scenario::Connect,
                        other => panic!("--scenarios takes {SCENARIOS}; not {other}"),
                    })
                    .collect()
            }
            "--pin" => o.pin = true,
            "-h" | "--help" => {
                println!("see the header of examples/bench/main.rs");
                std::process::exit(0);
            }
            other => panic!("unknown flag {other}; see examples/bench/main.rs"),
        }
    }
    if paced {
        for &objects in &o.pace_objects {
            for &rate in &o.rates {
                for notify in [false, true] {
                    o.scenarios.push(Scenario::Paced(Pace {
                        rate,
                        objects: objects.max(1),
                        notify,
                    }));
                }
            }
        }
    }
    o
}

fn main() {
    let o = parse_args();
    if o.pin {
        // Children inherit it; the servers are moved to CPU 0 below.
        pin(std::process::id(), 1);
    }
    println!("# socketio1c benchmark");
    println!("machine: {}", measure::machine());
    println!(
        "add-in: {}; node {}",
        testkit::host::addin_path().display(),
        node_version()
    );

    if o.servers.contains(&Kind::Wss) {
        // Before node starts and before our first TLS connection: both read it once.
        servers::trust_test_ca();
    }
    let mut node = o.clients.contains(&Client::Node).then(NodeClient::start);
    let mut results = Results::new();
    let mut rtt_mode = RttMode::Echo;
    let total = o.warmup_runs + o.runs;
    for run in 0..total {
        let warm = run < o.warmup_runs;
        eprintln!(
            "{} {}/{} (load {})",
            if warm { "warm-up run" } else { "run" },
            if warm {
                run + 1
            } else {
                run - o.warmup_runs + 1
            },
            if warm { o.warmup_runs } else { o.runs },
            measure::load_average()
        );
        // Fresh servers for every run: a server that has just taken 100 000 sends (its heap, its
        // garbage collector) floods more slowly, and whichever client came next paid for it.
        let servers = Servers::start(&o);
        let mut order = o.clients.clone();
        if run % 2 == 1 {
            order.reverse();
        }
        for &kind in &o.servers {
            let t = servers.target(kind);
            // Both clients connected and warmed up first, then each scenario by both, one after
            // the other: the two measurements of a scenario are as close in time as they can be.
            // A flood warms the server's flood path too (a fresh node server runs it unoptimised
            // at first, slowly, and the client that came first paid for it).
            let warm_flood = o.inbound.min(WARMUP_FLOOD);
            let ours = o.clients.contains(&Client::Ours).then(|| {
                let c = Ours::connect(&t.url, kind.transport());
                c.warmup(WARMUP_ECHOES);
                c.inbound(warm_flood);
                rtt_mode = c.rtt_mode();
                c
            });
            if let Some(n) = node.as_mut() {
                n.connect(&t.http_url, kind.node_client(), kind.transport());
                n.warmup(WARMUP_ECHOES);
                n.inbound(warm_flood, 0);
            }
            for &scenario in &o.scenarios {
                if scenario == Scenario::Acks && ours.as_ref().is_some_and(|c| !c.ack) {
                    continue; // a build without SendWithAck
                }
                let paced = matches!(scenario, Scenario::Paced(_));
                let binary = matches!(scenario, Scenario::Binary | Scenario::BinarySends);
                if (binary || paced) && kind == Kind::Fake {
                    continue; // the fake server speaks text frames only, and has no pacer
                }
                for &client in &order {
                    let sample = match (client, &ours, node.as_mut()) {
                        (Client::Ours, Some(c), _) => measure_ours(&o, c, &t, kind, scenario),
                        (Client::Node, _, Some(n)) => {
                            measure_node(&o, n, &t, kind, scenario, rtt_mode)
                        }
                        _ => unreachable!("every client in the order was started"),
                    };
                    if !warm {
                        results
                            .entry((scenario, kind, client))
                            .or_default()
                            .push(sample);
                    }
                }
            }
            if let Some(c) = ours {
                c.close();
            }
            if let Some(n) = node.as_mut() {
                n.close();
            }
        }
    }
    drop(node);
    report::print(&o, &results, rtt_mode);
    testkit::host::assert_clean();
}

fn measure_ours(o: &Opts, c: &Ours, t: &Target, kind: Kind, scenario: Scenario) -> Sample {
    match scenario {
        Scenario::Inbound => c.inbound(o.inbound),
        Scenario::InboundCore => c.inbound_core(o.inbound),
        Scenario::InboundNotify => c.inbound_notify(o.inbound),
        Scenario::Outbound => c.outbound(o.outbound, t.verify),
        Scenario::BinarySends => c.outbound_binary(o.sends, o.send_bytes, t.verify),
        Scenario::Rtt => c.rtt(o.rtt),
        Scenario::Acks => c.acks(o.acks, o.window),
        Scenario::Binary => c.inbound_binary(o.binary, o.bytes),
        Scenario::Connect => Ours::connects(&t.url, kind.transport(), o.connects),
        Scenario::Paced(pace) => paced::ours(&t.url, kind.transport(), pace, o.pace_seconds),
    }
}

fn measure_node(
    o: &Opts,
    n: &mut NodeClient,
    t: &Target,
    kind: Kind,
    scenario: Scenario,
    mode: RttMode,
) -> Sample {
    match scenario {
        Scenario::Inbound | Scenario::InboundCore | Scenario::InboundNotify => {
            n.inbound(o.inbound, 0)
        }
        Scenario::Binary => n.inbound(o.binary, o.bytes),
        Scenario::Outbound => n.outbound(o.outbound, 0, t.verify),
        Scenario::BinarySends => n.outbound(o.sends, o.send_bytes, t.verify),
        Scenario::Rtt => n.rtt(
            o.rtt,
            match mode {
                RttMode::Ack => "ack",
                RttMode::Echo => "echo",
            },
        ),
        Scenario::Acks => n.acks(o.acks, o.window),
        Scenario::Connect => n.connects(
            &t.http_url,
            kind.node_client(),
            kind.transport(),
            o.connects,
        ),
        Scenario::Paced(pace) => n.paced(
            &t.http_url,
            kind.node_client(),
            kind.transport(),
            pace,
            o.pace_seconds,
        ),
    }
}

fn node_version() -> String {
    Command::new(testkit::servers::install::node_program())
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "?".into())
}
