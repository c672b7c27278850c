//! Real Socket.IO servers on free loopback ports, for the tests, the examples and the benchmarks.
//!
//! [`Server::start`] runs `tests/servers/server.js` (socket.io 4.8, 4.8 with `allowEIO3`, 2.5.1
//! or 1.7.4 on node), `tests/servers/py_server.py` (python-socketio 5 under uvicorn) or the
//! socketioxide server of `tests/servers/rust` (the Rust Socket.IO server) with `--port 0`, waits for its `LISTENING <port>` line and then records every line it prints. The
//! servers print one compact JSON object per line for every connection, disconnection and received
//! event, and take JSON commands on stdin; the header of `tests/servers/server.js` is the
//! reference for both. A test drives a client, then waits for the server's view of it with
//! [`Server::wait_line`] or its shortcuts, and pushes server-side actions with
//! [`Server::command`] or [`Server::emit`].
//!
//! Everything the servers need is installed on first use (`npm ci`, a python venv for
//! [`Flavor::Python5`], `cargo build` for [`Flavor::Socketioxide`]), once per checkout, under a
//! file lock; see [`install`]. A missing node or python is a test failure with a message that
//! says what to install, never a skipped test. Several servers behind nginx, sharing a Redis:
//! [`crate::cluster`].
//!
//! ```no_run
//! use std::time::Duration;
//! use testkit::servers::{Flavor, Server, ServerOptions};
//!
//! let server = Server::start(ServerOptions::new(Flavor::Sio2));
//! let url = server.url("/chat"); // ws://127.0.0.1:<port>/chat
//! // ... connect a client to `url` and emit "echo" ...
//! let line = server.wait_event(Duration::from_secs(5), "echo").expect("no echo");
//! assert!(line.contains(r#""args":["hi"]"#));
//! ```
//!
//! The module uses only the standard library: lines are matched as text. The servers write JSON
//! without spaces, keys in a fixed order (`{"type":"event","nsp":…,"sid":…,"event":…,"args":…,
//! "ack":…}`), so a substring such as `"event":"echo"` is a reliable test; parse the line with
//! `serde_json` when the test needs the values.

pub mod certs;
pub mod install;
pub mod process;

pub use certs::{ClientCert, ClientKey, TestCerts};
pub use process::{signal, Process, ScratchDir};

use std::fmt;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::sync::Mutex;
use std::time::Duration;

/// How long [`Server::start`] waits for the `LISTENING` line.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Which server implementation to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Flavor {
    /// socket.io 4.8 (Socket.IO rev 5 over Engine.IO 4); answers `EIO=3` with HTTP 400.
    #[default]
    Sio4,
    /// socket.io 4.8 with `allowEIO3: true`: Engine.IO 4 clients and Engine.IO 3 clients alike.
    Sio4Eio3,
    /// socket.io 2.5.1 (rev 4 over Engine.IO 3); ignores the `EIO` query value.
    Sio2,
    /// socket.io 1.7.4 (rev 4 over Engine.IO 3); ignores the `EIO` query value.
    Sio1,
    /// python-socketio 5 under uvicorn (rev 5 over Engine.IO 4 only).
    Python5,
    /// socketioxide 0.18, the Rust server on tokio and hyper (rev 5 over Engine.IO 4 only);
    /// `tests/servers/rust`, built on first use. Speaks the part of server.js's line protocol and
    /// handlers that its header lists (no TLS, recovery or restart).
    Socketioxide,
}

impl Flavor {
    /// Every flavor, in the order of the enum.
    pub const ALL: [Flavor; 6] = [
        Flavor::Sio4,
        Flavor::Sio4Eio3,
        Flavor::Sio2,
        Flavor::Sio1,
        Flavor::Python5,
        Flavor::Socketioxide,
    ];

    /// The node flavors (everything but [`Flavor::Python5`] and [`Flavor::Socketioxide`]).
    pub const NODE: [Flavor; 4] = [Flavor::Sio4, Flavor::Sio4Eio3, Flavor::Sio2, Flavor::Sio1];

    /// The value of the servers' `--flavor` flag: `sio4`, `sio4-eio3`, `sio2`, `sio1`, `python5`;
    /// `socketioxide` for the Rust server (which takes no such flag).
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Sio4 => "sio4",
            Flavor::Sio4Eio3 => "sio4-eio3",
            Flavor::Sio2 => "sio2",
            Flavor::Sio1 => "sio1",
            Flavor::Python5 => "python5",
            Flavor::Socketioxide => "socketioxide",
        }
    }

    /// True for the flavors that run on node (`tests/servers/server.js`).
    pub fn is_node(self) -> bool {
        !matches!(self, Flavor::Python5 | Flavor::Socketioxide)
    }

    /// True when the server speaks Engine.IO 4 (and Socket.IO rev 5).
    pub fn speaks_eio4(self) -> bool {
        matches!(
            self,
            Flavor::Sio4 | Flavor::Sio4Eio3 | Flavor::Python5 | Flavor::Socketioxide
        )
    }

    /// True when the server speaks Engine.IO 3 (and Socket.IO rev 4).
    pub fn speaks_eio3(self) -> bool {
        matches!(self, Flavor::Sio4Eio3 | Flavor::Sio2 | Flavor::Sio1)
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to start a [`Server`]. `ServerOptions::default()` is a plain socket.io 4 server.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// The implementation to run.
    pub flavor: Flavor,
    /// `(certificate, key)` PEM files: serve `https`/`wss`. See [`TestCerts`].
    pub tls: Option<(PathBuf, PathBuf)>,
    /// socket.io 4 connection-state recovery (`--recovery`); the other flavors refuse to start.
    pub recovery: bool,
    /// Engine.IO `pingInterval` in milliseconds (server default 25000; python rounds it to whole
    /// seconds).
    pub ping_interval_ms: Option<u64>,
    /// Engine.IO `pingTimeout` in milliseconds (server default 20000; 60000 on socket.io 1.7.4).
    pub ping_timeout_ms: Option<u64>,
    /// `maxHttpBufferSize` in bytes (server default 1e6).
    pub max_payload: Option<u64>,
    /// The transports the server allows, e.g. `"polling"` or `"websocket,polling"`.
    pub transports: Option<String>,
    /// More flags for the server script, e.g. `["--quiet"]` or `["--connect-timeout", "1000"]`.
    pub extra_args: Vec<String>,
}

impl ServerOptions {
    /// Default options for `flavor`.
    pub fn new(flavor: Flavor) -> ServerOptions {
        ServerOptions {
            flavor,
            ..ServerOptions::default()
        }
    }

    /// The same options serving TLS with the server certificate of `certs`.
    pub fn with_tls(mut self, certs: &TestCerts) -> ServerOptions {
        self.tls = Some((certs.server_cert.clone(), certs.server_key.clone()));
        self
    }

    /// The same options requiring a client certificate issued by the CA of `certs` (with
    /// [`ServerOptions::with_tls`]); the server prints a `tls-client` line per handshake.
    pub fn requiring_client_certificates(mut self, certs: &TestCerts) -> ServerOptions {
        let ca = certs.ca_cert.display().to_string();
        self.extra_args.extend(["--tls-client-ca".to_owned(), ca]);
        self
    }

    /// The command-line flags for the server script (without the script and `--flavor`).
    fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            "0".into(),
        ];
        if let Some((cert, key)) = &self.tls {
            a.push("--tls-cert".into());
            a.push(cert.display().to_string());
            a.push("--tls-key".into());
            a.push(key.display().to_string());
        }
        if self.recovery {
            a.push("--recovery".into());
        }
        let mut num = |flag: &str, v: Option<u64>| {
            if let Some(v) = v {
                a.push(flag.into());
                a.push(v.to_string());
            }
        };
        num("--ping-interval", self.ping_interval_ms);
        num("--ping-timeout", self.ping_timeout_ms);
        num("--max-payload", self.max_payload);
        if let Some(t) = &self.transports {
            a.push("--transports".into());
            a.push(t.clone());
        }
        a.extend(self.extra_args.iter().cloned());
        a
    }
}

/// A running test server. Dropping it kills the process and reaps it.
///
/// The server also exits by itself when its stdin closes, so a test process that dies without
/// running `Drop` leaves no server behind.
pub struct Server {
    flavor: Flavor,
    tls: bool,
    port: u16,
    process: Process,
    next_id: Mutex<u64>,
    /// Print the output tail when dropped during a panic (a failing test).
    report_on_panic: bool,
}

impl Server {
    /// Starts a server with `opts`, installing the node modules (or the python venv) first if
    /// needed, and waits up to [`START_TIMEOUT`] for it to listen.
    ///
    /// # Panics
    ///
    /// If node/python cannot be found or installed, or the server does not print `LISTENING`;
    /// the message includes the server's stderr.
    pub fn start(opts: ServerOptions) -> Server {
        let dir = install::servers_dir();
        let mut cmd = if opts.flavor == Flavor::Socketioxide {
            Command::new(install::ensure_rust_server())
        } else if opts.flavor.is_node() {
            install::ensure_node_modules();
            let mut c = Command::new(install::node_program());
            c.arg(dir.join("server.js"))
                .arg("--flavor")
                .arg(opts.flavor.name());
            c
        } else {
            let python = install::ensure_python_venv();
            let mut c = Command::new(python);
            c.arg(dir.join("py_server.py"));
            c
        };
        cmd.args(opts.args()).current_dir(&dir);
        let shown = format!("{cmd:?}");
        let process = match Process::spawn(cmd) {
            Ok(process) => process,
            Err(e) => panic!(
                "testkit: cannot start the {} server ({shown}): {e}\n{}",
                opts.flavor,
                match opts.flavor {
                    Flavor::Python5 => {
                        "the venv tests/servers/.venv is broken: delete it to have it made again"
                    }
                    Flavor::Socketioxide => {
                        "the build tests/servers/rust/target is broken: delete it to have it built again"
                    }
                    _ => "Node.js 20 must be on PATH (or its path in SOCKETIO1C_NODE)",
                }
            ),
        };
        let mut server = Server {
            flavor: opts.flavor,
            tls: opts.tls.is_some(),
            port: 0,
            process,
            next_id: Mutex::new(0),
            report_on_panic: true,
        };

        match server.wait_line(START_TIMEOUT, |l| l.starts_with("LISTENING ")) {
            Some(line) => {
                server.port = line["LISTENING ".len()..]
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| {
                        panic!("testkit: bad LISTENING line {line:?} from {shown}")
                    });
                server
            }
            None => {
                let exited = server.process.stdout_closed();
                let status = server.stop_and_reap();
                let what = if exited {
                    "exited before it listened".to_string()
                } else {
                    format!("did not print LISTENING within {START_TIMEOUT:?}")
                };
                // This panic shows everything; Drop need not repeat it.
                server.report_on_panic = false;
                panic!(
                    "testkit: the {} server {what}\ncommand: {shown}\nexit: {status:?}\n\
                     --- stderr ---\n{}\n--- stdout ---\n{}",
                    opts.flavor,
                    server.stderr(),
                    server.lines().join("\n"),
                );
            }
        }
    }

    /// The flavor this server runs.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// True when the server serves TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// `ws://127.0.0.1:<port><ns>` (`wss://` with TLS): the URI form that `Connect` takes.
    /// `ns` is appended as given: `"/chat"`, `"/"`, or `""` for none.
    pub fn url(&self, ns: &str) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://127.0.0.1:{}{ns}", self.port)
    }

    /// `http://127.0.0.1:<port><ns>` (`https://` with TLS).
    pub fn http_url(&self, ns: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}{ns}", self.port)
    }

    /// Sends one JSON command line to the server's stdin, e.g.
    /// `{"cmd":"emit","nsp":"/","event":"news","args":[1]}`. The server answers with a
    /// `{"type":"done","cmd":…}` line, or `{"type":"error",…}`; see [`Server::command_wait`].
    ///
    /// # Panics
    ///
    /// If the command contains a line break or the server's stdin is closed.
    pub fn command(&self, json: &str) {
        assert!(
            !json.contains('\n'),
            "testkit: a command is one line: {json:?}"
        );
        if let Err(e) = self.process.write_line(json) {
            panic!(
                "testkit: cannot send {json} to the {} server: {e}\n--- stderr ---\n{}",
                self.flavor,
                self.stderr()
            );
        }
    }

    /// Sends a command and waits until the server has run it: returns its `done` line, or
    /// `Err` with the server's `error` line (or a timeout note). `json` must be a JSON object; an
    /// `"id"` key is added to match the answer.
    pub fn command_wait(&self, json: &str, timeout: Duration) -> Result<String, String> {
        let body = json.trim();
        assert!(
            body.starts_with('{') && body.ends_with('}'),
            "testkit: a command is a JSON object: {json:?}"
        );
        let id = {
            let mut n = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
            *n += 1;
            format!("testkit-{}", *n)
        };
        let rest = body[1..].trim_start();
        let sep = if rest.starts_with('}') { "" } else { "," };
        self.command(&format!("{{\"id\":\"{id}\"{sep}{rest}"));
        let tag = format!(",\"id\":\"{id}\"");
        let line = self
            .wait_line(timeout, |l| {
                (l.starts_with("{\"type\":\"done\"") || l.starts_with("{\"type\":\"error\""))
                    && l.contains(&tag)
            })
            .ok_or_else(|| format!("no answer to {json} within {timeout:?}"))?;
        if line.starts_with("{\"type\":\"done\"") {
            Ok(line)
        } else {
            Err(line)
        }
    }

    /// Emits `event` with `args_json` (a JSON array; `{"_binary_base64":"…"}` items are sent as
    /// binary) to every socket of namespace `nsp`, and waits until the server has done it.
    ///
    /// # Panics
    ///
    /// If the server reports an error or does not answer within 10 s.
    pub fn emit(&self, nsp: &str, event: &str, args_json: &str) {
        let cmd = format!(
            "{{\"cmd\":\"emit\",\"nsp\":{},\"event\":{},\"args\":{args_json}}}",
            json_string(nsp),
            json_string(event)
        );
        if let Err(e) = self.command_wait(&cmd, Duration::from_secs(10)) {
            panic!("testkit: emit failed: {e}");
        }
    }

    /// Asks the server to stop listening and drop every connection, then to listen again on
    /// the same port after `delay` (node flavors only). Returns once it listens again.
    ///
    /// # Panics
    ///
    /// If the server refuses (python) or does not listen again within `delay` + 30 s.
    pub fn restart(&self, delay: Duration) {
        let cmd = format!("{{\"cmd\":\"restart\",\"delay_ms\":{}}}", delay.as_millis());
        if let Err(e) = self.command_wait(&cmd, Duration::from_secs(10)) {
            panic!("testkit: restart failed: {e}");
        }
        let again = format!("LISTENING {}", self.port);
        if self
            .wait_line(delay + START_TIMEOUT, |l| l == again)
            .is_none()
        {
            panic!(
                "testkit: the {} server did not listen again\n--- stderr ---\n{}",
                self.flavor,
                self.stderr()
            );
        }
    }

    /// Waits up to `timeout` for a stdout line that matches `pred` and was not returned by an
    /// earlier `wait_*` call; returns it and marks it as returned. Lines that arrived before the
    /// call count, so there is no race between acting and waiting. Lines that do not match stay
    /// available to later calls and in [`Server::lines`].
    ///
    /// Returns `None` on timeout, or at once when the server has exited and no line matches.
    pub fn wait_line(&self, timeout: Duration, pred: impl FnMut(&str) -> bool) -> Option<String> {
        self.process.wait_line(timeout, pred)
    }

    /// Waits for the server's report of a received event named `event` (on any namespace):
    /// a line `{"type":"event","nsp":…,"sid":…,"event":"<event>","args":[…],"ack":…}`.
    pub fn wait_event(&self, timeout: Duration, event: &str) -> Option<String> {
        let key = format!("\"event\":{},\"args\":", json_string(event));
        self.wait_line(timeout, |l| {
            l.starts_with("{\"type\":\"event\",") && event_key(l).is_some_and(|k| k == key)
        })
    }

    /// Like [`Server::wait_event`], on namespace `nsp` only.
    pub fn wait_event_on(&self, timeout: Duration, nsp: &str, event: &str) -> Option<String> {
        let prefix = format!("{{\"type\":\"event\",\"nsp\":{},", json_string(nsp));
        let key = format!("\"event\":{},\"args\":", json_string(event));
        self.wait_line(timeout, |l| {
            l.starts_with(&prefix) && event_key(l).is_some_and(|k| k == key)
        })
    }

    /// Waits for a `{"type":"connect","nsp":"<nsp>",…}` line: a client joined `nsp`.
    pub fn wait_connect(&self, timeout: Duration, nsp: &str) -> Option<String> {
        let prefix = format!("{{\"type\":\"connect\",\"nsp\":{},", json_string(nsp));
        self.wait_line(timeout, |l| l.starts_with(&prefix))
    }

    /// Waits for a `{"type":"disconnect","nsp":"<nsp>",…}` line: a client left `nsp`.
    pub fn wait_disconnect(&self, timeout: Duration, nsp: &str) -> Option<String> {
        let prefix = format!("{{\"type\":\"disconnect\",\"nsp\":{},", json_string(nsp));
        self.wait_line(timeout, |l| l.starts_with(&prefix))
    }

    /// Every stdout line so far (taken or not), `LISTENING` included.
    pub fn lines(&self) -> Vec<String> {
        self.process.lines()
    }

    /// The stdout lines so far that start with `prefix`, e.g. `{"type":"http",` for every
    /// request the server refused or that was cut.
    pub fn lines_starting(&self, prefix: &str) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }

    /// The server's stderr so far (its last 256 KiB).
    pub fn stderr(&self) -> String {
        self.process.stderr()
    }

    /// True while the server process runs.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Kills the process, waits for it and for the reader threads.
    fn stop_and_reap(&mut self) -> Option<ExitStatus> {
        self.process.stop_and_reap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_and_reap();
        if self.report_on_panic && std::thread::panicking() {
            let lines = self.lines();
            let tail = &lines[lines.len().saturating_sub(30)..];
            eprintln!(
                "testkit: the {} server on port {} at the failure\n--- last stdout lines ---\n{}\n--- stderr ---\n{}",
                self.flavor,
                self.port,
                tail.join("\n"),
                self.stderr()
            );
        }
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("flavor", &self.flavor)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("pid", &self.process.pid())
            .finish()
    }
}

/// The `"event":"…","args":` part of an event line. The fields before it (`type`, `nsp`, `sid`)
/// cannot contain `,"event":`, since namespaces and ids have no quotes, so the first occurrence is
/// the key (a later one may sit inside the args).
fn event_key(line: &str) -> Option<&str> {
    let start = line.find(",\"event\":")? + 1;
    let rest = &line[start..];
    let end = rest.find(",\"args\":")? + ",\"args\":".len();
    Some(&rest[..end])
}

/// A loopback port with nothing listening on it (bound to port 0, read, released), for
/// "connection refused" tests. Another process could take it in between, which is unlikely on a
/// test machine.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    port
}

/// `s` as a JSON string literal, quotes included: for building commands without serde.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_string_escapes() {
        assert_eq!(
            json_string("a\"b\\c\nd\u{1}é"),
            "\"a\\\"b\\\\c\\nd\\u0001é\""
        );
    }

    #[test]
    fn event_key_is_the_first_event_field() {
        let l = r#"{"type":"event","nsp":"/","sid":"x","event":"emit-back","args":[{"event":"echo","args":[]}],"ack":false}"#;
        assert_eq!(event_key(l), Some(r#""event":"emit-back","args":"#));
    }

    #[test]
    fn closed_port_refuses() {
        let port = closed_port();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}
