//! A socket.io 4 cluster as production runs it, on loopback: node processes of
//! `tests/servers/server.js` sharing a real `redis-server` through the Redis adapter
//! (`--redis`), behind a real `nginx` with cookie stickiness. Everything listens on free ports,
//! runs in the foreground and dies with the [`Cluster`] value.
//!
//! nginx's configuration ([`nginx_conf`]) routes a request without the `sticky` cookie round
//! robin over all nodes and answers it with `Set-Cookie: sticky=<node>` naming the node that
//! served it (`n1`, `n2`, …); a request with the cookie goes to that node. The websocket upgrade
//! is proxied (HTTP/1.1 with `Upgrade` and `Connection`). Every request is written to an access
//! log in nginx's directory, one [`Access`] per line, read with [`Nginx::access_log`]; the error
//! log is there too.
//!
//! Debian packages: `redis-server` and `nginx` (`.ci/run` installs them). Without them the
//! cluster does not start and the test fails with a message saying so: never a skipped test.
//!
//! ```no_run
//! use testkit::cluster::Cluster;
//! use testkit::servers::ServerOptions;
//!
//! let cluster = Cluster::start(3, ServerOptions::default());
//! let url = cluster.url("/"); // ws://127.0.0.1:<nginx port>/
//! // ... connect a client to `url`; find its node with cluster.wait_line_any(...) ...
//! cluster.nodes[1].emit("/", "news", r#"["from n2"]"#); // reaches every node's sockets
//! # let _ = url;
//! ```

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::servers::process::try_signal;
use crate::servers::{closed_port, signal, Process, ScratchDir, Server, ServerOptions};

/// How long a Redis server or nginx gets to say it is ready.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a start is tried again when another process took the free port meanwhile.
const PORT_TRIES: usize = 5;

/// Finds `name` on `PATH`, then in `extra` (Debian puts nginx in `/usr/sbin`, which is not on a
/// plain user's `PATH`); `$<env>` overrides both.
///
/// # Panics
///
/// If it is nowhere, with the message that it must be installed (`package`, Debian).
fn program(name: &str, env: &str, extra: &[&str], package: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "testkit: `{name}` is not installed; the cluster tests need it: install it \
                 (Debian: apt-get install {package}; .ci/run does) or give its path in {env}"
            )
        })
}

/// Runs `start` on a free port until it gives a running process: again on another port when
/// the one it got was taken meanwhile (its output says "Address already in use"), at most
/// [`PORT_TRIES`] times. `start` returns the output of a process that did not get ready (it is
/// killed on drop).
///
/// # Panics
///
/// If no try succeeds, with every try's output.
fn on_a_free_port(
    what: &str,
    mut start: impl FnMut(u16) -> Result<Process, String>,
) -> (Process, u16) {
    let mut failures = String::new();
    for _ in 0..PORT_TRIES {
        let port = closed_port();
        match start(port) {
            Ok(process) => return (process, port),
            Err(output) => {
                let _ = writeln!(failures, "--- port {port} ---\n{output}");
                if !output.contains("Address already in use") {
                    break;
                }
            }
        }
    }
    panic!("testkit: {what} did not get ready:\n{failures}");
}

// ---------------------------------------------------------------------------------------------
// Redis

/// A `redis-server` on a free loopback port, without persistence (`--save "" --appendonly
/// no`), its working directory a scratch directory. Killed on drop.
pub struct Redis {
    process: Process,
    port: u16,
    _dir: ScratchDir,
}

impl Redis {
    /// Starts a Redis server and waits for "Ready to accept connections".
    ///
    /// # Panics
    ///
    /// If `redis-server` is missing or does not get ready.
    pub fn start() -> Redis {
        let exe = program(
            "redis-server",
            "SOCKETIO1C_REDIS_SERVER",
            &["/usr/sbin", "/usr/bin"],
            "redis-server",
        );
        let dir = ScratchDir::new("redis");
        let (process, port) = on_a_free_port("redis-server", |port| {
            let mut cmd = Command::new(&exe);
            cmd.args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .args(["--logfile", "", "--dir"])
                .arg(dir.path())
                .current_dir(dir.path());
            let process = Process::spawn(cmd)
                .unwrap_or_else(|e| panic!("testkit: cannot run {}: {e}", exe.display()));
            let ready = process
                .wait_line(READY_TIMEOUT, |l| l.contains("Ready to accept connections"))
                .is_some();
            let output = process.lines().join("\n");
            ready.then_some(process).ok_or(output)
        });
        Redis {
            process,
            port,
            _dir: dir,
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Its log so far.
    pub fn log(&self) -> Vec<String> {
        self.process.lines()
    }
}

// ---------------------------------------------------------------------------------------------
// nginx

/// One line of nginx's access log (the `cluster` log format of [`nginx_conf`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// The HTTP status sent to the client (101 for a websocket; 499 when the client went away).
    pub status: u16,
    /// `GET`, `POST`, …
    pub method: String,
    /// The request URI with its query.
    pub uri: String,
    /// The `sticky` cookie the request carried; empty when none.
    pub cookie: String,
    /// The node that served it, as nginx's `$upstream_addr` (`127.0.0.1:<port>`); empty when no
    /// node did.
    pub upstream: String,
    /// The `Set-Cookie` nginx answered with; empty when none.
    pub set_cookie: String,
}

impl Access {
    /// Parses a line written with the `cluster` log format; `None` for anything else.
    pub fn parse(line: &str) -> Option<Access> {
        // 200 GET "/socket.io/?EIO=4..." cookie="n1" upstream="127.0.0.1:1234" set="sticky=n1; ..."
        let (status, rest) = line.split_once(' ')?;
        let (method, rest) = rest.split_once(' ')?;
        let mut fields = rest.split('"');
        let uri = fields.nth(1)?;
        let mut field = |name: &str| -> Option<String> {
            let key = fields.next()?;
            if key.trim() != format!("{name}=") {
                return None;
            }
            let value = fields.next()?;
            Some(if value == "-" { "" } else { value }.to_owned())
        };
        Some(Access {
            status: status.parse().ok()?,
            method: method.to_owned(),
            uri: uri.to_owned(),
            cookie: field("cookie")?,
            upstream: field("upstream")?,
            set_cookie: field("set")?,
        })
    }

    /// The value of query parameter `name` in the URI (`sid`, `transport`, `EIO`).
    pub fn query(&self, name: &str) -> Option<&str> {
        let (_, query) = self.uri.split_once('?')?;
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

/// nginx's configuration for a cluster: listens on 127.0.0.1:`port`; `nodes` are the node
/// names (the cookie values) and ports; every path (pid, logs, temporary files) is in `dir`.
pub fn nginx_conf(dir: &Path, port: u16, nodes: &[(String, u16)]) -> String {
    let d = dir.display();
    let mut upstreams = String::new();
    let mut by_cookie = String::new();
    let mut by_addr = String::new();
    let mut all = String::new();
    for (name, node_port) in nodes {
        let _ = writeln!(
            upstreams,
            "    upstream {name} {{ server 127.0.0.1:{node_port}; }}"
        );
        let _ = writeln!(by_cookie, "        {name} {name};");
        let _ = writeln!(by_addr, "        127.0.0.1:{node_port} {name};");
        let _ = writeln!(all, "        server 127.0.0.1:{node_port};");
    }
    format!(
        r#"# Generated by testkit::cluster for one test: nginx in the foreground, everything in {d}.
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
error_log stderr notice;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    log_format cluster '$status $request_method "$request_uri" cookie="$cookie_sticky" upstream="$upstream_addr" set="$sent_http_set_cookie"';
    access_log {d}/access.log cluster;

    # Round robin for requests without the cookie.
    upstream all {{
{all}    }}
    # One group per node, for requests with its cookie.
{upstreams}
    map $cookie_sticky $backend {{
        default all;
{by_cookie}    }}
    # The node that served a request, named for the cookie.
    map $upstream_addr $served_by {{
        default "";
{by_addr}    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' close;
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://$backend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # A request goes to one node only: never retried on another.
            proxy_next_upstream off;
            proxy_read_timeout 120s;
            proxy_send_timeout 120s;
            add_header Set-Cookie "sticky=$served_by; Path=/; HttpOnly" always;
        }}
    }}
}}
"#
    )
}

/// nginx in the foreground (`nginx -p DIR -c DIR/nginx.conf -g 'daemon off;'`) with a
/// configuration of [`nginx_conf`] in a scratch directory. Killed on drop; [`Nginx::stop`] stops
/// it gracefully first, so that its access log is complete.
pub struct Nginx {
    process: Process,
    port: u16,
    dir: ScratchDir,
    stopped: bool,
}

impl Nginx {
    /// Starts nginx in front of `nodes` (name, port) and waits until it runs its worker.
    ///
    /// # Panics
    ///
    /// If `nginx` is missing or does not start.
    pub fn start(nodes: &[(String, u16)]) -> Nginx {
        let exe = program("nginx", "SOCKETIO1C_NGINX", &["/usr/sbin"], "nginx");
        let dir = ScratchDir::new("nginx");
        let d = dir.path();
        let (process, port) = on_a_free_port("nginx", |port| {
            let conf = d.join("nginx.conf");
            fs::write(&conf, nginx_conf(d, port, nodes))
                .unwrap_or_else(|e| panic!("testkit: cannot write {}: {e}", conf.display()));
            let mut cmd = Command::new(&exe);
            cmd.arg("-p")
                .arg(d)
                .arg("-e")
                .arg(d.join("error.log"))
                .arg("-c")
                .arg(&conf)
                .args(["-g", "daemon off;"])
                .current_dir(d);
            let process = Process::spawn(cmd)
                .unwrap_or_else(|e| panic!("testkit: cannot run {}: {e}", exe.display()));
            // The master binds the port before it starts its worker, and says so at notice level.
            let said = process.wait_stderr(READY_TIMEOUT, |e| {
                e.contains("start worker process") || e.contains("[emerg]")
            });
            let stderr = process.stderr();
            (said && !stderr.contains("[emerg]"))
                .then_some(process)
                .ok_or(stderr)
        });
        Nginx {
            process,
            port,
            dir,
            stopped: false,
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory with its configuration and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The access log so far, parsed (lines in another format are left out).
    pub fn access_log(&self) -> Vec<Access> {
        self.access_log_text()
            .lines()
            .filter_map(Access::parse)
            .collect()
    }

    /// The access log so far, as written.
    pub fn access_log_text(&self) -> String {
        fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    /// The error log so far.
    pub fn error_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// Stops nginx gracefully (SIGQUIT: it finishes the requests in progress, which writes
    /// their access log lines) and waits up to 30 s for it to exit. Afterwards the access log
    /// holds every request it saw.
    ///
    /// # Panics
    ///
    /// If it does not exit in time.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        signal(self.process.pid(), "-QUIT");
        let status = self.process.wait_exit(Duration::from_secs(30));
        assert!(
            status.is_some(),
            "testkit: nginx did not stop within 30 s of SIGQUIT\n--- error log ---\n{}",
            self.error_log()
        );
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if !self.stopped {
            // SIGTERM: the master stops its worker and exits (killed outright, it would leave
            // the worker running).
            try_signal(self.process.pid(), "-TERM");
            self.process.wait_exit(Duration::from_secs(10));
        }
        self.process.stop_and_reap();
        if std::thread::panicking() {
            eprintln!(
                "testkit: nginx on port {} at the failure\n--- access log ---\n{}\n--- error log (tail) ---\n{}",
                self.port,
                self.access_log_text(),
                tail(&self.error_log(), 40)
            );
        }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// the cluster

/// Node processes of `server.js` on one Redis, behind nginx with cookie stickiness. Fields drop
/// in order: nginx, the nodes, Redis.
pub struct Cluster {
    /// nginx in front.
    pub nginx: Nginx,
    /// The nodes, named `n1`, `n2`, … in the cookie (index + 1).
    pub nodes: Vec<Server>,
    /// The Redis server the nodes' adapters share.
    pub redis: Redis,
}

impl Cluster {
    /// Starts Redis, `count` nodes with `node` options (a socket.io 4 flavor) plus
    /// `--redis <url>`, and nginx in front of them.
    ///
    /// # Panics
    ///
    /// If any of them does not start (see [`Redis::start`], [`Server::start`],
    /// [`Nginx::start`]).
    pub fn start(count: usize, node: ServerOptions) -> Cluster {
        let redis = Redis::start();
        let nodes: Vec<Server> = (0..count)
            .map(|_| {
                let mut opts = node.clone();
                opts.extra_args.extend(["--redis".into(), redis.url()]);
                Server::start(opts)
            })
            .collect();
        let named: Vec<(String, u16)> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (Cluster::node_name(i), n.port()))
            .collect();
        let nginx = Nginx::start(&named);
        Cluster {
            nginx,
            nodes,
            redis,
        }
    }

    /// The cookie value that names node `i`: `n1` for node 0.
    pub fn node_name(i: usize) -> String {
        format!("n{}", i + 1)
    }

    /// `127.0.0.1:<port>` of node `i`: what the access log's `upstream` says of it.
    pub fn node_addr(&self, i: usize) -> String {
        format!("127.0.0.1:{}", self.nodes[i].port())
    }

    /// `ws://127.0.0.1:<nginx port><ns>`: the cluster's address for `Connect`.
    pub fn url(&self, ns: &str) -> String {
        format!("ws://127.0.0.1:{}{ns}", self.nginx.port())
    }

    /// Waits up to `timeout` for a line that matches `pred` on any node (see
    /// [`Server::wait_line`]); returns the node's index and the line.
    pub fn wait_line_any(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Option<(usize, String)> {
        let deadline = Instant::now() + timeout;
        loop {
            // A short wait on each node in turn: a line on any of them is seen within a round.
            for (i, node) in self.nodes.iter().enumerate() {
                if let Some(line) = node.wait_line(Duration::from_millis(20), &mut pred) {
                    return Some((i, line));
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_lines_parse() {
        let line = r#"200 GET "/socket.io/?EIO=4&transport=polling&sid=abc" cookie="n2" upstream="127.0.0.1:4100" set="sticky=n2; Path=/; HttpOnly""#;
        let a = Access::parse(line).expect("parsed");
        assert_eq!(a.status, 200);
        assert_eq!(a.method, "GET");
        assert_eq!(a.query("sid"), Some("abc"));
        assert_eq!(a.query("transport"), Some("polling"));
        assert_eq!(a.cookie, "n2");
        assert_eq!(a.upstream, "127.0.0.1:4100");
        assert_eq!(a.set_cookie, "sticky=n2; Path=/; HttpOnly");
        let none = r#"499 GET "/x" cookie="" upstream="-" set="-""#;
        let a = Access::parse(none).expect("parsed");
        assert_eq!(
            (a.status, a.cookie.as_str(), a.upstream.as_str()),
            (499, "", "")
        );
        assert_eq!(Access::parse("garbage"), None);
    }

    #[test]
    #[should_panic(expected = "install it (Debian: apt-get install some-package; .ci/run does)")]
    fn a_missing_program_fails_saying_what_to_install() {
        program(
            "socketio1c-no-such-program",
            "SOCKETIO1C_NO_SUCH_OVERRIDE",
            &["/nonexistent"],
            "some-package",
        );
    }

    #[test]
    fn the_configuration_names_every_node() {
        let nodes = [("n1".to_string(), 4001), ("n2".to_string(), 4002)];
        let conf = nginx_conf(Path::new("/tmp/x"), 8080, &nodes);
        for want in [
            "listen 127.0.0.1:8080;",
            "upstream n2 { server 127.0.0.1:4002; }",
            "        n1 n1;",
            "        127.0.0.1:4001 n1;",
            "proxy_http_version 1.1;",
            "pid /tmp/x/nginx.pid;",
        ] {
            assert!(conf.contains(want), "{want:?} missing in\n{conf}");
        }
    }
}
