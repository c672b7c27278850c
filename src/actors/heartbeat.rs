//! The Heartbeat actor of one Engine.IO connection: arms a timer from the pure [`Watchdog`] and
//! tells the Engine when to ping (Engine.IO 3, where the client pings) or that the server went
//! silent.
//!
//! It answers through a *weak* sender with `try_send`: the Engine owns the Heartbeat's channel,
//! so a strong sender back would keep both alive forever (an actor cycle). When the Engine is
//! gone the upgrade fails and this actor ends; when its own channel closes it ends.
//!
//! Its clock comes in as a [`Clock`]: the runtime's ([`RuntimeClock`](crate::rt::RuntimeClock))
//! from the Engine, an `rt::ManualClock` in the tests below, which move time by hand.

use async_channel::{Receiver, WeakSender};
use futures::FutureExt;

use super::messages::{EngineEvent, HeartbeatMsg};
use crate::protocol::heartbeat::{Action, Watchdog};
use crate::rt::{Clock, Timer};

/// Runs until the Engine drops the sender of `inbox`, on the time of `clock`.
pub async fn run(
    inbox: Receiver<HeartbeatMsg>,
    engine: WeakSender<EngineEvent>,
    clock: impl Clock,
) {
    let mut watch: Option<(u64, Watchdog)> = None;
    let mut timer = clock.alarm();
    loop {
        timer.set(watch.as_ref().and_then(|(_, w)| w.poll_timeout()));
        futures::select! {
            msg = inbox.recv().fuse() => match msg {
                Err(_) => return,
                Ok(HeartbeatMsg::Start { gen, version, interval, timeout, now }) => {
                    watch = Some((gen, Watchdog::new(version, interval, timeout, now)));
                }
                Ok(HeartbeatMsg::Ping(now)) => {
                    if let Some((_, w)) = watch.as_mut() {
                        w.on_ping(now);
                    }
                }
                Ok(HeartbeatMsg::Pong(now)) => {
                    if let Some((_, w)) = watch.as_mut() {
                        w.on_pong(now);
                    }
                }
                Ok(HeartbeatMsg::Stop) => watch = None,
            },
            _ = timer.ring().fuse() => {
                let Some((gen, w)) = watch.as_mut() else { continue };
                let gen = *gen;
                let event = match w.handle_timeout(clock.now()) {
                    Action::None => continue,
                    Action::SendPing => EngineEvent::SendPing { gen },
                    Action::Expired => {
                        watch = None;
                        EngineEvent::HeartbeatExpired { gen }
                    }
                };
                let Some(engine) = engine.upgrade() else { return };
                // A full channel means the Engine is far behind; the next deadline retries.
                let _ = engine.try_send(event);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use async_channel::{Receiver, Sender};
    use futures::FutureExt;

    use super::run;
    use crate::actors::messages::{EngineEvent, HeartbeatMsg};
    use crate::protocol::EioVersion;
    use crate::rt::{Clock, ManualClock};

    const INTERVAL: Duration = Duration::from_secs(25);
    const TIMEOUT: Duration = Duration::from_secs(20);
    const MS: Duration = Duration::from_millis(1);

    /// A Heartbeat actor polled on the test's own thread, with a clock the test moves: each
    /// [`Rig::step`] runs it until it waits (its inbox is empty and its alarm not yet due), so
    /// "nothing happened" is as certain as "something happened", with no sleeping.
    struct Rig {
        clock: ManualClock,
        actor: Pin<Box<dyn Future<Output = ()>>>,
        inbox: Option<Sender<HeartbeatMsg>>,
        /// The Engine's end: the actor holds only a weak sender to it.
        engine: Option<(Sender<EngineEvent>, Receiver<EngineEvent>)>,
    }

    impl Rig {
        fn new() -> Rig {
            let clock = ManualClock::default();
            let (inbox, inbox_rx) = async_channel::bounded(8);
            let (events_tx, events_rx) = async_channel::bounded(8);
            let actor = run(inbox_rx, events_tx.downgrade(), clock.clone()).boxed_local();
            Rig {
                clock,
                actor,
                inbox: Some(inbox),
                engine: Some((events_tx, events_rx)),
            }
        }

        /// Starts watching session `gen` now.
        fn start(&mut self, gen: u64, version: EioVersion) {
            let now = self.clock.now();
            self.send(HeartbeatMsg::Start {
                gen,
                version,
                interval: INTERVAL,
                timeout: TIMEOUT,
                now,
            });
        }

        fn send(&mut self, msg: HeartbeatMsg) {
            let inbox = self.inbox.as_ref().expect("the inbox is open");
            inbox.try_send(msg).expect("room in the inbox");
            assert!(self.step().is_pending(), "the actor ended");
        }

        /// Runs the actor until it waits (`Pending`) or ends (`Ready`).
        fn step(&mut self) -> Poll<()> {
            let mut cx = Context::from_waker(futures::task::noop_waker_ref());
            self.actor.as_mut().poll(&mut cx)
        }

        /// Moves the clock and lets the actor see it; returns what it told the Engine.
        fn advance(&mut self, by: Duration) -> Vec<EngineEvent> {
            self.clock.advance(by);
            assert!(self.step().is_pending(), "the actor ended");
            let (_, events) = self.engine.as_ref().expect("the engine is there");
            std::iter::from_fn(|| events.try_recv().ok()).collect()
        }
    }

    fn is_expired(events: &[EngineEvent], want: u64) -> bool {
        matches!(events, [EngineEvent::HeartbeatExpired { gen }] if *gen == want)
    }

    fn is_ping(events: &[EngineEvent], want: u64) -> bool {
        matches!(events, [EngineEvent::SendPing { gen }] if *gen == want)
    }

    #[test]
    fn eio4_silence_for_ping_interval_plus_timeout_is_reported_once() {
        let mut rig = Rig::new();
        rig.start(7, EioVersion::V4);
        assert!(rig.advance(INTERVAL + TIMEOUT - MS).is_empty());
        assert!(is_expired(&rig.advance(MS), 7));
        assert!(rig.advance(INTERVAL * 10).is_empty(), "reported once");
    }

    #[test]
    fn eio4_a_ping_from_the_server_restarts_the_wait() {
        let mut rig = Rig::new();
        rig.start(1, EioVersion::V4);
        assert!(rig.advance(INTERVAL).is_empty());
        let now = rig.clock.now();
        rig.send(HeartbeatMsg::Ping(now));
        assert!(rig.advance(INTERVAL + TIMEOUT - MS).is_empty());
        assert!(is_expired(&rig.advance(MS), 1));
    }

    #[test]
    fn eio3_the_client_pings_every_interval_and_a_missing_pong_is_loss() {
        let mut rig = Rig::new();
        rig.start(3, EioVersion::V3);
        assert!(rig.advance(INTERVAL - MS).is_empty());
        assert!(is_ping(&rig.advance(MS), 3));
        // Answered: the next ping is an interval after the pong.
        assert!(rig.advance(Duration::from_secs(1)).is_empty());
        let now = rig.clock.now();
        rig.send(HeartbeatMsg::Pong(now));
        assert!(rig.advance(INTERVAL - MS).is_empty());
        assert!(is_ping(&rig.advance(MS), 3));
        // Not answered: lost once the pong is a timeout late.
        assert!(rig.advance(TIMEOUT - MS).is_empty());
        assert!(is_expired(&rig.advance(MS), 3));
    }

    #[test]
    fn stop_disarms_and_a_new_start_carries_its_own_session() {
        let mut rig = Rig::new();
        rig.start(1, EioVersion::V4);
        rig.send(HeartbeatMsg::Stop);
        assert!(rig.advance(INTERVAL * 100).is_empty());
        rig.start(2, EioVersion::V4);
        assert!(is_expired(&rig.advance(INTERVAL + TIMEOUT), 2));
    }

    #[test]
    fn it_ends_when_its_inbox_closes() {
        let mut rig = Rig::new();
        rig.start(1, EioVersion::V4);
        rig.inbox = None;
        assert!(rig.step().is_ready());
    }

    /// The Engine is gone (only a weak sender pointed at it): the next report ends the actor
    /// instead of keeping it alive.
    #[test]
    fn it_ends_at_its_next_report_once_the_engine_is_gone() {
        let mut rig = Rig::new();
        rig.start(1, EioVersion::V4);
        rig.engine = None;
        rig.clock.advance(INTERVAL + TIMEOUT);
        assert!(rig.step().is_ready());
    }
}
