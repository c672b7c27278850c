//! TLS failures in words a 1C developer can act on: what is wrong with `CACertificate`, why the
//! server's certificate was refused, and which property changes it.

use crate::lang::{clip, Text};
use crate::text;
use crate::transport::error::{CaSource, TlsError, Untrusted};

impl CaSource {
    fn text(&self) -> Text {
        match self {
            CaSource::PemText => text!("the PEM text"; "текст PEM"),
            CaSource::File(path) => {
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
            TlsError::Alert(alert) => text!(
                "the server refused the TLS handshake (alert {})", alert;
                "сервер отклонил установку TLS (сигнал {})", alert
            ),
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
        let source = CaSource::PemText;
        let t = TlsError::CaInvalidPem {
            source,
            error: "x".into(),
        };
        assert!(t.text().en.contains("not valid PEM"), "{t:?}");
        let t = TlsError::CaNoCertificate {
            source: CaSource::File("ca.pem".into()),
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
