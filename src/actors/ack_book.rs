//! Acknowledgements as the 1C thread sees them: the Ids of `SendWithAck`, the server's
//! acknowledgement requests that `Ack` may answer, and the `SendWithAck`s the facade wrote on
//! the fast lane, on their way to the Connection.
//!
//! Every lock here is held for a copy or a swap, never across an `.await` or a platform call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::messages::{AckAsked, WrittenAck};
use crate::sync::lock;

/// Most unanswered acknowledgement requests of the server kept for `Ack`. Events nobody
/// subscribed to may ask too, and nobody will answer those; past this bound the oldest request
/// is forgotten (answering it then raises "unknown Id").
pub const MAX_ACK_REQUESTS: usize = 65_536;

/// The acknowledgements, one part of [`Shared`](super::shared::Shared).
#[derive(Debug, Default)]
pub struct AckBook {
    last_ack_id: AtomicU64,
    asked: Mutex<AskedAcks>,
    written: Mutex<Vec<WrittenAck>>,
}

/// The server's acknowledgement requests, by the AckId 1C sees.
#[derive(Debug, Default)]
struct AskedAcks {
    last: u64,
    by_id: BTreeMap<u64, AckAsked>,
}

impl AckBook {
    /// A new `SendWithAck` Id: 1, 2, 3, … per object.
    pub fn next_id(&self) -> u64 {
        self.last_ack_id.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Keeps a server's acknowledgement request and returns the AckId 1C will see: 1, 2, 3, …
    /// per object, never reused (the server's own ids start again at 0 on every connection).
    pub fn ask(&self, asked: AckAsked) -> u64 {
        let mut acks = lock(&self.asked);
        acks.last += 1;
        let id = acks.last;
        acks.by_id.insert(id, asked);
        while acks.by_id.len() > MAX_ACK_REQUESTS {
            acks.by_id.pop_first();
        }
        id
    }

    /// Takes the request that AckId `id` answers; `None` when there is none (unknown, answered
    /// already, or its connection is over).
    pub fn take_request(&self, id: u64) -> Option<AckAsked> {
        lock(&self.asked).by_id.remove(&id)
    }

    /// Puts back a request that [`AckBook::take_request`] took, when the answer could not be
    /// handed over (so 1C may try again).
    pub fn restore_request(&self, id: u64, asked: AckAsked) {
        lock(&self.asked).by_id.insert(id, asked);
    }

    /// Forgets every request: the connection they came on is over, and the server with it.
    pub fn clear_requests(&self) {
        lock(&self.asked).by_id.clear();
    }

    /// A `SendWithAck` the facade is writing on the fast lane, for the Connection.
    pub fn push_written(&self, ack: WrittenAck) {
        lock(&self.written).push(ack);
    }

    /// Swaps the `SendWithAck`s written on the fast lane since the last call (in order) into
    /// `into`, which must be empty: its allocation takes their place, so the next one written
    /// allocates nothing.
    pub fn take_written(&self, into: &mut Vec<WrittenAck>) {
        debug_assert!(into.is_empty());
        std::mem::swap(&mut *lock(&self.written), into);
    }
}
