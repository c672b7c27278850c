//! Reconnection after an unexpected loss, and connection-state recovery.
//!
//! As the JavaScript client does: after a transport close or error, a ping timeout or a parse
//! error (not after `Disconnect`, and not after the server disconnected the namespace with `41`)
//! the Close event is followed, after a backoff, by `Reconnecting` with the attempt number and a
//! new dial; Open again when the namespace is rejoined; Fail after the last allowed attempt. The
//! delay before attempt N is `ReconnectionDelay · 2^(N-1)` with ±50 % jitter, capped at
//! `ReconnectionDelayMax` ([`backoff_delay`]). The first connection of a `Connect` is not retried:
//! its failure is the seed's Fail event.
//!
//! Recovery (socket.io ≥ 4.6 with `connectionStateRecovery`): the server's CONNECT reply carries a
//! `pid`, and each event it sends ends with an offset argument. Both are kept; the offset is taken
//! off the arguments before 1C sees them; a reconnect sends `{"pid":…,"offset":…}` merged with
//! Auth, and the server, when it still has the session, answers with the same pid (the Open event
//! then says `"Recovered": true`) and replays what was missed.

use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Connection;
use crate::config::ConnectRequest;
use crate::events::{self, CloseReason};
use crate::log::Level;
use crate::protocol::recovery;
use crate::protocol::socketio::Event;
use crate::rt;

/// The jitter of the backoff: ±50 % of the delay (`randomizationFactor` of the JS client).
const JITTER: f64 = 0.5;

/// Reconnection and recovery state of one Connection.
#[derive(Debug, Default)]
pub(super) struct Reconnect {
    /// Attempts started since the connection was lost; 0 when not reconnecting.
    attempts: u32,
    /// When the next attempt starts, while waiting for it.
    due: Option<Instant>,
    /// The server's private session id from the last CONNECT reply (recovery is on).
    pid: Option<String>,
    /// The offset of the last event received in that session.
    offset: Option<String>,
    /// The pid the current attempt's CONNECT asked for.
    asked_pid: Option<String>,
}

/// The delay before reconnect attempt `attempt` (1, 2, …): `min_ms · 2^(attempt-1)`, moved by
/// up to ±50 % with `random` (uniform in 0..1: 0 gives −50 %, 1 gives +50 %), then capped at
/// `max_ms`. The JavaScript client's `backo2` with factor 2 and randomization 0.5.
pub(super) fn backoff_delay(attempt: u32, min_ms: u32, max_ms: u32, random: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(62);
    let base = f64::from(min_ms) * 2f64.powi(exponent as i32);
    let random = if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let jittered = base * (1.0 - JITTER + 2.0 * JITTER * random);
    let ms = jittered.min(f64::from(max_ms)).max(0.0);
    Duration::from_millis(ms as u64)
}

/// A number in 0..1 from the standard library's randomly keyed hasher (each `RandomState` gets
/// new keys): good enough to spread the reconnects of many clients, and no extra dependency.
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5EED);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

impl Connection {
    /// `Connect` from 1C: a fresh start, nothing kept from an earlier connection.
    pub(super) fn connect(&mut self, request: Arc<ConnectRequest>) {
        self.reconnect = Reconnect::default();
        self.start(request);
    }

    /// Called when a connection or an attempt has just ended (transport already torn down):
    /// decides whether to try again, and if so arms the backoff timer and keeps the object busy
    /// (so `Connect` stays refused until `Disconnect`). Returns whether an attempt is scheduled.
    pub(super) fn plan_reconnect(&mut self, was_open: bool, reason: CloseReason) -> bool {
        let Some(settings) = self.request.as_ref().map(|r| &r.config) else {
            return false;
        };
        let retry = if was_open {
            settings.reconnection
                && !matches!(reason, CloseReason::Normal | CloseReason::ServerDisconnect)
        } else {
            // A failed attempt of a reconnect; the first connection of a Connect is not retried.
            self.reconnect.attempts > 0
                && (settings.reconnection_attempts == 0
                    || self.reconnect.attempts < settings.reconnection_attempts)
        };
        if !retry {
            self.reconnect = Reconnect::default();
            return false;
        }
        if was_open {
            self.reconnect.attempts = 0;
        }
        let delay = backoff_delay(
            self.reconnect.attempts + 1,
            settings.reconnection_delay_ms,
            settings.reconnection_delay_max_ms,
            random_unit(),
        );
        self.reconnect.due = Some(rt::now() + delay);
        self.shared.set_busy(true);
        let attempt = self.reconnect.attempts + 1;
        self.log(Level::Info, || {
            format!("reconnect attempt {attempt} in {} ms", delay.as_millis())
        });
        true
    }

    /// `Disconnect` or a refusal: no more attempts, nothing kept. Returns whether the object was
    /// waiting for an attempt (then the caller reports the end of it).
    pub(super) fn stop_reconnecting(&mut self) -> bool {
        let waiting = self.reconnect.due.is_some();
        self.reconnect = Reconnect::default();
        if waiting {
            self.shared.set_busy(false);
        }
        waiting
    }

    /// When the next reconnect attempt is due, while waiting for one.
    pub(super) fn reconnect_due(&self) -> Option<Instant> {
        self.reconnect.due
    }

    /// The wake-up timer fired: expires acknowledgements and starts a due reconnect attempt.
    pub(super) fn on_wake<'a>(&'a mut self) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let now = rt::now();
            self.expire_acks(now).await;
            if self.reconnect.due.is_none_or(|at| at > now) {
                return;
            }
            self.reconnect.due = None;
            self.reconnect.attempts = self.reconnect.attempts.saturating_add(1);
            self.report(events::reconnecting(self.reconnect.attempts))
                .await;
            match self.request.clone() {
                Some(request) => self.start(request),
                // Unreachable: a reconnect is only planned with a request. Stay consistent anyway.
                None => {
                    self.reconnect = Reconnect::default();
                    self.shared.set_busy(false);
                }
            }
        })
    }

    /// The payload of this attempt's CONNECT (protocol rev 5): Auth, with the recovery pid and
    /// offset in front when the server gave a pid. `None` when there is nothing to send.
    pub(super) fn connect_payload(&mut self) -> Option<String> {
        let auth = self
            .request
            .as_ref()
            .map(|r| r.config.auth_json.as_str())
            .unwrap_or_default();
        self.reconnect.asked_pid = self.reconnect.pid.clone();
        match &self.reconnect.pid {
            Some(pid) => Some(recovery::connect_payload(
                auth,
                pid,
                self.reconnect.offset.as_deref(),
            )),
            None if auth.is_empty() => None,
            None => Some(auth.to_owned()),
        }
    }

    /// The namespace is joined with the reply's `pid` (if any): the reconnect is over. Returns
    /// whether the server restored the session (it answered with the pid this CONNECT asked for).
    pub(super) fn joined(&mut self, pid: Option<String>) -> bool {
        let recovered = pid.is_some() && pid == self.reconnect.asked_pid;
        if pid != self.reconnect.pid {
            // A new session: the old offset means nothing to it.
            self.reconnect.offset = None;
        }
        self.reconnect.pid = pid;
        self.reconnect.asked_pid = None;
        self.reconnect.attempts = 0;
        self.reconnect.due = None;
        recovered
    }

    /// Makes the arguments of an event what 1C should see: when the session has a pid, the
    /// server appended the offset of each ack-less event; it is kept for the next reconnect and
    /// taken off.
    pub(super) fn strip_offset(&mut self, event: &mut Event) {
        if self.reconnect.pid.is_none() {
            return;
        }
        if let Some(offset) = event.take_offset() {
            self.reconnect.offset = Some(offset);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(attempt: u32, random: f64) -> u128 {
        backoff_delay(attempt, 1000, 5000, random).as_millis()
    }

    #[test]
    fn the_delay_doubles_with_half_jitter_each_way() {
        assert_eq!(ms(1, 0.5), 1000);
        assert_eq!(ms(1, 0.0), 500);
        assert_eq!(ms(1, 1.0), 1500);
        assert_eq!(ms(2, 0.5), 2000);
        assert_eq!(ms(2, 0.0), 1000);
        assert_eq!(ms(3, 0.5), 4000);
        assert_eq!(ms(3, 0.25), 3000);
    }

    #[test]
    fn the_delay_is_capped_at_the_maximum() {
        assert_eq!(ms(3, 1.0), 5000);
        assert_eq!(ms(4, 0.0), 4000);
        assert_eq!(ms(4, 0.5), 5000);
        assert_eq!(ms(1000, 0.5), 5000);
        assert_eq!(ms(u32::MAX, 0.0), 5000);
        assert_eq!(backoff_delay(0, 1000, 5000, 0.5).as_millis(), 1000);
    }

    #[test]
    fn odd_inputs_stay_in_range() {
        assert_eq!(ms(1, -3.0), 500);
        assert_eq!(ms(1, 7.0), 1500);
        assert_eq!(ms(1, f64::NAN), 1000);
        assert_eq!(backoff_delay(5, 0, 5000, 0.9).as_millis(), 0);
        assert_eq!(backoff_delay(1, 1000, 200, 0.5).as_millis(), 200);
    }

    #[test]
    fn random_units_are_in_range_and_vary() {
        let values: Vec<f64> = (0..64).map(|_| random_unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let first = values[0];
        assert!(values.iter().any(|v| *v != first));
    }
}
