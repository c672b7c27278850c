//! The bookkeeping of `SendWithAck` Ids waiting for their acknowledgement: until when, and
//! whether their packet has gone out (the actor's handling of them is in `acks`).

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use crate::actors::messages::AckRequest;

/// One `SendWithAck` waiting for its acknowledgement.
#[derive(Debug)]
struct Pending {
    name: String,
    deadline: Instant,
    /// The packet has been written to a connection.
    sent: bool,
}

/// The `SendWithAck` Ids that wait for an acknowledgement. Pure bookkeeping: time is passed in.
#[derive(Debug, Default)]
pub(super) struct Acks {
    pending: HashMap<u64, Pending>,
    /// The same entries ordered by deadline, for the timer.
    deadlines: BTreeSet<(Instant, u64)>,
    /// Ids written on the fast lane to a session that was over when the Connection learnt of
    /// them: their answer cannot come; they get Disconnected at the next wake-up.
    orphaned: Vec<(u64, String)>,
}

impl Acks {
    /// Starts waiting for `request` (a second call for the same Id changes nothing).
    pub(super) fn track(&mut self, request: AckRequest, name: &str) {
        if self.pending.contains_key(&request.id) {
            return;
        }
        self.pending.insert(
            request.id,
            Pending {
                name: name.to_owned(),
                deadline: request.deadline,
                sent: false,
            },
        );
        self.deadlines.insert((request.deadline, request.id));
    }

    /// Whether `id` still waits (false once answered, timed out or failed).
    #[cfg(test)]
    fn is_pending(&self, id: u64) -> bool {
        self.pending.contains_key(&id)
    }

    /// The packet of `id` has been written.
    pub(super) fn mark_sent(&mut self, id: u64) {
        if let Some(p) = self.pending.get_mut(&id) {
            p.sent = true;
        }
    }

    /// The acknowledgement of `id` arrived: stops waiting and returns the event name, or `None`
    /// for an Id that does not wait (late, after its timeout, or never sent).
    pub(super) fn resolve(&mut self, id: u64) -> Option<String> {
        let p = self.pending.remove(&id)?;
        self.deadlines.remove(&(p.deadline, id));
        Some(p.name)
    }

    /// The earliest deadline, for the timer; `now` while orphans wait to be reported.
    pub(super) fn next_deadline(&self, now: Instant) -> Option<Instant> {
        if !self.orphaned.is_empty() {
            return Some(now);
        }
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// `request`, written to a session that is over already: its answer cannot come.
    pub(super) fn orphan(&mut self, request: AckRequest, name: String) {
        self.orphaned.push((request.id, name));
    }

    /// The orphans, to be reported Disconnected.
    pub(super) fn take_orphans(&mut self) -> Vec<(u64, String)> {
        std::mem::take(&mut self.orphaned)
    }

    /// Stops waiting for every Id whose deadline is at or before `now`; returns them in Id order
    /// with their event names.
    pub(super) fn expire(&mut self, now: Instant) -> Vec<(u64, String)> {
        let mut expired = Vec::new();
        while let Some(&(at, id)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.pop_first();
            if let Some(p) = self.pending.remove(&id) {
                expired.push((id, p.name));
            }
        }
        expired.sort_unstable_by_key(|(id, _)| *id);
        expired
    }

    /// The connection ended: stops waiting for every Id whose packet was written (its answer can
    /// no longer come) and returns them in Id order; unsent ones keep waiting.
    pub(super) fn take_sent(&mut self) -> Vec<(u64, String)> {
        let sent: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.sent)
            .map(|(id, _)| *id)
            .collect();
        let mut failed: Vec<(u64, String)> = sent
            .into_iter()
            .filter_map(|id| {
                let p = self.pending.remove(&id)?;
                self.deadlines.remove(&(p.deadline, id));
                Some((id, p.name))
            })
            .collect();
        failed.sort_unstable_by_key(|(id, _)| *id);
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn req(id: u64, at: Instant) -> AckRequest {
        AckRequest { id, deadline: at }
    }

    #[test]
    fn an_ack_resolves_once() {
        let t = Instant::now();
        let mut acks = Acks::default();
        acks.track(req(1, t + Duration::from_secs(5)), "save");
        acks.track(req(1, t + Duration::from_secs(9)), "again");
        assert!(acks.is_pending(1));
        assert_eq!(acks.resolve(1).as_deref(), Some("save"));
        assert_eq!(acks.resolve(1), None);
        assert_eq!(acks.next_deadline(t), None);
    }

    #[test]
    fn deadlines_expire_in_order_and_free_the_entries() {
        let t = Instant::now();
        let mut acks = Acks::default();
        acks.track(req(3, t + Duration::from_secs(3)), "c");
        acks.track(req(1, t + Duration::from_secs(1)), "a");
        acks.track(req(2, t + Duration::from_secs(1)), "b");
        assert_eq!(acks.next_deadline(t), Some(t + Duration::from_secs(1)));
        assert!(acks.expire(t).is_empty());
        assert_eq!(
            acks.expire(t + Duration::from_secs(2)),
            vec![(1, "a".to_owned()), (2, "b".to_owned())]
        );
        assert!(!acks.is_pending(1));
        assert_eq!(acks.resolve(2), None);
        assert_eq!(acks.next_deadline(t), Some(t + Duration::from_secs(3)));
    }

    #[test]
    fn a_lost_connection_fails_only_what_was_sent() {
        let t = Instant::now() + Duration::from_secs(60);
        let mut acks = Acks::default();
        for id in 1..=4 {
            acks.track(req(id, t), "e");
        }
        acks.mark_sent(3);
        acks.mark_sent(1);
        assert_eq!(
            acks.take_sent(),
            vec![(1, "e".to_owned()), (3, "e".to_owned())]
        );
        assert!(acks.is_pending(2) && acks.is_pending(4));
        assert!(acks.take_sent().is_empty());
        assert_eq!(acks.expire(t).len(), 2);
    }
}
