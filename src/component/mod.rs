//! The `Client` object as 1C sees it, in safe Rust.
//!
//! `src/addin` turns each vtable call into one call here, with owned [`Value`]s; this module keeps
//! the properties, checks the arguments and sends commands to the actors. It never blocks the
//! 1C thread beyond the bounded waits documented on each method.
//!
//! - `names`: the property and method tables (English and Russian names, arity).
//! - `settings`: the writable properties, their defaults and checks.
//! - `calls`: the methods (argument checks, commands to the actors).

mod calls;
pub mod names;
pub mod settings;

use std::sync::Arc;
use std::time::Duration;

use crate::actors::shared::Shared;
use crate::actors::ClientActors;
use crate::host::Platform;
use crate::lang::{Lang, Text};
use crate::value::Value;
pub use names::{Method, Prop, METHODS, PROPS};
use settings::{DeliveryMode, Settings};

/// The longest `Done` waits for the object's actors before cancelling them.
pub const DONE_WAIT: Duration = Duration::from_secs(2);

/// The class name reported by `GetClassNames` and `RegisterExtensionAs` (the same word in both
/// places, so `Новый("AddIn.SocketIO.Client")` works in every host).
pub const CLASS_NAME: &str = "Client";

/// The `Источник` text used by `AddError` for exceptions raised by this add-in.
pub const ERROR_SOURCE: &str = "SocketIO";

/// A failed call: the text that 1C shows in the exception and in `LastError`, already in the
/// platform's interface language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One `Client` object.
pub struct Component {
    settings: Settings,
    shared: Arc<Shared>,
    lang: Lang,
    platform: Option<Box<dyn Platform>>,
    actors: Option<ClientActors>,
    /// This object's number in the lines of the diagnostic log.
    log_number: u64,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Component")
            .field("settings", &self.settings)
            .field("actors", &self.actors)
            .finish()
    }
}

impl Default for Component {
    fn default() -> Component {
        Component::new()
    }
}

impl Component {
    /// A fresh object with every property at its default (`GetClassObject`). Starts nothing:
    /// the actors start at `Init`.
    pub fn new() -> Component {
        Component {
            settings: Settings::default(),
            shared: Shared::new(),
            lang: Lang::En,
            platform: None,
            actors: None,
            log_number: crate::log::next_object_number(),
        }
    }

    /// `Init`: picks the default delivery mode from the platform type (queue where there are no
    /// external events), raises the event buffer depth and starts the actors. Returns what
    /// `Init` returns.
    pub fn init(&mut self, platform: Box<dyn Platform>) -> bool {
        if self.actors.is_some() {
            return true;
        }
        if !platform.app_type().has_external_events() {
            self.settings.delivery_mode = DeliveryMode::Queue;
            self.shared.set_delivery(DeliveryMode::Queue);
        }
        platform.set_event_buffer_depth(self.settings.event_buffer_depth);
        self.actors = Some(ClientActors::spawn(
            self.shared.clone(),
            Some(platform.event_sink()),
        ));
        self.platform = Some(platform);
        true
    }

    /// `Done`: stops every actor of this object and waits for them (at most [`DONE_WAIT`]).
    /// After it returns no task of this object runs; the caller then cuts the event sink.
    pub fn done(&mut self) {
        self.shared.set_closing();
        // A dispatcher waiting for room in a full queue must not hold Done up.
        self.shared.queue().close();
        if let Some(actors) = self.actors.take() {
            actors.shutdown(DONE_WAIT);
        }
        self.platform = None;
    }

    /// `SetUserInterfaceLanguageCode` ("ru", "en") or `SetLocale` ("ru_RU", "rus_RUS"): the
    /// language of error texts.
    pub fn set_language(&mut self, code: &str) {
        self.lang = Lang::from_code(code);
    }
    /// Index of a property by its English or Russian name, any case (`FindProp`).
    pub fn find_prop(name: &str) -> Option<usize> {
        names::find_prop(name)
    }

    /// `GetPropName`: alias 0 English, 1 Russian; `None` for an unknown index or alias.
    pub fn prop_name(index: usize, alias: usize) -> Option<&'static str> {
        let (_, info) = PROPS.get(index)?;
        match alias {
            0 => Some(info.en),
            1 => Some(info.ru),
            _ => None,
        }
    }

    /// `IsPropReadable`.
    pub fn is_prop_readable(index: usize) -> bool {
        index < PROPS.len()
    }

    /// `IsPropWritable`.
    pub fn is_prop_writable(index: usize) -> bool {
        PROPS.get(index).is_some_and(|(_, p)| p.writable)
    }

    /// `GetPropVal`.
    pub fn get_prop(&self, index: usize) -> Result<Value, Error> {
        let s = &self.settings;
        let string = |v: &str| Value::String(v.to_owned());
        let Some((prop, _)) = PROPS.get(index) else {
            return Err(self.error(crate::text!("there is no property number {}", index; "нет свойства с номером {}", index)));
        };
        Ok(match prop {
            // What the actors write, copied at the read (one copy, whichever of the three).
            Prop::SessionId | Prop::Connected | Prop::LastError => {
                let status = self.shared.status().snapshot();
                match prop {
                    Prop::Connected => Value::Bool(status.connected),
                    Prop::SessionId => Value::String(status.session_id),
                    // LastError.
                    _ => Value::String(
                        (status.last_error)
                            .map(|t| t.get(self.lang).to_owned())
                            .unwrap_or_default(),
                    ),
                }
            }
            Prop::Timeout => string(&s.connection.timeout_text),
            Prop::Version => string(env!("CARGO_PKG_VERSION")),
            Prop::EventSource => string(&s.event_source),
            Prop::Reconnection => Value::Bool(s.connection.reconnection),
            Prop::ReconnectionAttempts => number(f64::from(s.connection.reconnection_attempts)),
            Prop::ReconnectionDelay => number(f64::from(s.connection.reconnection_delay_ms)),
            Prop::ReconnectionDelayMax => number(f64::from(s.connection.reconnection_delay_max_ms)),
            Prop::Transports => Value::String(s.transports_text()),
            Prop::ProtocolVersion => string(s.protocol_text()),
            Prop::Path => string(&s.connection.path),
            Prop::Query => string(&s.query_json),
            Prop::Headers => string(&s.headers_json),
            Prop::Auth => string(&s.connection.auth_json),
            Prop::VerifyCertificate => Value::Bool(s.connection.verify_certificate),
            Prop::CaCertificate => string(&s.connection.ca_certificate),
            Prop::SystemCertificates => Value::Bool(s.connection.system_certificates),
            Prop::ClientCertificate => string(&s.connection.client_certificate),
            // A secret: written, never read back.
            Prop::ClientCertificatePassword => string(""),
            Prop::Proxy => string(&s.connection.proxy),
            Prop::LogFile => string(&s.log_file),
            Prop::LogLevel => string(s.log_level.as_str()),
            Prop::DeliveryMode => string(s.delivery_mode_text()),
            Prop::EventBufferDepth => Value::I32(s.event_buffer_depth),
            Prop::QueueLength => number(self.shared.queue().receiver().len() as f64),
        })
    }

    /// `SetPropVal`. On error the old value stays and the error says what to change.
    pub fn set_prop(&mut self, index: usize, value: Value) -> Result<(), Error> {
        let Some((prop, info)) = PROPS.get(index) else {
            return Err(self.error(crate::text!("there is no property number {}", index; "нет свойства с номером {}", index)));
        };
        let s = &mut self.settings;
        let result = match prop {
            Prop::Timeout => s.set_timeout(&value),
            Prop::EventSource => s
                .set_event_source(&value)
                .map(|()| self.shared.set_source(&s.event_source)),
            Prop::Reconnection => s.set_reconnection(&value),
            Prop::ReconnectionAttempts => s.set_reconnection_attempts(&value),
            Prop::ReconnectionDelay => s.set_reconnection_delay(&value),
            Prop::ReconnectionDelayMax => s.set_reconnection_delay_max(&value),
            Prop::Transports => s.set_transports(&value),
            Prop::ProtocolVersion => s.set_protocol(&value),
            Prop::Path => s.set_path(&value),
            Prop::Query => s.set_query(&value),
            Prop::Headers => s.set_headers(&value),
            Prop::Auth => s.set_auth(&value),
            Prop::VerifyCertificate => s.set_verify_certificate(&value),
            Prop::CaCertificate => s.set_ca_certificate(&value),
            Prop::SystemCertificates => s.set_system_certificates(&value),
            Prop::ClientCertificate => s.set_client_certificate(&value),
            Prop::ClientCertificatePassword => s.set_client_certificate_password(&value),
            Prop::Proxy => s.set_proxy(&value),
            Prop::LogFile => s.set_log_file(&value),
            Prop::LogLevel => s.set_log_level(&value),
            Prop::DeliveryMode => s
                .set_delivery_mode(&value)
                .map(|()| self.shared.set_delivery(s.delivery_mode)),
            Prop::EventBufferDepth => s.set_event_buffer_depth(&value).map(|()| {
                if let Some(platform) = &self.platform {
                    platform.set_event_buffer_depth(s.event_buffer_depth);
                }
            }),
            Prop::SessionId
            | Prop::Connected
            | Prop::Version
            | Prop::QueueLength
            | Prop::LastError => Err(
                crate::text!("the property {} is read-only", info.en; "свойство {} только для чтения", info.ru),
            ),
        };
        result.map_err(|t| self.error(t))
    }

    /// Index of a method by its English or Russian name, any case (`FindMethod`).
    pub fn find_method(name: &str) -> Option<usize> {
        names::find_method(name)
    }

    /// `GetMethodName`: alias 0 English, 1 Russian.
    pub fn method_name(index: usize, alias: usize) -> Option<&'static str> {
        let (_, info) = METHODS.get(index)?;
        match alias {
            0 => Some(info.en),
            1 => Some(info.ru),
            _ => None,
        }
    }

    /// `GetNParams`.
    pub fn param_count(index: usize) -> usize {
        METHODS.get(index).map_or(0, |(_, m)| m.params)
    }

    /// `GetParamDefValue`: the documented default of an omitted argument as a Number (api.md:
    /// `GetEvent`'s TimeoutMs 0, `SendWithAck`'s TimeoutSeconds the Timeout property now),
    /// `None` when the parameter is required.
    pub fn param_default(&self, method: usize, param: usize) -> Option<Value> {
        let (which, m) = METHODS.get(method)?;
        if param >= m.params || param < m.params - m.optional {
            return None;
        }
        Some(match which {
            Method::GetEvent => Value::I32(0),
            Method::SendWithAck => Value::F64(self.settings.connection.timeout.as_secs_f64()),
            // No other method has an optional parameter; Undefined reads as the default.
            _ => Value::Empty,
        })
    }

    /// `HasRetVal`.
    pub fn has_return(index: usize) -> bool {
        METHODS.get(index).is_some_and(|(_, m)| m.returns)
    }

    /// `CallAsProc` / `CallAsFunc`. `args` has exactly `param_count` values; a method with
    /// out-parameters (`GetEvent`) writes them back into `args`. Returns the result
    /// (`Value::Empty` for procedures).
    pub fn call(&mut self, index: usize, args: &mut [Value]) -> Result<Value, Error> {
        let Some((method, info)) = METHODS.get(index) else {
            return Err(self.error(crate::text!("there is no method number {}", index; "нет метода с номером {}", index)));
        };
        if args.len() != info.params {
            return Err(self.error(crate::text!("{} takes {} argument(s), got {}", info.en, info.params, args.len();
                                               "{} принимает параметров: {}, передано: {}", info.ru, info.params, args.len())));
        }
        self.dispatch_call(*method, args).map_err(|t| self.error(t))
    }

    /// Stores the text of a failure that happened outside a normal call (a caught panic) so that
    /// `LastError` shows it.
    pub fn record_error(&mut self, text: &str) {
        self.shared.status().set_last_error(Text::new(text, text));
    }

    /// Records `text` as `LastError` and turns it into the call's error, in the interface
    /// language.
    fn error(&self, text: Text) -> Error {
        let message = text.get(self.lang).to_owned();
        self.shared.status().set_last_error(text);
        Error(message)
    }
}

/// A 1C Number: whole values as I32, others as F64.
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX) {
        Value::I32(n as i32)
    } else {
        Value::F64(n)
    }
}
