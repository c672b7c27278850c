//! Connection-state recovery (socket.io ≥ 4.6) on the wire: the offset that the server appends
//! to events, and the CONNECT payload that asks for the session back.
//!
//! When recovery is on, the server's CONNECT reply carries a private session id (`pid`), and every
//! ack-less, non-volatile EVENT it sends gets one more trailing string argument: the offset of
//! that event in the server's log. A client that reconnects sends `{"pid":…,"offset":…}` (merged
//! with its auth) and the server replays what came after that offset.

use super::json;

/// Finds the offset at the end of an event's argument array: `["ev",1,"Q8JpgYB"]` gives
/// `(7, "Q8JpgYB")`: the array without it is `["ev",1` (its first 7 bytes) and a `]`.
///
/// The offset is the last element when that element is a JSON string and is not the event name
/// itself (an array of one element is left alone). `None` when there is no such element, or the
/// text is not an array. `array` must be valid JSON without whitespace around it (as decoded
/// packets are); whitespace between tokens is allowed. Scans backwards from the end: no parse of
/// the arguments.
pub fn split_offset(array: &str) -> Option<(usize, String)> {
    let bytes = array.as_bytes();
    let last = bytes.len().checked_sub(1)?;
    if bytes.first() != Some(&b'[') || bytes.get(last) != Some(&b']') {
        return None;
    }
    // The closing quote of the last element, just before `]`.
    let close = skip_ws_back(bytes, last).checked_sub(1)?;
    if bytes.get(close) != Some(&b'"') {
        return None;
    }
    // Inside a string literal every `"` is escaped, so the first unescaped one to the left
    // opens it.
    let mut open = close;
    loop {
        open = open.checked_sub(1)?;
        if bytes.get(open) == Some(&b'"') && backslashes_before(bytes, open).is_multiple_of(2) {
            break;
        }
    }
    let comma = skip_ws_back(bytes, open).checked_sub(1)?;
    if bytes.get(comma) != Some(&b',') {
        return None;
    }
    let offset = json::string_value(array, open, close + 1)?.into_owned();
    Some((comma, offset))
}

/// The index of the first of the whitespace bytes that end just before `end`.
fn skip_ws_back(bytes: &[u8], mut end: usize) -> usize {
    while end > 0 && bytes.get(end - 1).is_some_and(|&b| json::is_ws(b)) {
        end -= 1;
    }
    end
}

/// How many `\` come right before `at`.
fn backslashes_before(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(..at)
        .unwrap_or_default()
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count()
}

/// The CONNECT payload that asks for session `pid` back from `offset` on: `{"pid":…,"offset":…}`
/// followed by the members of `auth` (a JSON object or empty). Like the JavaScript client
/// (`Object.assign({pid, offset}, auth)`), a key that `auth` also has is decided by `auth`: it
/// comes later, and JSON parsers keep the last. Without an offset (no event received yet) only
/// the pid is sent, and the server starts a new session.
pub fn connect_payload(auth: &str, pid: &str, offset: Option<&str>) -> String {
    let mut out = String::with_capacity(auth.len() + pid.len() + 48);
    out.push_str("{\"pid\":");
    json::push_string(&mut out, pid);
    if let Some(offset) = offset {
        out.push_str(",\"offset\":");
        json::push_string(&mut out, offset);
    }
    let members = json::trim(auth)
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .map(json::trim)
        .unwrap_or_default();
    if !members.is_empty() {
        out.push(',');
        out.push_str(members);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The array without its offset, and the offset.
    fn split(s: &str) -> Option<(String, String)> {
        split_offset(s).map(|(end, offset)| (format!("{}]", &s[..end]), offset))
    }

    #[test]
    fn the_trailing_string_is_the_offset() {
        assert_eq!(
            split(r#"["echo",1,"Q8JpgYB"]"#),
            Some((r#"["echo",1]"#.into(), "Q8JpgYB".into()))
        );
        assert_eq!(
            split(r#"[ "ev" , {"a":"]"} , "x\"y\\" ]"#),
            Some((r#"[ "ev" , {"a":"]"} ]"#.into(), "x\"y\\".into()))
        );
        assert_eq!(
            split(r#"["greeting","Привет мир!","MNKn"]"#),
            Some((r#"["greeting","Привет мир!"]"#.into(), "MNKn".into()))
        );
    }

    #[test]
    fn no_offset_when_the_last_element_is_not_a_string_or_is_the_name() {
        assert_eq!(split(r#"["ev"]"#), None);
        assert_eq!(split(r#"["ev",1]"#), None);
        assert_eq!(split(r#"["ev",{"k":"v"}]"#), None);
        assert_eq!(split(r#"["ev",["v"]]"#), None);
        assert_eq!(split(r#"{"a":"b"}"#), None);
        assert_eq!(split(""), None);
        assert_eq!(split("]"), None);
        assert_eq!(split(r#"""#), None);
        assert_eq!(split(r#"["#), None);
    }

    #[test]
    fn the_connect_payload_puts_auth_after_pid_and_offset() {
        assert_eq!(
            connect_payload("", "p1", Some("o1")),
            r#"{"pid":"p1","offset":"o1"}"#
        );
        assert_eq!(connect_payload(" { } ", "p1", None), r#"{"pid":"p1"}"#);
        assert_eq!(
            connect_payload(r#"{ "token": "секрет" }"#, "p", Some("o")),
            r#"{"pid":"p","offset":"o","token": "секрет"}"#
        );
    }
}
