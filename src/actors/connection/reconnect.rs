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
use std::time::Instant;

use super::backoff::{backoff_delay, random_unit, Reconnect};
use super::state::Connection;
use crate::config::ConnectRequest;
use crate::events::{self, CloseReason};
use crate::log::Level;
use crate::protocol::recovery;
use crate::protocol::socketio::Event;
use crate::rt;

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
        self.shared.status().set_busy(true);
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
            self.shared.status().set_busy(false);
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
                    self.shared.status().set_busy(false);
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
