//! Proxy failures in words: what was wrong with the `Proxy` property or what the proxy said.

use std::fmt;

use crate::lang::Text;
use crate::text;
use crate::transport::proxy::{Invalid, Malformed, ProxyError, MAX_ANSWER_HEAD};

impl ProxyError {
    /// The text for `LastError` and the Error event.
    pub fn text(&self) -> Text {
        match self {
            ProxyError::Invalid(why) => {
                let why = why.text();
                text!(
                    "Proxy must look like http://[user:password@]host:port: {}", why.en;
                    "Прокси должен иметь вид http://[пользователь:пароль@]хост:порт: {}", why.ru
                )
            }
            ProxyError::SystemInvalid { source, why } => {
                let why = why.text();
                text!(
                    "Proxy is \"system\", and the proxy from {} must look like http://[user:password@]host:port: {}", source, why.en;
                    "Прокси \"system\", а прокси из {} должен иметь вид http://[пользователь:пароль@]хост:порт: {}", source, why.ru
                )
            }
            ProxyError::Unreachable { proxy, error } => text!(
                "could not connect to the proxy {}: {}", proxy, error;
                "не удалось подключиться к прокси {}: {}", proxy, error
            ),
            ProxyError::Io { proxy, error } => text!(
                "the connection to the proxy {} broke during CONNECT: {}", proxy, error;
                "соединение с прокси {} прервалось во время CONNECT: {}", proxy, error
            ),
            ProxyError::Timeout { proxy } => text!(
                "the proxy {} did not answer CONNECT within the timeout", proxy;
                "прокси {} не ответил на CONNECT за время таймаута", proxy
            ),
            ProxyError::AuthRequired { proxy } => text!(
                "the proxy {} requires authentication (HTTP 407): give the user and password in Proxy as http://user:password@host:port", proxy;
                "прокси {} требует аутентификации (HTTP 407): укажите пользователя и пароль в свойстве Прокси: http://пользователь:пароль@хост:порт", proxy
            ),
            ProxyError::AuthRefused { proxy } => text!(
                "the proxy {} refused the user name or password given in Proxy (HTTP 407 authentication failed)", proxy;
                "прокси {} отклонил имя пользователя или пароль из свойства Прокси (HTTP 407, ошибка аутентификации)", proxy
            ),
            ProxyError::Status {
                proxy,
                target,
                status,
                reason,
            } => text!(
                "the proxy {} refused to open a tunnel to {}: HTTP {} {}", proxy, target, status, reason;
                "прокси {} отказался открыть туннель к {}: HTTP {} {}", proxy, target, status, reason
            ),
            ProxyError::Malformed { proxy, why } => {
                let why = match why {
                    Malformed::ClosedSilently => text!(
                        "it closed the connection without answering";
                        "он закрыл соединение, не ответив"
                    ),
                    Malformed::ClosedEarly => text!(
                        "it closed the connection in the middle of its answer";
                        "он закрыл соединение посреди ответа"
                    ),
                    Malformed::TooLong => text!(
                        "its answer's header is longer than {} bytes", MAX_ANSWER_HEAD;
                        "заголовок его ответа длиннее {} байт", MAX_ANSWER_HEAD
                    ),
                    Malformed::NotHttp(line) => text!(
                        "its answer is not HTTP: \"{}\"", line;
                        "его ответ не является HTTP: \"{}\"", line
                    ),
                };
                text!(
                    "the proxy {} did not answer CONNECT properly: {} (is it an HTTP proxy?)", proxy, why.en;
                    "прокси {} неправильно ответил на CONNECT: {} (это HTTP-прокси?)", proxy, why.ru
                )
            }
        }
    }
}

impl Invalid {
    fn text(&self) -> Text {
        match self {
            Invalid::Scheme => {
                text!("it must start with http://"; "он должен начинаться с http://")
            }
            Invalid::HostPort => {
                text!("the host or port is missing or invalid"; "не указан или неверен хост или порт")
            }
            Invalid::Credentials => text!(
                "a % in the user name or password must be followed by two hex digits (%40 for @, %3A for :)";
                "символ % в имени пользователя или пароле должен сопровождаться двумя шестнадцатеричными цифрами (%40 для @, %3A для :)"
            ),
        }
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text().en)
    }
}
