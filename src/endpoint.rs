//! Where to connect: the URI given to `Connect`, parsed and checked, and the Engine.IO URLs
//! built from it. Pure code.

use crate::lang::{clip, Text};
use crate::text;

/// A parsed `Connect` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `wss://` or `https://`.
    pub secure: bool,
    /// Host name or address, without IPv6 brackets.
    pub host: String,
    /// Port (the scheme's default when the URI has none).
    pub port: u16,
    /// The Socket.IO namespace: the URI's path, `/` when empty.
    pub namespace: String,
    /// The URI's query parameters, still percent-encoded, in order.
    pub query: Vec<(String, String)>,
}

impl Endpoint {
    /// Parses `ws://`, `wss://`, `http://` or `https://` URIs. The error says what to change.
    pub fn parse(uri: &str) -> Result<Endpoint, Text> {
        let uri = uri.trim();
        let shown = clip(uri);
        let bad = |why: Text| text!("invalid URI \"{}\": {}", shown, why.en; "неверный URI \"{}\": {}", shown, why.ru);
        let (scheme, rest) = uri.split_once("://").ok_or_else(|| {
            bad(
                text!("it must start with ws://, wss://, http:// or https://";
                      "он должен начинаться с ws://, wss://, http:// или https://"),
            )
        })?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "ws" | "http" => false,
            "wss" | "https" => true,
            other => {
                return Err(bad(
                    text!("unknown scheme \"{}\" (use ws, wss, http or https)", other;
                                     "неизвестная схема \"{}\" (нужна ws, wss, http или https)", other),
                ))
            }
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let (authority_path, query) = match rest.split_once('?') {
            Some((a, q)) => (a, q),
            None => (rest, ""),
        };
        let (authority, path) = match authority_path.find('/') {
            Some(i) => authority_path.split_at(i),
            None => (authority_path, ""),
        };
        if authority.contains('@') {
            return Err(bad(
                text!("user names and passwords in the URI are not supported (use the Headers or Auth property)";
                                 "имя пользователя и пароль в URI не поддерживаются (используйте свойство Заголовки или Авторизация)"),
            ));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| {
            bad(text!("the host or port is missing or invalid"; "не указан или неверен хост или порт"))
        })?;
        let port = match port {
            Some(p) => p,
            None if secure => 443,
            None => 80,
        };
        let namespace = if path.is_empty() {
            "/".to_owned()
        } else {
            path.to_owned()
        };
        if namespace
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
        {
            return Err(bad(
                text!("the namespace (the path) must not contain spaces or commas";
                                 "пространство имён (путь) не должно содержать пробелов и запятых"),
            ));
        }
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (p.to_owned(), String::new()),
            })
            .collect();
        Ok(Endpoint {
            secure,
            host,
            port,
            namespace,
            query,
        })
    }

    /// `host:port` as it goes into the `Host` header (IPv6 in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The longest host name accepted (the longest DNS name).
const MAX_HOST_LEN: usize = 253;

/// Splits `host[:port]` / `[v6][:port]`; `None` when the host is empty or the port invalid.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    // 253 characters is the longest DNS name; anything longer cannot be a host.
    if host.is_empty()
        || host.len() > MAX_HOST_LEN
        || host
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c == '[' || c == ']')
    {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0)?),
        None => None,
    };
    Some((host.to_owned(), port))
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay as they are).
pub fn percent_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_uris() {
        let e = Endpoint::parse("ws://localhost:3000").unwrap();
        assert_eq!(
            (e.secure, e.host.as_str(), e.port, e.namespace.as_str()),
            (false, "localhost", 3000, "/")
        );
        let e = Endpoint::parse("wss://example.com/chat?token=a%20b&x").unwrap();
        assert_eq!(
            (e.secure, e.port, e.namespace.as_str()),
            (true, 443, "/chat")
        );
        assert_eq!(
            e.query,
            vec![
                ("token".into(), "a%20b".into()),
                ("x".into(), String::new())
            ]
        );
        let e = Endpoint::parse("HTTP://[::1]:8080/").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.authority()),
            ("::1", 8080, "[::1]:8080".to_owned())
        );
        assert_eq!(Endpoint::parse("http://h").unwrap().port, 80);
    }

    #[test]
    fn rejects_what_cannot_work_with_a_clear_text() {
        for bad in [
            "",
            "localhost:3000",
            "ftp://h",
            "ws://",
            "ws://:80",
            "ws://h:0",
            "ws://h:99999",
            "ws://h:x",
            "ws://u:p@h",
            "ws://h/a b",
            "ws://[::1",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert!(err.en.starts_with("invalid URI"), "{bad}: {err:?}");
            assert!(err.ru.starts_with("неверный URI"), "{bad}: {err:?}");
        }
    }

    #[test]
    fn percent_encoding_keeps_unreserved() {
        let mut s = String::new();
        percent_encode("a b/é~", &mut s);
        assert_eq!(s, "a%20b%2F%C3%A9~");
    }
}
