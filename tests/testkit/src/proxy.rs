//! A small HTTP CONNECT proxy for tests: std threads, a free loopback port, optional required
//! Basic credentials; it records every CONNECT it is asked for and forwards bytes both ways.
//!
//! ```no_run
//! use testkit::proxy::{Proxy, ProxyOptions};
//!
//! let proxy = Proxy::start(ProxyOptions::default());
//! let property = proxy.url(); // http://127.0.0.1:<port>: what the Proxy property takes
//! // ... connect a client through it ...
//! assert_eq!(proxy.tunnels(), 1);
//! # let _ = property;
//! ```
//!
//! Each client connection gets a thread; a tunnel gets one more (one thread per direction).
//! Dropping the [`Proxy`] stops accepting, shuts every connection down and joins every thread,
//! so a test ends with nothing of it left running.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest request header the proxy reads.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// How long the proxy waits for a client's request header, and for a target to accept.
const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// How a [`Proxy`] behaves.
#[derive(Clone, Debug, Default)]
pub struct ProxyOptions {
    /// `(user, password)`: answer 407 to any CONNECT without exactly these in
    /// `Proxy-Authorization: Basic …`.
    pub credentials: Option<(String, String)>,
    /// Send these bytes as the whole answer to every CONNECT (then close), instead of opening a
    /// tunnel: for testing how a client takes odd answers.
    pub canned_answer: Option<String>,
}

impl ProxyOptions {
    /// A proxy that requires `user` and `password`.
    pub fn with_credentials(user: &str, password: &str) -> ProxyOptions {
        ProxyOptions {
            credentials: Some((user.to_owned(), password.to_owned())),
            ..ProxyOptions::default()
        }
    }

    /// A proxy that answers every CONNECT with `answer` and closes.
    pub fn answering(answer: &str) -> ProxyOptions {
        ProxyOptions {
            canned_answer: Some(answer.to_owned()),
            ..ProxyOptions::default()
        }
    }
}

/// What the proxy did with one CONNECT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered 200 and forwarded bytes.
    Tunnel,
    /// Answered 407: credentials missing or wrong.
    AuthRequired,
    /// Answered 502: the target could not be reached.
    BadGateway,
    /// Sent the canned answer.
    Canned,
    /// Answered 400/405: not a CONNECT request.
    BadRequest,
}

/// One request the proxy received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The request target (`host:port` for CONNECT).
    pub target: String,
    /// The `Host` header, if any.
    pub host: Option<String>,
    /// The `Proxy-Authorization` header, if any.
    pub authorization: Option<String>,
    /// What the proxy did.
    pub outcome: Outcome,
}

/// A running proxy. Dropping it stops it.
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<State>,
    acceptor: Option<JoinHandle<()>>,
}

/// What the proxy's threads share with the test.
struct State {
    options: ProxyOptions,
    stopping: AtomicBool,
    /// Every request so far, in order of arrival.
    requests: Mutex<Vec<Request>>,
    /// Notified on every new request.
    changed: Condvar,
    /// Every socket opened (clients and targets), to shut them down on drop.
    sockets: Mutex<Vec<TcpStream>>,
    /// Every thread started for a connection.
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// Locks `m`, carrying on after a panic elsewhere (the data are whole: only pushed to).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1:0`.
    ///
    /// # Panics
    ///
    /// If it cannot bind or start its thread.
    pub fn start(options: ProxyOptions) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("testkit proxy: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("testkit proxy: local address");
        let state = Arc::new(State {
            options,
            stopping: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            changed: Condvar::new(),
            sockets: Mutex::new(Vec::new()),
            workers: Mutex::new(Vec::new()),
        });
        let shared = Arc::clone(&state);
        let acceptor = std::thread::Builder::new()
            .name("testkit-proxy-accept".into())
            .spawn(move || accept_loop(listener, shared))
            .expect("testkit proxy: spawn the accept thread");
        Proxy {
            addr,
            state,
            acceptor: Some(acceptor),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>`: the `Proxy` property for it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://<userinfo>@127.0.0.1:<port>`; `userinfo` is `user:password`, percent-encoded
    /// as the property expects.
    pub fn url_with(&self, userinfo: &str) -> String {
        format!("http://{userinfo}@{}", self.addr)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.state.requests).clone()
    }

    /// How many tunnels were opened.
    pub fn tunnels(&self) -> usize {
        lock(&self.state.requests)
            .iter()
            .filter(|r| r.outcome == Outcome::Tunnel)
            .count()
    }

    /// Waits up to `timeout` until at least `n` requests have arrived; returns them all.
    pub fn wait_requests(&self, n: usize, timeout: Duration) -> Option<Vec<Request>> {
        let deadline = Instant::now() + timeout;
        let mut requests = lock(&self.state.requests);
        loop {
            if requests.len() >= n {
                return Some(requests.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            requests = self
                .state
                .changed
                .wait_timeout(requests, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop: it checks `stopping` after every connection.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for socket in lock(&self.state.sockets).drain(..) {
            let _ = socket.shutdown(Shutdown::Both);
        }
        // A connection thread may start its second pump thread while we join: loop until none
        // is left (every socket is shut down, so each ends at once).
        loop {
            let workers: Vec<_> = lock(&self.state.workers).drain(..).collect();
            if workers.is_empty() {
                break;
            }
            for worker in workers {
                let _ = worker.join();
            }
        }
    }
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("addr", &self.addr)
            .field("requests", &lock(&self.state.requests).len())
            .finish()
    }
}

impl State {
    /// Keeps a clone of `socket` for the shutdown on drop; false if the proxy is stopping.
    fn track(&self, socket: &TcpStream) -> bool {
        let mut sockets = lock(&self.sockets);
        if self.stopping.load(Ordering::SeqCst) {
            return false;
        }
        if let Ok(clone) = socket.try_clone() {
            sockets.push(clone);
        }
        true
    }

    fn spawn(self: &Arc<State>, name: &str, work: impl FnOnce() + Send + 'static) {
        if let Ok(handle) = std::thread::Builder::new().name(name.into()).spawn(work) {
            lock(&self.workers).push(handle);
        }
    }

    fn record(&self, request: Request) {
        lock(&self.requests).push(request);
        self.changed.notify_all();
    }
}

fn accept_loop(listener: TcpListener, state: Arc<State>) {
    for client in listener.incoming() {
        if state.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if !state.track(&client) {
            return;
        }
        let shared = Arc::clone(&state);
        state.spawn("testkit-proxy-conn", move || {
            let _ = serve(client, &shared);
        });
    }
}

/// One client connection: read the CONNECT, answer, and forward until either side closes.
fn serve(mut client: TcpStream, state: &Arc<State>) -> io::Result<()> {
    client.set_read_timeout(Some(IO_TIMEOUT))?;
    let head = read_head(&mut client)?;
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut words = request_line.split_whitespace();
    let (method, target) = (words.next().unwrap_or_default(), words.next());
    let mut host = None;
    let mut authorization = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let value = Some(value.trim().to_owned());
            match name.trim().to_ascii_lowercase().as_str() {
                "host" => host = value,
                "proxy-authorization" => authorization = value,
                _ => {}
            }
        }
    }
    let mut request = Request {
        target: target.unwrap_or_default().to_owned(),
        host,
        authorization,
        outcome: Outcome::BadRequest,
    };
    // A refusal is the whole answer: write it and close (the socket's clone kept for Drop would
    // otherwise hold the connection open).
    let refuse = |client: &mut TcpStream, text: &str| {
        let written = client.write_all(text.as_bytes());
        let _ = client.shutdown(Shutdown::Both);
        written
    };

    if method != "CONNECT" || target.is_none() {
        state.record(request);
        return refuse(
            &mut client,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    }
    if let Some(canned) = &state.options.canned_answer {
        request.outcome = Outcome::Canned;
        state.record(request);
        return refuse(&mut client, canned);
    }
    if let Some((user, password)) = &state.options.credentials {
        let expected = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
        if request.authorization.as_deref() != Some(expected.as_str()) {
            request.outcome = Outcome::AuthRequired;
            state.record(request);
            return refuse(
                &mut client,
                "HTTP/1.1 407 Proxy Authentication Required\r\n\
                 Proxy-Authenticate: Basic realm=\"testkit\"\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    }
    let Some(mut server) = connect_target(&request.target) else {
        request.outcome = Outcome::BadGateway;
        state.record(request);
        return refuse(
            &mut client,
            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    if !state.track(&server) {
        return Ok(());
    }
    request.outcome = Outcome::Tunnel;
    state.record(request);
    client.write_all(b"HTTP/1.1 200 Connection established\r\nProxy-Agent: testkit\r\n\r\n")?;
    client.set_read_timeout(None)?;

    let (mut client_in, mut server_out) = (client.try_clone()?, server.try_clone()?);
    state.spawn("testkit-proxy-up", move || {
        pump(&mut client_in, &mut server_out)
    });
    pump(&mut server, &mut client);
    Ok(())
}

/// Copies `from` to `to` until `from` ends, then passes the end on (half-close).
fn pump(from: &mut TcpStream, to: &mut TcpStream) {
    let _ = io::copy(from, to);
    let _ = to.shutdown(Shutdown::Write);
}

/// The request header up to its blank line, read one byte at a time so that nothing the client
/// sends after it (the tunnel's first bytes) is consumed here.
fn read_head(client: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 || head.len() >= MAX_REQUEST_HEAD {
            return Err(io::ErrorKind::InvalidData.into());
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// Connects to `host:port`, trying every address it resolves to.
fn connect_target(target: &str) -> Option<TcpStream> {
    let addrs = target.to_socket_addrs().ok()?;
    addrs
        .into_iter()
        .find_map(|addr| TcpStream::connect_timeout(&addr, IO_TIMEOUT).ok())
}

/// Standard base64 with padding, for `Proxy-Authorization` (the testkit has no base64 crate).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("user:p@ss:w0rd", "dXNlcjpwQHNzOncwcmQ="),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn tunnels_bytes_and_records_the_target() {
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let target = echo.local_addr().unwrap();
        let echo_thread = std::thread::spawn(move || {
            let (mut s, _) = echo.accept().unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        });
        let proxy = Proxy::start(ProxyOptions::with_credentials("u", "p"));
        let mut c = TcpStream::connect(proxy.addr).unwrap();
        let auth = base64(b"u:p");
        write!(
            c,
            "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nProxy-Authorization: Basic {auth}\r\n\r\nhello"
        )
        .unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        let got = String::from_utf8_lossy(&got);
        assert!(got.starts_with("HTTP/1.1 200 "), "{got}");
        assert!(got.ends_with("\r\n\r\nhello"), "{got}");
        echo_thread.join().unwrap();
        assert_eq!(proxy.tunnels(), 1);
        assert_eq!(proxy.requests()[0].target, target.to_string());

        let mut c = TcpStream::connect(proxy.addr).unwrap();
        write!(c, "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").unwrap();
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        assert!(got.starts_with("HTTP/1.1 407 "), "{got}");
        let all = proxy.wait_requests(2, Duration::from_secs(20)).unwrap();
        assert_eq!(all[1].outcome, Outcome::AuthRequired);
    }
}
