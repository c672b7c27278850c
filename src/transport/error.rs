//! [`TransportError`]: why a transport could not be opened or broke, and [`TlsError`], why TLS
//! failed, as data. What people read about them is written above the transport (`explain`).

use std::time::Duration;

use super::proxy::ProxyError;
use crate::protocol::{DecodeError, EioVersion};

/// Why a transport could not be opened or broke.
#[derive(Debug)]
pub enum TransportError {
    /// TCP connect or name resolution failed.
    Connect {
        /// `host:port`.
        target: String,
        /// The operating system's reason.
        error: std::io::Error,
    },
    /// TLS could not be set up or the server's certificate was refused.
    Tls(TlsError),
    /// The `Proxy` could not be reached or would not open the tunnel.
    Proxy(ProxyError),
    /// The websocket handshake failed (HTTP error status, not a websocket server, …).
    Handshake(String),
    /// Reading or writing failed.
    Io(String),
    /// The server closed the transport.
    Closed,
    /// The server sent something that is not Engine.IO.
    Protocol(DecodeError),
    /// The URI or a property cannot be turned into a request.
    Request(String),
    /// An HTTP request was answered with an error status; `message` is the server's reason.
    Http {
        /// The status code.
        status: u16,
        /// The server's message (engine.io's JSON `message`, or the body's text).
        message: String,
    },
    /// No answer in time.
    Timeout(Duration),
    /// `ProtocolVersion` names one revision and the server answered in the other.
    WrongVersion {
        /// What `ProtocolVersion` asked for.
        wanted: EioVersion,
        /// What the server speaks.
        found: EioVersion,
    },
    /// The server refused the revision asked for (a socket.io 4 server without `allowEIO3`
    /// asked for Engine.IO 3).
    VersionRefused {
        /// The revision asked for.
        asked: EioVersion,
        /// The server's message.
        message: String,
    },
    /// The answer to the handshake is not Engine.IO (a wrong URI or `Path`); the start of it.
    NotEngineIo(String),
    /// Websocket first, then the polling fallback: both failed.
    BothFailed {
        /// Why the websocket failed.
        websocket: Box<TransportError>,
        /// Why polling failed.
        polling: Box<TransportError>,
    },
}

impl TransportError {
    /// True when polling would fail the same way, so falling back to it from a failed
    /// websocket only doubles the attempt: the server cannot be reached, the proxy refused,
    /// or TLS failed (the same name, certificate and settings serve both transports).
    pub fn same_for_polling(&self) -> bool {
        matches!(
            self,
            TransportError::Connect { .. } | TransportError::Proxy(_) | TransportError::Tls(_)
        )
    }
}

/// Why TLS could not be set up, or the server's certificate was refused. Data only: the texts
/// for people are written by `explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsError {
    /// `CACertificate` names a file that cannot be read.
    CaUnreadable {
        /// The path as written.
        path: String,
        /// The operating system's reason.
        error: String,
    },
    /// `CACertificate` (text or file) is not valid PEM.
    CaInvalidPem {
        /// Where the PEM came from.
        source: CertSource,
        /// The parser's reason.
        error: String,
    },
    /// `CACertificate` (text or file) holds no `CERTIFICATE` block.
    CaNoCertificate {
        /// Where the PEM came from.
        source: CertSource,
    },
    /// The `CACertificate` file is neither PEM nor DER.
    CaNotCertificate {
        /// The file.
        source: CertSource,
    },
    /// A `CACertificate` certificate cannot be a trusted root.
    CaUnusable(String),
    /// rustls refused the configuration.
    Setup(String),
    /// The host is not a valid TLS server name.
    ServerName {
        /// The host.
        host: String,
        /// Why not.
        error: String,
    },
    /// The server's certificate was refused.
    Untrusted {
        /// The host connected to.
        host: String,
        /// Why.
        why: Untrusted,
    },
    /// The server did not answer in TLS.
    NotTls,
    /// The server sent a TLS alert (its name).
    Alert(String),
    /// No TLS version or cipher in common (rustls's reason).
    Incompatible(String),
    /// The server closed the connection during the handshake.
    Closed(String),
    /// The handshake did not finish within the connect timeout (seconds, as written).
    Timeout(String),
    /// `ClientCertificate` cannot be used.
    ClientCertificate {
        /// Where it came from.
        source: CertSource,
        /// What is wrong with it.
        problem: ClientCertProblem,
    },
    /// The server asked for a client certificate and `ClientCertificate` is empty.
    ClientCertificateRequired,
    /// The server refused the client certificate offered: the name of its alert, or `None`
    /// when it closed the connection without one before answering.
    ClientCertificateRefused(Option<String>),
    /// Anything else.
    Other(String),
}

/// What is wrong with `ClientCertificate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCertProblem {
    /// The file cannot be read (the operating system's reason).
    Unreadable(String),
    /// The PEM is not valid (the parser's reason).
    InvalidPem(String),
    /// The file is neither PEM nor PKCS#12.
    NotCertificate,
    /// The PKCS#12 file is damaged, or uses what is not supported (the detail).
    Pkcs12(String),
    /// `ClientCertificatePassword` does not open the PKCS#12 file.
    WrongPassword,
    /// There is no certificate in it.
    NoCertificate,
    /// There is no private key in it.
    NoKey,
    /// The PEM private key is encrypted (only a PKCS#12 file takes a password).
    EncryptedKey,
    /// The private key is not the certificate's.
    KeyMismatch,
    /// The private key cannot be used (rustls's reason: not RSA, ECDSA or Ed25519).
    KeyUnusable(String),
}

/// Where certificates came from (`CACertificate`, `ClientCertificate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// The property holds PEM text.
    PemText,
    /// The property names this file.
    File(String),
}

/// Why the server's certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untrusted {
    /// Issued by a certificate authority that is not trusted.
    UnknownIssuer,
    /// Not valid for the host name connected to.
    WrongName,
    /// Expired.
    Expired,
    /// Not valid yet.
    NotValidYet,
    /// Revoked.
    Revoked,
    /// Its signature does not verify (also a different CA with a trusted CA's name).
    BadSignature,
    /// Not issued for a TLS server.
    WrongPurpose,
    /// Anything else (rustls's name for it).
    Other(String),
}
