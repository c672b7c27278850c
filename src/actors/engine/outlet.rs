//! [`Outlet`]: where an attached namespace's events go, in batches.
//!
//! The packets the engine reads in one run (everything the socket had, at most
//! [`READ_STREAK`](super::READ_STREAK) of them) travel to the namespace's Connection as one
//! channel message, so the channel's send, receive and wake-up are paid per run, not per packet.
//! Everything else (Opened, Closed) goes after the packets routed before it: the order holds.

use std::collections::HashMap;
use std::sync::Arc;

use async_channel::{Sender, TrySendError};

use crate::actors::messages::{Batch, SocketEvent};

/// One attached namespace: its Connection's channel and the packets routed to it that wait for
/// the end of the run.
pub(super) struct Outlet {
    to: Sender<Batch<SocketEvent>>,
    waiting: Vec<SocketEvent>,
}

/// What [`Outlet::flush`] did.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Flushed {
    /// Nothing waited, or the channel took it at once.
    AtOnce,
    /// The channel was full and the flush had to wait: the task was woken meanwhile, so a
    /// wake-up meant for something else (the reader) may have been spent on this wait.
    AfterWaiting,
}

impl Outlet {
    pub(super) fn new(to: Sender<Batch<SocketEvent>>) -> Outlet {
        Outlet {
            to,
            waiting: Vec::new(),
        }
    }

    /// Keeps `event` for the end of the run.
    pub(super) fn push(&mut self, event: SocketEvent) {
        self.waiting.push(event);
    }

    /// Sends `event` now, after what waits. A send error means the namespace is leaving; its
    /// Detach follows.
    pub(super) async fn send(&mut self, event: SocketEvent) {
        self.waiting.push(event);
        self.flush().await;
    }

    /// Hands over what waits, as one message (waiting while the channel is full: backpressure).
    pub(super) async fn flush(&mut self) -> Flushed {
        let Some(batch) = Batch::take(&mut self.waiting) else {
            return Flushed::AtOnce;
        };
        match self.to.try_send(batch) {
            Ok(()) | Err(TrySendError::Closed(_)) => Flushed::AtOnce,
            Err(TrySendError::Full(batch)) => {
                let _ = self.to.send(batch).await;
                Flushed::AfterWaiting
            }
        }
    }
}

/// [`Outlet::flush`] for every namespace.
pub(super) async fn flush_all(outlets: &mut HashMap<Arc<str>, Outlet>) -> Flushed {
    let mut flushed = Flushed::AtOnce;
    for outlet in outlets.values_mut() {
        if outlet.flush().await == Flushed::AfterWaiting {
            flushed = Flushed::AfterWaiting;
        }
    }
    flushed
}
