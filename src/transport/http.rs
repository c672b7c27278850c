//! A small HTTP/1.1 client for long-polling: one keep-alive connection, one request at a time.
//!
//! Each polling direction owns one [`HttpClient`] (the GET loop one, the POST writer another), so
//! there is never more than one GET and one POST in flight. Streams are opened through
//! [`super::connect::open_stream`], so TLS and the proxy apply as they do to the websocket.
//!
//! Responses are parsed with `httparse` (already under tungstenite); bodies come with a
//! `Content-Length`, chunked (node for error answers, uvicorn always) or up to the end of the
//! connection. `Accept-Encoding` is never sent, so servers do not compress. `Set-Cookie` goes to
//! the session's [`CookieJar`], whose cookies go out on every request.
//!
//! A keep-alive connection that the server closed while idle (node and uvicorn close them after
//! 5 s) fails on first use without a byte of answer; the request is then repeated once on a
//! fresh connection, as browsers do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{AsyncReadExt, AsyncWriteExt};

use super::cookies::CookieJar;
use super::error::TransportError;
use super::io::BoxedIo;
use super::{connect, url};
use crate::config::ConnectRequest;
use crate::protocol::EioVersion;
use crate::rt;

/// Largest response body accepted (the same bound as a websocket message).
pub const MAX_BODY_BYTES: usize = crate::config::MAX_MESSAGE_BYTES;

/// Largest response head (status line and headers).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Most response headers parsed.
const MAX_HEADERS: usize = 64;

/// Longest line of chunked framing (size line or trailer).
const MAX_CHUNK_LINE: usize = 4096;

/// How much is read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Request headers that the `Headers` property cannot set: they describe the connection, the
/// message framing or the websocket handshake, which the transports own (`Cookie` is merged with
/// the session's jar instead).
const RESERVED_HEADERS: [&str; 8] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "cookie",
];

/// True for a header name the transports set themselves (see `RESERVED_HEADERS`; also every
/// `Sec-WebSocket-*`). A `Cookie` from the `Headers` property is sent, merged with the jar.
pub fn is_reserved_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("sec-websocket-")
}

/// The request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`: a poll (or the handshake).
    Get,
    /// `POST`: packets to the server.
    Post,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A response: status, whether the body is binary (`application/octet-stream`), the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// True when `Content-Type` is `application/octet-stream` (EIO3 binary payloads).
    pub binary: bool,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The server's reason for an error status, for `LastError`: the `message` of a JSON object
    /// (engine.io's `{"code":1,"message":"Session ID unknown"}`), a JSON string
    /// (python-engineio), or the body's text, shortened.
    pub fn error_message(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::String(s)) => return s,
            Ok(serde_json::Value::Object(map)) => {
                if let Some(serde_json::Value::String(s)) = map.get("message") {
                    return s.clone();
                }
            }
            _ => {}
        }
        const SHOWN: usize = 300;
        match text.char_indices().nth(SHOWN) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text.to_owned(),
        }
    }

    /// The error for this refusal of a request made with Engine.IO `asked`: a server that does
    /// not speak that revision says so (engine.io: HTTP 400 `Unsupported protocol version`;
    /// python-engineio: `…unsupported version…`), anything else is [`TransportError::Http`].
    pub fn refusal(&self, asked: EioVersion) -> TransportError {
        let message = self.error_message();
        if self.status == 400 && message.to_ascii_lowercase().contains("version") {
            TransportError::VersionRefused { asked, message }
        } else {
            TransportError::Http {
                status: self.status,
                message,
            }
        }
    }
}

/// One keep-alive HTTP connection to the server of a `Connect` request.
pub struct HttpClient {
    request: Arc<ConnectRequest>,
    jar: Arc<CookieJar>,
    /// Only ever reached through `&mut self` (`Mutex::get_mut`, no locking): the mutex is there
    /// to make the client `Sync` (a byte stream is not), as the Engine actor, which owns
    /// it, is borrowed shared across awaits.
    conn: Mutex<Option<Conn>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("server", &self.request.endpoint.authority())
            .finish()
    }
}

impl HttpClient {
    /// A client for the server of `request`; connects on the first request.
    pub fn new(request: Arc<ConnectRequest>, jar: Arc<CookieJar>) -> HttpClient {
        HttpClient {
            request,
            jar,
            conn: Mutex::new(None),
        }
    }

    /// What the connection was asked to be (its log among it).
    pub fn request(&self) -> &ConnectRequest {
        &self.request
    }

    /// The kept connection, if any (taken out for a request).
    fn kept(&mut self) -> &mut Option<Conn> {
        self.conn.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends one request to `target` (origin form: path and query) and reads the whole
    /// response, giving up after `timeout` (the connection is then dropped).
    pub async fn send(
        &mut self,
        method: Method,
        target: &str,
        body: Option<(&str, &[u8])>,
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        let head = self.head(method, target, body);
        let payload = body.map_or(&[][..], |(_, bytes)| bytes);
        match rt::timeout(timeout, self.exchange(&head, payload)).await {
            Some(result) => result,
            None => {
                *self.kept() = None;
                Err(TransportError::Timeout(timeout))
            }
        }
    }

    async fn exchange(&mut self, head: &[u8], body: &[u8]) -> Result<Response, TransportError> {
        if let Some(conn) = self.kept().take() {
            match self.on(conn, head, body).await {
                Attempt::Done(response) => return Ok(response),
                Attempt::Failed(err) => return Err(err),
                // Closed by the server while idle: try once more on a fresh connection.
                Attempt::Stale(_) => {}
            }
        }
        let io = connect::open_stream(&self.request).await?;
        match self.on(Conn::new(io), head, body).await {
            Attempt::Done(response) => Ok(response),
            Attempt::Failed(err) | Attempt::Stale(err) => Err(err),
        }
    }

    /// Runs one exchange on `conn`; keeps the connection when the server allows it.
    async fn on(&mut self, mut conn: Conn, head: &[u8], body: &[u8]) -> Attempt {
        if let Err(err) = conn.write(head, body).await {
            return Attempt::Stale(err);
        }
        match conn.read_response(&self.jar).await {
            Ok((response, keep)) => {
                if keep {
                    *self.kept() = Some(conn);
                }
                Attempt::Done(response)
            }
            Err(ReadError::NothingReceived(err)) => Attempt::Stale(err),
            Err(ReadError::Broken(err)) => Attempt::Failed(err),
        }
    }

    /// The request head: request line and headers, ending with the empty line.
    fn head(&self, method: Method, target: &str, body: Option<(&str, &[u8])>) -> Vec<u8> {
        let config = &self.request.config;
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nAccept: */*\r\nConnection: keep-alive\r\n",
            method.as_str(),
            target,
            url::host_header(&self.request.endpoint)
        );
        let mut user_cookie = None;
        let mut user_agent = false;
        for (name, value) in &config.headers {
            if name.eq_ignore_ascii_case("cookie") {
                user_cookie = Some(value.as_str());
            }
            if is_reserved_header(name) {
                continue;
            }
            user_agent |= name.eq_ignore_ascii_case("user-agent");
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        if !user_agent {
            head.push_str(concat!(
                "User-Agent: socketio1c/",
                env!("CARGO_PKG_VERSION"),
                "\r\n"
            ));
        }
        if let Some(cookie) = self.jar.header(user_cookie) {
            head.push_str("Cookie: ");
            head.push_str(&cookie);
            head.push_str("\r\n");
        }
        if let Some((content_type, bytes)) = body {
            head.push_str("Content-Type: ");
            head.push_str(content_type);
            head.push_str("\r\nContent-Length: ");
            head.push_str(&bytes.len().to_string());
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        head.into_bytes()
    }
}

/// How one exchange on one connection went.
enum Attempt {
    Done(Response),
    /// Nothing came back: the connection was dead before the request (worth one retry).
    Stale(TransportError),
    Failed(TransportError),
}

enum ReadError {
    /// The connection ended before the first byte of the answer.
    NothingReceived(TransportError),
    /// The answer broke off or is not HTTP.
    Broken(TransportError),
}

/// A connection and the bytes read from it but not used yet.
struct Conn {
    io: BoxedIo,
    buf: Vec<u8>,
    start: usize,
}

/// What the head of a response says about its body.
struct Head {
    status: u16,
    binary: bool,
    length: Option<usize>,
    chunked: bool,
    keep_alive: bool,
}

/// A failed read or write; a TLS alert behind it (a refused client certificate) as itself.
fn io_error(what: &str, err: std::io::Error) -> TransportError {
    match super::tls::failure(&err) {
        Some(tls) => TransportError::Tls(tls),
        None => TransportError::Io(format!("{what}: {err}")),
    }
}

impl Conn {
    fn new(io: BoxedIo) -> Conn {
        Conn {
            io,
            buf: Vec::new(),
            start: 0,
        }
    }

    async fn write(&mut self, head: &[u8], body: &[u8]) -> Result<(), TransportError> {
        let sent = match self.io.write_all(head).await {
            Ok(()) => self.io.write_all(body).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => self.io.flush().await,
            Err(e) => Err(e),
        }
        .map_err(|e| io_error("cannot send the HTTP request", e))
    }

    fn unread(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
    }

    /// Reads more bytes; false at the end of the stream.
    async fn fill(&mut self) -> Result<bool, TransportError> {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let len = self.buf.len();
        self.buf.resize(len + READ_CHUNK, 0);
        let read = self.io.read(&mut self.buf[len..]).await;
        let n = match read {
            Ok(n) => n,
            Err(e) => {
                self.buf.truncate(len);
                return Err(io_error("connection error", e));
            }
        };
        self.buf.truncate(len + n);
        Ok(n > 0)
    }

    /// Reads one response; returns it and whether the connection may be used again.
    async fn read_response(&mut self, jar: &CookieJar) -> Result<(Response, bool), ReadError> {
        let head = loop {
            match self.parse_head(jar) {
                Ok(Some(head)) => break head,
                Ok(None) => {}
                Err(err) => return Err(ReadError::Broken(err)),
            }
            let nothing_yet = self.unread().is_empty();
            match self.fill().await {
                Ok(true) => {}
                Ok(false) if nothing_yet => {
                    return Err(ReadError::NothingReceived(TransportError::Io(
                        "the server closed the connection without an answer".into(),
                    )))
                }
                Ok(false) => {
                    return Err(ReadError::Broken(TransportError::Io(
                        "the server closed the connection in the middle of an answer".into(),
                    )))
                }
                Err(err) if nothing_yet => return Err(ReadError::NothingReceived(err)),
                Err(err) => return Err(ReadError::Broken(err)),
            }
        };
        let no_body = head.status / 100 == 1 || head.status == 204 || head.status == 304;
        let body = if no_body {
            Ok(Vec::new())
        } else if head.chunked {
            self.read_chunked().await
        } else if let Some(length) = head.length {
            self.read_exact(length).await
        } else {
            self.read_to_end().await
        };
        let body = body.map_err(ReadError::Broken)?;
        let reusable = head.keep_alive && (head.chunked || head.length.is_some() || no_body);
        let response = Response {
            status: head.status,
            binary: head.binary,
            body,
        };
        Ok((response, reusable))
    }

    /// Parses the head if it is complete (and consumes it); `None` when more bytes are needed.
    fn parse_head(&mut self, jar: &CookieJar) -> Result<Option<Head>, TransportError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let used = match response.parse(self.unread()) {
            Ok(httparse::Status::Complete(used)) => used,
            Ok(httparse::Status::Partial) if self.unread().len() > MAX_HEAD_BYTES => {
                return Err(TransportError::Io(format!(
                    "the server's HTTP headers are larger than {MAX_HEAD_BYTES} bytes"
                )))
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(err) => {
                return Err(TransportError::Io(format!(
                    "the server's answer is not HTTP: {err}"
                )))
            }
        };
        let status = response.code.unwrap_or(0);
        let mut head = Head {
            status,
            binary: false,
            length: None,
            chunked: false,
            keep_alive: response.version == Some(1),
        };
        for header in response.headers.iter() {
            let value = String::from_utf8_lossy(header.value);
            let value = value.trim();
            let name = header.name;
            if name.eq_ignore_ascii_case("content-length") {
                let length = value.parse::<usize>().map_err(|_| {
                    TransportError::Io(format!("invalid Content-Length \"{value}\""))
                })?;
                head.length = Some(length);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                head.chunked = value
                    .rsplit(',')
                    .next()
                    .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            } else if name.eq_ignore_ascii_case("connection") {
                for token in value.split(',').map(str::trim) {
                    if token.eq_ignore_ascii_case("close") {
                        head.keep_alive = false;
                    } else if token.eq_ignore_ascii_case("keep-alive") {
                        head.keep_alive = true;
                    }
                }
            } else if name.eq_ignore_ascii_case("content-type") {
                head.binary = value
                    .split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/octet-stream"));
            } else if name.eq_ignore_ascii_case("set-cookie") {
                jar.store(value);
            }
        }
        if head.length.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(too_large());
        }
        self.consume(used);
        Ok(Some(head))
    }

    async fn read_exact(&mut self, length: usize) -> Result<Vec<u8>, TransportError> {
        while self.unread().len() < length {
            if !self.fill().await? {
                return Err(TransportError::Io(
                    "the server closed the connection in the middle of an answer".into(),
                ));
            }
        }
        let body = self.unread().get(..length).unwrap_or_default().to_vec();
        self.consume(length);
        Ok(body)
    }

    async fn read_to_end(&mut self) -> Result<Vec<u8>, TransportError> {
        while self.fill().await? {
            if self.unread().len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
        }
        let body = self.unread().to_vec();
        self.consume(body.len());
        Ok(body)
    }

    /// One CRLF-terminated line of chunked framing, without the CRLF.
    async fn read_line(&mut self) -> Result<String, TransportError> {
        loop {
            if let Some(at) = self.unread().windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(self.unread().get(..at).unwrap_or_default())
                    .into_owned();
                self.consume(at + 2);
                return Ok(line);
            }
            if self.unread().len() > MAX_CHUNK_LINE {
                return Err(TransportError::Io("invalid chunked encoding".into()));
            }
            if !self.fill().await? {
                return Err(TransportError::Io(
                    "the server closed the connection in the middle of an answer".into(),
                ));
            }
        }
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, TransportError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| TransportError::Io(format!("invalid chunk size \"{size}\"")))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !self.read_line().await?.is_empty() {}
                return Ok(body);
            }
            if body.len().saturating_add(size) > MAX_BODY_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&self.read_exact(size).await?);
            if !self.read_line().await?.is_empty() {
                return Err(TransportError::Io("invalid chunked encoding".into()));
            }
        }
    }
}

fn too_large() -> TransportError {
    TransportError::Io(format!(
        "the server's answer is larger than {MAX_BODY_BYTES} bytes"
    ))
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::thread::JoinHandle;

    use super::*;
    use crate::config::ConnectionConfig;
    use crate::endpoint::Endpoint;

    /// The requests a fake server saw: head and body of each.
    type Seen = Vec<(String, Vec<u8>)>;

    /// A fake server: answers each accepted connection's requests with the next canned
    /// responses and records the requests it saw (head and body).
    fn serve(script: Vec<Vec<&'static [u8]>>) -> (u16, JoinHandle<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let thread = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for answers in script {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer: TcpStream = stream;
                for answer in answers {
                    let Some(request) = read_request(&mut reader) else {
                        break;
                    };
                    seen.push(request);
                    writer.write_all(answer).unwrap();
                }
            }
            seen
        });
        (port, thread)
    }

    fn read_request(reader: &mut impl BufRead) -> Option<(String, Vec<u8>)> {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .map_or(0, |n| n.trim().parse().unwrap());
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        Some((head, body))
    }

    fn client(port: u16, headers: &[(&str, &str)]) -> HttpClient {
        let config = ConnectionConfig {
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ConnectionConfig::default()
        };
        let request = ConnectRequest {
            endpoint: Endpoint::parse(&format!("http://127.0.0.1:{port}/")).unwrap(),
            config,
            log: None,
        };
        HttpClient::new(Arc::new(request), Arc::new(CookieJar::new()))
    }

    const WAIT: Duration = Duration::from_secs(10);

    #[test]
    fn keep_alive_chunked_cookies_and_headers() {
        let (port, server) = serve(vec![vec![
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 5\r\nSet-Cookie: io=abc; Path=/; HttpOnly\r\n\r\nhello",
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n29\r\n{\"code\":1,\"message\":\"Session ID unknown\"}\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\n\x00\x01\xff\r\n2\r\nok\r\n0\r\nX-Trailer: 1\r\n\r\n",
        ]]);
        let mut http = client(
            port,
            &[("X-Api-Key", "k"), ("Cookie", "user=1"), ("Host", "evil")],
        );
        rt::block_on(async {
            let r = http
                .send(Method::Get, "/socket.io/?EIO=4", None, WAIT)
                .await
                .unwrap();
            assert_eq!(
                (r.status, r.binary, r.body.as_slice()),
                (200, false, &b"hello"[..])
            );
            let r = http
                .send(
                    Method::Post,
                    "/p",
                    Some(("text/plain;charset=UTF-8", "4€".as_bytes())),
                    WAIT,
                )
                .await
                .unwrap();
            assert_eq!(r.status, 400);
            assert_eq!(r.error_message(), "Session ID unknown");
            let r = http.send(Method::Get, "/g", None, WAIT).await.unwrap();
            assert_eq!(
                (r.binary, r.body.as_slice()),
                (true, &b"\x00\x01\xffok"[..])
            );
        });
        let seen = server.join().unwrap();
        assert_eq!(seen.len(), 3, "all three requests on one connection");
        let (first, _) = &seen[0];
        assert!(
            first.starts_with("GET /socket.io/?EIO=4 HTTP/1.1\r\n"),
            "{first}"
        );
        assert!(
            first.contains(&format!("Host: 127.0.0.1:{port}\r\n")),
            "{first}"
        );
        assert!(first.contains("X-Api-Key: k\r\n"), "{first}");
        assert!(!first.contains("evil"), "{first}");
        assert!(first.contains("Cookie: user=1\r\n"), "{first}");
        let (second, body) = &seen[1];
        assert!(second.starts_with("POST /p HTTP/1.1\r\n"), "{second}");
        assert!(second.contains("Cookie: user=1; io=abc\r\n"), "{second}");
        assert!(second.contains("Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 4\r\n"));
        assert_eq!(body, "4€".as_bytes());
    }

    #[test]
    fn a_connection_closed_while_idle_is_replaced_once() {
        // The first connection answers once and closes; the second request goes to a new one.
        let (port, server) = serve(vec![
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"],
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"],
            vec![b"HTTP/1.1 200 OK\r\n\r\nuntil the end"],
        ]);
        let mut http = client(port, &[]);
        rt::block_on(async {
            for expected in [&b"ok"[..], b"abc", b"until the end"] {
                let r = http.send(Method::Get, "/", None, WAIT).await.unwrap();
                assert_eq!(r.body, expected);
            }
        });
        assert_eq!(server.join().unwrap().len(), 3);
    }

    #[test]
    fn broken_answers_are_errors() {
        for answer in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
        ] {
            let (port, server) = serve(vec![vec![answer]]);
            let mut http = client(port, &[]);
            let result = rt::block_on(http.send(Method::Get, "/", None, WAIT));
            assert!(
                matches!(result, Err(TransportError::Io(_))),
                "{:?}: {result:?}",
                String::from_utf8_lossy(answer)
            );
            drop(http);
            server.join().unwrap();
        }
    }

    #[test]
    fn a_silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut http = client(port, &[]);
        let result = rt::block_on(http.send(Method::Get, "/", None, Duration::from_millis(200)));
        assert!(
            matches!(result, Err(TransportError::Timeout(_))),
            "{result:?}"
        );
    }

    #[test]
    fn error_messages_from_every_server_kind() {
        let r = |body: &str| Response {
            status: 400,
            binary: false,
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            r(r#"{"code":5,"message":"Unsupported protocol version"}"#).error_message(),
            "Unsupported protocol version"
        );
        assert_eq!(
            r("\"Invalid session zz\"").error_message(),
            "Invalid session zz"
        );
        assert_eq!(r(" Bad Gateway \n").error_message(), "Bad Gateway");
        assert_eq!(r(&"я".repeat(400)).error_message().chars().count(), 301);
    }
}
