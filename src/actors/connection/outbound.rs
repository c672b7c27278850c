//! Packets to the server: the outbox, written in batches once the namespace is joined.

use async_channel::Receiver;

use super::{Connection, Phase, WRITE_BATCH};
use crate::actors::messages::{Arg, Outbound};
use crate::events::CloseReason;
use crate::protocol::binary;
use crate::protocol::engineio::Packet as EioPacket;
use crate::protocol::socketio;
use crate::transport::{Reader, TransportError};

impl Connection {
    /// Sends one outbox packet and then whatever else is already waiting, flushing once.
    pub(super) async fn send_outbound(
        &mut self,
        first: Outbound,
        outbox: &Receiver<Outbound>,
        reader: &mut Option<Reader>,
    ) {
        let mut result = self.write_outbound(first).await;
        let mut batch = 1;
        while result.is_ok() && batch < WRITE_BATCH {
            let Ok(next) = outbox.try_recv() else { break };
            result = self.write_outbound(next).await;
            batch += 1;
        }
        if result.is_ok() {
            if let Phase::Open(s) = &mut self.phase {
                result = s.writer.flush().await;
            }
        }
        if let Err(err) = result {
            let text = err.text();
            self.end(CloseReason::TransportError, Some(text), reader)
                .await;
        }
    }

    /// Encodes one outbound packet into the writer's buffer (no flush).
    pub(super) async fn write_outbound(&mut self, out: Outbound) -> Result<(), TransportError> {
        let Phase::Open(session) = &mut self.phase else {
            return Ok(());
        };
        let Outbound::Event { name, args } = out;
        let (text, attachments) = encode_event(&self.namespace, &name, &args);
        session.writer.feed(EioPacket::Message(text)).await?;
        for bytes in attachments {
            session.writer.feed(EioPacket::Binary(bytes)).await?;
        }
        Ok(())
    }
}

/// Encodes an outbound event: the packet text and its binary attachments, if any.
fn encode_event(nsp: &str, name: &str, args: &[Arg]) -> (String, Vec<Vec<u8>>) {
    if args.iter().all(|a| matches!(a, Arg::Json(_))) {
        let json: Vec<&str> = args
            .iter()
            .filter_map(|a| match a {
                Arg::Json(json) => Some(json.as_str()),
                Arg::Binary(_) => None,
            })
            .collect();
        return (socketio::encode_event(nsp, None, name, &json), Vec::new());
    }
    let args = args
        .iter()
        .map(|a| match a {
            Arg::Json(json) => binary::Arg::Json(json),
            Arg::Binary(bytes) => binary::Arg::Binary(bytes.clone()),
        })
        .collect();
    binary::encode_binary_event(nsp, None, name, args)
}
