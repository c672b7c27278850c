//! The Heartbeat actor of one Engine.IO connection: arms a timer from the pure [`Watchdog`] and
//! tells the Engine when to ping (Engine.IO 3, where the client pings) or that the server went
//! silent.
//!
//! It answers through a *weak* sender with `try_send`: the Engine owns the Heartbeat's channel,
//! so a strong sender back would keep both alive forever (an actor cycle). When the Engine is
//! gone the upgrade fails and this actor ends; when its own channel closes it ends.

use async_channel::{Receiver, WeakSender};
use futures::FutureExt;

use super::messages::{EngineEvent, HeartbeatMsg};
use crate::protocol::heartbeat::{Action, Watchdog};
use crate::rt;

/// Runs until the Engine drops the sender of `inbox`.
pub async fn run(inbox: Receiver<HeartbeatMsg>, engine: WeakSender<EngineEvent>) {
    let mut watch: Option<(u64, Watchdog)> = None;
    let mut timer = rt::Alarm::new();
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
                let event = match w.handle_timeout(rt::now()) {
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
