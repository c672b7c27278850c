//! TLS for `wss://` and `https://`: rustls (ring), linked statically; never the system's
//! OpenSSL, which could clash with the one 1C loads.
//!
//! Verification is on by default against the public roots of webpki-roots; `CACertificate` adds
//! roots (PEM text, or the path to a PEM or DER file); `VerifyCertificate = False` is the
//! explicit opt-out (and then `CACertificate` does not matter and is not read).
//!
//! Configurations are built once and reused: the default one for the process, the insecure one
//! likewise, and one per distinct set of extra roots (keyed by the certificates themselves, so
//! a changed CA file is picked up on the next connect). Reuse also keeps each configuration's
//! TLS session cache, so a reconnect to the same server resumes its session.

use std::sync::{Arc, Mutex, PoisonError};

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

use super::error::TransportError;
use super::io::BoxedIo;
use crate::config::ConnectionConfig;
use crate::lang::{clip, Text};
use crate::text;

/// How many configurations with extra roots are kept (objects of one process rarely use more
/// than one or two CAs; the bound only keeps a misuse from growing memory).
const CUSTOM_CONFIGS_KEPT: usize = 8;

/// The crypto provider: ring, chosen explicitly so no process-wide default is needed.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: Lazy<Arc<CryptoProvider>> =
        Lazy::new(|| Arc::new(crypto::ring::default_provider()));
    PROVIDER.clone()
}

/// The default configuration (public roots, verification on), built once per process.
static DEFAULT_CONFIG: Lazy<Result<Arc<ClientConfig>, Text>> = Lazy::new(|| build(&[], true));

/// The configuration behind `VerifyCertificate = False`, built once per process.
static INSECURE_CONFIG: Lazy<Result<Arc<ClientConfig>, Text>> = Lazy::new(|| build(&[], false));

/// Configurations with extra roots, most recently built last.
type CustomConfigs = Vec<(Vec<CertificateDer<'static>>, Arc<ClientConfig>)>;
static CUSTOM_CONFIGS: Lazy<Mutex<CustomConfigs>> = Lazy::new(|| Mutex::new(Vec::new()));

/// The rustls configuration for these connection settings.
pub fn client_config(config: &ConnectionConfig) -> Result<Arc<ClientConfig>, TransportError> {
    if !config.verify_certificate {
        return INSECURE_CONFIG.clone().map_err(TransportError::Tls);
    }
    let extra = extra_roots(&config.ca_certificate).map_err(TransportError::Tls)?;
    if extra.is_empty() {
        return DEFAULT_CONFIG.clone().map_err(TransportError::Tls);
    }
    // A poisoned lock only means another thread panicked while holding it; the list itself is
    // always whole (it is only pushed to and trimmed), so keep using it.
    let mut cache = CUSTOM_CONFIGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some((_, config)) = cache.iter().find(|(roots, _)| *roots == extra) {
        return Ok(config.clone());
    }
    let config = build(&extra, true).map_err(TransportError::Tls)?;
    if cache.len() >= CUSTOM_CONFIGS_KEPT {
        cache.remove(0);
    }
    cache.push((extra, config.clone()));
    Ok(config)
}

/// Reads `CACertificate`: PEM text when it contains a PEM header, otherwise a file path (PEM,
/// or a single DER certificate as Windows exports `.cer` files). Empty: no extra roots.
fn extra_roots(ca: &str) -> Result<Vec<CertificateDer<'static>>, Text> {
    let ca = ca.trim();
    if ca.is_empty() {
        return Ok(Vec::new());
    }
    if ca.contains("-----BEGIN") {
        return pem_certificates(ca.as_bytes(), &text!("the PEM text"; "текст PEM"));
    }
    let shown = clip(ca);
    let bytes = std::fs::read(ca).map_err(|err| {
        text!(
            "cannot read the CACertificate file \"{}\": {}. CACertificate must be PEM text (-----BEGIN CERTIFICATE-----…) or the path to a certificate file", shown, err;
            "не удалось прочитать файл СертификатУЦ \"{}\": {}. СертификатУЦ должен содержать текст PEM (-----BEGIN CERTIFICATE-----…) или путь к файлу сертификата", shown, err
        )
    })?;
    let what = text!("the file \"{}\"", shown; "файл \"{}\"", shown);
    if bytes.windows(10).any(|w| w == b"-----BEGIN") {
        pem_certificates(&bytes, &what)
    } else if bytes.first() == Some(&0x30) {
        // An ASN.1 SEQUENCE: a DER certificate. Whether it really is one shows when it is added.
        Ok(vec![CertificateDer::from(bytes)])
    } else {
        Err(text!(
            "CACertificate: {} is neither a PEM nor a DER certificate", what.en;
            "СертификатУЦ: {} не является сертификатом PEM или DER", what.ru
        ))
    }
}

/// Every `CERTIFICATE` block of `pem` (other blocks, such as keys, are skipped).
fn pem_certificates(pem: &[u8], what: &Text) -> Result<Vec<CertificateDer<'static>>, Text> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| {
            text!(
                "CACertificate: {} is not valid PEM: {}", what.en, err;
                "СертификатУЦ: {} не является корректным PEM: {}", what.ru, err
            )
        })?;
    if certs.is_empty() {
        return Err(text!(
            "CACertificate: {} contains no certificate (expected -----BEGIN CERTIFICATE-----)", what.en;
            "СертификатУЦ: {} не содержит сертификата (ожидается -----BEGIN CERTIFICATE-----)", what.ru
        ));
    }
    Ok(certs)
}

fn build(extra: &[CertificateDer<'static>], verify: bool) -> Result<Arc<ClientConfig>, Text> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|err| text!("cannot set up TLS: {}", err; "не удалось настроить TLS: {}", err))?;
    let mut config = if verify {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in extra {
            roots.add(cert.clone()).map_err(|err| {
                text!(
                    "CACertificate: a certificate cannot be used as a trusted root: {}", err;
                    "СертификатУЦ: сертификат нельзя использовать как доверенный корневой: {}", err
                )
            })?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate))
            .with_no_client_auth()
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
    config: &ConnectionConfig,
) -> Result<BoxedIo, TransportError> {
    let tls_config = client_config(config)?;
    let name = ServerName::try_from(host.to_owned()).map_err(|err| {
        TransportError::Tls(text!(
            "\"{}\" is not a valid TLS server name: {}", host, err;
            "\"{}\" не является допустимым именем сервера TLS: {}", host, err
        ))
    })?;
    let stream = futures_rustls::TlsConnector::from(tls_config)
        .connect(name, io)
        .await
        .map_err(|err| TransportError::Tls(describe(&err, host)))?;
    Ok(Box::new(stream))
}

/// The handshake error in words a 1C developer can act on.
fn describe(err: &std::io::Error, host: &str) -> Text {
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(why)) => untrusted(why, host),
        Some(rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. }) => {
            text!(
                "the server did not answer in TLS (is this a ws:// or http:// port rather than wss:// or https://?)";
                "сервер ответил не по TLS (возможно, это порт ws:// или http://, а не wss:// или https://?)"
            )
        }
        Some(rustls::Error::AlertReceived(alert)) => text!(
            "the server refused the TLS handshake (alert {:?})", alert;
            "сервер отклонил установку TLS (сигнал {:?})", alert
        ),
        Some(rustls::Error::PeerIncompatible(why)) => text!(
            "the server and this client have no TLS version or cipher in common ({:?})", why;
            "у сервера и клиента нет общей версии TLS или шифра ({:?})", why
        ),
        Some(other) => text!("{}", other; "{}", other),
        None => match err.kind() {
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted => text!(
                "the server closed the connection during the TLS handshake ({})", err;
                "сервер закрыл соединение во время установки TLS ({})", err
            ),
            _ => text!("{}", err; "{}", err),
        },
    }
}

/// Why the server's certificate was refused, with what to do about it.
fn untrusted(why: &CertificateError, host: &str) -> Text {
    let fix = text!(
        "add the certificate authority that issued it with CACertificate (PEM text or a file path), or set VerifyCertificate = False to skip the check";
        "добавьте выдавший его центр сертификации в СертификатУЦ (текст PEM или путь к файлу) или установите ПроверятьСертификат = Ложь, чтобы пропустить проверку"
    );
    let reason = match why {
        CertificateError::UnknownIssuer => text!(
            "it was issued by an unknown certificate authority; {}", fix.en;
            "он выдан неизвестным центром сертификации; {}", fix.ru
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            text!(
                "it is not valid for the host name \"{}\" (connect with a name the certificate covers)", host;
                "он не действителен для имени \"{}\" (подключайтесь по имени, на которое выдан сертификат)", host
            )
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => text!(
            "it has expired (check the server's certificate and this computer's clock)";
            "срок его действия истёк (проверьте сертификат сервера и часы этого компьютера)"
        ),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => text!(
            "it is not valid yet (check the server's certificate and this computer's clock)";
            "срок его действия ещё не начался (проверьте сертификат сервера и часы этого компьютера)"
        ),
        CertificateError::Revoked => text!("it has been revoked"; "он отозван"),
        // Also what a different CA with the same name as a trusted one gives.
        CertificateError::BadSignature => text!(
            "its signature does not verify against the trusted certificate authorities; {}", fix.en;
            "его подпись не проходит проверку доверенными центрами сертификации; {}", fix.ru
        ),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            text!(
                "it is not issued for a TLS server";
                "он выдан не для TLS-сервера"
            )
        }
        other => text!("{:?}; {}", other, fix.en; "{:?}; {}", other, fix.ru),
    };
    text!(
        "the server's certificate is not trusted: {}", reason.en;
        "сертификат сервера не является доверенным: {}", reason.ru
    )
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
        let a = client_config(&connection(true, "")).ok().unwrap();
        let b = client_config(&connection(true, "  ")).ok().unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.alpn_protocols, vec![b"http/1.1".to_vec()]);
        // Without verification CACertificate is not read: garbage there does not matter.
        let c = client_config(&connection(false, "garbage")).ok().unwrap();
        let d = client_config(&connection(false, "")).ok().unwrap();
        assert!(Arc::ptr_eq(&c, &d) && !Arc::ptr_eq(&a, &c));
    }

    #[test]
    fn garbage_ca_gives_a_text_that_says_what_to_change() {
        let err = |ca: &str| match client_config(&connection(true, ca)) {
            Err(TransportError::Tls(t)) => t,
            other => panic!("{ca}: {:?}", other.map(|_| ())),
        };
        let t = err("/no/such/ca.pem");
        assert!(
            t.en.contains("cannot read the CACertificate file \"/no/such/ca.pem\""),
            "{t:?}"
        );
        assert!(t.ru.contains("СертификатУЦ"), "{t:?}");
        let t = err("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n");
        assert!(t.en.contains("not valid PEM"), "{t:?}");
        let t = err("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assert!(t.en.contains("contains no certificate"), "{t:?}");
        // Valid base64 that is not a certificate.
        let t = err("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assert!(t.en.contains("cannot be used as a trusted root"), "{t:?}");
    }

    #[test]
    fn certificate_errors_say_not_trusted_and_what_to_do() {
        let t = untrusted(&CertificateError::UnknownIssuer, "h");
        assert!(t.en.starts_with("the server's certificate is not trusted"));
        assert!(t.en.contains("CACertificate") && t.ru.contains("СертификатУЦ"));
        let t = untrusted(&CertificateError::NotValidForName, "example.org");
        assert!(t.en.contains("\"example.org\""), "{t:?}");
    }
}
