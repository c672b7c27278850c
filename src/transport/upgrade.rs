//! The upgrade of a polling session to a websocket, first half: the probe. A websocket joins
//! the session (`&sid=…`, with the session's cookies), sends `2probe` and must get `3probe`
//! back. The second half (pause polling, `5`, switch) is the Engine's, because it owns
//! both halves of the session.

use std::sync::Arc;
use std::time::Duration;

use super::cookies::CookieJar;
use super::error::TransportError;
use super::websocket::{self, WsReader, WsWriter};
use crate::config::ConnectRequest;
use crate::protocol::engineio::Packet;
use crate::protocol::EioVersion;
use crate::rt;

/// How long the probe may take: the server's own `upgradeTimeout` (engine.io default 10 s).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a polling session needs to be upgraded.
#[derive(Debug, Clone)]
pub struct UpgradeTicket {
    /// The session id.
    pub sid: String,
    /// The session's cookies (sticky sessions: the websocket must reach the same backend).
    pub jar: Arc<CookieJar>,
}

/// A websocket that answered the probe: ready to take the session over.
pub struct Probed {
    /// Its sending half (the `5` goes out on it first).
    pub writer: WsWriter,
    /// Its receiving half.
    pub reader: WsReader,
}

impl std::fmt::Debug for Probed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probed")
    }
}

/// Opens a websocket into the session of `ticket` and probes it; the halves are ready for the
/// switch when this returns `Ok`.
pub async fn probe(
    request: Arc<ConnectRequest>,
    version: EioVersion,
    ticket: UpgradeTicket,
) -> Result<Probed, TransportError> {
    let probe = async {
        let (mut writer, mut reader) =
            websocket::open(&request, version, Some(&ticket.sid), &ticket.jar).await?;
        writer.send(Packet::Ping("probe".into())).await?;
        loop {
            match reader.next().await {
                Some(Ok(Packet::Pong(data))) if data == "probe" => {
                    return Ok(Probed { writer, reader })
                }
                Some(Ok(Packet::Noop)) => continue,
                Some(Ok(_)) => {
                    return Err(TransportError::Io(
                        "the server did not answer the websocket probe".into(),
                    ))
                }
                Some(Err(err)) => return Err(err),
                None => return Err(TransportError::Closed),
            }
        }
    };
    rt::timeout(PROBE_TIMEOUT, probe)
        .await
        .unwrap_or(Err(TransportError::Timeout(PROBE_TIMEOUT)))
}
