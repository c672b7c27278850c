//! The event queue of queue and notify modes: the dispatcher pushes, `GetEvent` takes (and
//! counts its calls, for notify mode's Pending event), `Done` closes it.
//!
//! Bounded at [`QUEUE_CAPACITY`] without loss: a push into a full queue waits for `GetEvent`
//! to make room, which in the end stops the socket reads.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::events::HostEvent;
use crate::sync::Signal;

/// How many events the queue (queue and notify modes) keeps before the dispatcher waits (and
/// so, in the end, stops reading the socket): bounded memory, no loss.
pub const QUEUE_CAPACITY: usize = 100_000;

/// The queue, one part of [`Shared`](super::shared::Shared).
#[derive(Debug)]
pub struct EventQueue {
    tx: async_channel::Sender<HostEvent>,
    rx: async_channel::Receiver<HostEvent>,
    /// What `GetEvent` notifies when it takes from a (nearly) full queue, for the dispatcher
    /// waiting for room (one notification wakes it, more say nothing more).
    room: Signal,
    /// `GetEvent` calls so far (notify mode: whether 1C pulled since the last Pending event).
    pulls: AtomicU64,
}

impl Default for EventQueue {
    fn default() -> EventQueue {
        // Unbounded underneath (a bounded channel allocates every slot up front: megabytes per
        // object); `try_push` keeps it within QUEUE_CAPACITY.
        let (tx, rx) = async_channel::unbounded();
        EventQueue {
            tx,
            rx,
            room: Signal::default(),
            pulls: AtomicU64::new(0),
        }
    }
}

impl EventQueue {
    /// Puts an event in the queue, waiting while [`QUEUE_CAPACITY`] events wait there (which in
    /// the end stops the socket reads: nothing is dropped). Returns at once once the queue is
    /// closed (`Done`).
    pub async fn push(&self, mut event: HostEvent) {
        while let Err(back) = self.try_push(event) {
            event = back;
            self.wait_room().await;
        }
    }

    /// Puts an event in the queue unless [`QUEUE_CAPACITY`] events wait there (then it comes
    /// back; [`EventQueue::wait_room`] waits for room). Returns how many events wait with it (0
    /// once the queue is closed by `Done`: the event is dropped, as everything is then).
    pub fn try_push(&self, event: HostEvent) -> Result<usize, HostEvent> {
        if self.rx.len() >= QUEUE_CAPACITY && !self.tx.is_closed() {
            return Err(event);
        }
        // Counted after the push: an event 1C took at once is not waiting, and the first one
        // that finds no other is the queue's move from empty to not empty.
        Ok(match self.tx.try_send(event) {
            Ok(()) => self.rx.len(),
            Err(_) => 0,
        })
    }

    /// Waits until `GetEvent` may have made room in a full queue (or the queue is closed). May
    /// return early: the caller tries again.
    pub async fn wait_room(&self) {
        self.room.wait().await;
    }

    /// `GetEvent` took an event: wakes a dispatcher that waits for room. Only near the bound,
    /// where one can wait: the dispatcher pushes only below it, so the first take from a full
    /// queue always finds at least `QUEUE_CAPACITY - 1` left.
    pub fn taken(&self) {
        if self.rx.len() + 1 >= QUEUE_CAPACITY {
            self.room.notify();
        }
    }

    /// Closes the queue (`Done`): pushes return at once, and so does a wait for room.
    pub fn close(&self) {
        self.tx.close();
        self.room.close();
    }

    /// The queue's receiving end: `GetEvent`'s.
    pub fn receiver(&self) -> &async_channel::Receiver<HostEvent> {
        &self.rx
    }

    /// Counts a `GetEvent` call (whatever it found).
    pub fn count_pull(&self) {
        self.pulls.fetch_add(1, Ordering::AcqRel);
    }

    /// `GetEvent` calls so far.
    pub fn pulls(&self) -> u64 {
        self.pulls.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events;
    use crate::rt;
    use std::time::Duration;

    /// A generous bound on what must happen at once, so that a bug fails instead of hanging.
    const WAIT: Duration = Duration::from_secs(20);

    fn full_queue() -> EventQueue {
        let queue = EventQueue::default();
        for _ in 0..QUEUE_CAPACITY {
            assert!(queue.try_push(events::fail()).is_ok());
        }
        assert!(queue.try_push(events::fail()).is_err());
        queue
    }

    #[test]
    fn a_push_into_a_full_queue_waits_for_get_event() {
        let queue = full_queue();
        let get_event = async {
            assert!(queue.receiver().try_recv().is_ok());
            queue.taken();
        };
        let both = futures::future::join(queue.push(events::open(false)), get_event);
        assert!(rt::block_on(rt::timeout(WAIT, both)).is_some());
        assert_eq!(queue.receiver().len(), QUEUE_CAPACITY);
    }

    #[test]
    fn done_ends_a_wait_for_room() {
        let queue = full_queue();
        let done = async { queue.close() };
        let both = futures::future::join(queue.push(events::open(false)), done);
        assert!(rt::block_on(rt::timeout(WAIT, both)).is_some());
    }
}
