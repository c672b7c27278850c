//! Waiting for a `Client` object's connection to open, for `examples/bench` and
//! `examples/bench_scale` (the latter includes this file with `#[path]`). Not run by itself.

use std::time::Duration;

use testkit::host::Object;

/// Waits up to `wait` for `obj`'s next connection event and panics, with LastError, unless it is
/// Open.
pub fn wait_open(obj: &Object, wait: Duration) {
    let ev = obj
        .wait_event(wait, |e| e.event.starts_with(r#"{"Event": "Connection""#))
        .expect("a connection event");
    assert!(
        ev.event.contains(r#""State": "Open""#),
        "not connected: {ev:?}, LastError {:?}",
        obj.get("LastError")
    );
}
