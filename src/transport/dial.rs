//! Opening an Engine.IO session the way the properties ask: the first of `Transports` is tried
//! first, in the revision that `ProtocolVersion` names, or that was detected (and remembered)
//! for this server.
//!
//! * Polling first: the handshake itself tells the revision (see [`polling::open`]); the session
//!   is upgraded to websocket later when `Transports` lists it and the server offers it.
//! * Websocket first: an unknown revision is learnt on the websocket itself
//!   ([`websocket::dial_detecting`]: `maxPayload` in the open packet, or a 1.x/2.x server's
//!   automatic `40`), so the server sees one connection per object; when the websocket cannot
//!   be opened and polling is allowed, the session opens on polling instead (the fallback).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::cookies::CookieJar;
use super::error::TransportError;
use super::halves::{Reader, Writer};
use super::polling::{self, Opened};
use super::upgrade::UpgradeTicket;
use super::websocket::{self, WsReader, WsWriter};
use super::{url, versions};
use crate::config::ConnectRequest;
use crate::config::{ProtocolChoice, TransportKind};
use crate::protocol::engineio::OpenInfo;
use crate::protocol::EioVersion;

/// An open Engine.IO session: the transport halves and the server's open packet.
pub struct Dialed {
    /// Sends packets.
    pub writer: Writer,
    /// Receives packets.
    pub reader: Reader,
    /// The server's open packet.
    pub open: OpenInfo,
    /// The revision spoken on this session.
    pub version: EioVersion,
    /// Set for a polling session that may be upgraded to websocket (`Transports` lists it and
    /// the server offers it).
    pub upgrade: Option<UpgradeTicket>,
}

impl fmt::Debug for Dialed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dialed")
            .field("open", &self.open)
            .field("version", &self.version)
            .field("polling", &self.reader.is_polling())
            .field("upgrade", &self.upgrade.is_some())
            .finish()
    }
}

/// How long a server asked over a websocket may take to send its automatic `40` (Engine.IO 3)
/// before it is taken for an Engine.IO 4 server (see [`websocket::dial_detecting`]).
const DETECT_WINDOW: Duration = Duration::from_secs(1);

/// Opens a session for `request`: transports in order, revision chosen, detected or remembered.
/// (In unit tests, a host of `transport::memory` is dialled in memory instead.)
pub async fn dial(request: Arc<ConnectRequest>) -> Result<Dialed, TransportError> {
    #[cfg(test)]
    if let Some(dialed) = super::memory::dial(&request).await {
        return dialed.map(|(writer, reader, open, version)| Dialed {
            writer: Writer::Memory(writer),
            reader: Reader::Memory(reader),
            open,
            version,
            upgrade: None,
        });
    }
    let server = url::server_key(&request);
    let (known, remembered) = match request.config.protocol {
        ProtocolChoice::V3 => (Some(EioVersion::V3), false),
        ProtocolChoice::V4 => (Some(EioVersion::V4), false),
        ProtocolChoice::Auto => {
            let recalled = versions::recall(&server);
            (recalled, recalled.is_some())
        }
    };
    let mut result = dial_as(&request, known).await;
    if request.config.protocol == ProtocolChoice::Auto {
        if result.is_err() && remembered {
            // The server may have been replaced since it was asked: ask again rather than fail
            // on an old answer.
            versions::forget(&server);
            result = dial_as(&request, None).await;
        }
        match &result {
            Ok(dialed) => versions::remember(&server, dialed.version),
            Err(_) => versions::forget(&server),
        }
    }
    result
}

/// One try: the first transport first, in revision `known` (or detected when `None`).
async fn dial_as(
    request: &Arc<ConnectRequest>,
    known: Option<EioVersion>,
) -> Result<Dialed, TransportError> {
    match request.config.transports.first() {
        // Boxed: each path is a large state machine, and inlining both into every caller's
        // frame costs hundreds of KiB of executor-thread stack in debug builds.
        Some(TransportKind::WebSocket) => Box::pin(websocket_first(request, known)).await,
        Some(TransportKind::Polling) | None => Box::pin(polling_first(request, known)).await,
    }
}

/// Remembers that the server of `request` speaks `version` (found out after the dial).
pub fn remember_version(request: &ConnectRequest, version: EioVersion) {
    versions::remember(&url::server_key(request), version);
}

async fn polling_first(
    request: &Arc<ConnectRequest>,
    known: Option<EioVersion>,
) -> Result<Dialed, TransportError> {
    let jar = Arc::new(CookieJar::new());
    let opened = polling::open(request, known, jar.clone()).await?;
    let upgrade = (request
        .config
        .transports
        .contains(&TransportKind::WebSocket)
        && opened.open.upgrades.iter().any(|u| u == "websocket"))
    .then(|| UpgradeTicket {
        sid: opened.open.sid.clone(),
        jar,
    });
    Ok(from_polling(opened, upgrade))
}

async fn websocket_first(
    request: &Arc<ConnectRequest>,
    known: Option<EioVersion>,
) -> Result<Dialed, TransportError> {
    let jar = Arc::new(CookieJar::new());
    let websocket = match known {
        Some(version) => websocket::dial(request, version, &jar)
            .await
            .map(|(writer, reader, open)| (writer, reader, open, version)),
        // Asked on the websocket itself: the server sees this one connection and no other
        // (a polling handshake to ask first would join `/` on a 1.x/2.x server: a second socket).
        None => websocket::dial_detecting(request, &jar, DETECT_WINDOW).await,
    };
    match websocket {
        Ok((writer, reader, open, version)) => Ok(from_websocket(writer, reader, open, version)),
        Err(ws_error)
            if request.config.transports.contains(&TransportKind::Polling)
                && !ws_error.same_for_polling() =>
        {
            // The websocket cannot be opened: this session stays on polling (whose handshake
            // tells the revision when it is not known).
            let opened = polling::open(request, known, jar)
                .await
                .map_err(|polling_error| TransportError::BothFailed {
                    websocket: Box::new(ws_error),
                    polling: Box::new(polling_error),
                })?;
            Ok(from_polling(opened, None))
        }
        Err(err) => Err(err),
    }
}

fn from_polling(opened: Opened, upgrade: Option<UpgradeTicket>) -> Dialed {
    Dialed {
        writer: Writer::Polling(Box::new(opened.writer)),
        reader: Reader::Polling(Box::new(opened.reader)),
        open: opened.open,
        version: opened.version,
        upgrade,
    }
}

fn from_websocket(
    writer: WsWriter,
    reader: WsReader,
    open: OpenInfo,
    version: EioVersion,
) -> Dialed {
    Dialed {
        writer: Writer::WebSocket(writer),
        reader: Reader::WebSocket(reader),
        open,
        version,
        upgrade: None,
    }
}
