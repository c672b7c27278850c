//! State that the 1C thread reads while the actors run: what properties such as `Connected`,
//! `SessionID`, `LastError` and `QueueLength` show, and the event queue of queue mode.
//!
//! Actors write it, the facade reads it; every lock here is held for a copy, never across an
//! `.await` or a platform call.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::events::HostEvent;
use crate::lang::Text;

/// How many events queue mode keeps before the dispatcher waits (and so, in the end, stops
/// reading the socket): bounded memory, no loss.
pub const QUEUE_CAPACITY: usize = 100_000;

/// Shared between the facade and the actors of one object.
#[derive(Debug)]
pub struct Shared {
    connected: AtomicBool,
    busy: AtomicBool,
    session_id: Mutex<String>,
    last_error: Mutex<Option<Text>>,
    source: Mutex<Arc<Vec<u16>>>,
    queue_mode: AtomicBool,
    closing: AtomicBool,
    undelivered: AtomicU64,
    queue_tx: async_channel::Sender<HostEvent>,
    queue_rx: async_channel::Receiver<HostEvent>,
}

/// Locks a mutex whose data stays consistent even if a holder panicked (every critical section
/// here is a plain copy), so a poisoned lock is simply taken over.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// Fresh state: not connected, events mode, source `SocketIO`.
    pub fn new() -> Arc<Shared> {
        let (queue_tx, queue_rx) = async_channel::bounded(QUEUE_CAPACITY);
        Arc::new(Shared {
            connected: AtomicBool::new(false),
            busy: AtomicBool::new(false),
            session_id: Mutex::new(String::new()),
            last_error: Mutex::new(None),
            source: Mutex::new(Arc::new(crate::wide::to_wide_nul("SocketIO"))),
            queue_mode: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            undelivered: AtomicU64::new(0),
            queue_tx,
            queue_rx,
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

    /// Switches between events mode and queue mode.
    pub fn set_queue_mode(&self, queue: bool) {
        self.queue_mode.store(queue, Ordering::Release)
    }

    /// Whether events go to the queue.
    pub fn queue_mode(&self) -> bool {
        self.queue_mode.load(Ordering::Acquire)
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

    /// The queue of queue mode: the dispatcher's end.
    pub fn queue_sender(&self) -> &async_channel::Sender<HostEvent> {
        &self.queue_tx
    }

    /// The queue of queue mode: `GetEvent`'s end.
    pub fn queue_receiver(&self) -> &async_channel::Receiver<HostEvent> {
        &self.queue_rx
    }
}
