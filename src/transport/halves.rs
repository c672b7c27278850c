//! The two halves of an open Engine.IO session, whichever transport carries it: the Engine
//! reads packets from a [`Reader`], the actors write packets to a [`Writer`], and none of them
//! cares whether they travel over a websocket or HTTP long-polling. Switching the transport (the upgrade from
//! polling to websocket) replaces both halves between two packets.

use std::time::Duration;

use super::error::TransportError;
use super::io::Incoming;
#[cfg(test)]
use super::memory::{MemoryReader, MemoryWriter};
use super::polling::{PollingReader, PollingWriter};
use super::websocket::{SendNow, WsReader, WsWriter};
use crate::protocol::engineio::Packet;

/// Receives Engine.IO packets.
pub enum Reader {
    /// One packet per websocket message.
    WebSocket(WsReader),
    /// Packets from the GET loop (boxed: it is much larger than a websocket half).
    Polling(Box<PollingReader>),
    /// A test's scripted server ([`super::memory`]); no such variant outside tests.
    #[cfg(test)]
    Memory(MemoryReader),
}

/// Sends Engine.IO packets.
pub enum Writer {
    /// One packet per websocket message.
    WebSocket(WsWriter),
    /// Packets POSTed in batches (boxed: it is much larger than a websocket half).
    Polling(Box<PollingWriter>),
    /// A test's scripted server ([`super::memory`]); no such variant outside tests.
    #[cfg(test)]
    Memory(MemoryWriter),
}

impl Reader {
    /// The next packet; `None` when the server closed the transport. Cancel safe: dropping the
    /// future loses nothing (the select loop of the Engine relies on it).
    pub async fn next(&mut self) -> Option<Result<Incoming, TransportError>> {
        match self {
            Reader::WebSocket(ws) => ws.next().await.map(|r| r.map(Incoming::Packet)),
            Reader::Polling(polling) => polling.next().await,
            #[cfg(test)]
            Reader::Memory(memory) => memory.next().await,
        }
    }

    /// True for a polling reader (which can be upgraded).
    pub fn is_polling(&self) -> bool {
        matches!(self, Reader::Polling(_))
    }

    /// A websocket probe for this session starts (polling only).
    pub fn probing(&self) {
        if let Reader::Polling(polling) = self {
            polling.probing();
        }
    }

    /// The probe succeeded: stop polling, then yield [`Incoming::Drained`] (polling only).
    pub fn pause(&self) {
        if let Reader::Polling(polling) = self {
            polling.pause();
        }
    }

    /// The probe failed: keep polling (polling only).
    pub fn resume(&self) {
        if let Reader::Polling(polling) = self {
            polling.resume();
        }
    }

    /// Stops reading; returns once no task of this reader runs any more.
    pub async fn close(self) {
        match self {
            Reader::WebSocket(ws) => drop(ws),
            Reader::Polling(polling) => polling.close().await,
            #[cfg(test)]
            Reader::Memory(memory) => drop(memory),
        }
    }

    /// Before the session is closed from this side: over polling, no new GET starts (one
    /// reaching the server after the close packet would be refused).
    pub fn end_after_poll(&self) {
        if let Reader::Polling(polling) = self {
            polling.end_after_poll();
        }
    }

    /// Stops reading after the session was closed from this side ([`Reader::end_after_poll`],
    /// then [`Writer::close`]), as the JavaScript client does: a polling GET in flight is left
    /// for the server to answer, a websocket is read up to the server's close frame (at most
    /// `wait` either way), so that nothing is cut.
    pub async fn finish(self, wait: Duration) {
        match self {
            Reader::WebSocket(ws) => ws.finish(wait).await,
            Reader::Polling(polling) => polling.finish(wait).await,
            #[cfg(test)]
            Reader::Memory(memory) => drop(memory),
        }
    }
}

impl Writer {
    /// Queues one packet (written by the next [`Writer::flush`]; a websocket may write it
    /// earlier).
    pub async fn feed(&mut self, packet: Packet) -> Result<(), TransportError> {
        match self {
            Writer::WebSocket(ws) => ws.feed(packet).await,
            Writer::Polling(polling) => {
                polling.feed(packet);
                Ok(())
            }
            #[cfg(test)]
            Writer::Memory(memory) => memory.send(packet),
        }
    }

    /// Sends one packet without waiting, if the transport can (see [`WsWriter::send_now`]);
    /// polling never can (a POST is a round trip).
    pub fn send_now(&mut self, packet: Packet, taken: impl FnOnce()) -> SendNow {
        match self {
            Writer::WebSocket(ws) => ws.send_now(packet, taken),
            Writer::Polling(_) => SendNow::NotNow(packet),
            #[cfg(test)]
            Writer::Memory(memory) => memory.send_now(packet, taken),
        }
    }

    /// How many packets one flush should carry at most: over polling, what one POST may take
    /// (a POST is a round trip, and Engine.IO allows one at a time, so fewer per POST is
    /// slower); over a websocket `usual` (each packet is its own message: the caller's batch
    /// only bounds its turn).
    pub fn batch_size(&self, usual: usize) -> usize {
        match self {
            Writer::Polling(polling) => polling.batch_size(),
            _ => usual,
        }
    }

    /// Writes out everything queued.
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        match self {
            Writer::WebSocket(ws) => ws.flush().await,
            Writer::Polling(polling) => polling.flush().await,
            #[cfg(test)]
            Writer::Memory(_) => Ok(()),
        }
    }

    /// Sends one packet now.
    pub async fn send(&mut self, packet: Packet) -> Result<(), TransportError> {
        self.feed(packet).await?;
        self.flush().await
    }

    /// Closes the transport politely (a websocket close; a close packet over polling), giving
    /// up after `wait`.
    pub async fn close(self, wait: Duration) {
        match self {
            Writer::WebSocket(ws) => ws.close(wait).await,
            Writer::Polling(polling) => polling.close(wait).await,
            #[cfg(test)]
            Writer::Memory(memory) => memory.close(),
        }
    }
}
