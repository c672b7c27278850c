//! TLS for `wss://` and `https://`: rustls (ring), linked statically; never the system's
//! OpenSSL, which could clash with the one 1C loads.
//!
//! Verification is on by default against the public roots of webpki-roots and, unless
//! `SystemCertificates = False`, the operating system's trusted roots (where group policy puts a
//! company's CA; read once per process by rustls-native-certs: the Windows stores, or the system
//! bundle on Linux, honouring `SSL_CERT_FILE` and `SSL_CERT_DIR`); `CACertificate` adds roots
//! (PEM text, or the path to a PEM or DER file); `VerifyCertificate = False` is the explicit
//! opt-out (and then the roots do not matter and are not read).
//!
//! `ClientCertificate` adds a client certificate for servers that ask for one
//! (`client_cert`: PKCS#12 or PEM).
//!
//! Configurations are built once and reused: the two without extra roots (system roots or not)
//! for the process, the insecure one likewise, and one per distinct recipe of extra roots and
//! client certificate (keyed by the certificates and keys themselves, so a changed file is picked
//! up on the next connect). Reuse also keeps each configuration's TLS session cache, so a
//! reconnect to the same server resumes its session.
//!
//! Files: this one builds configurations and wraps a stream in TLS; `client_cert` reads
//! `ClientCertificate`, with `pkcs12` for `.pfx` files and `der` under both; `late` turns
//! alerts that arrive after the handshake into errors; `subject` names certificates for the log.

mod client_cert;
mod der;
mod late;
mod pkcs12;
mod subject;

pub use late::failure;

use std::sync::{Arc, Mutex};

use futures_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use futures_rustls::rustls::crypto::{self, CryptoProvider};
use futures_rustls::rustls::{
    self, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use once_cell::sync::Lazy;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use client_cert::ClientIdentity;

use super::error::{CertSource, ClientCertProblem, TlsError, TransportError, Untrusted};
use super::io::BoxedIo;
use crate::config::{ConnectRequest, ConnectionConfig};
use crate::log::Level;
use crate::rt;

/// How many configurations with extra roots are kept (objects of one process rarely use more
/// than one or two CAs; the bound only keeps a misuse from growing memory).
const CUSTOM_CONFIGS_KEPT: usize = 8;

/// The crypto provider: ring, chosen explicitly so no process-wide default is needed.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: Lazy<Arc<CryptoProvider>> =
        Lazy::new(|| Arc::new(crypto::ring::default_provider()));
    PROVIDER.clone()
}

/// The operating system's trusted roots, read at the first TLS connection that wants them and
/// kept for the process. A store that cannot be read, or certificates in it that cannot be
/// parsed, add nothing: the public roots and `CACertificate` still apply. (The crate unwraps
/// the answers of two Windows calls; a panic there must not end the connection either.)
/// `SSL_CERT_FILE` / `SSL_CERT_DIR`, when set, replace the store on every system.
static SYSTEM_ROOTS: Lazy<Vec<CertificateDer<'static>>> = Lazy::new(|| {
    std::panic::catch_unwind(rustls_native_certs::load_native_certs)
        .map(|found| found.certs)
        .unwrap_or_default()
});

/// What a configuration trusts.
#[derive(Clone, Copy)]
enum Trust<'a> {
    /// Any certificate (`VerifyCertificate = False`).
    Anything,
    /// The public roots, the system's when `system`, and `extra`.
    Roots {
        system: bool,
        extra: &'a [CertificateDer<'static>],
    },
}

type Built = Result<Arc<ClientConfig>, TlsError>;

/// The configuration with the system's roots and no extra ones (the default), built once.
static DEFAULT_CONFIG: Lazy<Built> = Lazy::new(|| {
    build(
        Trust::Roots {
            system: true,
            extra: &[],
        },
        None,
    )
});

/// The configuration with the public roots only (`SystemCertificates = False`), built once.
static PUBLIC_CONFIG: Lazy<Built> = Lazy::new(|| {
    build(
        Trust::Roots {
            system: false,
            extra: &[],
        },
        None,
    )
});

/// The configuration behind `VerifyCertificate = False`, built once per process.
static INSECURE_CONFIG: Lazy<Built> = Lazy::new(|| build(Trust::Anything, None));

/// What a configuration with extra roots or a client certificate is made of: equal recipes
/// share one configuration (and its TLS session cache).
#[derive(PartialEq)]
struct Recipe {
    verify: bool,
    system: bool,
    extra: Vec<CertificateDer<'static>>,
    identity: Option<ClientIdentity>,
}

/// Configurations by recipe, most recently built last.
type CustomConfigs = Vec<(Recipe, Arc<ClientConfig>)>;
static CUSTOM_CONFIGS: Lazy<Mutex<CustomConfigs>> = Lazy::new(|| Mutex::new(Vec::new()));

/// The rustls configuration for these connection settings, and the subject of the client
/// certificate it offers (for the log).
async fn client_config(
    config: &ConnectionConfig,
) -> Result<(Arc<ClientConfig>, Option<String>), TlsError> {
    let identity = if config.client_certificate.trim().is_empty() {
        None
    } else {
        // Read at each connect (a renewed file counts at the next one), off the executor
        // thread: a `.pfx` is a file read and thousands of key-derivation rounds.
        let path = config.client_certificate.clone();
        let password = config.client_certificate_password.clone();
        rt::unblock(move || client_cert::load(&path, &password)).await?
    };
    if config.verify_certificate && config.system_certificates && Lazy::get(&SYSTEM_ROOTS).is_none()
    {
        // The process's first connection that trusts the system store: it is read (a file of a
        // few hundred KB, or the Windows stores) off the one executor thread, which every other
        // object's events wait for.
        rt::unblock(|| {
            Lazy::force(&SYSTEM_ROOTS);
        })
        .await;
    }
    let offered = identity.as_ref().map(|identity| {
        let own = identity.chain.first();
        own.and_then(|cert| subject::subject(cert))
            .unwrap_or_default()
    });
    Ok((configuration(config, identity)?, offered))
}

/// A shared configuration, or the one of this recipe.
fn configuration(config: &ConnectionConfig, identity: Option<ClientIdentity>) -> Built {
    let verify = config.verify_certificate;
    let system = config.system_certificates;
    // Without verification CACertificate is not read: its value does not matter then.
    let extra = if verify {
        extra_roots(&config.ca_certificate)?
    } else {
        Vec::new()
    };
    if extra.is_empty() && identity.is_none() {
        let shared = match (verify, system) {
            (false, _) => &INSECURE_CONFIG,
            (true, true) => &DEFAULT_CONFIG,
            (true, false) => &PUBLIC_CONFIG,
        };
        return (*shared).clone();
    }
    let recipe = Recipe {
        verify,
        system,
        extra,
        identity,
    };
    let mut cache = crate::sync::lock(&CUSTOM_CONFIGS);
    if let Some((_, config)) = cache.iter().find(|(known, _)| *known == recipe) {
        return Ok(config.clone());
    }
    let trust = if verify {
        Trust::Roots {
            system,
            extra: &recipe.extra,
        }
    } else {
        Trust::Anything
    };
    let config = build(trust, recipe.identity.as_ref())?;
    if cache.len() >= CUSTOM_CONFIGS_KEPT {
        cache.remove(0);
    }
    cache.push((recipe, config.clone()));
    Ok(config)
}

/// Reads `CACertificate`: PEM text when it contains a PEM header, otherwise a file path (PEM,
/// or a single DER certificate as Windows exports `.cer` files). Empty: no extra roots.
fn extra_roots(ca: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let ca = ca.trim();
    if ca.is_empty() {
        return Ok(Vec::new());
    }
    if ca.contains("-----BEGIN") {
        return pem_certificates(ca.as_bytes(), CertSource::PemText);
    }
    let bytes = std::fs::read(ca).map_err(|err| TlsError::CaUnreadable {
        path: ca.to_owned(),
        error: err.to_string(),
    })?;
    let source = CertSource::File(ca.to_owned());
    if bytes.windows(10).any(|w| w == b"-----BEGIN") {
        pem_certificates(&bytes, source)
    } else if bytes.first() == Some(&0x30) {
        // An ASN.1 SEQUENCE: a DER certificate. Whether it really is one shows when it is added.
        Ok(vec![CertificateDer::from(bytes)])
    } else {
        Err(TlsError::CaNotCertificate { source })
    }
}

/// Every `CERTIFICATE` block of `pem` (other blocks, such as keys, are skipped).
fn pem_certificates(
    pem: &[u8],
    source: CertSource,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = match CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>() {
        Ok(certs) => certs,
        Err(err) => {
            let error = err.to_string();
            return Err(TlsError::CaInvalidPem { source, error });
        }
    };
    if certs.is_empty() {
        return Err(TlsError::CaNoCertificate { source });
    }
    Ok(certs)
}

fn build(trust: Trust<'_>, identity: Option<&ClientIdentity>) -> Built {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|err| TlsError::Setup(err.to_string()))?;
    let builder = match trust {
        Trust::Roots { system, extra } => {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            if system {
                // A system store holds odd certificates too; those rustls cannot use are
                // skipped rather than failing every connection.
                roots.add_parsable_certificates(SYSTEM_ROOTS.iter().cloned());
            }
            for cert in extra {
                roots
                    .add(cert.clone())
                    .map_err(|err| TlsError::CaUnusable(err.to_string()))?;
            }
            builder.with_root_certificates(roots)
        }
        Trust::Anything => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate)),
    };
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some(identity) => builder
            .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
            .map_err(|err| {
                identity.error(match err {
                    rustls::Error::InconsistentKeys(_) => ClientCertProblem::KeyMismatch,
                    other => ClientCertProblem::KeyUnusable(other.to_string()),
                })
            })?,
    };
    // Both transports speak HTTP/1.1 (a websocket upgrade is an HTTP/1.1 request); offering h2
    // would let a server pick a protocol we then cannot speak.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Wraps `io` in TLS to `host` (the server's real name, also through a proxy tunnel: it is what
/// the certificate must cover and what goes into SNI).
pub async fn connect(
    io: BoxedIo,
    host: &str,
    request: &ConnectRequest,
) -> Result<BoxedIo, TransportError> {
    let config = &request.config;
    let (tls_config, offered) = client_config(config).await.map_err(TransportError::Tls)?;
    let name = ServerName::try_from(host.to_owned()).map_err(|err| {
        TransportError::Tls(TlsError::ServerName {
            host: host.to_owned(),
            error: err.to_string(),
        })
    })?;
    let client_cert = offered.is_some();
    let stream = futures_rustls::TlsConnector::from(tls_config)
        .connect(name, io)
        .await
        .map_err(|err| TransportError::Tls(classify(&err, host, client_cert)))?;
    request.log(Level::Info, || {
        // Named here rather than by rustls's Debug: its tables of every version and cipher suite
        // would cost the library tens of KiB.
        let session = stream.get_ref().1;
        let version = match session.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1_3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1_2",
            _ => "an older version",
        };
        let verified = if config.verify_certificate {
            "verified"
        } else {
            "not verified (VerifyCertificate = False)"
        };
        let subject = session
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|cert| subject::subject(cert))
            .unwrap_or_default();
        format!("TLS with {host}: {version}, the server's certificate \"{subject}\" {verified}")
    });
    if let Some(offered) = offered {
        request.log(Level::Info, || {
            format!("TLS client certificate offered when the server asks: \"{offered}\"")
        });
    }
    Ok(Box::new(late::Alerts::new(stream, client_cert)))
}

/// Why rustls refused the certificate, as [`Untrusted`].
fn untrusted(why: &CertificateError) -> Untrusted {
    match why {
        CertificateError::UnknownIssuer => Untrusted::UnknownIssuer,
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            Untrusted::WrongName
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => Untrusted::Expired,
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            Untrusted::NotValidYet
        }
        CertificateError::Revoked => Untrusted::Revoked,
        CertificateError::BadSignature => Untrusted::BadSignature,
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            Untrusted::WrongPurpose
        }
        other => Untrusted::Other(format!("{other:?}")),
    }
}

/// What went wrong in the handshake, from rustls's error inside the I/O error.
fn classify(err: &std::io::Error, host: &str, client_cert: bool) -> TlsError {
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(why)) => TlsError::Untrusted {
            host: host.to_owned(),
            why: untrusted(why),
        },
        Some(rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. }) => {
            TlsError::NotTls
        }
        Some(rustls::Error::AlertReceived(received)) => late::alert(*received, client_cert),
        Some(rustls::Error::PeerIncompatible(why)) => TlsError::Incompatible(format!("{why:?}")),
        Some(other) => TlsError::Other(other.to_string()),
        None if late::closed_by_peer(err) => TlsError::Closed(err.to_string()),
        None => TlsError::Other(err.to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(verify: bool, ca: &str) -> ConnectionConfig {
        ConnectionConfig {
            verify_certificate: verify,
            ca_certificate: ca.into(),
            ..ConnectionConfig::default()
        }
    }

    #[test]
    fn default_and_insecure_configs_are_built_once() {
        let a = rt::block_on(client_config(&connection(true, "")))
            .ok()
            .unwrap()
            .0;
        let b = rt::block_on(client_config(&connection(true, "  ")))
            .ok()
            .unwrap()
            .0;
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.alpn_protocols, vec![b"http/1.1".to_vec()]);
        // Without verification CACertificate is not read: garbage there does not matter.
        let c = rt::block_on(client_config(&connection(false, "garbage")))
            .ok()
            .unwrap()
            .0;
        let d = rt::block_on(client_config(&connection(false, "")))
            .ok()
            .unwrap()
            .0;
        assert!(Arc::ptr_eq(&c, &d) && !Arc::ptr_eq(&a, &c));
    }

    #[test]
    fn a_bad_ca_certificate_is_told_by_kind() {
        let err = |ca: &str| match rt::block_on(client_config(&connection(true, ca))) {
            Err(e) => e,
            Ok(_) => panic!("{ca}: accepted"),
        };
        assert!(matches!(
            err("/no/such/ca.pem"),
            TlsError::CaUnreadable { path, .. } if path == "/no/such/ca.pem"
        ));
        assert!(matches!(
            err("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"),
            TlsError::CaInvalidPem {
                source: CertSource::PemText,
                ..
            }
        ));
        assert_eq!(
            err("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            TlsError::CaNoCertificate {
                source: CertSource::PemText
            }
        );
        // Valid base64 that is not a certificate.
        assert!(matches!(
            err("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            TlsError::CaUnusable(_)
        ));
    }
}
