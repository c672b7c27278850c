//! [`Outlet`]: where an attached namespace's events go, in batches.
//!
//! The packets the engine reads in one run (everything the socket had, at most
//! [`READ_STREAK`](super::READ_STREAK) of them) travel to the namespace's Connection as one
//! channel message, so the channel's send, receive and wake-up are paid per run, not per packet.
//! Everything else (Opened, Closed) goes after the packets routed before it: the order holds.
//!
//! [`Outlets`] are an engine's, one per attached namespace.

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

/// The outlets of an engine's attached namespaces. A list: an engine carries a few namespaces,
/// and finding a packet's one by comparing names costs less than hashing its name.
#[derive(Default)]
pub(super) struct Outlets(Vec<(Arc<str>, Outlet)>);

impl Outlets {
    /// Attaches `namespace` (replacing an outlet it had).
    pub(super) fn insert(&mut self, namespace: Arc<str>, outlet: Outlet) {
        self.remove(&namespace);
        self.0.push((namespace, outlet));
    }

    pub(super) fn remove(&mut self, namespace: &str) {
        self.0.retain(|(n, _)| **n != *namespace);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn get_mut(&mut self, namespace: &str) -> Option<&mut Outlet> {
        self.0
            .iter_mut()
            .find(|(n, _)| **n == *namespace)
            .map(|(_, outlet)| outlet)
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Outlet> {
        self.0.iter_mut().map(|(_, outlet)| outlet)
    }

    /// Detaches every namespace.
    pub(super) fn take_all(&mut self) -> Vec<Outlet> {
        self.0.drain(..).map(|(_, outlet)| outlet).collect()
    }

    /// [`Outlet::flush`] for every namespace.
    pub(super) async fn flush_all(&mut self) -> Flushed {
        let mut flushed = Flushed::AtOnce;
        for outlet in self.iter_mut() {
            if outlet.flush().await == Flushed::AfterWaiting {
                flushed = Flushed::AfterWaiting;
            }
        }
        flushed
    }
}
