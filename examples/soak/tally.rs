//! What the soak counts, per object and for the whole run: every `SendWithAck` Id against its
//! Ack events, every connection event, and everything else as unexpected.

use std::collections::{BTreeMap, HashMap};

use testkit::host::Event;

/// Unexpected events printed in full, at most (the rest are only counted).
const KEEP_UNEXPECTED: usize = 20;

/// The Close reasons a server restart may cause (how the socket went down decides which one).
const RESTART_REASONS: [&str; 2] = ["TransportClose", "TransportError"];

/// One object's sends still waiting for their Ack event, and its connection state.
#[derive(Default)]
pub struct Waiting {
    /// `SendWithAck` Id → the number sent (the server's `ack` handler answers with it).
    pub acks: HashMap<u64, u64>,
    /// Between an Open and the next Close or Fail.
    pub open: bool,
    /// A Close with Reason Normal came (after `Disconnect`).
    pub closed_normally: bool,
}

/// The counts of the whole run.
#[derive(Default)]
pub struct Tally {
    /// `SendWithAck` calls that returned an Id.
    pub sent: u64,
    pub ok: u64,
    pub timeout: u64,
    pub disconnected: u64,
    /// Ack events whose Id had no send waiting: a second Ack event for an Id, or an unknown Id.
    pub stray_acks: u64,
    /// Ack events of State Ok whose answer is not what was sent.
    pub wrong_answers: u64,
    pub opens: u64,
    pub reconnecting: u64,
    /// Close events by Reason.
    pub closes: BTreeMap<String, u64>,
    /// Message events (none is subscribed: any would be counted, not expected).
    pub messages: u64,
    /// Events and failures that should not happen: Error, Fail, a Close for another reason than
    /// a lost transport (or Normal after `Disconnect`), a failed call, an unknown event.
    pub unexpected: u64,
    /// The first [`KEEP_UNEXPECTED`] of them, as text.
    pub unexpected_seen: Vec<String>,
}

impl Tally {
    /// Records something unexpected about object `obj` at `t_s` seconds into the run.
    pub fn unexpected(&mut self, t_s: f64, obj: usize, what: String) {
        self.unexpected += 1;
        if self.unexpected_seen.len() < KEEP_UNEXPECTED {
            self.unexpected_seen
                .push(format!("t={t_s:.1} s object #{obj}: {what}"));
        }
    }

    /// Accounts for one event of object `obj`; `closing`: `Disconnect` was called on it.
    pub fn event(&mut self, t_s: f64, obj: usize, w: &mut Waiting, ev: &Event, closing: bool) {
        let e = ev.event.as_str();
        if e.starts_with(r#"{"Event": "Ack""#) {
            self.ack(t_s, obj, w, ev);
        } else if e.starts_with(r#"{"Event": "Connection","State": "Open""#) {
            self.opens += 1;
            w.open = true;
        } else if e.starts_with(r#"{"Event": "Connection","State": "Reconnecting""#) {
            self.reconnecting += 1;
        } else if let Some(rest) =
            e.strip_prefix(r#"{"Event": "Connection","State": "Close","Reason": ""#)
        {
            let reason = rest.trim_end_matches("\"}");
            *self.closes.entry(reason.to_owned()).or_default() += 1;
            w.open = false;
            let expected = if closing {
                reason == "Normal"
            } else {
                RESTART_REASONS.contains(&reason)
            };
            w.closed_normally |= closing && expected;
            if !expected {
                self.unexpected(t_s, obj, format!("{e} {}", ev.data));
            }
        } else if e.starts_with(r#"{"Event": "Message""#) {
            self.messages += 1;
        } else {
            // Error, Fail, Pending or anything new.
            if e.contains(r#""State": "Fail""#) {
                w.open = false;
            }
            self.unexpected(t_s, obj, format!("{e} {}", ev.data));
        }
    }

    fn ack(&mut self, t_s: f64, obj: usize, w: &mut Waiting, ev: &Event) {
        let v: serde_json::Value = serde_json::from_str(&ev.event).unwrap_or_default();
        let (Some(id), Some(state)) = (v["Id"].as_u64(), v["State"].as_str()) else {
            self.unexpected(t_s, obj, format!("unreadable Ack event {}", ev.event));
            return;
        };
        let Some(n) = w.acks.remove(&id) else {
            self.stray_acks += 1;
            self.unexpected(
                t_s,
                obj,
                format!("Ack event of no waiting send: {}", ev.event),
            );
            return;
        };
        match state {
            "Ok" => {
                self.ok += 1;
                if ev.data != format!("[{n}]") {
                    self.wrong_answers += 1;
                    let what = format!("Ack {id} answered {} to [{n}]", ev.data);
                    self.unexpected(t_s, obj, what);
                }
            }
            "Timeout" => self.timeout += 1,
            "Disconnected" => self.disconnected += 1,
            other => self.unexpected(t_s, obj, format!("Ack State {other}: {}", ev.event)),
        }
    }

    /// Close events for a lost transport.
    pub fn lost(&self) -> u64 {
        RESTART_REASONS
            .iter()
            .filter_map(|r| self.closes.get(*r))
            .sum()
    }
}
