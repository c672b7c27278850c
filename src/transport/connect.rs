//! Opening the byte stream under every transport: TCP to the server, or a tunnel through the
//! `Proxy`; then TLS for `wss://` and `https://` (inside the tunnel, with the server's name).
//!
//! Each step is bounded by what is left of the `Timeout` property from the moment of the call,
//! so a caller gets an answer within `Timeout` whatever the network does, and the answer says
//! which step was stuck.

use std::future::Future;
use std::io;
use std::time::Instant;

use super::error::{TlsError, TransportError};
use super::io::BoxedIo;
use super::proxy::{self, ProxyAddr, ProxyError};
use super::{system_proxy, tls};
use crate::config::{ConnectRequest, SYSTEM_PROXY};
use crate::log::Level;
use crate::rt;

/// A connected (and, for secure endpoints, TLS-wrapped) stream to the server of `request`.
pub async fn open_stream(request: &ConnectRequest) -> Result<BoxedIo, TransportError> {
    let (endpoint, config) = (&request.endpoint, &request.config);
    let deadline = rt::now() + config.timeout;
    let proxy = proxy_for(request).map_err(TransportError::Proxy)?;
    let io: BoxedIo = match proxy {
        Some(proxy) => within(deadline, proxy::tunnel(&proxy, endpoint))
            .await
            .unwrap_or_else(|| {
                Err(ProxyError::Timeout {
                    proxy: proxy.authority().to_owned(),
                })
            })
            .map_err(TransportError::Proxy)?,
        None => {
            let connect = rt::connect_tcp(&endpoint.host, endpoint.port);
            let tcp = within(deadline, connect)
                .await
                .unwrap_or_else(|| Err(io::ErrorKind::TimedOut.into()))
                .map_err(|error| TransportError::Connect {
                    target: endpoint.authority(),
                    error,
                })?;
            Box::new(tcp)
        }
    };
    if !endpoint.secure {
        return Ok(io);
    }
    within(deadline, tls::connect(io, &endpoint.host, request))
        .await
        .unwrap_or_else(|| {
            let secs = config.timeout_text.clone();
            Err(TransportError::Tls(TlsError::Timeout(secs)))
        })
}

/// The proxy to reach the server through: the `Proxy` property, or for `system` what the
/// operating system's settings give for this server (`None`: directly), told to the log.
fn proxy_for(request: &ConnectRequest) -> Result<Option<ProxyAddr>, ProxyError> {
    let proxy = &request.config.proxy;
    if proxy != SYSTEM_PROXY {
        return ProxyAddr::parse(proxy);
    }
    let Some((value, source)) = system_proxy::proxy_for(&request.endpoint) else {
        request.log(Level::Info, || {
            "the system's settings give no proxy for this server".into()
        });
        return Ok(None);
    };
    let parsed = ProxyAddr::parse(&value).map_err(|err| match err {
        ProxyError::Invalid(why) => ProxyError::SystemInvalid { source, why },
        other => other,
    })?;
    if let Some(proxy) = &parsed {
        request.log(Level::Info, || {
            format!("proxy {} from {source}", proxy.authority())
        });
    }
    Ok(parsed)
}

/// Runs `step` until `deadline`; `None` when the time ran out.
async fn within<F: Future>(deadline: Instant, step: F) -> Option<F::Output> {
    rt::timeout(deadline.saturating_duration_since(rt::now()), step).await
}
