//! Acknowledgements of `SendWithAck`: which Ids wait for an answer, until when, and whether their
//! packet has gone out; and the Ack events (Ok, Timeout, Disconnected) that end each wait.
//!
//! Every Id gets exactly one Ack event. The timeout runs from the call, also while the packet
//! waits in the offline buffer; when it fires the packet is taken out of the buffer (it is not
//! sent late). When a connection ends, the Ids whose packet was written fail with Disconnected,
//! as the JavaScript client's `_clearAcks` does; the ones still in the buffer keep waiting, to go
//! out after the next join.

use std::collections::HashSet;
use std::time::Instant;

use super::state::{Connection, Phase};
use crate::events::{self, AckState};
use crate::protocol::socketio::Packet as SioPacket;

impl Connection {
    /// Takes over the `SendWithAck`s the facade wrote on the fast lane: written to this
    /// session, they wait for their answer like any other; written to an earlier one (which
    /// ended before the Connection got here), they are orphans: Disconnected at the next wake.
    /// Returns whether there were any.
    pub(super) fn adopt_written_acks(&mut self) -> bool {
        let open = matches!(self.phase, Phase::Open(_));
        let mut written = std::mem::take(&mut self.written_acks);
        self.shared.acks().take_written(&mut written);
        let any = !written.is_empty();
        for written in written.drain(..) {
            if open && written.gen == self.gen {
                self.acks.track(written.request, &written.name);
                self.acks.mark_sent(written.request.id);
            } else {
                self.acks.orphan(written.request, written.name);
            }
        }
        self.written_acks = written;
        any
    }

    /// The timer of the acknowledgements fired (or may have): Timeout events for every Id past
    /// its deadline, and their packets out of the offline buffer; Disconnected for the orphans.
    pub(super) async fn expire_acks(&mut self, now: Instant) {
        let orphans = self.acks.take_orphans();
        self.report_unanswered(orphans, AckState::Disconnected)
            .await;
        let expired = self.acks.expire(now);
        if expired.is_empty() {
            return;
        }
        let ids: HashSet<u64> = expired.iter().map(|(id, _)| *id).collect();
        let before = self.send_buffer.len();
        self.send_buffer
            .retain(|out| out.ack_id().is_none_or(|id| !ids.contains(&id)));
        for _ in self.send_buffer.len()..before {
            self.shared.outbox().remove_packet();
        }
        self.report_unanswered(expired, AckState::Timeout).await;
    }

    /// Ack events without arguments, in the given order, for Ids that will get no answer.
    async fn report_unanswered(&mut self, ids: Vec<(u64, String)>, state: AckState) {
        for (id, name) in ids {
            self.report(events::ack(id, &name, state, "[]".to_owned()))
                .await;
        }
    }

    /// An ACK or BINARY_ACK from the server (attachments already in place).
    pub(super) async fn on_ack(&mut self, packet: SioPacket) {
        // The answer to a SendWithAck of the fast lane can come before its nudge.
        self.adopt_written_acks();
        // An ack without an id, or for an Id that no longer waits, is a late answer: dropped, as
        // the JavaScript client does.
        let Some(name) = packet.id.and_then(|id| self.acks.resolve(id)) else {
            return;
        };
        let id = packet.id.unwrap_or_default();
        // Compact already: the engine's decode made it so.
        let args = packet.payload.unwrap_or_else(|| "[]".to_owned());
        self.report(events::ack(id, &name, AckState::Ok, args))
            .await;
    }

    /// A connection (or an attempt) ended, whatever the reason: the Ids whose packet went out get
    /// Disconnected. (The server's requests were dropped by `teardown`.)
    pub(super) async fn session_ended(&mut self) {
        let sent = self.acks.take_sent();
        self.report_unanswered(sent, AckState::Disconnected).await;
    }
}
