//! The fake blast server (`tests/servers/bench/fake-server.js`) as a child process: started on a
//! free loopback port, stopped on drop (it also exits when its stdin closes).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use testkit::servers::install;

/// A running fake server.
pub struct FakeServer {
    child: Child,
    port: u16,
}

impl FakeServer {
    /// Starts it and waits for its `LISTENING <port>` line.
    pub fn start() -> FakeServer {
        install::ensure_node_modules();
        let script = install::servers_dir().join("bench").join("fake-server.js");
        let mut child = Command::new(install::node_program())
            .arg(&script)
            .args(["--port", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node {}: {e}", script.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the fake server");
        let port = line
            .trim()
            .strip_prefix("LISTENING ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the fake server said {line:?}"));
        FakeServer { child, port }
    }

    /// `ws://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.port)
    }

    /// `http://127.0.0.1:<port>/` (the form the node client takes).
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
