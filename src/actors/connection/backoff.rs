//! Reconnection state of one Connection, and the backoff delay before each attempt (the
//! actor's reconnecting and recovery are in `reconnect`).

use std::time::{Duration, Instant};

/// The jitter of the backoff: ±50 % of the delay (`randomizationFactor` of the JS client).
const JITTER: f64 = 0.5;

/// Reconnection and recovery state of one Connection.
#[derive(Debug, Default)]
pub(super) struct Reconnect {
    /// Attempts started since the connection was lost; 0 when not reconnecting.
    pub(super) attempts: u32,
    /// When the next attempt starts, while waiting for it.
    pub(super) due: Option<Instant>,
    /// The server's private session id from the last CONNECT reply (recovery is on).
    pub(super) pid: Option<String>,
    /// The offset of the last event received in that session.
    pub(super) offset: Option<String>,
    /// The pid the current attempt's CONNECT asked for.
    pub(super) asked_pid: Option<String>,
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
pub(super) fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5EED);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
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
