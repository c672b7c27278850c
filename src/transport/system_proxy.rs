//! `Proxy = "system"`: the proxy that the operating system's settings give for one server.
//!
//! - Windows: the user's Internet settings (`ProxyEnable`, `ProxyServer` with its per-scheme
//!   lists such as `http=a:3128;https=b:3128`, `ProxyOverride` with `<local>` and wildcards), and
//!   where the user has none (a service account, such as the 1C server's) the machine's WinHTTP
//!   proxy (`netsh winhttp set proxy`).
//! - Elsewhere: the environment as curl reads it: `HTTPS_PROXY` for `wss://`/`https://`,
//!   `HTTP_PROXY` for `ws://`/`http://`, `ALL_PROXY` for either, each in lower or upper case,
//!   and `NO_PROXY` (host suffixes, `*`, `host:port`, addresses and address ranges).
//!
//! The environment is read only for `system`, at each connect (a changed setting counts at the
//! next one). The rules are pure functions of the settings' text, tested without the system.

use crate::endpoint::Endpoint;

/// Where a system proxy came from, for error texts (never the value: it may hold a password).
pub type Source = &'static str;

/// The proxy the system's settings give for `endpoint`, as a `Proxy` value
/// (`http://[user:password@]host:port`) and where it came from; `None`: connect directly.
pub fn proxy_for(endpoint: &Endpoint) -> Option<(String, Source)> {
    #[cfg(windows)]
    return windows::proxy_for(endpoint);
    #[cfg(not(windows))]
    return from_env(endpoint, |name| std::env::var(name).ok());
}

/// The environment's proxy for `endpoint`, `var` reading one variable.
#[cfg(any(test, not(windows)))]
fn from_env(endpoint: &Endpoint, var: impl Fn(&str) -> Option<String>) -> Option<(String, Source)> {
    let get = |lower: Source, upper: Source| {
        [lower, upper].into_iter().find_map(|name| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (v, name))
        })
    };
    let no_proxy = get("no_proxy", "NO_PROXY")
        .map(|(v, _)| v)
        .unwrap_or_default();
    if bypassed(&no_proxy, &endpoint.host, endpoint.port) {
        return None;
    }
    let (value, source) = if endpoint.secure {
        get("https_proxy", "HTTPS_PROXY")
    } else {
        get("http_proxy", "HTTP_PROXY")
    }
    .or_else(|| get("all_proxy", "ALL_PROXY"))?;
    Some((with_scheme(value.trim()), source))
}

/// A proxy written without a scheme (`proxy:3128`, as curl and Windows accept it) is HTTP.
fn with_scheme(value: &str) -> String {
    if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    }
}

/// Whether `NO_PROXY` exempts `host:port`: entries separated by commas (or spaces); `*` matches
/// every host; a name matches itself and its subdomains (a leading `.` or `*.` changes
/// nothing); `name:port` only that port; an address itself; `address/bits` a range.
#[cfg(any(test, not(windows)))]
fn bypassed(list: &str, host: &str, port: u16) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    list.split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (pattern, only_port) = split_port(entry);
            if only_port.is_some_and(|p| p != port) {
                return false;
            }
            if let Some((net, bits)) = pattern.split_once('/') {
                return in_range(&host, net, bits);
            }
            let pattern = pattern
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase();
            match (
                host.parse::<std::net::IpAddr>(),
                pattern.parse::<std::net::IpAddr>(),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => host == pattern || host.ends_with(&format!(".{pattern}")),
            }
        })
}

/// `entry` without a trailing `:port` (IPv6 addresses in brackets keep their colons).
#[cfg(any(test, not(windows)))]
fn split_port(entry: &str) -> (&str, Option<u16>) {
    let entry = entry.trim_start_matches('[');
    if let Some((addr, rest)) = entry.split_once(']') {
        return (addr, rest.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(port) => (name, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

/// Whether the address `host` is in `net/bits`.
#[cfg(any(test, not(windows)))]
fn in_range(host: &str, net: &str, bits: &str) -> bool {
    use std::net::IpAddr;
    let (Ok(host), Ok(net), Ok(bits)) = (
        host.parse::<IpAddr>(),
        net.parse::<IpAddr>(),
        bits.parse::<u32>(),
    ) else {
        return false;
    };
    match (host, net) {
        (IpAddr::V4(h), IpAddr::V4(n)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(h) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(h), IpAddr::V6(n)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(h) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The proxy of a Windows `ProxyServer` value for a server reached securely or not:
/// `host:port` for every scheme, or `scheme=host:port;…` per scheme (`https=` for `wss://`,
/// `http=` for `ws://`; none: no proxy for it).
#[cfg(any(test, windows))]
fn windows_server(value: &str, secure: bool) -> Option<String> {
    let value = value.trim();
    if !value.contains('=') {
        return (!value.is_empty()).then(|| with_scheme(value));
    }
    let want = if secure { "https" } else { "http" };
    value
        .split(';')
        .filter_map(|part| part.split_once('='))
        .find(|(scheme, _)| scheme.trim().eq_ignore_ascii_case(want))
        .map(|(_, server)| with_scheme(server.trim()))
        .filter(|server| server.len() > "http://".len())
}

/// Whether a Windows `ProxyOverride` value exempts `host`: entries separated by `;`, with `*`
/// wildcards, case-insensitive; `<local>` matches names without a dot.
#[cfg(any(test, windows))]
fn windows_bypassed(list: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    list.split(';').map(str::trim).any(|entry| {
        if entry.eq_ignore_ascii_case("<local>") {
            return !host.contains('.');
        }
        !entry.is_empty() && wildcard(&entry.to_ascii_lowercase(), &host)
    })
}

/// `*` matches any run of characters.
#[cfg(any(test, windows))]
fn wildcard(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| wildcard(tail, &rest[i..]))
        }
    }
}

/// The machine's WinHTTP proxy (`netsh winhttp set proxy`), from the registry value
/// `WinHttpSettings`: version and counter words, flags (bit 1: a proxy is set), then the proxy
/// list and the bypass list, each as a length word and ANSI text.
#[cfg(any(test, windows))]
fn winhttp_settings(blob: &[u8]) -> Option<(String, String)> {
    let word = |at: usize| {
        blob.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let flags = word(8)?;
    if flags & 2 == 0 {
        return None;
    }
    let text = |at: usize| {
        let len = word(at)?;
        let bytes = blob.get(at + 4..at + 4 + len)?;
        Some((String::from_utf8_lossy(bytes).into_owned(), at + 4 + len))
    };
    let (server, next) = text(12)?;
    let (bypass, _) = text(next).unwrap_or_default();
    Some((server, bypass))
}

/// The rules above applied to the settings of Windows.
#[cfg(any(test, windows))]
fn from_windows(
    endpoint: &Endpoint,
    server: &str,
    bypass: &str,
    source: Source,
) -> Option<(String, Source)> {
    if windows_bypassed(bypass, &endpoint.host) {
        return None;
    }
    windows_server(server, endpoint.secure).map(|proxy| (proxy, source))
}

#[cfg(windows)]
mod windows {
    use winreg::enums::{HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE};
    use winreg::RegKey;

    // By the full path: the layer test reads `super::` as the parent of this file.
    use crate::endpoint::Endpoint;
    use crate::transport::system_proxy::{from_windows, winhttp_settings, Source};

    const INTERNET_SETTINGS: &str = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings";

    /// The user's Internet settings when their proxy is on, else the machine's WinHTTP proxy.
    pub(super) fn proxy_for(endpoint: &Endpoint) -> Option<(String, Source)> {
        let user = RegKey::predef(HKEY_CURRENT_USER)
            .open_subkey(INTERNET_SETTINGS)
            .ok();
        if let Some(user) = user.filter(|u| u.get_value::<u32, _>("ProxyEnable").unwrap_or(0) != 0)
        {
            let server: String = user.get_value("ProxyServer").unwrap_or_default();
            let bypass: String = user.get_value("ProxyOverride").unwrap_or_default();
            return from_windows(endpoint, &server, &bypass, "the Windows Internet settings");
        }
        let machine = RegKey::predef(HKEY_LOCAL_MACHINE)
            .open_subkey(format!(r"{INTERNET_SETTINGS}\Connections"))
            .ok()?;
        let blob = machine.get_raw_value("WinHttpSettings").ok()?.bytes;
        let (server, bypass) = winhttp_settings(&blob)?;
        from_windows(endpoint, &server, &bypass, "the WinHTTP proxy of Windows")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(uri: &str) -> Endpoint {
        Endpoint::parse(uri).unwrap()
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_environment_is_read_as_curl_reads_it() {
        let vars = [
            ("HTTPS_PROXY", "http://user:pw@secure:3128"),
            ("http_proxy", "plain:8080"),
            ("ALL_PROXY", "http://all:1"),
        ];
        assert_eq!(
            from_env(&endpoint("wss://example.org/"), env(&vars)),
            Some(("http://user:pw@secure:3128".into(), "HTTPS_PROXY"))
        );
        assert_eq!(
            from_env(&endpoint("ws://example.org/"), env(&vars)),
            Some(("http://plain:8080".into(), "http_proxy"))
        );
        let only_all = [("all_proxy", "http://all:1")];
        assert_eq!(
            from_env(&endpoint("wss://example.org/"), env(&only_all)),
            Some(("http://all:1".into(), "all_proxy"))
        );
        // The lower-case name wins, as in curl.
        let both = [
            ("https_proxy", "http://low:1"),
            ("HTTPS_PROXY", "http://up:2"),
        ];
        assert_eq!(
            from_env(&endpoint("https://x/"), env(&both)).unwrap().1,
            "https_proxy"
        );
        assert_eq!(from_env(&endpoint("wss://example.org/"), env(&[])), None);
    }

    #[test]
    fn no_proxy_takes_suffixes_stars_ports_addresses_and_ranges() {
        let exempt = |list: &str, host: &str, port: u16| bypassed(list, host, port);
        assert!(exempt("*", "anything", 1));
        assert!(exempt("example.org", "example.org", 443));
        assert!(exempt(".example.org", "api.example.org", 443));
        assert!(exempt("*.example.org", "api.example.org", 443));
        assert!(!exempt("example.org", "badexample.org", 443));
        assert!(exempt("localhost:3000", "localhost", 3000));
        assert!(!exempt("localhost:3000", "localhost", 3001));
        assert!(exempt("127.0.0.1", "127.0.0.1", 80));
        assert!(exempt("10.0.0.0/8, 192.168.1.0/24", "10.2.3.4", 80));
        assert!(!exempt("10.0.0.0/8", "11.0.0.1", 80));
        assert!(exempt("::1", "::1", 80));
        assert!(exempt("[::1]:80", "::1", 80));
        assert!(exempt("fd00::/8", "fd12::1", 80));
        assert!(!exempt("", "example.org", 80));
        let vars = [("NO_PROXY", "127.0.0.1"), ("HTTPS_PROXY", "http://p:1")];
        assert_eq!(from_env(&endpoint("wss://127.0.0.1:9/"), env(&vars)), None);
    }

    #[test]
    fn windows_settings_per_scheme_and_with_overrides() {
        assert_eq!(
            windows_server("proxy:3128", true).as_deref(),
            Some("http://proxy:3128")
        );
        let list = "http=a:3128;https=b:3129;ftp=c:21";
        assert_eq!(windows_server(list, true).as_deref(), Some("http://b:3129"));
        assert_eq!(
            windows_server(list, false).as_deref(),
            Some("http://a:3128")
        );
        assert_eq!(windows_server("socks=s:1080", true), None);
        assert_eq!(windows_server("", true), None);
        assert!(windows_bypassed("<local>", "intranet"));
        assert!(!windows_bypassed("<local>", "intranet.corp"));
        assert!(windows_bypassed("*.corp.local;10.*", "api.CORP.local"));
        assert!(windows_bypassed("*.corp.local;10.*", "10.1.2.3"));
        assert!(!windows_bypassed("*.corp.local;10.*", "example.org"));
        let e = endpoint("wss://api.corp.local/");
        assert_eq!(from_windows(&e, "p:1", "*.corp.local", "x"), None);
        let e = endpoint("wss://example.org/");
        assert_eq!(
            from_windows(&e, "p:1", "*.corp.local", "x"),
            Some(("http://p:1".into(), "x"))
        );
    }

    #[test]
    fn winhttp_settings_are_read_from_their_blob() {
        let mut blob = Vec::new();
        for w in [0x18u32, 5, 3] {
            blob.extend(w.to_le_bytes());
        }
        blob.extend(10u32.to_le_bytes());
        blob.extend(b"proxy:3128");
        blob.extend(7u32.to_le_bytes());
        blob.extend(b"<local>");
        assert_eq!(
            winhttp_settings(&blob),
            Some(("proxy:3128".into(), "<local>".into()))
        );
        // Flags 1: direct access.
        blob[8] = 1;
        assert_eq!(winhttp_settings(&blob), None);
        assert_eq!(winhttp_settings(&[1, 2, 3]), None);
    }
}
