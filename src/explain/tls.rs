//! TLS failures in words a 1C developer can act on: what is wrong with `CACertificate`, why the
//! server's certificate was refused, and which property changes it.

use crate::lang::{clip, Text};
use crate::text;
use crate::transport::error::{CertSource, ClientCertProblem, TlsError, Untrusted};

impl CertSource {
    fn text(&self) -> Text {
        match self {
            CertSource::PemText => text!("the PEM text"; "текст PEM"),
            CertSource::File(path) => {
                let shown = clip(path);
                text!("the file \"{}\"", shown; "файл \"{}\"", shown)
            }
        }
    }
}

impl TlsError {
    /// The text after "TLS error: " in `LastError` and the Error event.
    pub fn text(&self) -> Text {
        match self {
            TlsError::CaUnreadable { path, error } => {
                let shown = clip(path);
                text!(
                    "cannot read the CACertificate file \"{}\": {}. CACertificate must be PEM text (-----BEGIN CERTIFICATE-----…) or the path to a certificate file", shown, error;
                    "не удалось прочитать файл СертификатУЦ \"{}\": {}. СертификатУЦ должен содержать текст PEM (-----BEGIN CERTIFICATE-----…) или путь к файлу сертификата", shown, error
                )
            }
            TlsError::CaInvalidPem { source, error } => {
                let what = source.text();
                text!(
                    "CACertificate: {} is not valid PEM: {}", what.en, error;
                    "СертификатУЦ: {} не является корректным PEM: {}", what.ru, error
                )
            }
            TlsError::CaNoCertificate { source } => {
                let what = source.text();
                text!(
                    "CACertificate: {} contains no certificate (expected -----BEGIN CERTIFICATE-----)", what.en;
                    "СертификатУЦ: {} не содержит сертификата (ожидается -----BEGIN CERTIFICATE-----)", what.ru
                )
            }
            TlsError::CaNotCertificate { source } => {
                let what = source.text();
                text!(
                    "CACertificate: {} is neither a PEM nor a DER certificate", what.en;
                    "СертификатУЦ: {} не является сертификатом PEM или DER", what.ru
                )
            }
            TlsError::CaUnusable(error) => text!(
                "CACertificate: a certificate cannot be used as a trusted root: {}", error;
                "СертификатУЦ: сертификат нельзя использовать как доверенный корневой: {}", error
            ),
            TlsError::Setup(error) => {
                text!("cannot set up TLS: {}", error; "не удалось настроить TLS: {}", error)
            }
            TlsError::ServerName { host, error } => text!(
                "\"{}\" is not a valid TLS server name: {}", host, error;
                "\"{}\" не является допустимым именем сервера TLS: {}", host, error
            ),
            TlsError::Untrusted { host, why } => {
                let reason = why.text(host);
                text!(
                    "the server's certificate is not trusted: {}", reason.en;
                    "сертификат сервера не является доверенным: {}", reason.ru
                )
            }
            TlsError::NotTls => text!(
                "the server did not answer in TLS (is this a ws:// or http:// port rather than wss:// or https://?)";
                "сервер ответил не по TLS (возможно, это порт ws:// или http://, а не wss:// или https://?)"
            ),
            // TLS 1.2 servers that want a client certificate and got none say only this.
            TlsError::Alert(alert) if alert == "HandshakeFailure" => text!(
                "the server refused the TLS handshake (alert {}); if it requires a client certificate, set ClientCertificate", alert;
                "сервер отклонил установку TLS (сигнал {}); если он требует клиентский сертификат, задайте КлиентскийСертификат", alert
            ),
            TlsError::Alert(alert) => text!(
                "the server refused the TLS handshake (alert {})", alert;
                "сервер отклонил установку TLS (сигнал {})", alert
            ),
            TlsError::ClientCertificate { source, problem } => problem.text(source),
            TlsError::ClientCertificateRequired => text!(
                "the server requires a client certificate: set ClientCertificate (a .pfx or .p12 file with ClientCertificatePassword, or PEM with the certificate and its key)";
                "сервер требует клиентский сертификат: задайте КлиентскийСертификат (файл .pfx или .p12 с ПарольКлиентскогоСертификата или PEM с сертификатом и ключом)"
            ),
            TlsError::ClientCertificateRefused(alert) => {
                let how = match alert {
                    Some(alert) => text!("alert {}", alert; "сигнал {}", alert),
                    None => text!(
                        "it closed the connection without an answer";
                        "он закрыл соединение без ответа"
                    ),
                };
                text!(
                    "the server refused the client certificate ({}): check that it was issued by a certificate authority the server trusts, is valid now and is meant for client authentication", how.en;
                    "сервер отклонил клиентский сертификат ({}): проверьте, что он выдан центром сертификации, которому доверяет сервер, действует сейчас и предназначен для проверки подлинности клиента", how.ru
                )
            }
            TlsError::Incompatible(why) => text!(
                "the server and this client have no TLS version or cipher in common ({})", why;
                "у сервера и клиента нет общей версии TLS или шифра ({})", why
            ),
            TlsError::Closed(error) => text!(
                "the server closed the connection during the TLS handshake ({})", error;
                "сервер закрыл соединение во время установки TLS ({})", error
            ),
            TlsError::Timeout(secs) => text!(
                "the server did not complete the TLS handshake within the timeout ({} s)", secs;
                "сервер не завершил установку TLS за время таймаута ({} с)", secs
            ),
            TlsError::Other(error) => text!("{}", error; "{}", error),
        }
    }
}

impl ClientCertProblem {
    /// What is wrong with `ClientCertificate` (from `source`), with what to do about it.
    fn text(&self, source: &CertSource) -> Text {
        let what = source.text();
        match self {
            ClientCertProblem::Unreadable(error) => text!(
                "ClientCertificate ({}): cannot read it: {}. ClientCertificate must be the path to a .pfx, .p12 or PEM file, or PEM text", what.en, error;
                "КлиентскийСертификат ({}): не удалось прочитать: {}. КлиентскийСертификат должен содержать путь к файлу .pfx, .p12 или PEM либо текст PEM", what.ru, error
            ),
            ClientCertProblem::InvalidPem(error) => text!(
                "ClientCertificate ({}): not valid PEM: {}", what.en, error;
                "КлиентскийСертификат ({}): некорректный PEM: {}", what.ru, error
            ),
            ClientCertProblem::NotCertificate => text!(
                "ClientCertificate ({}): neither a PKCS#12 file (.pfx, .p12) nor PEM", what.en;
                "КлиентскийСертификат ({}): не файл PKCS#12 (.pfx, .p12) и не PEM", what.ru
            ),
            ClientCertProblem::Pkcs12(detail) => text!(
                "ClientCertificate ({}): uses what this add-in does not support ({}); export it again with AES-256 or TripleDES encryption", what.en, detail;
                "КлиентскийСертификат ({}): использует то, что компонента не поддерживает ({}); экспортируйте его заново с шифрованием AES-256 или TripleDES", what.ru, detail
            ),
            ClientCertProblem::WrongPassword => text!(
                "ClientCertificate ({}): ClientCertificatePassword does not open it (wrong password)", what.en;
                "КлиентскийСертификат ({}): ПарольКлиентскогоСертификата не подходит (неверный пароль)", what.ru
            ),
            ClientCertProblem::NoCertificate => text!(
                "ClientCertificate ({}): contains no certificate", what.en;
                "КлиентскийСертификат ({}): не содержит сертификата", what.ru
            ),
            ClientCertProblem::NoKey => text!(
                "ClientCertificate ({}): contains no private key (export the certificate with its private key, or add the key to the PEM)", what.en;
                "КлиентскийСертификат ({}): не содержит закрытого ключа (экспортируйте сертификат вместе с закрытым ключом или добавьте ключ в PEM)", what.ru
            ),
            ClientCertProblem::EncryptedKey => text!(
                "ClientCertificate ({}): the private key is encrypted, and a password opens only PKCS#12 files: use a .pfx file, or a PEM key without a password", what.en;
                "КлиентскийСертификат ({}): закрытый ключ зашифрован, а пароль открывает только файлы PKCS#12: используйте файл .pfx или ключ PEM без пароля", what.ru
            ),
            ClientCertProblem::KeyMismatch => text!(
                "ClientCertificate ({}): the private key does not belong to the certificate", what.en;
                "КлиентскийСертификат ({}): закрытый ключ не соответствует сертификату", what.ru
            ),
            ClientCertProblem::KeyUnusable(error) => text!(
                "ClientCertificate ({}): the private key cannot be used (RSA, ECDSA P-256 or P-384 and Ed25519 keys can): {}", what.en, error;
                "КлиентскийСертификат ({}): закрытый ключ нельзя использовать (подходят ключи RSA, ECDSA P-256 или P-384 и Ed25519): {}", what.ru, error
            ),
        }
    }
}

impl Untrusted {
    /// Why the certificate was refused, with what to do about it.
    fn text(&self, host: &str) -> Text {
        let fix = text!(
            "add the certificate authority that issued it with CACertificate (PEM text or a file path), or set VerifyCertificate = False to skip the check";
            "добавьте выдавший его центр сертификации в СертификатУЦ (текст PEM или путь к файлу) или установите ПроверятьСертификат = Ложь, чтобы пропустить проверку"
        );
        match self {
            Untrusted::UnknownIssuer => text!(
                "it was issued by an unknown certificate authority; {}", fix.en;
                "он выдан неизвестным центром сертификации; {}", fix.ru
            ),
            Untrusted::WrongName => text!(
                "it is not valid for the host name \"{}\" (connect with a name the certificate covers)", host;
                "он не действителен для имени \"{}\" (подключайтесь по имени, на которое выдан сертификат)", host
            ),
            Untrusted::Expired => text!(
                "it has expired (check the server's certificate and this computer's clock)";
                "срок его действия истёк (проверьте сертификат сервера и часы этого компьютера)"
            ),
            Untrusted::NotValidYet => text!(
                "it is not valid yet (check the server's certificate and this computer's clock)";
                "срок его действия ещё не начался (проверьте сертификат сервера и часы этого компьютера)"
            ),
            Untrusted::Revoked => text!("it has been revoked"; "он отозван"),
            // Also what a different CA with the same name as a trusted one gives.
            Untrusted::BadSignature => text!(
                "its signature does not verify against the trusted certificate authorities; {}", fix.en;
                "его подпись не проходит проверку доверенными центрами сертификации; {}", fix.ru
            ),
            Untrusted::WrongPurpose => {
                text!("it is not issued for a TLS server"; "он выдан не для TLS-сервера")
            }
            Untrusted::Other(name) => {
                text!("{}; {}", name, fix.en; "{}; {}", name, fix.ru)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_ca_certificate_says_what_to_change() {
        let t = TlsError::CaUnreadable {
            path: "/no/such/ca.pem".into(),
            error: "not found".into(),
        }
        .text();
        assert!(
            t.en.contains("cannot read the CACertificate file \"/no/such/ca.pem\""),
            "{t:?}"
        );
        assert!(t.ru.contains("СертификатУЦ"), "{t:?}");
        let source = CertSource::PemText;
        let t = TlsError::CaInvalidPem {
            source,
            error: "x".into(),
        };
        assert!(t.text().en.contains("not valid PEM"), "{t:?}");
        let t = TlsError::CaNoCertificate {
            source: CertSource::File("ca.pem".into()),
        };
        assert!(t
            .text()
            .en
            .contains("the file \"ca.pem\" contains no certificate"));
        assert!(TlsError::CaUnusable("x".into())
            .text()
            .en
            .contains("cannot be used as a trusted root"));
    }

    #[test]
    fn certificate_errors_say_not_trusted_and_what_to_do() {
        let untrusted = |why, host: &str| {
            TlsError::Untrusted {
                host: host.into(),
                why,
            }
            .text()
        };
        let t = untrusted(Untrusted::UnknownIssuer, "h");
        assert!(t.en.starts_with("the server's certificate is not trusted"));
        assert!(t.en.contains("CACertificate") && t.ru.contains("СертификатУЦ"));
        let t = untrusted(Untrusted::WrongName, "example.org");
        assert!(t.en.contains("\"example.org\""), "{t:?}");
    }
}
