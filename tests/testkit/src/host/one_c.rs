//! 1C's main thread for one object, as the platform runs it (native-api.md §5): idle, it takes
//! the oldest event from the object's event buffer and runs the handler (`ВнешнееСобытие`) to
//! its end; only then does it take the next. While the handler works, the add-in's events wait
//! in the buffer of `EventBufferDepth`, and once it is full the newest are dropped, with
//! `ExternalEvent` still answering true (unless
//! [`HostOptions::event_overflow_returns_false`](super::HostOptions)): the platform's
//! behaviour that the documentation allows and an add-in cannot see.
//!
//! The handler's work is simulated by [`Work`]: the thread sleeps for it, in slices of at least
//! [`SLICE`], so a 1C thread that "works 1 ms per event" costs no CPU and one sleep per
//! [`SLICE`] instead of one per event, and keeps its pace over a long flood (an oversleep is
//! made good by the next events).
//!
//! ```no_run
//! # use std::{ops::ControlFlow, time::Duration};
//! # use testkit::host::{Object, Thread1C};
//! # fn f(obj: &Object) {
//! let mut thread = Thread1C::new(obj).losing(|e| e.event.contains("Pending"));
//! thread.run(Duration::from_secs(60), usize::MAX, |_obj, _event, work| {
//!     work.work(Duration::from_millis(1));
//!     ControlFlow::Continue(())
//! });
//! # }
//! ```

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use super::event::Event;
use super::object::Object;

/// The shortest sleep of a [`Work`]: smaller amounts of work are owed until they add up.
pub const SLICE: Duration = Duration::from_millis(10);

/// The time a handler spends working, paced against the clock.
#[derive(Debug, Default)]
pub struct Work {
    /// Until when the thread owes work (`None`: it is not working).
    until: Option<Instant>,
}

impl Work {
    /// The handler works for `amount`: the thread sleeps once the work owed reaches [`SLICE`].
    pub fn work(&mut self, amount: Duration) {
        let now = Instant::now();
        let until = self.until.unwrap_or(now) + amount;
        self.until = Some(until);
        let owed = until.saturating_duration_since(now);
        if owed >= SLICE {
            // Simulated work: the thread is busy, not waiting for anything.
            std::thread::sleep(owed);
        }
    }

    /// The thread is idle from now: idle time is no credit for later work.
    fn rest(&mut self) {
        let now = Instant::now();
        if let Some(until) = self.until {
            let owed = until.saturating_duration_since(now);
            if !owed.is_zero() {
                std::thread::sleep(owed);
            }
        }
        self.until = None;
    }
}

/// The 1C thread of one object. The calling thread is the 1C thread while [`Thread1C::run`]
/// runs.
pub struct Thread1C<'a> {
    obj: &'a Object,
    work: Work,
    /// Which events the platform loses between its buffer and the handler.
    lose: Box<dyn FnMut(&Event) -> bool + 'a>,
    lost: usize,
    handled: usize,
}

impl<'a> Thread1C<'a> {
    /// The 1C thread of `obj`; it loses nothing beyond what the buffer drops.
    pub fn new(obj: &'a Object) -> Thread1C<'a> {
        Thread1C {
            obj,
            work: Work::default(),
            lose: Box::new(|_| false),
            lost: 0,
            handled: 0,
        }
    }

    /// Also loses the events for which `lose` says true (called in the order they come, so it
    /// may lose, say, every other one): they are taken from the buffer and never reach the
    /// handler, as if the platform had dropped them.
    pub fn losing(mut self, lose: impl FnMut(&Event) -> bool + 'a) -> Thread1C<'a> {
        self.lose = Box::new(lose);
        self
    }

    /// Events lost by [`Thread1C::losing`].
    pub fn lost(&self) -> usize {
        self.lost
    }

    /// Events the handler ran for.
    pub fn handled(&self) -> usize {
        self.handled
    }

    /// The idle loop: runs `handler` for each event in turn until it breaks, or until at least
    /// `offered` events were offered to the platform (queued or dropped) and the buffer is
    /// empty, or until `timeout` has passed. True unless the time ran out. The handler gets
    /// the object (to call `GetEvent` and the rest), the event and the thread's [`Work`].
    pub fn run(
        &mut self,
        timeout: Duration,
        offered: usize,
        mut handler: impl FnMut(&Object, &Event, &mut Work) -> ControlFlow<()>,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            self.work.rest();
            let Some(event) = self.obj.take_next(deadline, offered) else {
                return Instant::now() < deadline;
            };
            if (self.lose)(&event) {
                self.lost += 1;
                continue;
            }
            self.handled += 1;
            if handler(self.obj, &event, &mut self.work).is_break() {
                self.work.rest();
                return true;
            }
        }
    }
}
