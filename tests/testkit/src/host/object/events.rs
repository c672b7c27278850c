//! How the tests take events from an object, as 1C's idle loop (events mode) or 1C code
//! (`GetEvent`) would: waiting with a deadline, draining, and what the host saw and dropped.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Object;
use crate::host::bell::Bell;
use crate::host::event::{Event, RawEvent};
use crate::host::lock;

impl Object {
    /// Waits up to `timeout` for an event matching `pred`, as 1C's idle loop would deliver
    /// it: events are taken from the head of the queue in order; the ones that do not match
    /// are kept in [`Object::seen`]. Holds the call lock while waiting (no call can run, as in
    /// 1C, where events are processed only between calls). Wakes on each `ExternalEvent`.
    pub fn wait_event(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&Event) -> bool,
    ) -> Option<Event> {
        let _calls = lock(&self.call_lock);
        let deadline = Instant::now() + timeout;
        let state = self.side.state;
        let mut queue = state.queue();
        loop {
            while let Some(raw) = queue.events.pop_front() {
                let ev = raw.decode();
                self.remember(raw);
                if pred(&ev) {
                    return Some(ev);
                }
                lock(&self.seen).push(ev);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            queue = state.wait(queue, deadline - now);
        }
    }

    /// The next event within `timeout`, whatever it is.
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        self.wait_event(timeout, |_| true)
    }

    /// 1C's idle loop, as cheap as the platform's: waits up to `timeout` until an event is
    /// queued, then takes every queued event at once and hands each to `f` in order, as queued
    /// (UTF-16, not decoded). Returns how many were taken, 0 when none came in time. The events
    /// go to [`Object::history`] (when kept), not to [`Object::seen`]. Holds the call lock
    /// meanwhile, like [`Object::wait_event`].
    pub fn take_events(&self, timeout: Duration, mut f: impl FnMut(&RawEvent)) -> usize {
        let _calls = lock(&self.call_lock);
        let deadline = Instant::now() + timeout;
        let state = self.side.state;
        let mut batch = std::mem::take(&mut *lock(&self.spare));
        {
            let mut queue = state.queue();
            while queue.events.is_empty() {
                let now = Instant::now();
                if now >= deadline {
                    drop(queue);
                    *lock(&self.spare) = batch;
                    return 0;
                }
                queue = state.wait(queue, deadline - now);
            }
            // The add-in's `ExternalEvent` waits for this lock: hold it only for the swap.
            std::mem::swap(&mut queue.events, &mut batch);
        }
        let taken = batch.len();
        for raw in &batch {
            f(raw);
        }
        if self.keep_history.load(Ordering::Relaxed) {
            lock(&self.history).extend(batch.drain(..));
        } else {
            batch.clear();
        }
        *lock(&self.spare) = batch;
        taken
    }

    /// 1C's idle loop taking one event (the oldest) for its handler: waits until one is queued,
    /// or until `deadline`, or until at least `offered` events were offered to the platform
    /// (queued or dropped) and none is left to take. `None` in the last two cases. Holds the
    /// call lock while waiting, like [`Object::wait_event`]; the event goes to the history.
    pub(crate) fn take_next(&self, deadline: Instant, offered: usize) -> Option<Event> {
        let _calls = lock(&self.call_lock);
        let state = self.side.state;
        let mut queue = state.queue();
        loop {
            if let Some(raw) = queue.events.pop_front() {
                drop(queue);
                let ev = raw.decode();
                self.remember(raw);
                return Some(ev);
            }
            let now = Instant::now();
            if queue.offered >= offered || now >= deadline {
                return None;
            }
            queue = state.wait(queue, deadline - now);
        }
    }

    /// Waits until at least `offered` events were offered to the platform (queued or dropped),
    /// or `timeout` passed; false then. Takes nothing from the queue: this is the 1C thread
    /// running long code while the add-in calls `ExternalEvent`.
    pub fn wait_offered(&self, offered: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let state = self.side.state;
        let mut queue = state.queue();
        loop {
            if queue.offered >= offered {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            queue = state.wait(queue, deadline - now);
        }
    }

    /// How many times the add-in called `ExternalEvent` on this object (queued or dropped).
    pub fn offered_events(&self) -> usize {
        self.side.state.queue().offered
    }

    /// Every event queued now, in order, without waiting.
    pub fn drain(&self) -> Vec<Event> {
        let _calls = lock(&self.call_lock);
        let raws: Vec<RawEvent> = self.side.state.queue().events.drain(..).collect();
        let events = raws.iter().map(RawEvent::decode).collect();
        for raw in raws {
            self.remember(raw);
        }
        events
    }

    /// Puts a taken event into the history, if it is kept.
    fn remember(&self, raw: RawEvent) {
        if self.keep_history.load(Ordering::Relaxed) {
            lock(&self.history).push(raw);
        }
    }

    /// Events skipped by [`Object::wait_event`] because they did not match, in order.
    pub fn seen(&self) -> Vec<Event> {
        lock(&self.seen).clone()
    }

    /// Every event delivered so far (matched, skipped, drained or taken), in order, while the
    /// history was kept.
    pub fn history(&self) -> Vec<Event> {
        lock(&self.history).iter().map(RawEvent::decode).collect()
    }

    /// Whether delivered events are kept for [`Object::history`] (true by default). A benchmark
    /// turns it off: 1C keeps nothing, and a long flood would otherwise hold every event.
    pub fn keep_history(&self, keep: bool) {
        self.keep_history.store(keep, Ordering::Relaxed);
    }

    /// Attaches this object to `bell`, which `ExternalEvent` rings with [`Object::id`] whenever
    /// the object's queue goes from empty to not empty: one 1C thread for many objects.
    pub fn ring(&self, bell: &Arc<Bell>) {
        self.side.state.queue().bell = Some(Arc::clone(bell));
    }

    /// How many queued events it takes for `ExternalEvent` to wake this object's waiting 1C
    /// thread (1, the first, unless set). A benchmark sets a whole flood to measure the add-in
    /// with a 1C thread that is busy elsewhere and takes the events afterwards: the add-in's own
    /// cost, without a wake-up of the 1C thread per event (socketio-protocol.md §5.4).
    pub fn wake_1c_at(&self, events: usize) {
        self.side.state.queue().wake_at = events.max(1);
    }

    /// Events lost because the queue was full (1C drops the newest).
    pub fn dropped_events(&self) -> usize {
        self.side.state.queue().dropped
    }

    /// The queue depth the add-in set with `SetEventBufferDepth` (1 until it does).
    pub fn event_buffer_depth(&self) -> usize {
        self.side.state.queue().depth
    }

    /// Events queued and not yet delivered.
    pub fn queued_events(&self) -> usize {
        self.side.state.queue().events.len()
    }
}
