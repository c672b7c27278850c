//! State that the 1C thread reads while the actors run, in parts by job: the connection's
//! status (`Connected`, `SessionID`, `LastError`: [`status`](super::status)), the event queue
//! of queue and notify modes ([`event_queue`](super::event_queue)), the acknowledgements
//! (`SendWithAck` Ids, the server's requests that `Ack` may answer, the acks written on the fast
//! lane: [`ack_book`](super::ack_book)); and here the rest: the delivery mode, the event source,
//! `Done`'s closing, the count of emits waiting to be written (the offline buffer's bound), and
//! the fast lane (where the facade may write an emit itself) with its timers.
//!
//! Actors write it, the facade reads it; every lock here is held for a copy, never across an
//! `.await` or a platform call.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use once_cell::sync::Lazy;

use super::ack_book::AckBook;
use super::event_queue::EventQueue;
use super::messages::Lane;
use super::outbox::Outbox;
use super::status::Status;
use crate::sync::lock;

/// How events reach 1C code (`DeliveryMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// Each event is an external event (`ВнешнееСобытие`).
    Events,
    /// Events wait in the object's queue for `GetEvent`.
    Queue,
    /// Events wait in the queue as in `Queue`; a Pending external event tells 1C to drain it.
    Notify,
}

impl DeliveryMode {
    /// Every mode, in the order of their numbers in [`Shared`]'s atomic.
    const ALL: [DeliveryMode; 3] = [
        DeliveryMode::Events,
        DeliveryMode::Queue,
        DeliveryMode::Notify,
    ];
}

/// Shared between the facade and the actors of one object.
#[derive(Debug)]
pub struct Shared {
    status: Status,
    queue: EventQueue,
    acks: AckBook,
    source: Mutex<Arc<Vec<u16>>>,
    /// The [`DeliveryMode`], as its index in [`DeliveryMode::ALL`].
    delivery: AtomicU8,
    closing: AtomicBool,
    undelivered: AtomicU64,
    outbox: Arc<Outbox>,
    lane: Mutex<Option<Lane>>,
    /// When the Connection's wake-up timer fires ([`stamp`]; 0: it has none).
    wake_at: AtomicU64,
    /// When the last emit was offered to the fast lane ([`stamp`]).
    last_emit: AtomicU64,
}

/// The zero of [`stamp`]: fixed before the first object exists.
static EPOCH: Lazy<Instant> = Lazy::new(Instant::now);

/// An instant as nanoseconds after [`EPOCH`], plus one (so 0 can mean "none"), for atomics.
fn stamp(at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(*EPOCH).as_nanos())
        .unwrap_or(u64::MAX - 1)
        .saturating_add(1)
}

impl Shared {
    /// Fresh state: not connected, events mode, source `SocketIO`.
    pub fn new() -> Arc<Shared> {
        // Every instant stamped later is after the epoch.
        Lazy::force(&EPOCH);
        Arc::new(Shared {
            status: Status::default(),
            queue: EventQueue::default(),
            acks: AckBook::default(),
            source: Mutex::new(Arc::new(crate::wide::to_wide_nul("SocketIO"))),
            delivery: AtomicU8::new(0),
            closing: AtomicBool::new(false),
            undelivered: AtomicU64::new(0),
            outbox: Arc::default(),
            lane: Mutex::new(None),
            wake_at: AtomicU64::new(0),
            last_emit: AtomicU64::new(0),
        })
    }

    /// `Connected`, `SessionID`, `LastError`, and whether a connection is open or being opened.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The event queue of queue and notify modes.
    pub fn queue(&self) -> &EventQueue {
        &self.queue
    }

    /// `SendWithAck` Ids, the server's acknowledgement requests, the acks written on the fast
    /// lane.
    pub fn acks(&self) -> &AckBook {
        &self.acks
    }

    /// Sets `EventSource` (kept as NUL-terminated UTF-16, ready for `ExternalEvent`).
    pub fn set_source(&self, source: &str) {
        *lock(&self.source) = Arc::new(crate::wide::to_wide_nul(source));
    }

    /// `EventSource` as NUL-terminated UTF-16.
    pub fn source(&self) -> Arc<Vec<u16>> {
        lock(&self.source).clone()
    }

    /// Switches the delivery mode (1C may do it at any time; the dispatcher looks per event).
    pub fn set_delivery(&self, mode: DeliveryMode) {
        let index = DeliveryMode::ALL.iter().position(|m| *m == mode);
        self.delivery
            .store(index.unwrap_or_default() as u8, Ordering::Release)
    }

    /// The delivery mode.
    pub fn delivery(&self) -> DeliveryMode {
        let index = usize::from(self.delivery.load(Ordering::Acquire));
        DeliveryMode::ALL
            .get(index)
            .copied()
            .unwrap_or(DeliveryMode::Events)
    }

    /// Set by `Done`: the dispatcher drops what is left instead of delivering it.
    pub fn set_closing(&self) {
        self.closing.store(true, Ordering::Release)
    }

    /// Whether `Done` has started.
    pub fn closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Counts an event that could not be handed over.
    pub fn count_undelivered(&self) -> u64 {
        self.undelivered.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// The object's outbox: what waits to be written, in packets and bytes.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// Opens (`Some`, by the Connection once the namespace is joined) or closes the fast lane.
    pub fn set_lane(&self, lane: Option<Lane>) {
        *lock(&self.lane) = lane;
    }

    /// The fast lane, while it is open.
    pub fn lane(&self) -> Option<Lane> {
        lock(&self.lane).clone()
    }

    /// The Connection's wake-up timer is (re)armed for `at`. Published before the Connection
    /// takes the written acks of its turn (see [`Shared::wakes_by`]).
    pub fn set_wake_at(&self, at: Option<Instant>) {
        self.wake_at.store(at.map_or(0, stamp), Ordering::SeqCst);
    }

    /// Whether the Connection will wake up by `at` anyway (and then take over the acks written
    /// on the fast lane): asked after such an ack was handed over, so either the Connection's
    /// timer value seen here was armed before it looked at the written acks (it will find this
    /// one when it wakes), or it is the newer value.
    pub fn wakes_by(&self, at: Instant) -> bool {
        let wake = self.wake_at.load(Ordering::SeqCst);
        wake != 0 && wake <= stamp(at)
    }

    /// Records an emit at `now`; returns how long after the previous one it came.
    pub fn emit_gap(&self, now: Instant) -> Duration {
        let now = stamp(now);
        let previous = self.last_emit.swap(now, Ordering::AcqRel);
        Duration::from_nanos(now.saturating_sub(previous))
    }
}
