//! The official node `socket.io-client` (4.x; 2.x for socket.io 2.x servers), run by `tests/servers/bench/node-client.js` in its
//! own process and driven over its stdin/stdout: one JSON command, one JSON answer.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;
use testkit::servers::install;

use crate::paced::{self, Pace};
use crate::{Received, Sample};

/// The node client driver process.
pub struct NodeClient {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl NodeClient {
    /// Starts the driver (node modules installed first if needed).
    pub fn start() -> NodeClient {
        install::ensure_node_modules();
        let script = install::servers_dir().join("bench").join("node-client.js");
        let mut child = Command::new(install::node_program())
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node {}: {e}", script.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        NodeClient {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends one command and returns its answer; panics when the driver reports a failure.
    fn ask(&mut self, cmd: Value) -> Value {
        writeln!(self.stdin, "{cmd}").expect("write to the node client");
        self.stdin.flush().expect("flush the node client");
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("read the node client");
        let answer: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("node client answered {line:?} to {cmd}: {e}"));
        assert!(
            answer["ok"].as_bool() == Some(true),
            "node client failed {cmd}: {answer}"
        );
        answer
    }

    /// Connects a new socket to `url` with socket.io-client `client` (`v4` or `v2`) over one
    /// `transport` (`websocket` or `polling`).
    pub fn connect(&mut self, url: &str, client: &str, transport: &str) {
        self.ask(serde_json::json!({
            "cmd": "connect", "url": url, "client": client, "transports": [transport]
        }));
    }

    /// `n` sequential connects of a new socket (`io()` to its `connect` event), p50/p99 in
    /// microseconds; the socket of the last one stays open.
    pub fn connects(&mut self, url: &str, client: &str, transport: &str, n: usize) -> Sample {
        let mut ms: Vec<f64> = (0..n)
            .map(|_| {
                let answer = self.ask(serde_json::json!({
                    "cmd": "connect", "url": url, "client": client, "transports": [transport]
                }));
                answer["ms"].as_f64().expect("the connect's ms")
            })
            .collect();
        ms.sort_by(|a, b| a.total_cmp(b));
        Sample {
            wall_s: ms.iter().sum::<f64>() / 1e3,
            p50_us: crate::measure::quantile(&ms, 0.5) * 1e3,
            p99_us: crate::measure::quantile(&ms, 0.99) * 1e3,
            ..Sample::default()
        }
    }

    /// `n` echo round trips, not measured.
    pub fn warmup(&mut self, n: usize) {
        self.ask(serde_json::json!({"cmd": "warmup", "n": n}));
    }

    /// The server's flood of `n` `tick` events, or with `bytes` > 0 of `n` `blob` events of a
    /// `bytes`-long Buffer each.
    pub fn inbound(&mut self, n: usize, bytes: usize) -> Sample {
        sample(&self.ask(serde_json::json!({"cmd": "inbound", "n": n, "bytes": bytes})))
    }

    /// `n` emits of `bench`, ended by an echo: of `i`, or of one `bytes`-long Buffer when
    /// `bytes` > 0.
    pub fn outbound(&mut self, n: usize, bytes: usize, verify: Received) -> Sample {
        let verify = match verify {
            Received::Stats => "stats",
            Received::Count => "count",
            Received::None => "none",
        };
        sample(
            &self.ask(
                serde_json::json!({"cmd": "outbound", "n": n, "bytes": bytes, "verify": verify}),
            ),
        )
    }

    /// `n` sequential round trips, `mode` "echo" or "ack".
    pub fn rtt(&mut self, n: usize, mode: &str) -> Sample {
        sample(&self.ask(serde_json::json!({"cmd": "rtt", "n": n, "mode": mode})))
    }

    /// `n` emits of `ack` with a callback, up to `window` unanswered at any time.
    pub fn acks(&mut self, n: usize, window: usize) -> Sample {
        sample(&self.ask(serde_json::json!({"cmd": "acks", "n": n, "window": window})))
    }

    /// `pace.objects` new sockets (connected first, not measured) each ask for their share of
    /// a paced run of `seconds` and take `tick`s until the server's `paced`; the latencies to the
    /// handler, the counts and the order checked per socket. The sockets leave afterwards.
    pub fn paced(
        &mut self,
        url: &str,
        client: &str,
        transport: &str,
        pace: Pace,
        seconds: f64,
    ) -> Sample {
        let answer = self.ask(serde_json::json!({
            "cmd": "paced", "url": url, "client": client, "transports": [transport],
            "sockets": pace.objects, "rate": pace.rate, "seconds": seconds,
            "group": paced::group("node"),
        }));
        let count = |k: &str| answer[k].as_u64().unwrap_or(u64::MAX) as usize;
        let at_handler = sample(&answer);
        Sample {
            events: count("events"),
            missing: count("missing"),
            out_of_order: count("out_of_order"),
            // Nothing stands between node's socket and its handler as the platform does for ours.
            platform_p50_us: at_handler.p50_us,
            platform_p99_us: at_handler.p99_us,
            ..at_handler
        }
    }

    /// Disconnects the socket.
    pub fn close(&mut self) {
        self.ask(serde_json::json!({"cmd": "close"}));
    }
}

impl Drop for NodeClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sample(v: &Value) -> Sample {
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    Sample {
        wall_s: f("wall_s"),
        cpu_s: f("cpu_s"),
        sys_s: f("sys_s"),
        vcsw: f("vcsw"),
        ivcsw: f("ivcsw"),
        p50_us: f("p50_us"),
        p99_us: f("p99_us"),
        server_received: v["server_received"].as_u64(),
        ..Sample::default()
    }
}
