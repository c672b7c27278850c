//! The text of every event that 1C receives: the `Событие` and `Данные` strings of api.md.
//!
//! Pure functions, one per kind of event. The seed events are byte-exact (1C code compares them
//! literally): a space after each colon, none after a comma, keys in a fixed order.

use std::sync::Arc;

/// One event for 1C: the `Событие` and `Данные` arguments of `ВнешнееСобытие`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEvent {
    /// `Событие`: a JSON object describing the event. Shared: a stream of messages of one name
    /// carries one text (see the registry), which costs no copy per event.
    pub event: Arc<str>,
    /// `Данные`: the payload (JSON text).
    pub data: String,
}

/// Why a connection closed (the `Reason` of the Close event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// `Disconnect` was called.
    Normal,
    /// The server disconnected this namespace (`41`) or closed the session.
    ServerDisconnect,
    /// The transport closed cleanly under us.
    TransportClose,
    /// The transport failed (reset, TLS error, HTTP error).
    TransportError,
    /// No heartbeat within the server's pingInterval + pingTimeout.
    PingTimeout,
    /// The server sent something that is not Engine.IO/Socket.IO.
    ParseError,
}

impl CloseReason {
    /// The word that goes into the event.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Normal => "Normal",
            CloseReason::ServerDisconnect => "ServerDisconnect",
            CloseReason::TransportClose => "TransportClose",
            CloseReason::TransportError => "TransportError",
            CloseReason::PingTimeout => "PingTimeout",
            CloseReason::ParseError => "ParseError",
        }
    }
}

use crate::protocol::json::push_string as push_json_str;
use crate::protocol::socketio::push_u64;

/// `{"Event": "Connection","State": "Open"}` (seed), with `,"Recovered": true` when the server
/// restored the session.
pub fn open(recovered: bool) -> HostEvent {
    let event = if recovered {
        r#"{"Event": "Connection","State": "Open","Recovered": true}"#
    } else {
        r#"{"Event": "Connection","State": "Open"}"#
    };
    HostEvent {
        event: Arc::from(event),
        data: r#"{"Connection": "Open"}"#.to_owned(),
    }
}

/// `{"Event": "Connection","State": "Close","Reason": "Normal"}` (seed) and the other reasons.
pub fn close(reason: CloseReason) -> HostEvent {
    HostEvent {
        event: Arc::from(format!(
            r#"{{"Event": "Connection","State": "Close","Reason": "{}"}}"#,
            reason.as_str()
        )),
        data: r#"{"Connection": "Close"}"#.to_owned(),
    }
}

/// `{"Event": "Connection","State": "Fail"}` (seed).
pub fn fail() -> HostEvent {
    HostEvent {
        event: Arc::from(r#"{"Event": "Connection","State": "Fail"}"#),
        data: r#"{"Connection": "Fail"}"#.to_owned(),
    }
}

/// `{"Event": "Connection","State": "Reconnecting","Attempt": N}`.
pub fn reconnecting(attempt: u32) -> HostEvent {
    HostEvent {
        event: Arc::from(format!(
            r#"{{"Event": "Connection","State": "Reconnecting","Attempt": {attempt}}}"#
        )),
        data: r#"{"Connection": "Reconnecting"}"#.to_owned(),
    }
}

/// `{"Event": "Error","Message": "<text>"}` with the server's payload (JSON) or `null`.
pub fn error(message: &str, payload_json: Option<&str>) -> HostEvent {
    let mut event = String::with_capacity(message.len() + 32);
    event.push_str(r#"{"Event": "Error","Message": "#);
    push_json_str(&mut event, message);
    event.push('}');
    HostEvent {
        event: Arc::from(event),
        data: payload_json.unwrap_or("null").to_owned(),
    }
}

/// The kind of a message event (`Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// A text event (JSON arguments only).
    String,
    /// An event with binary attachments.
    Binary,
}

/// `{"Event": "Message","Namespace": "/","Name": "new message","Type": "String"}` (seed), with
/// `,"AckId": K` when the server asked for an acknowledgement. `args_json` is the event's whole
/// argument array, event name first.
pub fn message(
    namespace: &str,
    name: &str,
    kind: MessageType,
    ack_id: Option<u64>,
    args_json: String,
) -> HostEvent {
    let mut event = String::with_capacity(64 + namespace.len() + name.len());
    event.push_str(r#"{"Event": "Message","Namespace": "#);
    push_json_str(&mut event, namespace);
    event.push_str(r#","Name": "#);
    push_json_str(&mut event, name);
    event.push_str(match kind {
        MessageType::String => r#","Type": "String""#,
        MessageType::Binary => r#","Type": "Binary""#,
    });
    if let Some(id) = ack_id {
        event.push_str(r#","AckId": "#);
        push_u64(&mut event, id);
    }
    event.push('}');
    HostEvent {
        event: Arc::from(event),
        data: args_json,
    }
}

/// The state of an acknowledgement event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckState {
    /// The server acknowledged; the data is its argument array.
    Ok,
    /// No acknowledgement within the timeout.
    Timeout,
    /// The connection was lost before the acknowledgement.
    Disconnected,
}

/// `{"Event": "Ack","Id": I,"Name": "<event>","State": "Ok"}` with the ack's arguments.
pub fn ack(id: u64, name: &str, state: AckState, args_json: String) -> HostEvent {
    let mut event = String::with_capacity(64 + name.len());
    event.push_str(r#"{"Event": "Ack","Id": "#);
    push_u64(&mut event, id);
    event.push_str(r#","Name": "#);
    push_json_str(&mut event, name);
    event.push_str(match state {
        AckState::Ok => r#","State": "Ok"}"#,
        AckState::Timeout => r#","State": "Timeout"}"#,
        AckState::Disconnected => r#","State": "Disconnected"}"#,
    });
    HostEvent {
        event: Arc::from(event),
        data: args_json,
    }
}

/// Notify mode: `{"Event": "Queue","State": "Pending","Length": N}` with `{"Queue": "Pending"}`,
/// N being how many events wait in the queue.
pub fn queue_pending(length: usize) -> HostEvent {
    let mut event = String::with_capacity(64);
    event.push_str(r#"{"Event": "Queue","State": "Pending","Length": "#);
    push_u64(&mut event, length as u64);
    event.push('}');
    HostEvent {
        event: Arc::from(event),
        data: r#"{"Queue": "Pending"}"#.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_events_are_byte_exact() {
        let e = open(false);
        assert_eq!(&*e.event, r#"{"Event": "Connection","State": "Open"}"#);
        assert_eq!(e.data, r#"{"Connection": "Open"}"#);
        let e = close(CloseReason::Normal);
        assert_eq!(
            &*e.event,
            r#"{"Event": "Connection","State": "Close","Reason": "Normal"}"#
        );
        assert_eq!(e.data, r#"{"Connection": "Close"}"#);
        let e = fail();
        assert_eq!(&*e.event, r#"{"Event": "Connection","State": "Fail"}"#);
        assert_eq!(e.data, r#"{"Connection": "Fail"}"#);
        let e = message(
            "/",
            "new message",
            MessageType::String,
            None,
            r#"["new message","Привет мир!"]"#.into(),
        );
        assert_eq!(
            &*e.event,
            r#"{"Event": "Message","Namespace": "/","Name": "new message","Type": "String"}"#
        );
        assert_eq!(e.data, r#"["new message","Привет мир!"]"#);
    }

    #[test]
    fn additions_keep_the_seed_style() {
        assert_eq!(
            &*open(true).event,
            r#"{"Event": "Connection","State": "Open","Recovered": true}"#
        );
        assert_eq!(
            &*close(CloseReason::PingTimeout).event,
            r#"{"Event": "Connection","State": "Close","Reason": "PingTimeout"}"#
        );
        assert_eq!(
            &*reconnecting(3).event,
            r#"{"Event": "Connection","State": "Reconnecting","Attempt": 3}"#
        );
        let e = error("Not \"authorized\"\n", Some(r#"{"code":401}"#));
        assert_eq!(
            &*e.event,
            r#"{"Event": "Error","Message": "Not \"authorized\"\n"}"#
        );
        assert_eq!(e.data, r#"{"code":401}"#);
        assert_eq!(error("x", None).data, "null");
        assert_eq!(
            &*message("/chat", "ev", MessageType::Binary, Some(7), "[]".into()).event,
            r#"{"Event": "Message","Namespace": "/chat","Name": "ev","Type": "Binary","AckId": 7}"#
        );
        assert_eq!(
            &*ack(12, "save", AckState::Timeout, "[]".into()).event,
            r#"{"Event": "Ack","Id": 12,"Name": "save","State": "Timeout"}"#
        );
        let e = queue_pending(42);
        assert_eq!(
            &*e.event,
            r#"{"Event": "Queue","State": "Pending","Length": 42}"#
        );
        assert_eq!(e.data, r#"{"Queue": "Pending"}"#);
    }
}
