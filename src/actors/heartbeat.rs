//! The Heartbeat actor: arms a timer from the pure [`Watchdog`] and tells the Connection when to
//! ping (Engine.IO 3, where the client pings) or that the server went silent.
//!
//! It answers through a *weak* sender with `try_send`: the Connection owns the Heartbeat's
//! channel, so a strong sender back would keep both alive forever (an actor cycle). When the
//! Connection is gone the upgrade fails and this actor ends; when its own channel closes it ends.

use async_channel::{Receiver, WeakSender};
use futures::FutureExt;

use super::messages::{ConnEvent, HeartbeatMsg};
use crate::protocol::heartbeat::{Action, Watchdog};
use crate::rt;

/// Runs until the Connection drops the sender of `inbox`.
pub async fn run(inbox: Receiver<HeartbeatMsg>, connection: WeakSender<ConnEvent>) {
    let mut watch: Option<(u64, Watchdog)> = None;
    loop {
        let deadline = watch.as_ref().and_then(|(_, w)| w.poll_timeout());
        let timer = async {
            match deadline {
                Some(at) => rt::sleep_until(at).await,
                None => futures::future::pending().await,
            }
        };
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
            _ = timer.fuse() => {
                let Some((gen, w)) = watch.as_mut() else { continue };
                let gen = *gen;
                let event = match w.handle_timeout(rt::now()) {
                    Action::None => continue,
                    Action::SendPing => ConnEvent::SendPing { gen },
                    Action::Expired => {
                        watch = None;
                        ConnEvent::HeartbeatExpired { gen }
                    }
                };
                let Some(connection) = connection.upgrade() else { return };
                // A full channel means the Connection is far behind; the next deadline retries.
                let _ = connection.try_send(event);
            }
        }
    }
}
