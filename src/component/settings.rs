//! The writable properties of a `Client`: their defaults, their checks and how they read back.
//!
//! A write of the wrong type or an invalid value is refused with a text that says what to change,
//! and the old value stays. Pure code: no I/O.

use std::time::Duration;

use super::names::russian;
use crate::config::{ConnectionConfig, ProtocolChoice, TransportKind, SYSTEM_PROXY};
use crate::lang::{clip, Text};
use crate::log::Level;
use crate::text;
use crate::value::Value;

/// How events reach 1C code (the actors read it from their shared state).
pub use crate::actors::shared::DeliveryMode;

/// Every writable property, as stored: the connection's settings, which go to the actors at
/// `Connect`, and what only the object itself reads. Its `Debug` redacts credentials (see
/// [`ConnectionConfig`]).
#[derive(Clone, PartialEq)]
pub struct Settings {
    /// Timeout, Reconnection…, Transports, ProtocolVersion, Path, Query, Headers, Auth,
    /// VerifyCertificate, CACertificate, Proxy.
    pub connection: ConnectionConfig,
    /// `EventSource`.
    pub event_source: String,
    /// `Query` as written (JSON object text or "").
    pub query_json: String,
    /// `Headers` as written.
    pub headers_json: String,
    /// `DeliveryMode`.
    pub delivery_mode: DeliveryMode,
    /// `EventBufferDepth`.
    pub event_buffer_depth: i32,
    /// `LogFile` ("" = no log).
    pub log_file: String,
    /// `LogLevel`.
    pub log_level: Level,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("connection", &self.connection)
            .field("event_source", &self.event_source)
            .field("delivery_mode", &self.delivery_mode)
            .finish_non_exhaustive()
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            connection: ConnectionConfig::default(),
            event_source: "SocketIO".into(),
            query_json: String::new(),
            headers_json: String::new(),
            delivery_mode: DeliveryMode::Events,
            event_buffer_depth: 1000,
            log_file: String::new(),
            log_level: Level::Info,
        }
    }
}

/// The longest connect timeout accepted, in seconds (one day).
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

fn wrong_type(prop: &str, want_en: &str, want_ru: &str, got: &Value) -> Text {
    text!("{} must be {}, not {}", prop, want_en, got.type_name();
          "Свойство {} должно быть {}, а не {}", russian(prop), want_ru, got.type_name())
}

/// Reads a Number (or a numeric String when `strings` is true) as f64.
fn number(prop: &str, v: &Value, strings: bool) -> Result<f64, Text> {
    match v {
        Value::I32(n) => Ok(f64::from(*n)),
        Value::F64(n) if n.is_finite() => Ok(*n),
        Value::String(s) if strings => s.trim().replace(',', ".").parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| {
            text!("{} must be a number of seconds, not \"{}\"", prop, clip(s); "Свойство {} должно быть числом секунд, а не \"{}\"", russian(prop), clip(s))
        }),
        other => Err(wrong_type(prop, "a Number", "Числом", other)),
    }
}

/// Reads a whole Number within `min..=max`.
fn whole(prop: &str, v: &Value, min: i64, max: i64) -> Result<i64, Text> {
    let n = number(prop, v, false)?;
    if n.fract() != 0.0 || n < min as f64 || n > max as f64 {
        return Err(
            text!("{} must be a whole number from {} to {}, not {}", prop, min, max, n;
                         "Свойство {} должно быть целым числом от {} до {}, а не {}", russian(prop), min, max, n),
        );
    }
    Ok(n as i64)
}

fn boolean(prop: &str, v: &Value) -> Result<bool, Text> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type(prop, "a Boolean", "Булевым", other)),
    }
}

fn string<'a>(prop: &str, v: &'a Value) -> Result<&'a str, Text> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(prop, "a String", "Строкой", other)),
    }
}

/// Parses a JSON object whose values are scalars into name/value pairs ("" = none).
fn json_pairs(prop: &str, text: &str) -> Result<Vec<(String, String)>, Text> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let not_object = || {
        text!("{} must be a JSON object such as {{\"name\": \"value\"}}, or \"\"", prop;
              "Свойство {} должно быть JSON-объектом, например {{\"name\": \"value\"}}, или \"\"", russian(prop))
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(
        |e| text!("{} is not valid JSON: {}", prop, e; "Свойство {} содержит неверный JSON: {}", russian(prop), e),
    )?;
    let object = value.as_object().ok_or_else(not_object)?;
    object
        .iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(text!("{}: the value of \"{}\" must be a string, a number or a boolean", prop, clip(k);
                                     "{}: значение \"{}\" должно быть строкой, числом или булевым", russian(prop), clip(k)))
                }
            };
            Ok((k.clone(), v))
        })
        .collect()
}

impl Settings {
    /// `Timeout`: a positive Number or numeric String of seconds.
    pub fn set_timeout(&mut self, v: &Value) -> Result<(), Text> {
        let secs = number("Timeout", v, true)?;
        if !(secs > 0.0 && secs <= MAX_TIMEOUT_SECS) {
            return Err(
                text!("Timeout must be more than 0 and at most {} seconds, not {}", MAX_TIMEOUT_SECS, secs;
                             "Таймаут должен быть больше 0 и не больше {} секунд, а не {}", MAX_TIMEOUT_SECS, secs),
            );
        }
        self.connection.timeout = Duration::from_secs_f64(secs);
        self.connection.timeout_text = match v {
            Value::String(s) => s.trim().to_owned(),
            _ => format_number(secs),
        };
        Ok(())
    }

    /// `EventSource`: any String.
    pub fn set_event_source(&mut self, v: &Value) -> Result<(), Text> {
        self.event_source = string("EventSource", v)?.to_owned();
        Ok(())
    }

    /// `Reconnection`.
    pub fn set_reconnection(&mut self, v: &Value) -> Result<(), Text> {
        self.connection.reconnection = boolean("Reconnection", v)?;
        Ok(())
    }

    /// `ReconnectionAttempts`: 0 (no limit) or more.
    pub fn set_reconnection_attempts(&mut self, v: &Value) -> Result<(), Text> {
        self.connection.reconnection_attempts =
            whole("ReconnectionAttempts", v, 0, i64::from(u32::MAX))? as u32;
        Ok(())
    }

    /// `ReconnectionDelay`, ms.
    pub fn set_reconnection_delay(&mut self, v: &Value) -> Result<(), Text> {
        self.connection.reconnection_delay_ms =
            whole("ReconnectionDelay", v, 0, 86_400_000)? as u32;
        Ok(())
    }

    /// `ReconnectionDelayMax`, ms.
    pub fn set_reconnection_delay_max(&mut self, v: &Value) -> Result<(), Text> {
        self.connection.reconnection_delay_max_ms =
            whole("ReconnectionDelayMax", v, 0, 86_400_000)? as u32;
        Ok(())
    }

    /// `Transports`: `websocket`, `polling`, or both, comma-separated, in order of preference.
    pub fn set_transports(&mut self, v: &Value) -> Result<(), Text> {
        let s = string("Transports", v)?;
        let mut list = Vec::new();
        for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let kind = match word.to_ascii_lowercase().as_str() {
                "websocket" => TransportKind::WebSocket,
                "polling" => TransportKind::Polling,
                _ => {
                    return Err(
                        text!("Transports: unknown transport \"{}\" (use websocket, polling or \"websocket,polling\")", clip(word);
                                     "Транспорты: неизвестный транспорт \"{}\" (допустимы websocket, polling или \"websocket,polling\")", clip(word)),
                    )
                }
            };
            if !list.contains(&kind) {
                list.push(kind);
            }
        }
        if list.is_empty() {
            return Err(
                text!("Transports must name at least one transport: websocket, polling";
                             "Транспорты: укажите хотя бы один транспорт: websocket, polling"),
            );
        }
        self.connection.transports = list;
        Ok(())
    }

    /// `Transports` as it reads back.
    pub fn transports_text(&self) -> String {
        let words: Vec<&str> = self
            .connection
            .transports
            .iter()
            .map(|t| match t {
                TransportKind::WebSocket => "websocket",
                TransportKind::Polling => "polling",
            })
            .collect();
        words.join(",")
    }

    /// `ProtocolVersion`: `auto`, `3` or `4` (a String or a Number).
    pub fn set_protocol(&mut self, v: &Value) -> Result<(), Text> {
        let word = match v {
            Value::String(s) => s.trim().to_ascii_lowercase(),
            Value::I32(n) => n.to_string(),
            Value::F64(n) => n.to_string(),
            other => return Err(wrong_type("ProtocolVersion", "a String", "Строкой", other)),
        };
        self.connection.protocol = match word.as_str() {
            "auto" | "авто" => ProtocolChoice::Auto,
            "3" => ProtocolChoice::V3,
            "4" => ProtocolChoice::V4,
            _ => {
                return Err(
                    text!("ProtocolVersion must be \"auto\", \"3\" (socket.io 1.x/2.x servers) or \"4\" (3.x/4.x), not \"{}\"", clip(&word);
                                 "ВерсияПротокола должна быть \"auto\", \"3\" (серверы socket.io 1.x/2.x) или \"4\" (3.x/4.x), а не \"{}\"", clip(&word)),
                )
            }
        };
        Ok(())
    }

    /// `ProtocolVersion` as it reads back.
    pub fn protocol_text(&self) -> &'static str {
        match self.connection.protocol {
            ProtocolChoice::Auto => "auto",
            ProtocolChoice::V3 => "3",
            ProtocolChoice::V4 => "4",
        }
    }

    /// `Path`: the server's Engine.IO path; a leading `/` is added when missing.
    pub fn set_path(&mut self, v: &Value) -> Result<(), Text> {
        let s = string("Path", v)?.trim();
        if s.is_empty() || s.contains(['?', '#', ' ']) {
            return Err(
                text!("Path must be a URL path such as \"/socket.io/\", not \"{}\"", clip(s);
                             "Путь должен быть путём URL, например \"/socket.io/\", а не \"{}\"", clip(s)),
            );
        }
        self.connection.path = if s.starts_with('/') {
            s.to_owned()
        } else {
            format!("/{s}")
        };
        Ok(())
    }

    /// `Query`: a JSON object of extra handshake query parameters.
    pub fn set_query(&mut self, v: &Value) -> Result<(), Text> {
        let s = string("Query", v)?;
        self.connection.query = json_pairs("Query", s)?;
        self.query_json = s.to_owned();
        Ok(())
    }

    /// `Headers`: a JSON object of extra HTTP headers.
    pub fn set_headers(&mut self, v: &Value) -> Result<(), Text> {
        let s = string("Headers", v)?;
        let pairs = json_pairs("Headers", s)?;
        for (name, value) in &pairs {
            let token = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token || value.chars().any(|c| c == '\r' || c == '\n') {
                return Err(
                    text!("Headers: \"{}\" is not a valid HTTP header", clip(name);
                                 "Заголовки: \"{}\" не является допустимым HTTP-заголовком", clip(name)),
                );
            }
        }
        self.connection.headers = pairs;
        self.headers_json = s.to_owned();
        Ok(())
    }

    /// `Auth`: a JSON object sent in the CONNECT packet (protocol 5), or "".
    pub fn set_auth(&mut self, v: &Value) -> Result<(), Text> {
        let s = string("Auth", v)?;
        if !s.trim().is_empty() {
            let value: serde_json::Value = serde_json::from_str(s).map_err(|e| {
                text!("Auth is not valid JSON: {}", e; "Авторизация содержит неверный JSON: {}", e)
            })?;
            if !value.is_object() {
                return Err(
                    text!("Auth must be a JSON object such as {{\"token\": \"…\"}}, or \"\"";
                                 "Авторизация должна быть JSON-объектом, например {{\"token\": \"…\"}}, или \"\""),
                );
            }
        }
        self.connection.auth_json = s.trim().to_owned();
        Ok(())
    }

    /// `VerifyCertificate`.
    pub fn set_verify_certificate(&mut self, v: &Value) -> Result<(), Text> {
        self.connection.verify_certificate = boolean("VerifyCertificate", v)?;
        Ok(())
    }

    /// `CACertificate`: a path to a PEM file or PEM text (checked when connecting).
    pub fn set_ca_certificate(&mut self, v: &Value) -> Result<(), Text> {
        self.connection.ca_certificate = string("CACertificate", v)?.to_owned();
        Ok(())
    }

    /// `ClientCertificate`: a PKCS#12 or PEM file's path, or PEM text (read when connecting).
    pub fn set_client_certificate(&mut self, v: &Value) -> Result<(), Text> {
        self.connection.client_certificate = string("ClientCertificate", v)?.to_owned();
        Ok(())
    }

    /// `ClientCertificatePassword`: the PKCS#12 file's password.
    pub fn set_client_certificate_password(&mut self, v: &Value) -> Result<(), Text> {
        self.connection.client_certificate_password =
            string("ClientCertificatePassword", v)?.to_owned();
        Ok(())
    }

    /// `LogFile`: a path, or "" for no log. Read at each `Connect`.
    pub fn set_log_file(&mut self, v: &Value) -> Result<(), Text> {
        self.log_file = string("LogFile", v)?.trim().to_owned();
        Ok(())
    }

    /// `LogLevel`: `error`, `info` or `debug` (or `ошибки`, `информация`, `отладка`).
    pub fn set_log_level(&mut self, v: &Value) -> Result<(), Text> {
        let s = string("LogLevel", v)?;
        self.log_level = Level::parse(s).ok_or_else(|| {
            text!("LogLevel must be \"error\", \"info\" or \"debug\", not \"{}\"", clip(s);
                  "УровеньЖурнала должен быть \"error\", \"info\" или \"debug\", а не \"{}\"", clip(s))
        })?;
        Ok(())
    }

    /// `SystemCertificates`.
    pub fn set_system_certificates(&mut self, v: &Value) -> Result<(), Text> {
        self.connection.system_certificates = boolean("SystemCertificates", v)?;
        Ok(())
    }

    /// `Proxy`: `http://[user:password@]host:port` or "".
    pub fn set_proxy(&mut self, v: &Value) -> Result<(), Text> {
        let s = string("Proxy", v)?.trim();
        if s.eq_ignore_ascii_case(SYSTEM_PROXY) || s.to_lowercase() == "системный" {
            self.connection.proxy = SYSTEM_PROXY.to_owned();
            return Ok(());
        }
        if !s.is_empty() {
            let rest = s.strip_prefix("http://").ok_or_else(|| {
                text!("Proxy must look like http://[user:password@]host:port, or be \"system\"";
                      "Прокси должен иметь вид http://[пользователь:пароль@]хост:порт или быть \"system\" (\"системный\")")
            })?;
            let host_port = rest
                .rsplit_once('@')
                .map_or(rest, |(_, h)| h)
                .trim_end_matches('/');
            let ok = host_port
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
            if !ok {
                return Err(
                    text!("Proxy must look like http://[user:password@]host:port (the port is required)";
                                 "Прокси должен иметь вид http://[пользователь:пароль@]хост:порт (порт обязателен)"),
                );
            }
        }
        self.connection.proxy = s.to_owned();
        Ok(())
    }

    /// `DeliveryMode`: `events`, `queue` or `notify` (or their Russian names).
    pub fn set_delivery_mode(&mut self, v: &Value) -> Result<(), Text> {
        let s = string("DeliveryMode", v)?.trim().to_lowercase();
        self.delivery_mode = match s.as_str() {
            "events" | "события" => DeliveryMode::Events,
            "queue" | "очередь" => DeliveryMode::Queue,
            "notify" | "уведомление" => DeliveryMode::Notify,
            _ => {
                return Err(
                    text!("DeliveryMode must be \"events\", \"queue\" or \"notify\", not \"{}\"", clip(&s);
                                 "РежимДоставки должен быть \"events\", \"queue\" или \"notify\", а не \"{}\"", clip(&s)),
                )
            }
        };
        Ok(())
    }

    /// `DeliveryMode` as it reads back.
    pub fn delivery_mode_text(&self) -> &'static str {
        match self.delivery_mode {
            DeliveryMode::Events => "events",
            DeliveryMode::Queue => "queue",
            DeliveryMode::Notify => "notify",
        }
    }

    /// `EventBufferDepth`: 1 or more.
    pub fn set_event_buffer_depth(&mut self, v: &Value) -> Result<(), Text> {
        self.event_buffer_depth = whole("EventBufferDepth", v, 1, i64::from(i32::MAX))? as i32;
        Ok(())
    }
}

/// A Number as 1C would print it in a String: no trailing ".0".
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_accepts_numbers_and_numeric_strings() {
        let mut s = Settings::default();
        assert_eq!(s.connection.timeout_text, "5");
        s.set_timeout(&Value::I32(7)).unwrap();
        assert_eq!(
            (s.connection.timeout_text.as_str(), s.connection.timeout),
            ("7", Duration::from_secs(7))
        );
        s.set_timeout(&Value::String(" 2.5 ".into())).unwrap();
        assert_eq!(
            (s.connection.timeout_text.as_str(), s.connection.timeout),
            ("2.5", Duration::from_millis(2500))
        );
        s.set_timeout(&Value::F64(0.5)).unwrap();
        assert_eq!(s.connection.timeout_text, "0.5");
        for bad in [
            Value::I32(0),
            Value::I32(-1),
            Value::String("abc".into()),
            Value::Bool(true),
            Value::F64(f64::NAN),
        ] {
            let before = s.clone();
            let err = s.set_timeout(&bad).unwrap_err();
            // Each language names the property as code in it writes it.
            assert!(
                err.en.contains("Timeout")
                    && err.ru.contains("Таймаут")
                    && !err.ru.contains("Timeout"),
                "{err:?}"
            );
            assert_eq!(s, before);
        }
    }

    #[test]
    fn json_properties_are_checked() {
        let mut s = Settings::default();
        s.set_query(&Value::String(r#"{"token":"a b","n":1}"#.into()))
            .unwrap();
        assert_eq!(
            s.connection.query,
            // Sorted by name (serde_json's map): the order of query parameters does not matter.
            vec![("n".into(), "1".into()), ("token".into(), "a b".into())]
        );
        assert!(s.set_query(&Value::String("[1]".into())).is_err());
        assert!(s
            .set_headers(&Value::String(r#"{"Bad Header":"x"}"#.into()))
            .is_err());
        assert!(s
            .set_headers(&Value::String(r#"{"X-Ok":"x\r\ny"}"#.into()))
            .is_err());
        s.set_headers(&Value::String(r#"{"X-Api-Key":"k"}"#.into()))
            .unwrap();
        assert!(s.set_auth(&Value::String("{".into())).is_err());
        assert!(s.set_auth(&Value::String("\"x\"".into())).is_err());
        s.set_auth(&Value::String(r#"{"token":"secret"}"#.into()))
            .unwrap();
        assert_eq!(s.connection.auth_json, r#"{"token":"secret"}"#);
    }

    #[test]
    fn debug_hides_credentials() {
        let mut s = Settings::default();
        s.set_headers(&Value::String(
            r#"{"Authorization":"Bearer h-secret"}"#.into(),
        ))
        .unwrap();
        s.set_auth(&Value::String(r#"{"token":"a-secret"}"#.into()))
            .unwrap();
        s.set_proxy(&Value::String("http://u:p-secret@proxy:3128".into()))
            .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn enumerations_read_back_canonically() {
        let mut s = Settings::default();
        assert_eq!(s.transports_text(), "websocket,polling");
        s.set_transports(&Value::String("Polling, websocket".into()))
            .unwrap();
        assert_eq!(s.transports_text(), "polling,websocket");
        assert!(s.set_transports(&Value::String("smoke".into())).is_err());
        assert!(s.set_transports(&Value::String(" , ".into())).is_err());
        s.set_protocol(&Value::I32(3)).unwrap();
        assert_eq!(s.protocol_text(), "3");
        assert!(s.set_protocol(&Value::String("5".into())).is_err());
        s.set_delivery_mode(&Value::String("Очередь".into()))
            .unwrap();
        assert_eq!(s.delivery_mode_text(), "queue");
        s.set_delivery_mode(&Value::String(" Уведомление".into()))
            .unwrap();
        assert_eq!(s.delivery_mode_text(), "notify");
        assert!(s.set_delivery_mode(&Value::String("pull".into())).is_err());
        assert!(s
            .set_proxy(&Value::String("http://u:p@proxy:3128".into()))
            .is_ok());
        assert!(s
            .set_proxy(&Value::String("socks5://proxy:1080".into()))
            .is_err());
        assert!(s.set_proxy(&Value::String("http://proxy".into())).is_err());
        assert!(s.set_event_buffer_depth(&Value::I32(0)).is_err());
        assert!(s.set_reconnection_attempts(&Value::F64(1.5)).is_err());
        s.set_path(&Value::String("engine".into())).unwrap();
        assert_eq!(s.connection.path, "/engine");
    }
}
