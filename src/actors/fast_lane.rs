//! The fast lane: an emit written on the calling thread (the 1C thread) when nothing stands in
//! its way, instead of being handed to the Connection actor.
//!
//! Handing an emit over costs a thread wake-up before the packet reaches the socket (the
//! executor thread sleeps while the connection is quiet), which is most of a round trip's
//! latency on loopback. So while the namespace is joined over a websocket, nothing of this
//! object waits to be written (the outbox, the offline buffer and earlier fast-lane leftovers
//! are empty: [`Outbox::packets`](super::outbox::Outbox::packets) is 0) and nobody holds the shared writer, the facade encodes
//! the packet and writes it itself, without waiting: the websocket takes it only if it is ready
//! at once, and whatever the socket does not accept stays in the writer for the Connection to
//! flush (a [`Outbound::Flush`] nudge, counted in the outbox, so later emits queue behind it).
//! Order is kept: the Connection takes packets off the outbox only while it holds the writer,
//! so an empty outbox plus the writer's lock mean every earlier emit is in the writer already.
//!
//! A `SendWithAck` written here is handed to the Connection through [`Shared`] *before* its
//! first byte is written (the answer cannot overtake it), so its timeout runs and a lost
//! connection fails it, as for an emit the Connection wrote. The Connection takes such Ids over
//! whenever it wakes up; a nudge after the write wakes it only when its timer would fire after
//! the new Id's deadline ([`Shared::wakes_by`]), so a conversation costs no wake-up of it.
//!
//! Emits closer together than `BURST_GAP` (20 µs) are a burst and take the normal path, which writes
//! many packets per system call.
//!
//! The 1C thread never waits here for the network; the only lock it may wait on is the
//! websocket's own, which the reader holds while it decodes one frame (microseconds; a 64 MiB
//! message, the largest accepted, takes milliseconds).
//!
//! Everything else takes the normal path: polling (a POST is a round trip), binary arguments
//! (several frames), an upgrade in progress (the engine holds the writer), a busy writer.

use std::time::Duration;

use super::encode::json_only;
use super::messages::{Outbound, WrittenAck};
use super::shared::Shared;
use crate::protocol::engineio::Packet as EioPacket;
use crate::protocol::socketio;
use crate::rt;
use crate::transport::SendNow;

/// Emits closer together than this are a burst, which the Connection writes in batches (one
/// system call for many packets): the fast lane serves the conversation (a request, its answer,
/// the next request), the batches serve the flood. Far below any round trip through a server,
/// above the time between two calls in a tight loop.
const BURST_GAP: Duration = Duration::from_micros(20);

/// What became of an emit offered to the fast lane.
#[derive(Debug)]
pub enum Offer {
    /// Written; nothing else to do.
    Written,
    /// Written (or failed), and the Connection must be told: queue this nudge.
    Nudge(Outbound),
    /// Not written: queue it as usual.
    Declined(Outbound),
}

/// Writes `out` now if the way is clear (see the module map).
pub fn offer(shared: &Shared, out: Outbound) -> Offer {
    if shared.emit_gap(rt::now()) < BURST_GAP || shared.outbox().packets() != 0 {
        return Offer::Declined(out);
    }
    let Some(lane) = shared.lane() else {
        return Offer::Declined(out);
    };
    let Some(mut slot) = lane.writer.try_lock() else {
        return Offer::Declined(out);
    };
    let Some(writer) = slot.as_mut() else {
        return Offer::Declined(out);
    };
    let (text, ack) = match &out {
        Outbound::Event {
            name, args, ack, ..
        } => {
            let Some(json) = json_only(args) else {
                return Offer::Declined(out);
            };
            let id = ack.map(|a| a.id);
            let text = socketio::encode_event(&lane.namespace, id, name, &json);
            let ack = ack.map(|request| WrittenAck {
                request,
                name: name.clone(),
                gen: lane.gen,
            });
            (text, ack)
        }
        Outbound::Ack {
            session, id, args, ..
        } if *session == lane.gen => {
            let Some(json) = json_only(args) else {
                return Offer::Declined(out);
            };
            (socketio::encode_ack(&lane.namespace, *id, &json), None)
        }
        _ => return Offer::Declined(out),
    };
    let deadline = ack.as_ref().map(|a| a.request.deadline);
    let result = writer.send_now(EioPacket::Message(text), || {
        if let Some(ack) = ack {
            shared.acks().push_written(ack);
        }
    });
    match result {
        // The Connection takes the Id over when it wakes up next, in time for the deadline.
        SendNow::Written if deadline.is_none_or(|at| shared.wakes_by(at)) => Offer::Written,
        SendNow::Written | SendNow::Queued => Offer::Nudge(Outbound::Flush { error: None }),
        SendNow::Failed(err) => Offer::Nudge(Outbound::Flush { error: Some(err) }),
        // Not taken, nor its ack handed over: the Connection writes it as usual.
        SendNow::NotNow(_) => Offer::Declined(out),
    }
}
