//! The Engine.IO request URL: `{scheme}://{host}:{port}{path}?EIO=4&transport=…[&sid=…]&…`,
//! its origin form for HTTP request lines, and the key that names a server. Pure.

use crate::config::ConnectRequest;
use crate::endpoint::{percent_encode, Endpoint};
use crate::protocol::EioVersion;

/// Builds the URL of an Engine.IO request. `websocket` picks `ws(s)`/`transport=websocket`,
/// otherwise `http(s)`/`transport=polling`. The URI's own query and the `Query` property are
/// appended (the property's values are percent-encoded here; the URI's are already encoded).
pub fn engine_url(
    req: &ConnectRequest,
    websocket: bool,
    version: EioVersion,
    sid: Option<&str>,
) -> String {
    let e = &req.endpoint;
    let scheme = match (websocket, e.secure) {
        (true, false) => "ws",
        (true, true) => "wss",
        (false, false) => "http",
        (false, true) => "https",
    };
    format!(
        "{scheme}://{}{}",
        host_header(e),
        engine_target(req, websocket, version, sid)
    )
}

/// The `Host` of every request: `host:port`, without the port when it is the scheme's default
/// (as browsers send it; virtual hosts behind a reverse proxy are matched on it).
pub fn host_header(e: &Endpoint) -> String {
    let default_port = if e.secure { 443 } else { 80 };
    if e.port != default_port {
        e.authority()
    } else if e.host.contains(':') {
        format!("[{}]", e.host)
    } else {
        e.host.clone()
    }
}

/// The same request in origin form (`/socket.io/?EIO=4&transport=…`), as an HTTP request line
/// takes it.
///
/// Engine.IO 3 polling requests do not carry `b64=1`: the client reads binary bodies, and with
/// `b64=1` socket.io 1.x answers in text that is UTF-8 encoded twice with byte lengths (its
/// parser's "utf8encode"), while 2.x answers real text with UTF-16 lengths and python-engineio 3
/// counts code points: only the binary framing means the same thing everywhere.
pub fn engine_target(
    req: &ConnectRequest,
    websocket: bool,
    version: EioVersion,
    sid: Option<&str>,
) -> String {
    let mut url = req.config.path.clone();
    url.push_str("?EIO=");
    url.push_str(version.query_value());
    url.push_str(if websocket {
        "&transport=websocket"
    } else {
        "&transport=polling"
    });
    if let Some(sid) = sid {
        url.push_str("&sid=");
        percent_encode(sid, &mut url);
    }
    for (k, v) in &req.endpoint.query {
        url.push('&');
        url.push_str(k);
        if !v.is_empty() {
            url.push('=');
            url.push_str(v);
        }
    }
    for (k, v) in &req.config.query {
        url.push('&');
        percent_encode(k, &mut url);
        url.push('=');
        percent_encode(v, &mut url);
    }
    url
}

/// Where a server's Engine.IO endpoint is, as a key for what is remembered about it:
/// `http(s)://host:port/path` (websocket and polling URLs of one server share it).
pub fn server_key(req: &ConnectRequest) -> String {
    let e = &req.endpoint;
    let scheme = if e.secure { "https" } else { "http" };
    format!("{scheme}://{}{}", e.authority(), req.config.path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConnectionConfig;
    use crate::endpoint::Endpoint;

    #[test]
    fn builds_the_handshake_url() {
        let config = ConnectionConfig {
            query: vec![("user".into(), "Иван".into())],
            ..ConnectionConfig::default()
        };
        let req = ConnectRequest {
            endpoint: Endpoint::parse("ws://127.0.0.1:3000/chat?token=x").unwrap(),
            config,
            log: None,
        };
        assert_eq!(
            engine_url(&req, true, EioVersion::V4, None),
            "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket&token=x&user=%D0%98%D0%B2%D0%B0%D0%BD"
        );
        assert_eq!(
            engine_url(&req, false, EioVersion::V3, Some("a b")),
            "http://127.0.0.1:3000/socket.io/?EIO=3&transport=polling&sid=a%20b&token=x&user=%D0%98%D0%B2%D0%B0%D0%BD"
        );
        assert_eq!(
            engine_target(&req, false, EioVersion::V4, Some("s")),
            "/socket.io/?EIO=4&transport=polling&sid=s&token=x&user=%D0%98%D0%B2%D0%B0%D0%BD"
        );
        assert_eq!(server_key(&req), "http://127.0.0.1:3000/socket.io/");
        let host = |uri: &str| host_header(&Endpoint::parse(uri).unwrap());
        assert_eq!(host("ws://example.org:80/"), "example.org");
        assert_eq!(host("https://example.org/"), "example.org");
        assert_eq!(host("wss://example.org:80/"), "example.org:80");
        assert_eq!(host("http://[::1]/"), "[::1]");
        assert_eq!(host("http://[::1]:3000/"), "[::1]:3000");
    }
}
