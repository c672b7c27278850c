//! The facade's handles on one object's actors. Each owns the rules for sending to its actor:
//! which sends may wait, for how long, and what a full or closed channel means. The facade
//! says what it wants and renders a [`Refused`] in the user's language.
//!
//! - [`ConnectionHandle`]: control commands (never wait), emits (the fast lane first, then the
//!   outbox within its bounds: [`OUTBOX_CAPACITY`] packets and [`OUTBOX_MAX_BYTES`] bytes;
//!   offline a full outbox refuses at once, connected it waits for room at most the given time).
//! - [`RegistryHandle`]: subscriptions (the channel also carries inbound events, so under a
//!   flood a subscription waits, bounded, rather than being refused).

use std::sync::Arc;
use std::time::Duration;

use async_channel::{Sender, TrySendError};

use super::fast_lane::{self, Offer};
use super::messages::{ConnCmd, Outbound, RegistryCmd};
use super::outbox::{OutboxTicket, OUTBOX_CAPACITY, OUTBOX_MAX_BYTES};
use super::shared::Shared;
use crate::rt;

/// Why an actor did not take what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The actor's inbox stayed full (too many commands at once, or a flood for the Registry).
    Busy,
    /// The outbox is full: offline at once, connected after the wait.
    Full,
    /// The actor is gone (`Done`).
    Stopped,
}

/// Sends to the Connection actor: commands and emits.
#[derive(Debug)]
pub struct ConnectionHandle {
    commands: Sender<ConnCmd>,
    outbox: Sender<Outbound>,
    shared: Arc<Shared>,
}

impl ConnectionHandle {
    pub(super) fn new(
        commands: Sender<ConnCmd>,
        outbox: Sender<Outbound>,
        shared: Arc<Shared>,
    ) -> ConnectionHandle {
        ConnectionHandle {
            commands,
            outbox,
            shared,
        }
    }

    /// A control command; never waits.
    pub fn command(&self, cmd: ConnCmd) -> Result<(), Refused> {
        self.commands.try_send(cmd).map_err(|err| match err {
            TrySendError::Full(_) => Refused::Busy,
            TrySendError::Closed(_) => Refused::Stopped,
        })
    }

    /// Counts `bytes` of an emit in the outbox's byte budget before it is queued; waits at most
    /// `wait` for room while connected. (A single emit over the budget is the caller's to
    /// refuse: it would never fit.)
    pub fn reserve(&self, bytes: usize, wait: Duration) -> Result<OutboxTicket, Refused> {
        let outbox = self.shared.outbox();
        let take = || outbox.take_bytes(bytes, OUTBOX_MAX_BYTES);
        if let Some(ticket) = take() {
            return Ok(ticket);
        }
        if !self.shared.status().connected() {
            return Err(Refused::Full);
        }
        rt::block_on(rt::timeout(wait, outbox.wait_for_room(take))).ok_or(Refused::Full)
    }

    /// An emit: written right here on the fast lane when nothing waits before it, else queued
    /// for the Connection. While [`OUTBOX_CAPACITY`] emits wait, it is refused at once when
    /// offline and waits at most `wait` for room when connected.
    pub fn emit(&self, out: Outbound, wait: Duration) -> Result<(), Refused> {
        let out = match fast_lane::offer(&self.shared, out) {
            Offer::Written => return Ok(()),
            Offer::Nudge(nudge) => nudge,
            Offer::Declined(out) => out,
        };
        // Only the 1C thread adds to the count, and the Connection only takes away, so the
        // bound is exact.
        let outbox = self.shared.outbox();
        if outbox.packets() >= OUTBOX_CAPACITY {
            if !self.shared.status().connected() {
                return Err(Refused::Full);
            }
            let room = outbox.wait_for_room(|| (outbox.packets() < OUTBOX_CAPACITY).then_some(()));
            rt::block_on(rt::timeout(wait, room)).ok_or(Refused::Full)?;
        }
        outbox.add_packet();
        self.outbox.try_send(out).map_err(|_| {
            outbox.remove_packet();
            Refused::Stopped
        })
    }
}

/// Sends subscriptions to the Registry actor.
#[derive(Debug)]
pub struct RegistryHandle {
    tx: Sender<RegistryCmd>,
}

impl RegistryHandle {
    pub(super) fn new(tx: Sender<RegistryCmd>) -> RegistryHandle {
        RegistryHandle { tx }
    }

    /// A subscription change; waits at most `wait` while the channel is full.
    pub fn send(&self, cmd: RegistryCmd, wait: Duration) -> Result<(), Refused> {
        match self.tx.try_send(cmd) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(_)) => Err(Refused::Stopped),
            Err(TrySendError::Full(cmd)) => {
                match rt::block_on(rt::timeout(wait, self.tx.send(cmd))) {
                    Some(Ok(())) => Ok(()),
                    Some(Err(_)) => Err(Refused::Stopped),
                    None => Err(Refused::Busy),
                }
            }
        }
    }
}
