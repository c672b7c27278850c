//! The soak's server, in a helper process: `testkit::servers` keeps every line the server prints
//! (a connect and a disconnect line per object and restart), which in the soak's own process
//! would read as the add-in's memory growing. The helper (this example run with
//! `--server-helper DOWN_MS`) starts the socket.io 4 server, prints its URL, and restarts it on
//! every `restart` line of its stdin (stop listening, drop every connection, listen again on the
//! same port after DOWN_MS). It exits when its stdin closes.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use testkit::servers::{Server, ServerOptions};

/// The helper's side: runs until stdin closes.
pub fn helper(down: Duration) {
    let mut opts = ServerOptions::default();
    opts.extra_args.push("--quiet".into());
    let server = Server::start(opts);
    println!("{}", server.url("/"));
    std::io::stdout().flush().expect("flush the URL");
    for line in std::io::stdin().lock().lines() {
        match line.as_deref() {
            Ok("restart") => server.restart(down),
            Ok(other) => panic!("soak server helper: unknown command {other:?}"),
            Err(_) => break,
        }
    }
}

/// The soak's side: the helper process.
pub struct RestartingServer {
    child: Child,
    stdin: Option<ChildStdin>,
    /// `ws://127.0.0.1:<port>/`.
    pub url: String,
}

impl RestartingServer {
    /// Starts the helper, which restarts the server with `down` of not listening.
    pub fn start(down: Duration) -> RestartingServer {
        let mut child = Command::new(std::env::current_exe().expect("current_exe"))
            .args(["--server-helper", &down.as_millis().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the soak's server helper");
        let mut url = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut url)
            .expect("the server's URL");
        assert!(url.starts_with("ws://"), "no URL from the helper: {url:?}");
        RestartingServer {
            stdin: child.stdin.take(),
            child,
            url: url.trim().to_owned(),
        }
    }

    /// Asks for a restart (not waiting for it); false if the helper is gone.
    pub fn restart(&mut self) -> bool {
        let alive = matches!(self.child.try_wait(), Ok(None));
        alive
            && self
                .stdin
                .as_mut()
                .is_some_and(|s| s.write_all(b"restart\n").and_then(|_| s.flush()).is_ok())
    }
}

impl Drop for RestartingServer {
    fn drop(&mut self) {
        drop(self.stdin.take()); // the helper stops its server and exits
        let _ = self.child.wait();
    }
}
