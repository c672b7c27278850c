//! TLS for `wss://` and `https://`: rustls (ring), linked statically; never the system's
//! OpenSSL, which could clash with the one 1C loads.
//!
//! Verification is on by default against the public roots of webpki-roots; `CACertificate` adds
//! roots (a PEM file path or PEM text); `VerifyCertificate = False` is the explicit opt-out.

use std::sync::Arc;

use futures_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use futures_rustls::rustls::crypto::{self, CryptoProvider};
use futures_rustls::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use once_cell::sync::Lazy;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::{BoxedIo, TransportError};
use crate::component::settings::Settings;
use crate::lang::clip;

/// The crypto provider: ring, chosen explicitly so no process-wide default is needed.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: Lazy<Arc<CryptoProvider>> =
        Lazy::new(|| Arc::new(crypto::ring::default_provider()));
    PROVIDER.clone()
}

/// The default configuration (public roots, verification on), built once per process.
static DEFAULT_CONFIG: Lazy<Result<Arc<ClientConfig>, String>> = Lazy::new(|| build(&[], true));

/// The client configuration for these settings.
pub fn config(settings: &Settings) -> Result<Arc<ClientConfig>, TransportError> {
    if settings.ca_certificate.trim().is_empty() && settings.verify_certificate {
        return DEFAULT_CONFIG.clone().map_err(TransportError::Tls);
    }
    let extra = extra_roots(&settings.ca_certificate)?;
    build(&extra, settings.verify_certificate).map_err(TransportError::Tls)
}

/// Reads `CACertificate`: PEM text when it contains a PEM header, otherwise a file path.
fn extra_roots(ca: &str) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let ca = ca.trim();
    if ca.is_empty() {
        return Ok(Vec::new());
    }
    let certs: Result<Vec<_>, _> = if ca.contains("-----BEGIN") {
        CertificateDer::pem_slice_iter(ca.as_bytes()).collect()
    } else {
        match CertificateDer::pem_file_iter(ca) {
            Ok(iter) => iter.collect(),
            Err(err) => {
                return Err(TransportError::Tls(format!(
                    "cannot read CACertificate file \"{}\": {err}",
                    clip(ca)
                )))
            }
        }
    };
    let certs = certs
        .map_err(|err| TransportError::Tls(format!("CACertificate is not valid PEM: {err}")))?;
    if certs.is_empty() {
        return Err(TransportError::Tls(
            "CACertificate contains no certificate (expected PEM)".into(),
        ));
    }
    Ok(certs)
}

fn build(extra: &[CertificateDer<'static>], verify: bool) -> Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?;
    let mut config = if verify {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in extra {
            roots
                .add(cert.clone())
                .map_err(|err| format!("CACertificate cannot be used as a root: {err}"))?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate))
            .with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Wraps `io` in TLS to `host`.
pub async fn connect(
    io: BoxedIo,
    host: &str,
    settings: &Settings,
) -> Result<BoxedIo, TransportError> {
    let config = config(settings)?;
    let name = ServerName::try_from(host.to_owned()).map_err(|err| {
        TransportError::Tls(format!("\"{host}\" is not a valid TLS server name: {err}"))
    })?;
    let stream = futures_rustls::TlsConnector::from(config)
        .connect(name, io)
        .await
        .map_err(|err| TransportError::Tls(describe(&err)))?;
    Ok(Box::new(stream))
}

/// The TLS error in words a 1C developer can act on.
fn describe(err: &std::io::Error) -> String {
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(why)) => format!(
            "the server's certificate is not trusted ({why:?}); add its CA with CACertificate, or set VerifyCertificate = False to skip the check"
        ),
        Some(other) => other.to_string(),
        None => err.to_string(),
    }
}

/// The verifier behind `VerifyCertificate = False`: accepts any certificate, still checks that
/// the handshake signatures are valid for the certificate presented.
#[derive(Debug)]
struct AcceptAnyCertificate;

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
