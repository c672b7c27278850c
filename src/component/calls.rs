//! The methods of `Client`: argument checks, then a command to the actors.
//!
//! Nothing here waits on the network. The only waits are bounded and documented: a `Send` while
//! the outbox is full waits at most `Timeout` for room (only while connected), and `GetEvent`
//! waits at most its `TimeoutMs`.
//!
//! How a command or an emit reaches an actor (the fast lane, the outbox's bounds, the bounded
//! waits) is the rule of its handle (`actors::handles`); this file renders a refusal in the
//! user's language. `SendWithAck` returns its Id at once; the answer comes later as an Ack
//! event. `Ack` answers the server's request by the AckId of its Message event, once.

use std::sync::Arc;
use std::time::Duration;

use super::{number, Component, Method};
use crate::actors::handles::Refused;
use crate::actors::messages::{AckRequest, Arg, ConnCmd, Outbound, RegistryCmd};
use crate::actors::outbox::OutboxTicket;
use crate::actors::{ClientActors, OUTBOX_CAPACITY, OUTBOX_MAX_BYTES};
use crate::config::ConnectRequest;
use crate::endpoint::Endpoint;
use crate::lang::Text;
use crate::log::ObjectLog;
use crate::protocol::{json, socketio, DecodeError};
use crate::rt;
use crate::text;
use crate::value::Value;

/// The longest `GetEvent` may be asked to wait (one day), so a typo cannot hang a job forever.
const MAX_GET_EVENT_WAIT_MS: f64 = 86_400_000.0;

/// The longest acknowledgement timeout `SendWithAck` takes (one day).
const MAX_ACK_TIMEOUT_S: f64 = 86_400.0;

/// The largest Id a 1C Number carries exactly (2^53).
const MAX_EXACT_ID: f64 = 9_007_199_254_740_992.0;

/// Argument `i` of a call. `call` has checked the count, so the fallback is never used; it only
/// keeps a miscount from becoming a panic.
fn arg(args: &[Value], i: usize) -> &Value {
    args.get(i).unwrap_or(&Value::Empty)
}

impl Component {
    /// Runs one method with its arguments already counted.
    pub(super) fn dispatch_call(
        &mut self,
        method: Method,
        args: &mut [Value],
    ) -> Result<Value, Text> {
        match method {
            Method::Connect => self.connect(arg(args, 0)).map(|()| Value::Empty),
            Method::Disconnect => {
                // What is sent after this call waits for the Connection, which says goodbye.
                self.shared.set_lane(None);
                self.command(ConnCmd::Disconnect).map(|()| Value::Empty)
            }
            Method::Send => {
                let name = event_name(arg(args, 0))?;
                self.send_event(name, vec![message_arg(arg(args, 1))?])
            }
            Method::SendJson => {
                let name = event_name(arg(args, 0))?;
                self.send_event(name, json_args(arg(args, 1))?)
            }
            Method::SendWithAck => self.send_with_ack(args),
            Method::Ack => self.ack(args).map(|()| Value::Empty),
            Method::On => {
                let name = subscription_name(arg(args, 0))?;
                self.subscribe(RegistryCmd::On(name)).map(|()| Value::Empty)
            }
            Method::Off => {
                let name = subscription_name(arg(args, 0))?;
                self.subscribe(RegistryCmd::Off(name))
                    .map(|()| Value::Empty)
            }
            Method::OffAll => self.subscribe(RegistryCmd::OffAll).map(|()| Value::Empty),
            Method::GetEvent => self.get_event(args),
        }
    }

    fn actors(&self) -> Result<&ClientActors, Text> {
        self.actors.as_ref().ok_or_else(|| {
            text!("the object is not initialised by the platform (Init was not called) or already destroyed";
                  "объект не инициализирован платформой (Init не вызывался) или уже уничтожен")
        })
    }

    fn connect(&mut self, uri: &Value) -> Result<(), Text> {
        let Value::String(uri) = uri else {
            return Err(
                text!("Connect expects the server URI as a String, not {}", uri.type_name();
                             "Подключиться ожидает URI сервера строкой, а не {}", uri.type_name()),
            );
        };
        let endpoint = Endpoint::parse(uri)?;
        if self.shared.status().busy() {
            return Err(
                text!("already connected or connecting; call Disconnect first";
                             "подключение уже установлено или устанавливается; сначала вызовите Отключиться"),
            );
        }
        let s = &self.settings;
        let log = ObjectLog::new(&s.log_file, s.log_level, &s.event_source, self.log_number);
        let request = ConnectRequest {
            endpoint,
            config: s.connection.clone(),
            log,
        };
        // Marked busy here, not only in the actor, so that a second Connect right after the
        // first is refused even before the actor has seen the first.
        self.shared.status().set_busy(true);
        let result = self.command(ConnCmd::Connect(Arc::new(request)));
        if result.is_err() {
            self.shared.status().set_busy(false);
        }
        result
    }

    fn command(&self, cmd: ConnCmd) -> Result<(), Text> {
        self.actors()?.connection.command(cmd).map_err(|refused| match refused {
            Refused::Busy => text!("too many commands at once; try again"; "слишком много команд подряд; повторите"),
            Refused::Full | Refused::Stopped => stopped(),
        })
    }

    fn subscribe(&self, cmd: RegistryCmd) -> Result<(), Text> {
        let wait = self.settings.connection.timeout;
        self.actors()?
            .registry
            .send(cmd, wait)
            .map_err(|refused| match refused {
                Refused::Busy => {
                    text!("the add-in is too busy to take the subscription; try again";
                                   "компонента слишком занята, чтобы принять подписку; повторите")
                }
                Refused::Full | Refused::Stopped => stopped(),
            })
    }

    /// `Send` and `SendJSON`: an event without an acknowledgement.
    fn send_event(&self, name: String, args: Vec<Arg>) -> Result<Value, Text> {
        let ticket = self.outbox_ticket(&name, &args)?;
        self.emit(Outbound::Event {
            name,
            args,
            ack: None,
            ticket,
        })
        .map(|()| Value::Empty)
    }

    /// `SendWithAck(EventName, ArgumentsJSON, TimeoutSeconds)`: the event goes out (or into the
    /// offline buffer) with a new Id, which is returned at once.
    fn send_with_ack(&self, args: &[Value]) -> Result<Value, Text> {
        let name = event_name(arg(args, 0))?;
        let json = json_args(arg(args, 1))?;
        let timeout = ack_timeout(arg(args, 2), self.settings.connection.timeout)?;
        let ticket = self.outbox_ticket(&name, &json)?;
        let id = self.shared.acks().next_id();
        let ack = AckRequest {
            id,
            deadline: rt::now() + timeout,
        };
        self.emit(Outbound::Event {
            name,
            args: json,
            ack: Some(ack),
            ticket,
        })?;
        Ok(number(id as f64))
    }

    /// `Ack(AckId, ArgumentsJSON)`: answers the server's request that came with AckId, once.
    fn ack(&self, args: &[Value]) -> Result<(), Text> {
        let id = ack_id(arg(args, 0))?;
        let json = json_args(arg(args, 1))?;
        let asked = self.shared.acks().take_request(id).ok_or_else(|| {
            text!("Ack: there is no acknowledgement request with Id {}: it was answered already, its connection has closed, or the server never asked", id;
                  "Подтвердить: нет запроса подтверждения с Ид {}: на него уже ответили, его соединение закрылось, или сервер не запрашивал подтверждение", id)
        })?;
        let result = self.outbox_ticket("", &json).and_then(|ticket| {
            self.emit(Outbound::Ack {
                session: asked.session,
                id: asked.id,
                args: json,
                ticket,
            })
        });
        if result.is_err() {
            // Not handed over: 1C may try again.
            self.shared.acks().restore_request(id, asked);
        }
        result
    }

    /// Counts a packet's bytes in the outbox's byte budget ([`OUTBOX_MAX_BYTES`]) before it is
    /// queued. A single message over the budget is refused at once; while offline a full budget
    /// is an error at once; while connected the call waits (at most `Timeout`) for the Connection
    /// to write bytes out and give them back.
    fn outbox_ticket(&self, name: &str, args: &[Arg]) -> Result<OutboxTicket, Text> {
        // Refused after Done, as every send is.
        self.actors()?;
        let bytes = args.iter().fold(name.len(), |n, a| {
            n.saturating_add(match a {
                Arg::Json(json) => json.len(),
                Arg::Binary(data) => data.len(),
            })
        });
        if bytes > OUTBOX_MAX_BYTES {
            return Err(
                text!("the message is {} bytes, more than the message size limit of {} MiB", bytes, OUTBOX_MAX_BYTES >> 20;
                      "сообщение занимает {} байт, больше предела размера сообщения {} МиБ", bytes, OUTBOX_MAX_BYTES >> 20),
            );
        }
        let wait = self.settings.connection.timeout;
        self.actors()?.connection.reserve(bytes, wait).map_err(|refused| match refused {
            Refused::Full => text!("the send buffer is full ({} MiB wait for the server); slow down or check the connection", OUTBOX_MAX_BYTES >> 20;
                                   "буфер отправки заполнен ({} МиБ ждут сервер); отправляйте реже или проверьте соединение", OUTBOX_MAX_BYTES >> 20),
            Refused::Busy | Refused::Stopped => stopped(),
        })
    }

    /// Puts an emit in the outbox. While not connected the emits wait in the offline buffer;
    /// when [`OUTBOX_CAPACITY`] of them wait, a send is an error at once. While connected a full
    /// outbox means the network is slower than the sends, and the call waits for room at most
    /// `Timeout`.
    fn emit(&self, out: Outbound) -> Result<(), Text> {
        let wait = self.settings.connection.timeout;
        self.actors()?.connection.emit(out, wait).map_err(|refused| match refused {
            Refused::Full => text!("the send buffer is full ({} messages wait for the server); slow down or check the connection", OUTBOX_CAPACITY;
                                   "буфер отправки заполнен ({} сообщений ждут сервер); отправляйте реже или проверьте соединение", OUTBOX_CAPACITY),
            Refused::Busy | Refused::Stopped => stopped(),
        })
    }

    /// `GetEvent(Event, Data, TimeoutMs)`: the next queued event into the first two arguments.
    fn get_event(&self, args: &mut [Value]) -> Result<Value, Text> {
        let wait_ms = match arg(args, 2) {
            Value::Empty => 0.0,
            Value::I32(n) => f64::from(*n),
            Value::F64(n) => *n,
            other => {
                return Err(
                    text!("GetEvent: TimeoutMs must be a Number of milliseconds, not {}", other.type_name();
                                 "ПолучитьСобытие: ТаймаутМс должен быть числом миллисекунд, а не {}", other.type_name()),
                )
            }
        };
        if !(0.0..=MAX_GET_EVENT_WAIT_MS).contains(&wait_ms) {
            return Err(
                text!("GetEvent: TimeoutMs must be from 0 to {}, not {}", MAX_GET_EVENT_WAIT_MS, wait_ms;
                             "ПолучитьСобытие: ТаймаутМс должен быть от 0 до {}, а не {}", MAX_GET_EVENT_WAIT_MS, wait_ms),
            );
        }
        // Notify mode reminds 1C of waiting events only while it does not pull.
        self.shared.queue().count_pull();
        let queue = self.shared.queue().receiver();
        let event = match queue.try_recv() {
            Ok(event) => Some(event),
            Err(_) if wait_ms > 0.0 => rt::block_on(rt::timeout(
                Duration::from_secs_f64(wait_ms / 1000.0),
                queue.recv(),
            ))
            .and_then(Result::ok),
            Err(_) => None,
        };
        Ok(match event {
            Some(event) => {
                self.shared.queue().taken();
                if let [first, second, ..] = args {
                    *first = Value::String(event.event.to_string());
                    *second = Value::String(event.data);
                }
                Value::Bool(true)
            }
            None => Value::Bool(false),
        })
    }
}

fn stopped() -> Text {
    text!("the object is being destroyed"; "объект уничтожается")
}

/// An event name for `Send`/`SendJSON`: a non-empty String that Socket.IO does not reserve.
fn event_name(v: &Value) -> Result<String, Text> {
    let Value::String(name) = v else {
        return Err(
            text!("the event name must be a String, not {}", v.type_name();
                         "имя события должно быть строкой, а не {}", v.type_name()),
        );
    };
    if name.is_empty() {
        return Err(text!("the event name must not be empty"; "имя события не должно быть пустым"));
    }
    if socketio::is_reserved_event(name) {
        return Err(
            text!("\"{}\" is reserved by Socket.IO and cannot be sent (the server would close the connection)", name;
                         "имя \"{}\" зарезервировано Socket.IO и не может быть отправлено (сервер разорвёт соединение)", name),
        );
    }
    Ok(name.clone())
}

/// An event name for `On`/`Off`: a non-empty String (`*` = every event).
fn subscription_name(v: &Value) -> Result<String, Text> {
    match v {
        Value::String(name) if !name.is_empty() => Ok(name.clone()),
        Value::String(_) => Err(
            text!("the event name must not be empty (use \"*\" for every event)";
                                      "имя события не должно быть пустым (\"*\" — все события)"),
        ),
        other => Err(
            text!("the event name must be a String, not {}", other.type_name();
                           "имя события должно быть строкой, а не {}", other.type_name()),
        ),
    }
}

/// The message of `Send`: String, Number, Boolean, Undefined or BinaryData.
fn message_arg(v: &Value) -> Result<Arg, Text> {
    Ok(match v {
        Value::String(s) => {
            let mut json = String::with_capacity(s.len() + 2);
            crate::protocol::json::push_string(&mut json, s);
            Arg::Json(json)
        }
        Value::I32(n) => Arg::Json(n.to_string()),
        Value::F64(n) if n.is_finite() => Arg::Json(
            serde_json::Number::from_f64(*n).map_or_else(|| "null".into(), |n| n.to_string()),
        ),
        Value::F64(_) => {
            return Err(
                text!("the message is not a finite number"; "сообщение не является конечным числом"),
            )
        }
        Value::Bool(b) => Arg::Json(b.to_string()),
        Value::Empty => Arg::Json("null".into()),
        Value::Blob(bytes) => Arg::Binary(bytes.clone()),
        Value::Unsupported(_) => {
            return Err(
                text!("the message must be a String, Number, Boolean, Undefined or BinaryData, not {}", v.type_name();
                             "сообщение должно быть Строкой, Числом, Булевым, Неопределено или ДвоичнымиДанными, а не {}", v.type_name()),
            )
        }
    })
}

/// The timeout of `SendWithAck`: seconds (fractions allowed), or the `Timeout` property when
/// omitted.
fn ack_timeout(v: &Value, default: Duration) -> Result<Duration, Text> {
    let secs = match v {
        Value::Empty => return Ok(default),
        Value::I32(n) => f64::from(*n),
        Value::F64(n) => *n,
        other => {
            return Err(
                text!("SendWithAck: TimeoutSeconds must be a Number of seconds, not {}", other.type_name();
                      "ОтправитьСПодтверждением: ТаймаутСекунд должен быть числом секунд, а не {}", other.type_name()),
            )
        }
    };
    if !(secs > 0.0 && secs <= MAX_ACK_TIMEOUT_S) {
        return Err(
            text!("SendWithAck: TimeoutSeconds must be more than 0 and at most {}, not {}", MAX_ACK_TIMEOUT_S, secs;
                  "ОтправитьСПодтверждением: ТаймаутСекунд должен быть больше 0 и не больше {}, а не {}", MAX_ACK_TIMEOUT_S, secs),
        );
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The AckId of `Ack`: a whole positive Number, as the Message event gave it.
fn ack_id(v: &Value) -> Result<u64, Text> {
    let n = match v {
        Value::I32(n) => f64::from(*n),
        Value::F64(n) => *n,
        other => {
            return Err(
                text!("Ack: AckId must be the Number from the Message event, not {}", other.type_name();
                      "Подтвердить: ИдПодтверждения должен быть числом из события Message, а не {}", other.type_name()),
            )
        }
    };
    if !((1.0..=MAX_EXACT_ID).contains(&n) && n.fract() == 0.0) {
        return Err(text!("Ack: AckId must be a whole number from 1, not {}", n;
                  "Подтвердить: ИдПодтверждения должен быть целым числом от 1, а не {}", n));
    }
    Ok(n as u64)
}

/// The arguments of `SendJSON`: an array is spread into arguments, anything else is one.
fn json_args(v: &Value) -> Result<Vec<Arg>, Text> {
    let Value::String(text) = v else {
        return Err(
            text!("the arguments must be JSON text (a String), not {}", v.type_name();
                         "аргументы должны быть JSON-текстом (строкой), а не {}", v.type_name()),
        );
    };
    let invalid = |e: DecodeError| text!("the arguments are not valid JSON: {}", e; "аргументы не являются верным JSON: {}", e);
    let value = json::validate(text).map_err(invalid)?;
    // Raw slices, compacted: object keys keep the order 1C wrote them in.
    let items = if value.starts_with('[') {
        json::array_elements(value).map_err(invalid)?
    } else {
        vec![value]
    };
    Ok(items
        .into_iter()
        .map(|item| Arg::Json(json::compact(item).into_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_arguments_become_json() {
        assert_eq!(
            message_arg(&Value::String("Привет \"мир\"".into())).unwrap(),
            Arg::Json(r#""Привет \"мир\"""#.into())
        );
        assert_eq!(
            message_arg(&Value::I32(-3)).unwrap(),
            Arg::Json("-3".into())
        );
        assert_eq!(
            message_arg(&Value::F64(2.5)).unwrap(),
            Arg::Json("2.5".into())
        );
        assert_eq!(
            message_arg(&Value::Bool(true)).unwrap(),
            Arg::Json("true".into())
        );
        assert_eq!(
            message_arg(&Value::Empty).unwrap(),
            Arg::Json("null".into())
        );
        assert_eq!(
            message_arg(&Value::Blob(vec![1, 2])).unwrap(),
            Arg::Binary(vec![1, 2])
        );
        assert!(message_arg(&Value::Unsupported(7)).is_err());
        assert!(message_arg(&Value::F64(f64::INFINITY)).is_err());
    }

    #[test]
    fn json_arrays_are_spread() {
        assert_eq!(
            json_args(&Value::String(r#"[1, "б", {"a": [true]}]"#.into())).unwrap(),
            vec![
                Arg::Json("1".into()),
                Arg::Json(r#""б""#.into()),
                Arg::Json(r#"{"a":[true]}"#.into())
            ]
        );
        assert_eq!(
            json_args(&Value::String(r#"{"z": 1, "a": "\u0431"}"#.into())).unwrap(),
            vec![Arg::Json(r#"{"z":1,"a":"б"}"#.into())]
        );
        assert_eq!(
            json_args(&Value::String(r#"{"x":1}"#.into())).unwrap(),
            vec![Arg::Json(r#"{"x":1}"#.into())]
        );
        assert!(json_args(&Value::String("[1,".into())).is_err());
    }

    #[test]
    fn ack_arguments_are_checked() {
        let default = Duration::from_secs(5);
        assert_eq!(ack_timeout(&Value::Empty, default).unwrap(), default);
        assert_eq!(
            ack_timeout(&Value::F64(0.25), default).unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(
            ack_timeout(&Value::I32(3), default).unwrap(),
            Duration::from_secs(3)
        );
        for bad in [
            Value::I32(0),
            Value::F64(-1.0),
            Value::F64(f64::NAN),
            Value::F64(1e9),
            Value::String("5".into()),
        ] {
            assert!(ack_timeout(&bad, default).is_err(), "{bad:?}");
        }
        assert_eq!(ack_id(&Value::I32(7)).unwrap(), 7);
        assert_eq!(ack_id(&Value::F64(8.0)).unwrap(), 8);
        for bad in [
            Value::I32(0),
            Value::F64(1.5),
            Value::F64(f64::INFINITY),
            Value::Empty,
        ] {
            assert!(ack_id(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn event_names_are_checked() {
        assert!(event_name(&Value::String(String::new())).is_err());
        assert!(event_name(&Value::String("disconnect".into())).is_err());
        assert!(event_name(&Value::I32(1)).is_err());
        assert_eq!(event_name(&Value::String("chat".into())).unwrap(), "chat");
    }
}
