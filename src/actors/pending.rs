//! When notify mode sends the Pending event: pure, time passed in.
//!
//! The contract (api.md, "The `notify` delivery mode"): a Pending event when the queue goes from
//! empty to not empty, and again when events still wait 1 s after the last Pending event and no
//! `GetEvent` came meanwhile. The second rule makes good a Pending event that the platform
//! dropped (its buffer is full, or it loses events while its 1C thread is busy) without telling
//! us.
//!
//! One case more: 1C pulled, but stopped before the queue was empty (a handler that takes only
//! what `QueueLength` said, or one that failed half way) and has not pulled for 1 s while events
//! still wait. No Pending would ever come again under the contract's two rules (the queue never
//! goes empty), so the second rule counts from the later of the last Pending event and the last
//! `GetEvent` seen.

use std::time::{Duration, Instant};

/// How long events may wait after a Pending event, with no `GetEvent` since, before it is sent
/// again.
pub const RESEND_AFTER: Duration = Duration::from_secs(1);

/// What to do about the Pending event now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Send it now.
    Now,
    /// Look again at this instant (the events may still wait then, with no `GetEvent`).
    At(Instant),
    /// Nothing to do until an event goes into the queue: it is empty.
    Idle,
}

/// When 1C last heard of the queue, against which the rules are checked.
#[derive(Debug, Default, Clone, Copy)]
pub struct Reminder {
    /// When the last Pending event went to the platform or a new `GetEvent` was first seen, and
    /// the count of `GetEvent` calls then.
    told: Option<(Instant, u64)>,
}

impl Reminder {
    /// Decides at `now`: `waiting` events are in the queue, `started` says whether one of them
    /// found it empty since the last decision, `pulls` is the count of `GetEvent` calls so far.
    pub fn due(&mut self, now: Instant, waiting: usize, started: bool, pulls: u64) -> Due {
        if waiting == 0 {
            return Due::Idle;
        }
        let Some((at, pulls_then)) = self.told else {
            // Events wait and 1C never heard of it (also: the mode was switched to notify while
            // events waited).
            return Due::Now;
        };
        if started {
            return Due::Now;
        }
        if pulls != pulls_then {
            // 1C is pulling: the second counts from now (it pulled since the last look).
            self.told = Some((now, pulls));
            return Due::At(now + RESEND_AFTER);
        }
        let again = at + RESEND_AFTER;
        if now >= again {
            Due::Now
        } else {
            Due::At(again)
        }
    }

    /// A Pending event went to the platform at `now`, when `pulls` `GetEvent` calls had been
    /// made (counted before the event was handed over, so that a `GetEvent` answering it counts
    /// as "since").
    pub fn sent(&mut self, now: Instant, pulls: u64) {
        self.told = Some((now, pulls));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_first_event_in_an_empty_queue_is_announced() {
        let now = Instant::now();
        let mut r = Reminder::default();
        assert_eq!(r.due(now, 0, false, 0), Due::Idle);
        assert_eq!(r.due(now, 1, true, 0), Due::Now);
        r.sent(now, 0);
        // More events behind it: 1C has been told.
        assert_eq!(r.due(now + MS, 5, false, 0), Due::At(now + RESEND_AFTER));
        // The queue went empty and filled again: a new Pending, however recent the last one.
        assert_eq!(r.due(now + 2 * MS, 1, true, 3), Due::Now);
    }

    #[test]
    fn an_unanswered_pending_is_sent_again_after_a_second() {
        let now = Instant::now();
        let mut r = Reminder::default();
        r.sent(now, 7);
        assert_eq!(
            r.due(now + RESEND_AFTER - MS, 3, false, 7),
            Due::At(now + RESEND_AFTER)
        );
        assert_eq!(r.due(now + RESEND_AFTER, 3, false, 7), Due::Now);
        r.sent(now + RESEND_AFTER, 7);
        assert_eq!(
            r.due(now + RESEND_AFTER + MS, 3, false, 7),
            Due::At(now + 2 * RESEND_AFTER)
        );
    }

    #[test]
    fn a_pulling_1c_is_left_alone_until_it_stops_for_a_second() {
        let now = Instant::now();
        let mut r = Reminder::default();
        r.sent(now, 7);
        let later = now + 10 * RESEND_AFTER;
        assert_eq!(r.due(later, 3, false, 8), Due::At(later + RESEND_AFTER));
        assert_eq!(
            r.due(later + RESEND_AFTER - MS, 3, false, 20),
            Due::At(later + 2 * RESEND_AFTER - MS)
        );
        // It stopped pulling with events still waiting.
        assert_eq!(r.due(later + 2 * RESEND_AFTER, 3, false, 20), Due::Now);
        // Drained: nothing waits, nothing to say.
        assert_eq!(r.due(later + 3 * RESEND_AFTER, 0, false, 21), Due::Idle);
    }

    #[test]
    fn events_found_waiting_are_announced() {
        let now = Instant::now();
        assert_eq!(Reminder::default().due(now, 4, false, 12), Due::Now);
    }
}
