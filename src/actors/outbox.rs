//! [`Outbox`]: what the facade has handed to its Connection and the Connection has not yet
//! written, counted in packets and in bytes, both bounded. A `Send` that finds no room waits (at most
//! `Timeout`, only while connected) and is woken when the Connection frees some: no polling.
//!
//! The packet count is exact because only the 1C thread adds and only the Connection takes
//! away; the byte budget travels with each packet as an [`OutboxTicket`], given back when the
//! packet is written or dropped, whatever path it leaves by.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::sync::Signal;

/// Capacity of the outbox: how many sends wait for a connection before `Send` refuses.
pub const OUTBOX_CAPACITY: usize = 10_000;
/// The most bytes (event names and argument texts or data) that sends may hold in the outbox at
/// once; also the largest single message `Send` accepts.
pub const OUTBOX_MAX_BYTES: usize = 64 << 20;

/// The counts of one object's outbox.
#[derive(Debug, Default)]
pub struct Outbox {
    packets: AtomicUsize,
    bytes: AtomicUsize,
    /// Room was freed since the waiter last looked. The only waiter is the 1C thread, and a
    /// notification that nobody takes only makes its next wait look once more.
    freed: Signal,
}

impl Outbox {
    /// The facade accepted an emit (call before handing it over, so the count never goes below
    /// the truth). Returns the count before this one.
    pub fn add_packet(&self) -> usize {
        self.packets.fetch_add(1, Ordering::AcqRel)
    }

    /// An accepted emit left the add-in: written, dropped after its timeout, or not handed over
    /// after all.
    pub fn remove_packet(&self) {
        // Never below zero, even if a caller miscounts: the bound would only get looser.
        let _ = self
            .packets
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        self.wake();
    }

    /// Emits accepted and not yet written: what the offline buffer holds while not connected.
    pub fn packets(&self) -> usize {
        self.packets.load(Ordering::Acquire)
    }

    /// Counts `bytes` in the byte budget if that keeps it within `max`; `None` (nothing counted)
    /// if not.
    pub fn take_bytes(self: &Arc<Self>, bytes: usize, max: usize) -> Option<OutboxTicket> {
        self.bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                now.checked_add(bytes).filter(|&after| after <= max)
            })
            .ok()
            .map(|_| OutboxTicket {
                bytes,
                outbox: self.clone(),
            })
    }

    /// Tries `take` until it gives something, waiting between tries until room is freed. The
    /// caller bounds the wait (`rt::timeout`).
    pub async fn wait_for_room<T>(&self, mut take: impl FnMut() -> Option<T>) -> T {
        loop {
            if let Some(taken) = take() {
                return taken;
            }
            self.freed.wait().await;
        }
    }

    fn wake(&self) {
        self.freed.notify();
    }
}

/// The bytes of one queued packet, counted in its object's outbox while the packet exists: the
/// facade takes a ticket before queueing, and the Connection drops it with the packet once it is
/// written (or the packet is dropped unsent), which gives the bytes back and wakes a waiting
/// `Send`.
#[derive(Debug)]
pub struct OutboxTicket {
    bytes: usize,
    outbox: Arc<Outbox>,
}

impl Drop for OutboxTicket {
    fn drop(&mut self) {
        self.outbox.bytes.fetch_sub(self.bytes, Ordering::AcqRel);
        self.outbox.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rt;
    use std::time::Duration;

    #[test]
    fn the_byte_budget_is_given_back_with_the_ticket() {
        let outbox = Arc::new(Outbox::default());
        let a = outbox.take_bytes(60, 100).unwrap();
        assert!(outbox.take_bytes(50, 100).is_none());
        drop(a);
        assert!(outbox.take_bytes(100, 100).is_some());
    }

    #[test]
    fn a_wait_for_room_is_woken_when_room_frees() {
        let outbox = Arc::new(Outbox::default());
        let held = outbox.take_bytes(100, 100).unwrap();
        outbox.add_packet();
        // Frees the room from another thread, most likely while the wait below is parked; in
        // either order the wait must end.
        let freer = {
            let outbox = outbox.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                outbox.remove_packet();
                drop(held);
            })
        };
        let waited = rt::block_on(rt::timeout(
            Duration::from_secs(20),
            outbox.wait_for_room(|| outbox.take_bytes(100, 100)),
        ));
        assert!(waited.is_some(), "not woken when the ticket was given back");
        assert_eq!(outbox.packets(), 0);
        freer.join().unwrap();
    }
}
