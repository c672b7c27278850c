//! HTTP CONNECT proxies: the `Proxy` property (`http://[user:password@]host:port`).
//!
//! Every transport reaches the server through a tunnel: TCP to the proxy, `CONNECT host:port`,
//! a 2xx answer, and from then on the connection carries the server's bytes (TLS for `wss://`
//! and `https://` runs inside it, with the server's real host name). Credentials are sent
//! pre-emptively as `Proxy-Authorization: Basic …`, so a proxy that needs them never has to
//! challenge first.
//!
//! The user name and password never leave this file except inside that header: error texts name
//! the proxy by `host:port` only, and [`ProxyAddr`]'s `Debug` hides them.

use std::fmt;
use std::io;

use base64::Engine as _;
use futures::{AsyncReadExt, AsyncWriteExt};

use super::io::BoxedIo;
use crate::endpoint::Endpoint;
use crate::rt;

/// The longest proxy answer header accepted. Real answers to CONNECT are a few hundred bytes;
/// the bound keeps a broken or hostile proxy from making us read forever.
pub const MAX_ANSWER_HEAD: usize = 16 * 1024;

/// The longest reason phrase repeated in an error text.
const MAX_REASON_CHARS: usize = 100;

/// A parsed `Proxy` property.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyAddr {
    /// Host name or address of the proxy, without IPv6 brackets.
    pub host: String,
    /// The proxy's port.
    pub port: u16,
    /// `host:port` (IPv6 in brackets).
    authority: String,
    /// The `Proxy-Authorization` value (`Basic …`), when the property has credentials.
    authorization: Option<String>,
}

impl fmt::Debug for ProxyAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyAddr")
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "credentials",
                &self.authorization.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}

impl ProxyAddr {
    /// Reads the `Proxy` property: `None` when it is empty (connect directly).
    pub fn parse(property: &str) -> Result<Option<ProxyAddr>, ProxyError> {
        let property = property.trim();
        if property.is_empty() {
            return Ok(None);
        }
        let rest = property
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
            .and_then(|_| property.get(7..))
            .ok_or(ProxyError::Invalid(Invalid::Scheme))?;
        let rest = rest.trim_end_matches('/');
        let (userinfo, host_port) = match rest.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, rest),
        };
        // The endpoint parser already knows host:port, IPv6 brackets and port ranges.
        let has_port = host_port
            .rsplit_once(':')
            .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        let at = Endpoint::parse(&format!("http://{host_port}"))
            .ok()
            .filter(|e| has_port && e.namespace == "/" && e.query.is_empty())
            .ok_or(ProxyError::Invalid(Invalid::HostPort))?;
        let authorization = match userinfo {
            None => None,
            Some(userinfo) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let mut pair = percent_decode(user).ok_or(Invalid::Credentials)?;
                pair.push(b':');
                pair.extend(percent_decode(password).ok_or(Invalid::Credentials)?);
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ))
            }
        };
        Ok(Some(ProxyAddr {
            authority: at.authority(),
            host: at.host,
            port: at.port,
            authorization,
        }))
    }

    /// `host:port` of the proxy, as error texts show it (never with credentials).
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// True when the property carries a user name (and password).
    pub fn has_credentials(&self) -> bool {
        self.authorization.is_some()
    }

    /// The CONNECT request for `target` (`host:port`).
    fn request(&self, target: &str) -> String {
        let mut request = format!(
            "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: socketio1c/{}\r\n",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(authorization) = &self.authorization {
            request.push_str("Proxy-Authorization: ");
            request.push_str(authorization);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        request
    }
}

/// Opens a tunnel to `target` through `proxy`. The stream returned carries the target's bytes
/// and nothing else: the proxy's answer has been read to its end. Unbounded in time: the caller
/// bounds it (and reports [`ProxyError::Timeout`]).
pub async fn tunnel(proxy: &ProxyAddr, target: &Endpoint) -> Result<BoxedIo, ProxyError> {
    let at = proxy.authority().to_owned();
    let target = target.authority();
    let mut tcp = rt::connect_tcp(&proxy.host, proxy.port)
        .await
        .map_err(|error| ProxyError::Unreachable {
            proxy: at.clone(),
            error,
        })?;
    let io_error = |error: io::Error| ProxyError::Io {
        proxy: at.clone(),
        error,
    };
    tcp.write_all(proxy.request(&target).as_bytes())
        .await
        .map_err(io_error)?;
    tcp.flush().await.map_err(io_error)?;
    let head = read_head(&mut tcp).await.map_err(|why| match why {
        HeadError::Io(error) => io_error(error),
        HeadError::Bad(why) => ProxyError::Malformed {
            proxy: at.clone(),
            why,
        },
    })?;
    let (status, reason) = status_line(&head).ok_or_else(|| ProxyError::Malformed {
        proxy: at.clone(),
        why: Malformed::NotHttp(first_line(&head)),
    })?;
    match status {
        200..=299 => Ok(Box::new(tcp) as BoxedIo),
        407 if proxy.has_credentials() => Err(ProxyError::AuthRefused { proxy: at }),
        407 => Err(ProxyError::AuthRequired { proxy: at }),
        _ => Err(ProxyError::Status {
            proxy: at,
            target,
            status,
            reason,
        }),
    }
}

/// Why the answer's header could not be read.
enum HeadError {
    Io(io::Error),
    Bad(Malformed),
}

/// Reads the answer's header up to and including its blank line, one byte at a time: after a
/// 2xx answer the next byte already belongs to the target, so nothing may be read ahead.
/// (The answer is a few hundred bytes read once per connection; the syscalls do not matter.)
async fn read_head(io: &mut (impl futures::AsyncRead + Unpin)) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    loop {
        let n = io.read(&mut byte).await.map_err(HeadError::Io)?;
        if n == 0 {
            return Err(HeadError::Bad(if head.is_empty() {
                Malformed::ClosedSilently
            } else {
                Malformed::ClosedEarly
            }));
        }
        head.push(byte[0]);
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(head);
        }
        if head.len() >= MAX_ANSWER_HEAD {
            return Err(HeadError::Bad(Malformed::TooLong));
        }
    }
}

/// `HTTP/1.x NNN reason` → the status and the reason (cleaned up for an error text).
fn status_line(head: &[u8]) -> Option<(u16, String)> {
    let line = first_line(head);
    let rest = line.strip_prefix("HTTP/1.")?;
    let mut parts = rest.splitn(3, ' ');
    let minor = parts.next()?;
    if minor.len() != 1 || !minor.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let status = code.parse::<u16>().ok().filter(|s| *s >= 100)?;
    Some((status, parts.next().unwrap_or_default().trim().to_owned()))
}

/// The first line of `head`, printable and bounded, for status parsing and error texts.
fn first_line(head: &[u8]) -> String {
    let end = head.iter().position(|b| *b == b'\n').unwrap_or(head.len());
    String::from_utf8_lossy(head.get(..end).unwrap_or_default())
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_REASON_CHARS)
        .collect()
}

/// `%XX` → the byte; `None` when a `%` is not followed by two hex digits.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = (bytes.next()? as char).to_digit(16)?;
            let lo = (bytes.next()? as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

/// What is wrong with the `Proxy` property (it was checked when written; this is the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// Not `http://`.
    Scheme,
    /// No usable `host:port`.
    HostPort,
    /// A `%` in the user name or password not followed by two hex digits.
    Credentials,
}

impl From<Invalid> for ProxyError {
    fn from(why: Invalid) -> ProxyError {
        ProxyError::Invalid(why)
    }
}

/// How the proxy's answer was not HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// It closed the connection without a byte.
    ClosedSilently,
    /// It closed the connection in the middle of the header.
    ClosedEarly,
    /// The header is longer than [`MAX_ANSWER_HEAD`].
    TooLong,
    /// The first line is not an HTTP status line (the line, cleaned and shortened).
    NotHttp(String),
}

/// Why the tunnel could not be opened. No variant holds the user name or password.
#[derive(Debug)]
pub enum ProxyError {
    /// The `Proxy` property cannot be used.
    Invalid(Invalid),
    /// `Proxy = "system"`, and the system's setting cannot be used (its value is not repeated:
    /// it may hold a password).
    SystemInvalid {
        /// Where the setting came from (`HTTPS_PROXY`, the Windows Internet settings, …).
        source: &'static str,
        /// What is wrong with it.
        why: Invalid,
    },
    /// TCP to the proxy failed.
    Unreachable {
        /// The proxy's `host:port`.
        proxy: String,
        /// The operating system's reason.
        error: io::Error,
    },
    /// Writing or reading the CONNECT exchange failed.
    Io {
        /// The proxy's `host:port`.
        proxy: String,
        /// The operating system's reason.
        error: io::Error,
    },
    /// No complete answer before the connect deadline.
    Timeout {
        /// The proxy's `host:port`.
        proxy: String,
    },
    /// 407 and the property has no credentials.
    AuthRequired {
        /// The proxy's `host:port`.
        proxy: String,
    },
    /// 407 although credentials were sent: they are wrong.
    AuthRefused {
        /// The proxy's `host:port`.
        proxy: String,
    },
    /// Any other status than 2xx and 407.
    Status {
        /// The proxy's `host:port`.
        proxy: String,
        /// The `host:port` the tunnel was asked for.
        target: String,
        /// The HTTP status.
        status: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// The answer is not HTTP.
    Malformed {
        /// The proxy's `host:port`.
        proxy: String,
        /// How.
        why: Malformed,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ProxyAddr {
        ProxyAddr::parse(s).unwrap().unwrap()
    }

    #[test]
    fn parses_host_port_and_credentials() {
        assert_eq!(ProxyAddr::parse("  ").unwrap(), None);
        let p = parse("http://proxy.local:3128/");
        assert_eq!((p.host.as_str(), p.port), ("proxy.local", 3128));
        assert!(!p.has_credentials());
        assert_eq!(p.authority(), "proxy.local:3128");

        // "p@ss:w0rd" percent-encoded; base64("user:p@ss:w0rd") = dXNlcjpwQHNzOncwcmQ=
        let p = parse("HTTP://user:p%40ss%3Aw0rd@[::1]:8080");
        assert_eq!((p.host.as_str(), p.port), ("::1", 8080));
        assert_eq!(p.authority(), "[::1]:8080");
        let request = p.request("example.com:443");
        assert!(
            request.starts_with("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n")
        );
        assert!(request.contains("\r\nProxy-Authorization: Basic dXNlcjpwQHNzOncwcmQ=\r\n"));
        assert!(request.ends_with("\r\n\r\n"));
        // A raw '@' in the password works too: the last '@' ends the credentials.
        let p = parse("http://user:p@ss@127.0.0.1:1");
        assert_eq!(p.host, "127.0.0.1");
        assert!(p.request("h:1").contains("dXNlcjpwQHNz"));
    }

    #[test]
    fn debug_and_errors_hide_the_credentials() {
        let p = parse("http://alice:s3cret@proxy:3128");
        let shown = format!("{p:?}");
        assert!(
            !shown.contains("alice") && !shown.contains("s3cret"),
            "{shown}"
        );
        for err in [
            ProxyError::AuthRefused {
                proxy: p.authority().to_owned(),
            },
            ProxyError::AuthRequired {
                proxy: p.authority().to_owned(),
            },
        ] {
            let t = err.text();
            assert!(t.en.contains("407") && t.ru.contains("407"), "{t:?}");
            assert!(!t.en.contains("s3cret") && !t.ru.contains("s3cret"));
        }
        let bad = ProxyAddr::parse("http://alice:s3cret%zz@proxy:3128").unwrap_err();
        assert!(matches!(bad, ProxyError::Invalid(Invalid::Credentials)));
        assert!(!bad.text().en.contains("s3cret"));
    }

    #[test]
    fn rejects_what_is_not_a_proxy_address() {
        for bad in [
            "socks5://h:1",
            "http://",
            "http://h",
            "http://h:0",
            "http://h:x",
            "http://h:1/path",
            "http://u:p@",
            "http://[::1]",
        ] {
            assert!(ProxyAddr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_status_lines() {
        assert_eq!(
            status_line(b"HTTP/1.1 200 Connection established\r\n\r\n"),
            Some((200, "Connection established".into()))
        );
        assert_eq!(
            status_line(b"HTTP/1.0 407\r\n\r\n"),
            Some((407, String::new()))
        );
        assert_eq!(status_line(b"SSH-2.0-OpenSSH\r\n\r\n"), None);
        assert_eq!(status_line(b"HTTP/1.1 20 OK\r\n\r\n"), None);
        assert_eq!(status_line(b"HTTP/2 200\r\n\r\n"), None);
        assert_eq!(first_line(b"bad\x01line\r\nrest"), "badline");
    }

    #[test]
    fn reads_exactly_the_header() {
        let answer = b"HTTP/1.1 200 OK\r\nVia: test\r\n\r\nTARGET BYTES";
        let mut io = futures::io::Cursor::new(&answer[..]);
        let head = rt::block_on(read_head(&mut io)).ok().unwrap();
        assert!(head.ends_with(b"\r\n\r\n"));
        assert_eq!(io.position() as usize, head.len());

        let mut io = futures::io::Cursor::new(&b"HTTP/1.1 200"[..]);
        let err = rt::block_on(read_head(&mut io)).err().unwrap();
        assert!(matches!(err, HeadError::Bad(Malformed::ClosedEarly)));

        let endless = vec![b'x'; MAX_ANSWER_HEAD + 10];
        let mut io = futures::io::Cursor::new(&endless[..]);
        let err = rt::block_on(read_head(&mut io)).err().unwrap();
        assert!(matches!(err, HeadError::Bad(Malformed::TooLong)));
    }
}
