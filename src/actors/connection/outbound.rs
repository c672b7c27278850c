//! Packets to the server: the outbox, written in batches once the namespace is joined, and the
//! offline buffer that holds them in order until then (as the JavaScript client's `sendBuffer`).
//!
//! The Connection takes packets from the outbox also while not joined, so that it knows every
//! `SendWithAck` at once and its timeout runs from the call. The buffer's bound is counted in
//! [`Shared::outgoing`](crate::actors::shared::Shared::outgoing): the facade refuses a send while
//! not connected once that many wait.

use async_channel::Receiver;
use futures::future::BoxFuture;

use super::state::{Connection, Phase, WRITE_BATCH};
use crate::actors::encode::{encode_ack, encode_event};
use crate::actors::messages::{Outbound, SharedWriter};
use crate::actors::outbox::OutboxTicket;
use crate::actors::outbox::OUTBOX_CAPACITY;
use crate::protocol::engineio::Packet as EioPacket;
use crate::rt;
use crate::transport::TransportError;

impl Connection {
    /// Whether the offline buffer takes another packet (the facade's bound makes this the
    /// second line of defence only).
    pub(super) fn buffer_has_room(&self) -> bool {
        self.send_buffer.len() < OUTBOX_CAPACITY
    }

    /// One packet from the outbox: written (with whatever else already waits, flushing once)
    /// while joined, buffered otherwise.
    pub(super) async fn send_outbound(&mut self, first: Outbound, outbox: &Receiver<Outbound>) {
        let Phase::Open(session) = &self.phase else {
            self.buffer(first);
            while self.buffer_has_room() {
                let Ok(next) = outbox.try_recv() else { break };
                self.buffer(next);
            }
            return;
        };
        let writer = session.open.writer.clone();
        let mut first = Some(first);
        let result = self
            .write_batch(&writer, |_| first.take().or_else(|| outbox.try_recv().ok()))
            .await;
        if let Some(unsent) = first {
            // The engine had already closed the writer: this one goes out after a reconnect.
            self.buffer(unsent);
        }
        self.on_write_error(result).await;
        if !outbox.is_empty() {
            // 1C keeps sending faster than a batch goes out: every read and write stays ready,
            // and without a yield this object would hold the executor thread that every other
            // object's events wait for until 1C stops.
            rt::yield_now().await;
        }
    }

    /// Writes everything in the outbox now (before the goodbye of `Disconnect`).
    pub(super) async fn write_outbox(
        &mut self,
        writer: &SharedWriter,
        outbox: &Receiver<Outbound>,
    ) -> Result<(), TransportError> {
        while !outbox.is_empty() {
            self.write_batch(writer, |_| outbox.try_recv().ok()).await?;
        }
        Ok(())
    }

    /// The namespace has just been joined: sends the offline buffer, in order, before anything
    /// newer from the outbox.
    pub(super) async fn flush_send_buffer(&mut self) {
        let Phase::Open(session) = &self.phase else {
            return;
        };
        let writer = session.open.writer.clone();
        let mut result = Ok(());
        while result.is_ok() && !self.send_buffer.is_empty() {
            result = self
                .write_batch(&writer, |conn| conn.send_buffer.pop_front())
                .await;
        }
        self.on_write_error(result).await;
    }

    /// A write's error: the shared transport is broken, which the engine decides for every
    /// namespace on it (this Connection ends when the engine's Closed event comes). When the
    /// writer is gone from the session's slot the engine has already closed that session (or
    /// replaced it, after a revision correction): nothing to report.
    pub(super) async fn on_write_error(&self, result: Result<(), TransportError>) {
        let (Err(err), Phase::Open(session) | Phase::Joining(session)) = (result, &self.phase)
        else {
            return;
        };
        if session.open.writer.lock().await.is_some() {
            session.link.fail(err.text());
        }
    }

    /// Puts a packet in the offline buffer; a `SendWithAck` starts waiting for its answer now.
    /// A fast-lane nudge is not buffered: its session is over, so there is nothing to flush (the
    /// Ids it wrote are taken over at the loop's next turn, as always).
    fn buffer(&mut self, out: Outbound) {
        if let Outbound::Flush { .. } = out {
            self.shared.outbox().remove_packet();
            return;
        }
        if let Outbound::Event {
            name,
            ack: Some(ack),
            ..
        } = &out
        {
            self.acks.track(*ack, name);
        }
        self.send_buffer.push_back(out);
    }

    /// Writes up to [`WRITE_BATCH`] packets that `next` hands out (over polling, as many as a
    /// POST takes: `Writer::batch_size`), then flushes once; the
    /// shared writer is held for the batch, so other namespaces' packets go between batches.
    /// Call only while joined. Boxed: the transports' write futures are large, and inline they
    /// would sit in every idle Connection's state.
    fn write_batch<'a>(
        &'a mut self,
        writer: &'a SharedWriter,
        mut next: impl FnMut(&mut Self) -> Option<Outbound> + Send + 'a,
    ) -> BoxFuture<'a, Result<(), TransportError>> {
        Box::pin(async move {
            let mut guard = writer.lock().await;
            let w = guard.as_mut().ok_or(TransportError::Closed)?;
            for _ in 0..w.batch_size(WRITE_BATCH) {
                let Some(out) = next(self) else { break };
                if let Outbound::Flush { error } = out {
                    // The facade's write on the fast lane: what it left is flushed below (the
                    // Ids it wrote are taken over at the loop's next turn, as always).
                    self.shared.outbox().remove_packet();
                    match error {
                        Some(err) => return Err(err),
                        None => continue,
                    }
                }
                // The ticket lives until the packet is written, so its bytes count in the outbox
                // budget until then.
                let Some((text, attachments, _ticket)) = self.encode_outbound(out) else {
                    continue;
                };
                w.feed(EioPacket::Message(text)).await?;
                for bytes in attachments {
                    w.feed(EioPacket::Binary(bytes)).await?;
                }
            }
            w.flush().await
        })
    }

    /// Encodes one outbound packet for the wire, with its byte ticket; `None` when it is not to
    /// be sent: a `SendWithAck` past its deadline (its Timeout event comes from the timer), or an
    /// `Ack` for a server request of an earlier connection.
    fn encode_outbound(&mut self, out: Outbound) -> Option<(String, Vec<Vec<u8>>, OutboxTicket)> {
        self.shared.outbox().remove_packet();
        match out {
            Outbound::Event {
                name,
                args,
                ack,
                ticket,
            } => {
                let id = match ack {
                    Some(ack) => {
                        self.acks.track(ack, &name);
                        if ack.deadline <= rt::now() {
                            return None;
                        }
                        // Marked before the write: if the write fails, the connection ends and
                        // the Id gets Disconnected at once.
                        self.acks.mark_sent(ack.id);
                        Some(ack.id)
                    }
                    None => None,
                };
                let (text, attachments) = encode_event(&self.namespace, id, &name, args);
                Some((text, attachments, ticket))
            }
            Outbound::Ack {
                session,
                id,
                args,
                ticket,
            } => {
                if session != self.gen {
                    // The server forgot its request when that connection ended.
                    return None;
                }
                let (text, attachments) = encode_ack(&self.namespace, id, args);
                Some((text, attachments, ticket))
            }
            // Taken care of by `write_batch` before it gets here.
            Outbound::Flush { .. } => None,
        }
    }
}
