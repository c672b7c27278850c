//! The Dispatcher actor: the only code that hands events to 1C.
//!
//! In events mode it calls `ExternalEvent` (through [`EventSink`]) from its own task, with
//! UTF-16 buffers it reuses; in queue mode (or when the platform gave no sink) it puts events in
//! the object's queue for `GetEvent`; in notify mode it puts them in the queue and tells 1C with
//! the Pending event when to drain it (the rules are [`super::pending`]'s; the 1 s timer is
//! here). When `Done` starts it stops delivering and drains.
//!
//! Nothing is lost silently. When the platform refuses an event (its buffer of
//! `EventBufferDepth` events is full and it says so) the event is tried again a few times; if it
//! still cannot be handed over it goes to the queue, and so does everything after it until 1C
//! has read the queue empty and the platform takes events again, so the order holds. An Error
//! event says so: first in the queue, and through `ExternalEvent` as soon as the platform has
//! room. A platform that drops events and still answers true cannot be caught in events mode;
//! notify mode is the answer there: no event goes into the platform's buffer, only Pending
//! events, and a lost one is sent again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::Receiver;
use futures::FutureExt;

use super::messages::Batch;
use super::pending::{Due, Reminder, RESEND_AFTER};
use super::shared::{DeliveryMode, Shared};
use crate::events::{self, HostEvent};
use crate::host::EventSink;
use crate::lang::Text;
use crate::rt;
use crate::text;
use crate::wide;

/// How often, and after what pauses, a refused `ExternalEvent` is tried again before the event
/// goes to the queue instead. The platform refuses when its buffer is full; 1C drains that
/// buffer when its main loop is idle, so a short wait usually suffices.
const RETRY_PAUSES: [Duration; 3] = [
    Duration::from_millis(5),
    Duration::from_millis(50),
    Duration::from_millis(250),
];

/// How often the notice about moved events is offered to the platform while no other event
/// comes.
const NOTICE_RETRY: Duration = Duration::from_millis(250);

/// Runs until the registry drops its sender. Events come in batches (in order).
pub async fn run(
    inbox: Receiver<Batch<HostEvent>>,
    shared: Arc<Shared>,
    sink: Option<Arc<dyn EventSink>>,
) {
    let mut buffers = Buffers::default();
    let mut overflow = Overflow::default();
    let mut notify = Notify::default();
    let mut alarm = rt::Alarm::new();
    // The platform's sink while 1C hears from it in `mode`, looked at for every event: 1C may
    // switch the mode at any time.
    let sink_in = |mode| sink.as_deref().filter(|_| shared.delivery() == mode);
    loop {
        let notice_at = overflow.notice_due.then(|| rt::now() + NOTICE_RETRY);
        alarm.set(match (notice_at, notify.check_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        });
        let batch = futures::select! {
            batch = inbox.recv().fuse() => match batch {
                Ok(batch) => Some(batch),
                Err(_) => break,
            },
            _ = alarm.ring().fuse() => None,
        };
        for event in batch.into_iter().flatten() {
            if shared.closing() {
                break;
            }
            if let Some(sink) = sink_in(DeliveryMode::Events) {
                deliver_or_queue(sink, &shared, &mut buffers, &mut overflow, event).await
            } else if let Some(sink) = sink_in(DeliveryMode::Notify) {
                notify.push(sink, &shared, &mut buffers, event).await
            } else {
                // Bounded: waits while the queue is full, which in the end stops the socket
                // reads. Nothing is dropped.
                shared.queue().push(event).await
            }
        }
        if shared.closing() {
            // Nothing more goes to 1C: no timer of notify mode either.
            notify.check_at = None;
            continue;
        }
        if let (Some(sink), true) = (sink_in(DeliveryMode::Events), overflow.notice_due) {
            offer_notice(sink, &shared, &mut buffers, &mut overflow);
        }
        match sink_in(DeliveryMode::Notify) {
            Some(sink) => notify.remind(sink, &shared, &mut buffers),
            None => notify.check_at = None,
        }
    }
}

/// Notify mode: the events go to the queue, and Pending events to the platform.
#[derive(Default)]
struct Notify {
    /// The last Pending event sent.
    reminder: Reminder,
    /// An event found the queue empty since the last decision.
    started: bool,
    /// When to decide again without a new event (the 1 s re-send).
    check_at: Option<Instant>,
}

impl Notify {
    /// Puts `event` in the queue. While the queue is full, 1C is still reminded (a lost Pending
    /// event would otherwise leave a full queue that nobody drains, and a stalled socket).
    async fn push(
        &mut self,
        sink: &dyn EventSink,
        shared: &Shared,
        buffers: &mut Buffers,
        mut event: HostEvent,
    ) {
        loop {
            match shared.queue().try_push(event) {
                Ok(waiting) => {
                    self.started |= waiting == 1;
                    return;
                }
                Err(back) => event = back,
            }
            if shared.closing() {
                return;
            }
            self.remind(sink, shared, buffers);
            // Room, or the time to remind 1C again (`remind` always keeps one while events wait).
            let until_check = self
                .check_at
                .map_or(RESEND_AFTER, |at| at.saturating_duration_since(rt::now()));
            rt::timeout(until_check, shared.queue().wait_room()).await;
        }
    }

    /// Sends the Pending event if it is due, and keeps when to look again.
    fn remind(&mut self, sink: &dyn EventSink, shared: &Shared, buffers: &mut Buffers) {
        let now = rt::now();
        // Read before the event goes out: a `GetEvent` that answers it counts as "since".
        let pulls = shared.queue().pulls();
        let waiting = shared.queue().receiver().len();
        let started = std::mem::take(&mut self.started);
        self.check_at = match self.reminder.due(now, waiting, started, pulls) {
            Due::Now => {
                // A refused Pending event is like a dropped one: sent again after RESEND_AFTER.
                hand(sink, shared, buffers, &events::queue_pending(waiting));
                self.reminder.sent(now, pulls);
                Some(now + RESEND_AFTER)
            }
            // Never moved later while the kept time is still ahead: while 1C pulls, `at` moves
            // with every batch, and re-arming the timer costs a system call each time (an
            // early look costs one empty turn a second).
            Due::At(at) => Some(match self.check_at {
                Some(kept) if kept > now => kept.min(at),
                _ => at,
            }),
            Due::Idle => None,
        };
    }
}

/// Reused UTF-16 buffers: one conversion per string, no allocation per event once warm.
#[derive(Default)]
struct Buffers {
    /// The UTF-16 of `event_text`.
    event: Vec<u16>,
    /// The `Событие` text last converted: the Registry shares one text among the messages of a
    /// stream of one name, so the same text (the same allocation, kept alive here) is converted
    /// once. The Dispatcher compares no names or texts itself.
    event_text: Option<Arc<str>>,
    data: Vec<u16>,
}

/// The state after the platform refused an event.
#[derive(Default)]
struct Overflow {
    /// Events go to the queue (until 1C has read it empty), so they stay in order.
    active: bool,
    /// How many events went to the queue because of refusals, in all.
    moved: u64,
    /// The Error event about them has not reached the platform yet.
    notice_due: bool,
}

/// Events mode: hands `event` to the platform, or to the queue while earlier events wait there.
async fn deliver_or_queue(
    sink: &dyn EventSink,
    shared: &Shared,
    buffers: &mut Buffers,
    overflow: &mut Overflow,
    event: HostEvent,
) {
    if overflow.active {
        // Once 1C has read everything that was moved, the order is safe again: one try (no
        // retries, the platform has just been refusing) decides whether its buffer has room.
        if shared.queue().receiver().is_empty() && hand(sink, shared, buffers, &event) {
            overflow.active = false;
            return;
        }
    } else {
        if deliver(sink, shared, buffers, &event).await {
            return;
        }
        overflow.active = true;
        overflow.notice_due = true;
        let note = moved_note(overflow.moved + 1);
        shared.queue().push(events::error(&note.en, None)).await;
    }
    overflow.moved += 1;
    shared.count_undelivered();
    shared.status().set_last_error(moved_note(overflow.moved));
    shared.queue().push(event).await;
}

/// The text that says events were moved to the queue.
fn moved_note(count: u64) -> Text {
    text!(
        "1C's external event buffer is full: {} event(s) moved to the queue; read them with GetEvent (events go there until it is empty), or raise EventBufferDepth", count;
        "буфер внешних событий 1С переполнен: {} событий перемещено в очередь; прочитайте их ПолучитьСобытие (события идут туда, пока она не опустеет) или увеличьте ГлубинаБуфераСобытий", count
    )
}

/// Offers the Error event about moved events to the platform once (no waiting).
fn offer_notice(sink: &dyn EventSink, shared: &Shared, buffers: &mut Buffers, o: &mut Overflow) {
    let notice = events::error(&moved_note(o.moved).en, None);
    if hand(sink, shared, buffers, &notice) {
        o.notice_due = false;
    }
}

/// One `ExternalEvent` call. True when the platform took it.
fn hand(sink: &dyn EventSink, shared: &Shared, buffers: &mut Buffers, event: &HostEvent) -> bool {
    let source = shared.source();
    let converted = buffers
        .event_text
        .as_ref()
        .is_some_and(|last| Arc::ptr_eq(last, &event.event));
    if !converted {
        wide::encode_nul_into(&event.event, &mut buffers.event);
        buffers.event_text = Some(event.event.clone());
    }
    wide::encode_nul_into(&event.data, &mut buffers.data);
    sink.external_event(&source, &buffers.event, &buffers.data)
}

/// Calls `ExternalEvent`, retrying a refusal a few times. True when the platform took it.
async fn deliver(
    sink: &dyn EventSink,
    shared: &Shared,
    buffers: &mut Buffers,
    event: &HostEvent,
) -> bool {
    if hand(sink, shared, buffers, event) {
        return true;
    }
    for pause in RETRY_PAUSES {
        rt::sleep(pause).await;
        if shared.closing() {
            return true;
        }
        if hand(sink, shared, buffers, event) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    use async_channel::{Receiver, Sender};

    use super::{moved_note, run};
    use crate::actors::messages::Batch;
    use crate::actors::shared::{DeliveryMode, Shared};
    use crate::events::{self, HostEvent};
    use crate::host::EventSink;
    use crate::rt::{self, Task};
    use crate::transport::memory::WAIT;
    use crate::wide;

    /// The platform's side of `ExternalEvent`: passes on what it takes, refuses while `full`.
    struct Platform {
        taken: Sender<(String, HostEvent)>,
        full: AtomicBool,
        offered: AtomicUsize,
    }

    impl EventSink for Platform {
        fn external_event(&self, source: &[u16], event: &[u16], data: &[u16]) -> bool {
            self.offered.fetch_add(1, Ordering::Relaxed);
            if self.full.load(Ordering::Relaxed) {
                return false;
            }
            let text = |units: &[u16]| wide::from_wide_lossy(units.strip_suffix(&[0]).unwrap());
            let event = HostEvent {
                event: Arc::from(text(event)),
                data: text(data),
            };
            self.taken.try_send((text(source), event)).unwrap();
            true
        }
    }

    /// A Dispatcher actor with the test as its Registry, its platform and its 1C (`GetEvent`).
    struct Rig {
        inbox: Option<Sender<Batch<HostEvent>>>,
        shared: Arc<Shared>,
        platform: Arc<Platform>,
        taken: Receiver<(String, HostEvent)>,
        actor: Task<()>,
    }

    impl Rig {
        fn spawn() -> Rig {
            let shared = Shared::new();
            let (taken_tx, taken) = async_channel::unbounded();
            let platform = Arc::new(Platform {
                taken: taken_tx,
                full: AtomicBool::new(false),
                offered: AtomicUsize::new(0),
            });
            let (inbox, inbox_rx) = async_channel::bounded(8);
            let sink: Arc<dyn EventSink> = platform.clone();
            let actor = rt::spawn(run(inbox_rx, shared.clone(), Some(sink)));
            Rig {
                inbox: Some(inbox),
                shared,
                platform,
                taken,
                actor,
            }
        }

        async fn deliver(&self, mut events: Vec<HostEvent>) {
            let inbox = self.inbox.as_ref().expect("the registry is there");
            let batch = Batch::take(&mut events).expect("events");
            inbox.send(batch).await.expect("the actor runs");
        }

        /// What the platform took next.
        async fn taken(&self) -> HostEvent {
            let taken = rt::timeout(WAIT, self.taken.recv()).await;
            let (source, event) = taken.expect("the platform got nothing").unwrap();
            assert_eq!(source, "SocketIO");
            event
        }

        /// What `GetEvent` finds next in the queue.
        async fn queued(&self) -> HostEvent {
            let queued = rt::timeout(WAIT, self.shared.queue().receiver().recv()).await;
            queued.expect("the queue stayed empty").unwrap()
        }

        /// Ends the actor as the Registry does, and waits for it.
        async fn end(mut self) -> Receiver<(String, HostEvent)> {
            self.inbox = None;
            rt::timeout(WAIT, self.actor)
                .await
                .expect("the actor ended");
            self.taken
        }
    }

    fn numbered(n: usize) -> HostEvent {
        events::error(&format!("event {n}"), None)
    }

    #[test]
    fn events_reach_the_platform_in_order_across_batches() {
        rt::block_on(async {
            let rig = Rig::spawn();
            rig.deliver(vec![events::open(false), numbered(1), numbered(2)])
                .await;
            rig.deliver(vec![numbered(3)]).await;
            rig.deliver(vec![events::close(events::CloseReason::Normal)])
                .await;
            assert_eq!(rig.taken().await, events::open(false));
            for n in 1..=3 {
                assert_eq!(rig.taken().await, numbered(n));
            }
            assert_eq!(
                rig.taken().await,
                events::close(events::CloseReason::Normal)
            );
            assert!(rig.shared.queue().receiver().is_empty());
        });
    }

    #[test]
    fn queue_mode_puts_the_events_in_the_queue_in_order() {
        rt::block_on(async {
            let rig = Rig::spawn();
            rig.shared.set_delivery(DeliveryMode::Queue);
            rig.deliver(vec![numbered(1), numbered(2)]).await;
            assert_eq!(rig.queued().await, numbered(1));
            assert_eq!(rig.queued().await, numbered(2));
            let taken = rig.end().await;
            assert!(taken.is_empty(), "nothing went to the platform");
        });
    }

    /// Notify mode: the events wait in the queue, and the platform gets a Pending event with
    /// their number when the queue stops being empty.
    #[test]
    fn notify_mode_queues_the_events_and_sends_pending() {
        rt::block_on(async {
            let rig = Rig::spawn();
            rig.shared.set_delivery(DeliveryMode::Notify);
            rig.deliver(vec![numbered(1), numbered(2)]).await;
            assert_eq!(rig.taken().await, events::queue_pending(2));
            assert_eq!(rig.queued().await, numbered(1));
            assert_eq!(rig.queued().await, numbered(2));
        });
    }

    /// The platform's buffer is full: the event is tried again a few times, then it goes to
    /// the queue behind an Error that says so, and so does the next one (the order holds);
    /// once the platform takes events again it first gets the notice, then the events.
    #[test]
    fn a_full_platform_buffer_moves_events_to_the_queue_in_order_and_says_so() {
        rt::block_on(async {
            let rig = Rig::spawn();
            rig.platform.full.store(true, Ordering::Relaxed);
            rig.deliver(vec![numbered(1)]).await;
            rig.deliver(vec![numbered(2)]).await;
            assert_eq!(rig.queued().await, events::error(&moved_note(1).en, None));
            assert_eq!(rig.queued().await, numbered(1));
            assert_eq!(rig.queued().await, numbered(2));
            assert!(rig.platform.offered.load(Ordering::Relaxed) >= 4, "retried");
            assert_eq!(rig.shared.status().last_error(), Some(moved_note(2)));
            rig.platform.full.store(false, Ordering::Relaxed);
            assert_eq!(rig.taken().await, events::error(&moved_note(2).en, None));
            rig.deliver(vec![numbered(3)]).await;
            assert_eq!(rig.taken().await, numbered(3));
        });
    }

    /// From `Done` on (`closing`) nothing reaches the platform; the actor ends when the
    /// Registry drops its sender.
    #[test]
    fn nothing_is_delivered_once_closing_and_it_ends_with_its_inbox() {
        rt::block_on(async {
            let rig = Rig::spawn();
            rig.shared.set_closing();
            rig.deliver(vec![numbered(1)]).await;
            let taken = rig.end().await;
            assert!(taken.is_empty());
        });
    }
}
