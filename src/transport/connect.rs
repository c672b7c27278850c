//! Opening the byte stream under every transport: TCP to the server (a proxy tunnel slots in
//! here), then TLS for `wss://` and `https://`.

use super::{tls, BoxedIo, TransportError};
use crate::component::settings::Settings;
use crate::endpoint::Endpoint;
use crate::rt;

/// A connected (and, for secure endpoints, TLS-wrapped) stream to `endpoint`.
pub async fn open_stream(
    endpoint: &Endpoint,
    settings: &Settings,
) -> Result<BoxedIo, TransportError> {
    let tcp = rt::connect_tcp(&endpoint.host, endpoint.port)
        .await
        .map_err(|error| TransportError::Connect {
            target: endpoint.authority(),
            error,
        })?;
    let io: BoxedIo = Box::new(tcp);
    if endpoint.secure {
        tls::connect(io, &endpoint.host, settings).await
    } else {
        Ok(io)
    }
}
