//! The heartbeat [`Watchdog`]: when to ping and when the connection counts as dead.
//!
//! * EIO4 (socket.io 3.x/4.x): the server pings every `pingInterval` and the client answers.
//!   The connection is dead if no ping arrives within `pingInterval + pingTimeout` of the open
//!   packet or the last ping (the JS client resets that timer only on a ping).
//! * EIO3 (socket.io 1.x/2.x): the client pings `pingInterval` after the open packet and after
//!   each pong. The connection is dead if the pong does not come within `pingTimeout` of the
//!   ping, or if nothing at all arrives for `pingInterval + pingTimeout`.
//!
//! Shaped like quinn-proto's timers: feed events with `on_*`, ask [`Watchdog::poll_timeout`]
//! when to wake up, and at that instant call [`Watchdog::handle_timeout`].
//!
//! Does NOT read the clock, sleep, or send anything: every `now` comes from the caller, and
//! "send a ping" is an [`Action`] for the caller to carry out. Outgoing traffic never postpones
//! the deadlines, so a busy sender cannot hide a dead connection.

use std::time::{Duration, Instant};

use super::engineio::OpenInfo;
use super::EioVersion;

/// The shortest interval or timeout used: smaller values from the server (including 0) are
/// raised to this, so a bogus handshake cannot make the caller spin.
pub const MIN_PERIOD: Duration = Duration::from_millis(100);

/// The longest interval or timeout used (one day): larger values from the server are lowered
/// to this, so deadline arithmetic cannot overflow.
pub const MAX_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);

/// What the caller must do after [`Watchdog::handle_timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Action {
    /// Nothing yet: wait until the next [`Watchdog::poll_timeout`].
    None,
    /// EIO3 only: send a ping packet (`2`) now.
    SendPing,
    /// The connection is dead (reason `ping timeout`); the watchdog stays expired.
    Expired,
}

/// Heartbeat timing for one Engine.IO session.
#[derive(Debug, Clone)]
pub struct Watchdog {
    version: EioVersion,
    interval: Duration,
    timeout: Duration,
    /// Dead at this instant unless something resets it: a ping (EIO4) or any packet (EIO3).
    silence_deadline: Instant,
    /// EIO3: when to send the next ping; `None` while a ping waits for its pong.
    next_ping: Option<Instant>,
    /// EIO3: dead at this instant unless the pong arrives.
    pong_deadline: Option<Instant>,
    expired: bool,
}

impl Watchdog {
    /// Starts timing at `now`, the moment the open packet arrived. `ping_interval` and
    /// `ping_timeout` are clamped to [`MIN_PERIOD`]..=[`MAX_PERIOD`].
    pub fn new(
        version: EioVersion,
        ping_interval: Duration,
        ping_timeout: Duration,
        now: Instant,
    ) -> Watchdog {
        let interval = ping_interval.clamp(MIN_PERIOD, MAX_PERIOD);
        let timeout = ping_timeout.clamp(MIN_PERIOD, MAX_PERIOD);
        let next_ping = (version == EioVersion::V3).then(|| later(now, interval));
        Watchdog {
            version,
            interval,
            timeout,
            silence_deadline: later(now, interval + timeout),
            next_ping,
            pong_deadline: None,
            expired: false,
        }
    }

    /// [`Watchdog::new`] with the `pingInterval` and `pingTimeout` of an open packet.
    pub fn from_open(version: EioVersion, info: &OpenInfo, now: Instant) -> Watchdog {
        Watchdog::new(
            version,
            Duration::from_millis(info.ping_interval_ms),
            Duration::from_millis(info.ping_timeout_ms),
            now,
        )
    }

    /// The ping interval in use (after clamping).
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The ping timeout in use (after clamping).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Call for every packet received from the server (`on_ping` and `on_pong` include it).
    /// EIO3: resets the silence deadline. EIO4: no effect (only pings count, as in the JS client).
    pub fn on_packet(&mut self, now: Instant) {
        if self.version == EioVersion::V3 && !self.expired {
            self.silence_deadline = later(now, self.interval + self.timeout);
        }
    }

    /// Call when a ping (`2`, not `2probe`) arrives. EIO4: the server is alive, the deadline
    /// restarts (the caller answers with a pong). EIO3: servers do not ping; counts as a packet.
    pub fn on_ping(&mut self, now: Instant) {
        if self.expired {
            return;
        }
        self.silence_deadline = later(now, self.interval + self.timeout);
    }

    /// Call when a pong (`3`, not `3probe`) arrives. EIO3: the ping was answered, the next one is
    /// due `pingInterval` from now. EIO4: clients do not ping; counts as a packet.
    pub fn on_pong(&mut self, now: Instant) {
        if self.expired {
            return;
        }
        self.on_packet(now);
        if self.version == EioVersion::V3 && self.pong_deadline.take().is_some() {
            self.next_ping = Some(later(now, self.interval));
        }
    }

    /// The next instant at which [`handle_timeout`](Self::handle_timeout) must be called, or
    /// `None` once the watchdog has expired.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.expired {
            return None;
        }
        [
            Some(self.silence_deadline),
            self.next_ping,
            self.pong_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Advances the timers to `now` and says what to do. Calling it early is harmless
    /// ([`Action::None`]).
    pub fn handle_timeout(&mut self, now: Instant) -> Action {
        if self.is_expired(now) {
            self.expired = true;
            return Action::Expired;
        }
        match self.next_ping {
            Some(due) if now >= due => {
                self.next_ping = None;
                self.pong_deadline = Some(later(now, self.timeout));
                Action::SendPing
            }
            _ => Action::None,
        }
    }

    /// True if the connection is dead at `now`, without changing anything. Worth checking before
    /// sending: timers may not have fired while the machine slept (the JS client does the same).
    pub fn is_expired(&self, now: Instant) -> bool {
        self.expired
            || now >= self.silence_deadline
            || self.pong_deadline.is_some_and(|deadline| now >= deadline)
    }
}

/// `now + d`, saturating instead of overflowing.
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(MAX_PERIOD))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn eio4_server_pings_keep_it_alive() {
        let t0 = Instant::now();
        let mut w = Watchdog::new(EioVersion::V4, ms(25_000), ms(20_000), t0);
        assert_eq!(w.poll_timeout(), Some(t0 + ms(45_000)));
        assert_eq!(w.handle_timeout(t0 + ms(44_999)), Action::None);
        for k in 1..=10 {
            let ping = t0 + ms(25_000 * k);
            w.on_ping(ping);
            assert_eq!(w.poll_timeout(), Some(ping + ms(45_000)));
            assert_eq!(w.handle_timeout(ping + ms(25_000)), Action::None);
        }
        // Other traffic (and pongs) do not count in EIO4.
        let last = t0 + ms(250_000);
        w.on_packet(last + ms(40_000));
        w.on_pong(last + ms(40_000));
        assert_eq!(w.poll_timeout(), Some(last + ms(45_000)));
        assert!(!w.is_expired(last + ms(44_999)));
        assert!(w.is_expired(last + ms(45_000)));
        assert_eq!(w.handle_timeout(last + ms(45_000)), Action::Expired);
        assert_eq!(w.poll_timeout(), None);
        w.on_ping(last + ms(46_000));
        assert_eq!(w.handle_timeout(last + ms(46_000)), Action::Expired);
    }

    #[test]
    fn eio3_client_pings() {
        let t0 = Instant::now();
        let mut w = Watchdog::new(EioVersion::V3, ms(25_000), ms(60_000), t0);
        assert_eq!(w.poll_timeout(), Some(t0 + ms(25_000)));
        assert_eq!(w.handle_timeout(t0 + ms(24_000)), Action::None);
        assert_eq!(w.handle_timeout(t0 + ms(25_000)), Action::SendPing);
        // Waiting for the pong: no second ping.
        assert_eq!(w.poll_timeout(), Some(t0 + ms(85_000)));
        assert_eq!(w.handle_timeout(t0 + ms(30_000)), Action::None);
        w.on_pong(t0 + ms(25_010));
        assert_eq!(w.poll_timeout(), Some(t0 + ms(50_010)));
        assert_eq!(w.handle_timeout(t0 + ms(50_010)), Action::SendPing);
        w.on_pong(t0 + ms(50_020));
        assert_eq!(w.poll_timeout(), Some(t0 + ms(75_020)));
        // A stray pong while none is awaited does not move the ping.
        w.on_pong(t0 + ms(60_000));
        assert_eq!(w.poll_timeout(), Some(t0 + ms(75_020)));
    }

    #[test]
    fn eio3_missing_pong_expires_despite_traffic() {
        let t0 = Instant::now();
        let mut w = Watchdog::new(EioVersion::V3, ms(1_000), ms(500), t0);
        assert_eq!(w.handle_timeout(t0 + ms(1_000)), Action::SendPing);
        w.on_packet(t0 + ms(1_200));
        w.on_ping(t0 + ms(1_300));
        assert_eq!(w.poll_timeout(), Some(t0 + ms(1_500)));
        assert_eq!(w.handle_timeout(t0 + ms(1_499)), Action::None);
        assert_eq!(w.handle_timeout(t0 + ms(1_500)), Action::Expired);
        assert_eq!(w.poll_timeout(), None);
    }

    #[test]
    fn eio3_late_wakeup_expires_instead_of_pinging() {
        // E.g. the machine slept: the ping is overdue and so is the silence deadline.
        let t0 = Instant::now();
        let mut w = Watchdog::new(EioVersion::V3, ms(25_000), ms(20_000), t0);
        assert_eq!(w.handle_timeout(t0 + ms(3_600_000)), Action::Expired);
    }

    #[test]
    fn absurd_values_are_clamped() {
        let t0 = Instant::now();
        let mut w = Watchdog::new(EioVersion::V3, Duration::ZERO, Duration::ZERO, t0);
        assert_eq!((w.interval(), w.timeout()), (MIN_PERIOD, MIN_PERIOD));
        assert_eq!(w.poll_timeout(), Some(t0 + MIN_PERIOD));
        assert_eq!(w.handle_timeout(t0), Action::None);
        assert_eq!(w.handle_timeout(t0 + MIN_PERIOD), Action::SendPing);
        assert_eq!(w.poll_timeout(), Some(t0 + 2 * MIN_PERIOD));

        let w = Watchdog::new(EioVersion::V4, Duration::ZERO, Duration::ZERO, t0);
        assert_eq!(w.poll_timeout(), Some(t0 + 2 * MIN_PERIOD));

        let info = OpenInfo {
            sid: "s".into(),
            upgrades: vec![],
            ping_interval_ms: u64::MAX,
            ping_timeout_ms: u64::MAX,
            max_payload: None,
            packets_per_post: Some(16),
        };
        let mut w = Watchdog::from_open(EioVersion::V4, &info, t0);
        assert_eq!(w.interval(), MAX_PERIOD);
        assert_eq!(w.poll_timeout(), Some(t0 + 2 * MAX_PERIOD));
        assert_eq!(w.handle_timeout(t0 + MAX_PERIOD), Action::None);
        w.on_ping(t0 + MAX_PERIOD);
        let mut w = Watchdog::new(EioVersion::V3, Duration::MAX, Duration::MAX, t0);
        assert_eq!(w.poll_timeout(), Some(t0 + MAX_PERIOD));
        assert_eq!(w.handle_timeout(t0 + MAX_PERIOD), Action::SendPing);
    }

    #[test]
    fn from_open_uses_the_handshake() {
        let t0 = Instant::now();
        let info = OpenInfo {
            sid: "s".into(),
            upgrades: vec!["websocket".into()],
            ping_interval_ms: 300,
            ping_timeout_ms: 200,
            max_payload: Some(1_000_000),
            packets_per_post: None,
        };
        let w = Watchdog::from_open(EioVersion::V4, &info, t0);
        assert_eq!((w.interval(), w.timeout()), (ms(300), ms(200)));
        assert_eq!(w.poll_timeout(), Some(t0 + ms(500)));
    }

    #[test]
    fn later_saturates() {
        let t0 = Instant::now();
        assert_eq!(later(t0, ms(5)), t0 + ms(5));
        // Whatever the platform's Instant range, this must not panic.
        let _ = later(t0, Duration::MAX);
    }
}
