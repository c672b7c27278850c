//! One 1C thread for many objects: 1C runs the handlers of every add-in object of a process on
//! its one main thread, from one event loop. The emulator keeps a queue per object; a [`Bell`]
//! that objects are attached to ([`Object::ring`](super::Object::ring)) tells that one thread
//! which of them have events, so it sleeps until any of them has one instead of polling them
//! all.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::lock;

/// Rung by `ExternalEvent` when an attached object's queue goes from empty to not empty.
#[derive(Debug, Default)]
pub struct Bell {
    state: Mutex<Rung>,
    cv: Condvar,
}

#[derive(Debug, Default)]
struct Rung {
    /// Ids ([`Object::id`](super::Object::id)) of the objects that rang since the last take, in
    /// order; an object whose queue was emptied and filled again is in it again.
    ready: Vec<usize>,
    /// Whether the taker sleeps: only then does a ring wake it (a wake-up is a system call).
    waiting: bool,
}

impl Bell {
    pub fn new() -> Bell {
        Bell::default()
    }

    /// Object `id` has events now.
    pub(crate) fn ring(&self, id: usize) {
        let mut rung = lock(&self.state);
        rung.ready.push(id);
        if rung.waiting {
            rung.waiting = false;
            drop(rung);
            self.cv.notify_one();
        }
    }

    /// Waits up to `timeout` until some object rang, then puts the ids of all that rang into
    /// `ready` (cleared first; its buffer is reused). False when none rang in time. Take each
    /// one's events with [`Object::take_events`](super::Object::take_events) and a zero
    /// timeout: an id may come when its events were already taken.
    pub fn take(&self, timeout: Duration, ready: &mut Vec<usize>) -> bool {
        ready.clear();
        let deadline = Instant::now() + timeout;
        let mut rung = lock(&self.state);
        while rung.ready.is_empty() {
            let now = Instant::now();
            if now >= deadline {
                rung.waiting = false;
                return false;
            }
            rung.waiting = true;
            rung = self
                .cv
                .wait_timeout(rung, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        rung.waiting = false;
        std::mem::swap(&mut rung.ready, ready);
        true
    }
}
