//! What the end-to-end tests share: making a `Client` object through the C ABI, connecting it,
//! calling its methods, and telling events apart by their exact text (api.md).
//!
//! Every wait is for an event or a server line, with a generous deadline; nothing sleeps.

#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use testkit::host::{library, Event, HostOptions, Object, V};

/// Long enough for a loaded CI machine; a passing run takes milliseconds per wait.
pub const WAIT: Duration = Duration::from_secs(20);

/// The seed Open event.
pub const OPEN: &str = r#"{"Event": "Connection","State": "Open"}"#;
/// The Open event after a restored session.
pub const OPEN_RECOVERED: &str = r#"{"Event": "Connection","State": "Open","Recovered": true}"#;
/// The seed Fail event.
pub const FAIL: &str = r#"{"Event": "Connection","State": "Fail"}"#;
/// The seed Close event after `Disconnect`.
pub const CLOSE_NORMAL: &str = r#"{"Event": "Connection","State": "Close","Reason": "Normal"}"#;

/// The Close event with `reason`.
pub fn close(reason: &str) -> String {
    format!(r#"{{"Event": "Connection","State": "Close","Reason": "{reason}"}}"#)
}

/// The Reconnecting event of attempt `n`.
pub fn reconnecting(n: u32) -> String {
    format!(r#"{{"Event": "Connection","State": "Reconnecting","Attempt": {n}}}"#)
}

/// The Ack event of `id` for event `name` in `state`.
pub fn ack_event(id: u64, name: &str, state: &str) -> String {
    format!(r#"{{"Event": "Ack","Id": {id},"Name": "{name}","State": "{state}"}}"#)
}

/// A `Client` object as a 1C client creates it.
pub fn client() -> Object {
    client_with(&HostOptions::default())
}

/// A `Client` object of an English interface (the texts asserted on are the English ones) that
/// does not reconnect, so a failed attempt ends in Fail.
pub fn english_client() -> Object {
    let english = HostOptions {
        locale: "en_US".into(),
        language: "en".into(),
        ..HostOptions::default()
    };
    let obj = client_with(&english);
    obj.set("Reconnection", V::Bool(false)).unwrap();
    obj
}

/// A `Client` object of a Russian interface (the emulator's default) that does not reconnect.
pub fn russian_client() -> Object {
    let obj = client();
    obj.set("Reconnection", V::Bool(false)).unwrap();
    obj
}

/// `LastError` as text.
pub fn last_error(obj: &Object) -> String {
    obj.get("LastError")
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A `Client` object on a platform described by `opts`.
pub fn client_with(opts: &HostOptions) -> Object {
    library()
        .create("Client", opts)
        .expect("create the Client object")
}

/// A connection state event (Open, Close, Fail, Reconnecting).
pub fn is_connection(e: &Event) -> bool {
    e.event.starts_with(r#"{"Event": "Connection""#)
}

/// A Message event named `name`.
pub fn is_message(name: &str) -> impl Fn(&Event) -> bool + '_ {
    move |e: &Event| {
        e.event.starts_with(r#"{"Event": "Message""#)
            && e.event.contains(&format!(r#""Name": "{name}","#))
    }
}

/// The number of a `tick` message of the test server's `flood` (`["tick",i]`).
pub fn tick(e: &Event) -> Option<i64> {
    if !is_message("tick")(e) {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&e.data).ok()?;
    v[1].as_i64()
}

/// Any Ack event.
pub fn is_any_ack(e: &Event) -> bool {
    e.event.starts_with(r#"{"Event": "Ack""#)
}

/// The Ack event of `id`.
pub fn is_ack(id: u64) -> impl Fn(&Event) -> bool {
    move |e: &Event| {
        e.event
            .starts_with(&format!(r#"{{"Event": "Ack","Id": {id},"#))
    }
}

/// The end of a connection or of an attempt: a Close or a Fail event.
pub fn is_close_or_fail(e: &Event) -> bool {
    is_connection(e)
        && (e.event.contains(r#""State": "Close""#) || e.event.contains(r#""State": "Fail""#))
}

/// Settings for `testkit::fake_server`, which speaks Engine.IO 4 over a websocket only: the
/// revision given (no detection window) and no polling fallback.
pub fn speak_to_fake_server(obj: &Object) {
    obj.set("ProtocolVersion", "4").unwrap();
    obj.set("Transports", "websocket").unwrap();
}

/// An Error event.
pub fn is_error(e: &Event) -> bool {
    e.event.starts_with(r#"{"Event": "Error""#)
}

/// Waits for the test servers' `greeting` (sent on every connection; `obj` subscribed to it).
pub fn expect_greeting(obj: &Object) {
    let greeting = obj
        .wait_event(WAIT, is_message("greeting"))
        .expect("the greeting");
    assert_eq!(greeting.data, r#"["greeting","Привет мир!"]"#);
}

/// Connects `obj` to `url` and waits for the Open event, returning it.
pub fn connect(obj: &Object, url: &str) -> Event {
    obj.call("Connect", &[V::from(url)]).expect("Connect");
    let ev = obj
        .wait_event(WAIT, is_connection)
        .expect("a connection event");
    assert_eq!(
        ev.event,
        OPEN,
        "expected Open, got {ev:?}; LastError = {:?}",
        obj.get("LastError")
    );
    ev
}

/// `SendJSON(name, json)`.
pub fn send_json(obj: &Object, name: &str, json: &str) {
    obj.call("SendJSON", &[V::from(name), V::from(json)])
        .unwrap_or_else(|e| panic!("SendJSON {name} {json}: {e}"));
}

/// `SendWithAck(name, json[, timeout_s])`, returning the Id.
pub fn send_with_ack(obj: &Object, name: &str, json: &str, timeout_s: Option<f64>) -> u64 {
    let mut args = vec![V::from(name), V::from(json)];
    if let Some(t) = timeout_s {
        args.push(V::F64(t));
    }
    let id = obj
        .call("SendWithAck", &args)
        .unwrap_or_else(|e| panic!("SendWithAck {name} {json}: {e}"));
    let id = id.as_f64().expect("SendWithAck returns a Number");
    assert!(id >= 1.0 && id.fract() == 0.0, "bad Id {id}");
    id as u64
}

/// Sets the reconnection delays (ms) of `obj`.
pub fn reconnect_fast(obj: &Object, delay_ms: i32, max_ms: i32) {
    obj.set("ReconnectionDelay", V::I32(delay_ms)).unwrap();
    obj.set("ReconnectionDelayMax", V::I32(max_ms)).unwrap();
}

/// Waits for the next connection event and checks it is `expected`.
pub fn expect_connection(obj: &Object, expected: &str) -> Event {
    let ev = obj
        .wait_event(WAIT, is_connection)
        .unwrap_or_else(|| panic!("no connection event, expected {expected}"));
    assert_eq!(
        ev.event,
        expected,
        "LastError = {:?}, seen = {:?}",
        obj.get("LastError"),
        obj.seen()
    );
    ev
}

/// `GetEvent(Event, Data, wait_ms)`: the next queued event, or `None` when none came in time.
pub fn get_event(obj: &Object, wait_ms: i32) -> Option<Event> {
    let mut args = [V::Empty, V::Empty, V::I32(wait_ms)];
    let got = obj.call_out("GetEvent", &mut args).expect("GetEvent");
    match got {
        V::Bool(true) => {
            let [event, data, _] = args;
            Some(Event {
                source: String::new(),
                event: event.as_str().expect("Event is a String").to_owned(),
                data: data.as_str().expect("Data is a String").to_owned(),
            })
        }
        V::Bool(false) => None,
        other => panic!("GetEvent returned {other:?}"),
    }
}

/// The `args` of a server event line, as JSON.
pub fn line_args(line: &str) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("bad line {line}: {e}"));
    v["args"].clone()
}

/// Connects and asserts that the attempt fails with Fail; returns LastError (in the object's
/// interface language).
pub fn fail_reason(obj: &Object, url: &str) -> String {
    obj.call("Connect", &[V::from(url)]).expect("Connect");
    let ev = obj.wait_event(WAIT, is_connection).expect("Fail");
    assert_eq!(ev.event, FAIL, "{url}: {ev:?}");
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
    last_error(obj)
}

/// Connects and asserts that the attempt fails with Fail and then an Error event that carries
/// the same text as LastError (an English object: Error events are in English). Returns
/// LastError.
pub fn expect_fail(obj: &Object, url: &str) -> String {
    let last_error = fail_reason(obj, url);
    let error = obj.wait_event(WAIT, is_error).expect("an Error event");
    assert!(
        !last_error.is_empty()
            && error.event.ends_with(&format!(
                r#""Message": {}}}"#,
                testkit::servers::json_string(&last_error)
            )),
        "the Error event {error:?} should carry LastError {last_error:?}"
    );
    last_error
}

/// The transports a test asks for, by the `Transports` property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `websocket`: websocket only.
    WebSocket,
    /// `polling`: long-polling only.
    Polling,
    /// `polling,websocket`: start on polling, upgrade to websocket.
    Upgrade,
}

impl Mode {
    pub fn transports(self) -> &'static str {
        match self {
            Mode::WebSocket => "websocket",
            Mode::Polling => "polling",
            Mode::Upgrade => "polling,websocket",
        }
    }

    /// The transports the server may report at the namespace join (an upgrade may overtake a
    /// join that a server runs in the background, as python-socketio does).
    pub fn joins_over(self) -> &'static [&'static str] {
        match self {
            Mode::WebSocket => &["websocket"],
            Mode::Polling => &["polling"],
            Mode::Upgrade => &["polling", "websocket"],
        }
    }

    /// The transport the session ends up on.
    pub fn last(self) -> &'static str {
        match self {
            Mode::WebSocket | Mode::Upgrade => "websocket",
            Mode::Polling => "polling",
        }
    }
}

/// Asks the server which transport the session is on (the `transport` handler emits it back)
/// until it says `want`: an upgrade completes shortly after Open, asynchronously.
pub fn wait_transport(obj: &Object, want: &str) {
    let deadline = Instant::now() + WAIT;
    let expected = format!(r#"["transport","{want}"]"#);
    loop {
        obj.call("Send", &[V::from("transport"), V::Empty])
            .expect("Send");
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = obj
            .wait_event(left, is_message("transport"))
            .unwrap_or_else(|| panic!("the server never said it is on {want}"));
        if answer.data == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still {} after {WAIT:?}, expected {want}",
            answer.data
        );
    }
}

/// Waits until the file holds a line containing every one of `wanted` (the writer is a thread
/// of its own); the whole file.
pub fn wait_for_lines(path: &Path, wanted: &[&str]) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if wanted.iter().all(|w| text.lines().any(|l| l.contains(w))) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{wanted:?} not in the log:\n{text}"
        );
        std::thread::yield_now();
    }
}
