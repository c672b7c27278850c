//! TLS alerts that arrive after the handshake. In TLS 1.3 the client's part of the handshake
//! ends before the server has checked the client's certificate, so a server that wants one, or
//! refuses the one offered, says so with an alert that arrives with the first answer, or (as
//! node's https server does for a certificate it does not trust) closes the connection without
//! one. [`Alerts`] wraps the TLS stream and turns either into the [`TlsError`] it means; the
//! HTTP and websocket code take it back out of the I/O error with [`failure`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{AsyncRead, AsyncWrite};
use futures_rustls::rustls;

use crate::transport::error::TlsError;

/// A TLS stream whose I/O errors carry the [`TlsError`] a received alert means.
pub struct Alerts<S> {
    /// The TLS stream.
    inner: S,
    /// Whether a client certificate was set (an alert about certificates then means ours).
    client_cert: bool,
    /// Whether the server has sent anything since the handshake.
    answered: bool,
}

/// The [`TlsError`] inside an I/O error made by [`Alerts`].
#[derive(Debug)]
struct Explained(TlsError);

impl std::fmt::Display for Explained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TLS: {:?}", self.0)
    }
}

impl std::error::Error for Explained {}

/// The TLS failure behind `err`, when there is one.
pub fn failure(err: &io::Error) -> Option<TlsError> {
    let explained = err.get_ref()?.downcast_ref::<Explained>()?;
    Some(explained.0.clone())
}

/// What an alert from the server means. With a client certificate set, an alert about a
/// certificate is about ours (the server's was accepted by then).
pub fn alert(alert: rustls::AlertDescription, client_cert: bool) -> TlsError {
    use rustls::AlertDescription as A;
    match alert {
        A::CertificateRequired => TlsError::ClientCertificateRequired,
        A::BadCertificate
        | A::UnsupportedCertificate
        | A::CertificateRevoked
        | A::CertificateExpired
        | A::CertificateUnknown
        | A::UnknownCA
        | A::AccessDenied
        | A::DecryptError
            if client_cert =>
        {
            TlsError::ClientCertificateRefused(Some(format!("{alert:?}")))
        }
        other => TlsError::Alert(format!("{other:?}")),
    }
}

/// The server ended the connection without a TLS alert: a plain close, or a reset (what the
/// kernel sends when the server closes with our data still unread in its buffer).
pub fn closed_by_peer(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

impl<S> Alerts<S> {
    /// Wraps `inner`; `client_cert` tells whether a client certificate was offered.
    pub fn new(inner: S, client_cert: bool) -> Alerts<S> {
        Alerts {
            inner,
            client_cert,
            answered: false,
        }
    }

    fn explain(&self, err: io::Error) -> io::Error {
        let tls = match err
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>())
        {
            Some(rustls::Error::AlertReceived(received)) => alert(*received, self.client_cert),
            // Closed (or reset) without an alert before any answer, right after offering a
            // certificate.
            _ if self.client_cert && !self.answered && closed_by_peer(&err) => {
                TlsError::ClientCertificateRefused(None)
            }
            _ => return err,
        };
        io::Error::new(err.kind(), Explained(tls))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Alerts<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Err(err)) => Poll::Ready(Err(self.explain(err))),
            Poll::Ready(Ok(n)) => {
                self.answered |= n > 0;
                Poll::Ready(Ok(n))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Alerts<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Err(err)) => Poll::Ready(Err(self.explain(err))),
            other => other,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Err(err)) => Poll::Ready(Err(self.explain(err))),
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Ready(Err(err)) => Poll::Ready(Err(self.explain(err))),
            other => other,
        }
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
