//! The cookie jar of one Engine.IO session: cookies the server sets on any response (the
//! handshake first) go back on every later request and on the websocket upgrade.
//!
//! Load balancers with sticky sessions pin a client to a backend with a cookie (socket.io 1.x/2.x
//! also set `io=<sid>` by default). Without the jar, the polling requests and the upgrade of one
//! session could land on different backends, which do not know the session.
//!
//! Deliberately small: one server per jar, so `Domain` and `Path` do not matter; `Max-Age=0` (or
//! negative) removes a cookie, other attributes are ignored. Cookies live as long as the session.

use std::sync::{Mutex, MutexGuard};

/// The most cookies kept: a server that sets more is misbehaving; the oldest are dropped.
const MAX_COOKIES: usize = 64;

/// Cookies set by the server during one session, in the order they were first set.
#[derive(Debug, Default)]
pub struct CookieJar {
    cookies: Mutex<Vec<(String, String)>>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> CookieJar {
        CookieJar::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(String, String)>> {
        // Every critical section is a plain update of the list: a poisoned lock holds
        // consistent data.
        self.cookies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes one `Set-Cookie` header value (`name=value; Path=/; HttpOnly …`).
    pub fn store(&self, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || !is_header_safe(name) || !is_header_safe(value) {
            return;
        }
        let expired = parts.any(|attr| {
            attr.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("max-age")
                    && v.trim().parse::<i64>().is_ok_and(|age| age <= 0)
            })
        });
        let mut cookies = self.lock();
        cookies.retain(|(n, _)| n != name);
        if !expired {
            if cookies.len() >= MAX_COOKIES {
                cookies.remove(0);
            }
            cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    /// The `Cookie` header value for the next request, joined after `user` (a `Cookie` header
    /// given in the `Headers` property); `None` when there is nothing to send.
    pub fn header(&self, user: Option<&str>) -> Option<String> {
        let cookies = self.lock();
        let mut out = user.map(str::trim).unwrap_or_default().to_owned();
        for (name, value) in cookies.iter() {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
        (!out.is_empty()).then_some(out)
    }
}

/// No control characters: the value goes into a request header as it is.
fn is_header_safe(s: &str) -> bool {
    !s.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_replaces_and_expires_cookies() {
        let jar = CookieJar::new();
        assert_eq!(jar.header(None), None);
        jar.store("io=abc; Path=/; HttpOnly; SameSite=Strict");
        jar.store("AWSALB=node1; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Path=/");
        assert_eq!(jar.header(None).as_deref(), Some("io=abc; AWSALB=node1"));
        jar.store("io=def");
        assert_eq!(jar.header(None).as_deref(), Some("AWSALB=node1; io=def"));
        jar.store("AWSALB=; Max-Age=0");
        assert_eq!(
            jar.header(Some(" user=1 ")).as_deref(),
            Some("user=1; io=def")
        );
        // Not cookies at all, or unsafe to send back: ignored.
        jar.store("garbage");
        jar.store("=x");
        jar.store("a=b\r\nX-Injected: 1");
        assert_eq!(jar.header(None).as_deref(), Some("io=def"));
    }

    #[test]
    fn the_jar_is_bounded() {
        let jar = CookieJar::new();
        for i in 0..(MAX_COOKIES + 10) {
            jar.store(&format!("c{i}=v"));
        }
        let header = jar.header(None).unwrap_or_default();
        assert_eq!(header.split("; ").count(), MAX_COOKIES);
        assert!(header.ends_with(&format!("c{}=v", MAX_COOKIES + 9)));
        assert!(!header.starts_with("c0="));
    }
}
