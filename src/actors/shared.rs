//! State that the 1C thread reads while the actors run: what properties such as `Connected`,
//! `SessionID`, `LastError` and `QueueLength` show, the delivery mode, the event queue of queue
//! and notify modes (and how many `GetEvent` calls took from it), the count of emits waiting to
//! be written (the offline buffer's bound), and the server's acknowledgement requests that `Ack`
//! may answer, and the fast lane (where the facade may write an emit itself).
//!
//! Actors write it, the facade reads it; every lock here is held for a copy, never across an
//! `.await` or a platform call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use once_cell::sync::Lazy;

use super::messages::{AckAsked, Lane, WrittenAck};
use super::outbox::Outbox;
use crate::events::HostEvent;
use crate::lang::Text;
use crate::sync::{lock, Signal};

/// How many events the queue (queue and notify modes) keeps before the dispatcher waits (and
/// so, in the end, stops reading the socket): bounded memory, no loss.
pub const QUEUE_CAPACITY: usize = 100_000;

/// Most unanswered acknowledgement requests of the server kept for `Ack`. Events nobody
/// subscribed to may ask too, and nobody will answer those; past this bound the oldest request
/// is forgotten (answering it then raises "unknown Id").
pub const MAX_ACK_REQUESTS: usize = 65_536;

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
    connected: AtomicBool,
    busy: AtomicBool,
    session_id: Mutex<String>,
    last_error: Mutex<Option<Text>>,
    source: Mutex<Arc<Vec<u16>>>,
    /// The [`DeliveryMode`], as its index in [`DeliveryMode::ALL`].
    delivery: AtomicU8,
    closing: AtomicBool,
    undelivered: AtomicU64,
    outbox: Arc<Outbox>,
    last_ack_id: AtomicU64,
    asked: Mutex<AskedAcks>,
    lane: Mutex<Option<Lane>>,
    written_acks: Mutex<Vec<WrittenAck>>,
    /// When the Connection's wake-up timer fires ([`stamp`]; 0: it has none).
    wake_at: AtomicU64,
    /// When the last emit was offered to the fast lane ([`stamp`]).
    last_emit: AtomicU64,
    /// `GetEvent` calls so far (notify mode: whether 1C pulled since the last Pending event).
    pulls: AtomicU64,
    queue_tx: async_channel::Sender<HostEvent>,
    queue_rx: async_channel::Receiver<HostEvent>,
    /// What `GetEvent` notifies when it takes from a (nearly) full queue, for the dispatcher
    /// waiting for room (one notification wakes it, more say nothing more).
    room: Signal,
}

/// The server's acknowledgement requests, by the AckId 1C sees.
#[derive(Debug, Default)]
struct AskedAcks {
    last: u64,
    by_id: BTreeMap<u64, AckAsked>,
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
        // Unbounded underneath (a bounded channel allocates every slot up front: megabytes per
        // object); `queue_push` keeps it within QUEUE_CAPACITY.
        let (queue_tx, queue_rx) = async_channel::unbounded();
        // Every instant stamped later is after the epoch.
        Lazy::force(&EPOCH);
        Arc::new(Shared {
            connected: AtomicBool::new(false),
            busy: AtomicBool::new(false),
            session_id: Mutex::new(String::new()),
            last_error: Mutex::new(None),
            source: Mutex::new(Arc::new(crate::wide::to_wide_nul("SocketIO"))),
            delivery: AtomicU8::new(0),
            closing: AtomicBool::new(false),
            undelivered: AtomicU64::new(0),
            outbox: Arc::default(),
            last_ack_id: AtomicU64::new(0),
            asked: Mutex::new(AskedAcks::default()),
            lane: Mutex::new(None),
            written_acks: Mutex::new(Vec::new()),
            wake_at: AtomicU64::new(0),
            last_emit: AtomicU64::new(0),
            pulls: AtomicU64::new(0),
            queue_tx,
            queue_rx,
            room: Signal::default(),
        })
    }

    /// `Connected`: true between the Open event and the Close/Fail event.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Whether a connection is open or being opened (then `Connect` is refused).
    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }

    /// Marks a connection attempt as started or over.
    pub fn set_busy(&self, busy: bool) {
        self.busy.store(busy, Ordering::Release)
    }

    /// Called by the Connection when the namespace is joined (`sid` = the socket id) or left
    /// (`None`).
    pub fn set_session(&self, sid: Option<&str>) {
        *lock(&self.session_id) = sid.unwrap_or_default().to_owned();
        self.connected.store(sid.is_some(), Ordering::Release);
    }

    /// `SessionID`.
    pub fn session_id(&self) -> String {
        lock(&self.session_id).clone()
    }

    /// Records an error for `LastError`.
    pub fn set_last_error(&self, text: Text) {
        *lock(&self.last_error) = Some(text);
    }

    /// `LastError`, untranslated.
    pub fn last_error(&self) -> Option<Text> {
        lock(&self.last_error).clone()
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

    /// Counts a `GetEvent` call (whatever it found).
    pub fn count_pull(&self) {
        self.pulls.fetch_add(1, Ordering::AcqRel);
    }

    /// `GetEvent` calls so far.
    pub fn pulls(&self) -> u64 {
        self.pulls.load(Ordering::Acquire)
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

    /// A new `SendWithAck` Id: 1, 2, 3, … per object.
    pub fn next_ack_id(&self) -> u64 {
        self.last_ack_id.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Keeps a server's acknowledgement request and returns the AckId 1C will see: 1, 2, 3, …
    /// per object, never reused (the server's own ids start again at 0 on every connection).
    pub fn ask_ack(&self, asked: AckAsked) -> u64 {
        let mut acks = lock(&self.asked);
        acks.last += 1;
        let id = acks.last;
        acks.by_id.insert(id, asked);
        while acks.by_id.len() > MAX_ACK_REQUESTS {
            acks.by_id.pop_first();
        }
        id
    }

    /// Takes the request that AckId `id` answers; `None` when there is none (unknown, answered
    /// already, or its connection is over).
    pub fn take_ack_request(&self, id: u64) -> Option<AckAsked> {
        lock(&self.asked).by_id.remove(&id)
    }

    /// Puts back a request that [`Shared::take_ack_request`] took, when the answer could not be
    /// handed over (so 1C may try again).
    pub fn restore_ack_request(&self, id: u64, asked: AckAsked) {
        lock(&self.asked).by_id.insert(id, asked);
    }

    /// Forgets every request: the connection they came on is over, and the server with it.
    pub fn clear_ack_requests(&self) {
        lock(&self.asked).by_id.clear();
    }

    /// Opens (`Some`, by the Connection once the namespace is joined) or closes the fast lane.
    pub fn set_lane(&self, lane: Option<Lane>) {
        *lock(&self.lane) = lane;
    }

    /// The fast lane, while it is open.
    pub fn lane(&self) -> Option<Lane> {
        lock(&self.lane).clone()
    }

    /// A `SendWithAck` the facade is writing on the fast lane, for the Connection.
    pub fn push_written_ack(&self, ack: WrittenAck) {
        lock(&self.written_acks).push(ack);
    }

    /// Swaps the `SendWithAck`s written on the fast lane since the last call (in order) into
    /// `into`, which must be empty: its allocation takes their place, so the next one written
    /// allocates nothing.
    pub fn take_written_acks(&self, into: &mut Vec<WrittenAck>) {
        debug_assert!(into.is_empty());
        std::mem::swap(&mut *lock(&self.written_acks), into);
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

    /// Puts an event in the queue, waiting while [`QUEUE_CAPACITY`] events wait there (which in
    /// the end stops the socket reads: nothing is dropped). Returns at once once the queue is
    /// closed (`Done`).
    pub async fn queue_push(&self, mut event: HostEvent) {
        while let Err(back) = self.queue_try_push(event) {
            event = back;
            self.queue_wait_room().await;
        }
    }

    /// Puts an event in the queue unless [`QUEUE_CAPACITY`] events wait there (then it comes
    /// back; [`Shared::queue_wait_room`] waits for room). Returns how many events wait with it (0 once the queue is closed by `Done`: the
    /// event is dropped, as everything is then).
    pub fn queue_try_push(&self, event: HostEvent) -> Result<usize, HostEvent> {
        if self.queue_rx.len() >= QUEUE_CAPACITY && !self.queue_tx.is_closed() {
            return Err(event);
        }
        // Counted after the push: an event 1C took at once is not waiting, and the first one
        // that finds no other is the queue's move from empty to not empty.
        Ok(match self.queue_tx.try_send(event) {
            Ok(()) => self.queue_rx.len(),
            Err(_) => 0,
        })
    }

    /// Waits until `GetEvent` may have made room in a full queue (or the queue is closed). May
    /// return early: the caller tries again.
    pub async fn queue_wait_room(&self) {
        self.room.wait().await;
    }

    /// `GetEvent` took an event: wakes a dispatcher that waits for room. Only near the bound,
    /// where one can wait: the dispatcher pushes only below it, so the first take from a full
    /// queue always finds at least `QUEUE_CAPACITY - 1` left.
    pub fn queue_taken(&self) {
        if self.queue_rx.len() + 1 >= QUEUE_CAPACITY {
            self.room.notify();
        }
    }

    /// Closes the queue (`Done`): pushes return at once, and so does a wait for room.
    pub fn queue_close(&self) {
        self.queue_tx.close();
        self.room.close();
    }

    /// The queue of queue and notify modes: `GetEvent`'s end.
    pub fn queue_receiver(&self) -> &async_channel::Receiver<HostEvent> {
        &self.queue_rx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events;
    use crate::rt;

    /// A generous bound on what must happen at once, so that a bug fails instead of hanging.
    const WAIT: Duration = Duration::from_secs(20);

    fn full_queue() -> Arc<Shared> {
        let shared = Shared::new();
        for _ in 0..QUEUE_CAPACITY {
            assert!(shared.queue_try_push(events::fail()).is_ok());
        }
        assert!(shared.queue_try_push(events::fail()).is_err());
        shared
    }

    #[test]
    fn a_push_into_a_full_queue_waits_for_get_event() {
        let shared = full_queue();
        let get_event = async {
            assert!(shared.queue_receiver().try_recv().is_ok());
            shared.queue_taken();
        };
        let both = futures::future::join(shared.queue_push(events::open(false)), get_event);
        assert!(rt::block_on(rt::timeout(WAIT, both)).is_some());
        assert_eq!(shared.queue_receiver().len(), QUEUE_CAPACITY);
    }

    #[test]
    fn done_ends_a_wait_for_room() {
        let shared = full_queue();
        let done = async { shared.queue_close() };
        let both = futures::future::join(shared.queue_push(events::open(false)), done);
        assert!(rt::block_on(rt::timeout(WAIT, both)).is_some());
    }
}
