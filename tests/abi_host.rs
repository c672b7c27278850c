//! The built `libsocketio1c.so` driven through its C ABI by the Rust host emulator
//! (`testkit::host`), as 1C drives it.
//!
//! Tests named `component_*` check behaviour of the `Client` object that `shared/docs/api.md`
//! promises (defaults, property writes, events); the others check what the ABI layer and the
//! name tables guarantee on their own.

use std::time::Duration;

use testkit::host::{self, library, ErrorKind, HostOptions, Object, V};

/// api.md "Properties": English, Russian, writable, default (for a client platform).
const PROPS: [(&str, &str, bool, Default); 27] = [
    ("SessionID", "ИДСессии", false, Default::Str("")),
    ("Connected", "Подключено", false, Default::Bool(false)),
    ("Timeout", "Таймаут", true, Default::Str("5")),
    (
        "Version",
        "Версия",
        false,
        Default::Str(env!("CARGO_PKG_VERSION")),
    ),
    (
        "EventSource",
        "ИсточникСобытия",
        true,
        Default::Str("SocketIO"),
    ),
    ("Reconnection", "Переподключение", true, Default::Bool(true)),
    (
        "ReconnectionAttempts",
        "ПопыткиПереподключения",
        true,
        Default::Num(0.0),
    ),
    (
        "ReconnectionDelay",
        "ЗадержкаПереподключения",
        true,
        Default::Num(1000.0),
    ),
    (
        "ReconnectionDelayMax",
        "МаксимальнаяЗадержкаПереподключения",
        true,
        Default::Num(5000.0),
    ),
    (
        "Transports",
        "Транспорты",
        true,
        Default::Str("websocket,polling"),
    ),
    (
        "ProtocolVersion",
        "ВерсияПротокола",
        true,
        Default::Str("auto"),
    ),
    ("Path", "Путь", true, Default::Str("/socket.io/")),
    ("Query", "ПараметрыЗапроса", true, Default::Str("")),
    ("Headers", "Заголовки", true, Default::Str("")),
    ("Auth", "Авторизация", true, Default::Str("")),
    (
        "VerifyCertificate",
        "ПроверятьСертификат",
        true,
        Default::Bool(true),
    ),
    ("CACertificate", "СертификатУЦ", true, Default::Str("")),
    (
        "SystemCertificates",
        "СертификатыОС",
        true,
        Default::Bool(true),
    ),
    (
        "ClientCertificate",
        "КлиентскийСертификат",
        true,
        Default::Str(""),
    ),
    (
        "ClientCertificatePassword",
        "ПарольКлиентскогоСертификата",
        true,
        Default::Str(""),
    ),
    ("Proxy", "Прокси", true, Default::Str("")),
    ("LogFile", "ФайлЖурнала", true, Default::Str("")),
    ("LogLevel", "УровеньЖурнала", true, Default::Str("info")),
    (
        "DeliveryMode",
        "РежимДоставки",
        true,
        Default::Str("events"),
    ),
    (
        "EventBufferDepth",
        "ГлубинаБуфераСобытий",
        true,
        Default::Num(1000.0),
    ),
    ("QueueLength", "ДлинаОчереди", false, Default::Num(0.0)),
    ("LastError", "ОписаниеОшибки", false, Default::Str("")),
];

/// api.md "Methods": English, Russian, parameters, optional trailing parameters, returns.
const METHODS: [(&str, &str, i64, i64, bool); 10] = [
    ("Connect", "Подключиться", 1, 0, false),
    ("Disconnect", "Отключиться", 0, 0, false),
    ("Send", "Отправить", 2, 0, false),
    ("SendJSON", "ОтправитьJSON", 2, 0, false),
    ("SendWithAck", "ОтправитьСПодтверждением", 3, 1, true),
    ("Ack", "Подтвердить", 2, 0, false),
    ("On", "Подписаться", 1, 0, false),
    ("Off", "Отписаться", 1, 0, false),
    ("OffAll", "ОтписатьсяВсе", 0, 0, false),
    ("GetEvent", "ПолучитьСобытие", 3, 1, true),
];

#[derive(Debug, Clone, Copy)]
enum Default {
    Str(&'static str),
    Bool(bool),
    Num(f64),
}

impl Default {
    fn matches(self, v: &V) -> bool {
        match self {
            Default::Str(s) => v.as_str() == Some(s),
            Default::Bool(b) => v.as_bool() == Some(b),
            Default::Num(x) => v.as_f64() == Some(x),
        }
    }
}

fn create() -> Object {
    create_with(&HostOptions::default())
}

fn create_with(opts: &HostOptions) -> Object {
    library()
        .create("Client", opts)
        .unwrap_or_else(|e| panic!("cannot create a Client: {e}"))
}

/// The spellings 1C code may use for `name`: as written, upper, lower, alternating case.
fn spellings(name: &str) -> Vec<String> {
    let alternating: String = name
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            if i % 2 == 0 {
                c.to_uppercase().collect::<Vec<_>>()
            } else {
                c.to_lowercase().collect()
            }
        })
        .collect();
    vec![
        name.to_owned(),
        name.to_uppercase(),
        name.to_lowercase(),
        alternating,
    ]
}

/// Done + DestroyObject, then the object's memory manager must hold nothing and no violation
/// may have been recorded.
fn finish(obj: Object) {
    let probe = obj.probe();
    obj.done().expect("Done + DestroyObject");
    let report = probe.memory();
    assert!(report.is_clean(), "memory after DestroyObject: {report:?}");
    host::assert_clean();
}

// ----- what the ABI layer and the name tables guarantee ---------------------------------------

#[test]
fn class_names_are_exactly_client_and_exports_answer() {
    let lib = library();
    assert_eq!(lib.class_names(), ["Client"]);
    assert_eq!(
        lib.capabilities(),
        Some(3),
        "SetPlatformCapabilities(3) should answer eAppCapabilities3"
    );
    let attach = lib.attach_type().expect("GetAttachType is exported");
    assert!((1..=3).contains(&attach), "GetAttachType answered {attach}");
}

#[test]
fn create_and_destroy_one_object() {
    let obj = create();
    assert_eq!(obj.class(), "Client");
    assert!(obj.info() > 0, "GetInfo answered {}", obj.info());
    finish(obj);
}

#[test]
fn an_unknown_class_is_refused() {
    let err = library()
        .create("NoSuchClass", &HostOptions::default())
        .expect_err("GetClassObject must refuse");
    assert!(err.contains("GetClassObject"), "{err}");
    host::assert_clean();
}

#[test]
fn teardown_through_the_virtual_destructor_as_onescript_does() {
    let obj = create();
    let probe = obj.probe();
    obj.delete().expect("Done + delete");
    assert!(probe.memory().is_clean(), "{:?}", probe.memory());
    host::assert_clean();
}

#[test]
fn init_and_set_mem_manager_work_in_both_orders() {
    for init_first in [false, true] {
        let opts = HostOptions {
            init_before_mem_manager: init_first,
            ..HostOptions::default()
        };
        let obj = create_with(&opts);
        // A string from the add-in needs the memory manager: it must be usable in both orders.
        assert_eq!(
            obj.prop_name(0, 0).as_deref(),
            Some(PROPS[0].0),
            "init_first = {init_first}"
        );
        obj.get("LastError")
            .unwrap_or_else(|e| panic!("init_first = {init_first}: {e}"));
        finish(obj);
    }
}

#[test]
fn old_platform_without_get_interface_and_server_platform_are_accepted() {
    for opts in [
        HostOptions {
            offer_platform_info: false,
            ..HostOptions::default()
        },
        HostOptions::server(),
        HostOptions {
            app_type: 4,
            ..HostOptions::default()
        },
    ] {
        let obj = create_with(&opts);
        assert_eq!(obj.find_prop("Version"), 3);
        finish(obj);
    }
}

#[test]
fn every_property_is_found_by_english_and_russian_name_in_any_case() {
    let obj = create();
    assert_eq!(obj.prop_count(), PROPS.len() as i64, "GetNProps");
    for (i, (en, ru, ..)) in PROPS.iter().enumerate() {
        for name in spellings(en).into_iter().chain(spellings(ru)) {
            assert_eq!(obj.find_prop(&name), i as i64, "FindProp({name:?})");
        }
        assert_eq!(
            obj.prop_name(i as i64, 0).as_deref(),
            Some(*en),
            "GetPropName({i}, 0)"
        );
        assert_eq!(
            obj.prop_name(i as i64, 1).as_deref(),
            Some(*ru),
            "GetPropName({i}, 1)"
        );
    }
    finish(obj);
}

#[test]
fn property_access_flags_match_api_md() {
    let obj = create();
    for (i, (en, _, writable, _)) in PROPS.iter().enumerate() {
        assert!(obj.is_prop_readable(i as i64), "IsPropReadable({en})");
        assert_eq!(
            obj.is_prop_writable(i as i64),
            *writable,
            "IsPropWritable({en})"
        );
    }
    finish(obj);
}

#[test]
fn every_method_is_found_by_english_and_russian_name_in_any_case() {
    let obj = create();
    assert_eq!(obj.method_count(), METHODS.len() as i64, "GetNMethods");
    for (i, (en, ru, params, _, returns)) in METHODS.iter().enumerate() {
        let m = i as i64;
        for name in spellings(en).into_iter().chain(spellings(ru)) {
            assert_eq!(obj.find_method(&name), m, "FindMethod({name:?})");
        }
        assert_eq!(
            obj.method_name(m, 0).as_deref(),
            Some(*en),
            "GetMethodName({i}, 0)"
        );
        assert_eq!(
            obj.method_name(m, 1).as_deref(),
            Some(*ru),
            "GetMethodName({i}, 1)"
        );
        assert_eq!(obj.param_count(m), *params, "GetNParams({en})");
        assert_eq!(obj.has_ret_val(m), *returns, "HasRetVal({en})");
    }
    finish(obj);
}

/// The defaults are the documented Numbers (api.md): GetEvent's TimeoutMs 0, SendWithAck's
/// TimeoutSeconds the Timeout property at the time of the call.
#[test]
fn optional_parameters_default_to_their_documented_numbers() {
    let obj = create();
    // A Number either way (a whole one arrives as VTYPE_I4).
    let number = |m: i64| obj.param_default(m, 2).and_then(|v| v.as_f64());
    let get_event = obj.find_method("ПолучитьСобытие");
    assert_eq!(number(get_event), Some(0.0));
    let send_with_ack = obj.find_method("SendWithAck");
    assert_eq!(number(send_with_ack), Some(5.0));
    obj.set("Таймаут", V::from("7,5")).unwrap();
    assert_eq!(number(send_with_ack), Some(7.5));
    finish(obj);
}

#[test]
fn only_trailing_optional_parameters_have_defaults() {
    let obj = create();
    for (i, (en, _, params, optional, _)) in METHODS.iter().enumerate() {
        for p in 0..*params {
            let default = obj.param_default(i as i64, p);
            if p >= params - optional {
                assert!(default.is_some(), "{en}: parameter {p} is optional");
            } else {
                assert_eq!(default, None, "{en}: parameter {p} is required");
            }
        }
    }
    finish(obj);
}

#[test]
fn unknown_names_and_indexes_are_not_found() {
    let obj = create();
    for name in [
        "NoSuchProperty",
        "",
        "Connec",
        "Versio",
        "Version ",
        "Подключено2",
    ] {
        assert_eq!(obj.find_prop(name), -1, "FindProp({name:?})");
    }
    for name in ["NoSuchMethod", "", "Connec", "ConnectX", "Подписатьс"] {
        assert_eq!(obj.find_method(name), -1, "FindMethod({name:?})");
    }
    assert_eq!(
        obj.get("NoSuchProperty").unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        obj.set("NoSuchProperty", 1).unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        obj.call("NoSuchMethod", &[]).unwrap_err().kind,
        ErrorKind::NotFound
    );
    for n in [-1, PROPS.len() as i64, 1000] {
        assert_eq!(obj.prop_name(n, 0), None, "GetPropName({n}, 0)");
        assert!(!obj.is_prop_readable(n), "IsPropReadable({n})");
        assert!(!obj.is_prop_writable(n), "IsPropWritable({n})");
    }
    for n in [-1, METHODS.len() as i64, 1000] {
        assert_eq!(obj.method_name(n, 0), None, "GetMethodName({n}, 0)");
    }
    assert_eq!(obj.prop_name(0, 2), None, "GetPropName alias 2");
    assert_eq!(obj.method_name(0, -1), None, "GetMethodName alias -1");
    finish(obj);
}

#[test]
fn out_of_range_indexes_fail_without_crashing() {
    let obj = create();
    // IsPropReadable/Writable answer false, so the host stops there, as 1C would.
    assert_eq!(obj.get_index(-1).unwrap_err().kind, ErrorKind::NotReadable);
    assert_eq!(
        obj.set_index(99, "x").unwrap_err().kind,
        ErrorKind::NotWritable
    );
    // GetNParams of an unknown method is 0: the call itself must return false.
    let err = obj
        .call_index(99, &mut [])
        .expect_err("CallAsProc(99) must fail");
    assert!(err.exception, "{err}");
    finish(obj);
}

#[test]
fn read_only_properties_refuse_writes() {
    let obj = create();
    for (en, ru, writable, _) in PROPS {
        if !writable {
            assert_eq!(
                obj.set(en, "x").unwrap_err().kind,
                ErrorKind::NotWritable,
                "{en}"
            );
            assert_eq!(
                obj.set(ru, 1).unwrap_err().kind,
                ErrorKind::NotWritable,
                "{ru}"
            );
        }
    }
    finish(obj);
}

#[test]
fn a_wrong_argument_type_raises_an_exception_with_a_message() {
    let obj = create();
    for args in [
        vec![V::Bool(true)],
        vec![V::I32(5)],
        vec![V::Blob(vec![1, 2, 3])],
    ] {
        let err = obj
            .call("Подключиться", &args)
            .expect_err("Connect needs a String");
        assert!(err.exception, "{err}");
        assert!(
            !err.message.is_empty(),
            "Connect({args:?}): AddError must carry a message"
        );
    }
    let err = obj
        .set("Timeout", true)
        .expect_err("Timeout is not a Boolean");
    assert!(err.exception && !err.message.is_empty(), "{err:?}");
    finish(obj);
}

#[test]
fn a_missing_required_argument_is_refused_before_the_call() {
    let obj = create();
    let err = obj.call("Connect", &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::MissingArgument, "{err}");
    let err = obj.call("Send", &["only the name".into()]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::MissingArgument, "{err}");
    let err = obj.call("Disconnect", &[V::Empty]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooManyArguments, "{err}");
    finish(obj);
}

#[test]
fn memory_is_clean_after_destroying_objects() {
    let objects: Vec<Object> = (0..3).map(|_| create()).collect();
    for obj in &objects {
        for i in 0..PROPS.len() as i64 {
            let _ = obj.get_index(i);
            let _ = obj.prop_name(i, 0);
            let _ = obj.prop_name(i, 1);
        }
        for (i, (en, ..)) in METHODS.iter().enumerate() {
            let _ = obj.method_name(i as i64, 1);
            let _ = obj.param_default(i as i64, 2);
            let _ = obj.call(en, &[V::Bool(false)]);
        }
        let _ = obj.set("EventSource", "строка с кириллицей");
        let _ = obj.set("Timeout", 3);
    }
    let probes: Vec<_> = objects.iter().map(Object::probe).collect();
    for obj in objects {
        obj.done().expect("Done + DestroyObject");
    }
    for probe in probes {
        let r = probe.memory();
        assert!(r.is_clean(), "{r:?}");
        assert!(
            r.allocations > 0,
            "the add-in allocated nothing through the memory manager: {r:?}"
        );
    }
    let global = host::memory_report();
    assert_eq!(global.violations(), 0, "{global:?}");
    host::assert_clean();
}

#[test]
fn two_hundred_objects_are_created_and_destroyed() {
    let threads_before = host::thread_count();
    for i in 0..200 {
        let obj = create();
        assert_eq!(obj.find_method("Connect"), 0, "object {i}");
        let _ = obj.get("Version");
        obj.done().unwrap_or_else(|e| panic!("object {i}: {e}"));
    }
    // Other tests run in parallel and a runtime may start a fixed pool once, so allow some
    // growth; a thread left behind by every object would add 200.
    let threads_after = host::thread_count();
    assert!(
        threads_after < threads_before + 100,
        "threads: {threads_before} before, {threads_after} after 200 objects: Done must join them"
    );
    host::assert_clean();
}

#[test]
fn methods_without_parameters_are_called_with_a_null_array() {
    let obj = create();
    for name in ["Disconnect", "ОтписатьсяВсе"] {
        // Whatever the component answers, the call must not crash or break the contract.
        match obj.call(name, &[]) {
            Ok(v) => assert_eq!(v, V::Empty, "{name} is a procedure"),
            Err(e) => assert_eq!(e.kind, ErrorKind::Raised, "{name}: {e}"),
        }
    }
    finish(obj);
}

// ----- behaviour of the Client object (api.md) ------------------------------------------------

#[test]
fn component_version_is_the_crate_version() {
    let obj = create();
    let v = obj.get("Версия").expect("Version is readable");
    assert_eq!(v, V::from(env!("CARGO_PKG_VERSION")));
    finish(obj);
}

#[test]
fn component_property_defaults_match_api_md() {
    let obj = create();
    let mut wrong = Vec::new();
    for (en, _, _, default) in PROPS {
        match obj.get(en) {
            Ok(v) if default.matches(&v) => {}
            other => wrong.push(format!("{en}: {other:?}, expected {default:?}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "defaults differ from api.md:\n  {}",
        wrong.join("\n  ")
    );
    finish(obj);
}

#[test]
fn component_delivery_mode_is_queue_on_server_and_external_connection() {
    for app_type in [3, 4] {
        let obj = create_with(&HostOptions {
            app_type,
            ..HostOptions::default()
        });
        assert_eq!(
            obj.get("DeliveryMode").unwrap(),
            V::from("queue"),
            "app type {app_type}"
        );
        finish(obj);
    }
    let obj = create_with(&HostOptions {
        offer_platform_info: false,
        ..HostOptions::default()
    });
    assert_eq!(
        obj.get("DeliveryMode").unwrap(),
        V::from("events"),
        "no IPlatformInfo"
    );
    finish(obj);
}

#[test]
fn component_raises_the_event_buffer_depth_in_init() {
    let obj = create();
    assert_eq!(
        obj.event_buffer_depth(),
        1000,
        "SetEventBufferDepth(EventBufferDepth default) in Init"
    );
    obj.set("EventBufferDepth", 50)
        .expect("EventBufferDepth is writable");
    assert_eq!(
        obj.event_buffer_depth(),
        50,
        "a write goes to SetEventBufferDepth"
    );
    assert_eq!(obj.get("EventBufferDepth").unwrap().as_f64(), Some(50.0));
    finish(obj);
}

#[test]
fn component_timeout_accepts_a_number_and_a_numeric_string() {
    let obj = create();
    assert_eq!(obj.get("Timeout").unwrap(), V::from("5"));
    obj.set("Timeout", 7).expect("a Number");
    assert_eq!(obj.get("Таймаут").unwrap(), V::from("7"));
    obj.set("таймаут", 12.0).expect("a Number as R8");
    assert_eq!(obj.get("TIMEOUT").unwrap(), V::from("12"));
    obj.set("Timeout", "30").expect("a numeric String");
    assert_eq!(obj.get("Timeout").unwrap(), V::from("30"));
    finish(obj);
}

#[test]
fn component_invalid_writes_raise_and_keep_the_old_value() {
    let obj = create();
    for bad in [V::from("abc"), V::Bool(true), V::from(""), V::I32(-1)] {
        let err = obj
            .set("Timeout", bad.clone())
            .expect_err("invalid Timeout");
        assert!(
            err.exception && !err.message.is_empty(),
            "Timeout = {bad:?}: {err:?}"
        );
        assert_eq!(
            obj.get("Timeout").unwrap(),
            V::from("5"),
            "after Timeout = {bad:?}"
        );
    }
    let err = obj
        .set("Reconnection", "yes")
        .expect_err("Reconnection is a Boolean");
    assert!(err.exception && !err.message.is_empty(), "{err:?}");
    assert_eq!(obj.get("Reconnection").unwrap(), V::Bool(true));
    let err = obj
        .set("ProtocolVersion", "7")
        .expect_err("protocol 7 does not exist");
    assert!(err.exception && !err.message.is_empty(), "{err:?}");
    assert_eq!(obj.get("ProtocolVersion").unwrap(), V::from("auto"));
    assert!(
        !obj.get("LastError")
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "LastError after a failure"
    );
    finish(obj);
}

#[test]
fn component_writable_properties_round_trip() {
    let obj = create();
    let values: [(&str, V); 13] = [
        ("EventSource", V::from("Источник 1 😀")),
        ("Reconnection", V::Bool(false)),
        ("ReconnectionAttempts", V::I32(3)),
        ("ReconnectionDelay", V::I32(500)),
        ("ReconnectionDelayMax", V::I32(2000)),
        ("Transports", V::from("polling")),
        ("ProtocolVersion", V::from("4")),
        ("Path", V::from("/custom/")),
        ("Query", V::from(r#"{"token":"abc"}"#)),
        ("Headers", V::from(r#"{"X-Test":"1"}"#)),
        ("Auth", V::from(r#"{"user":"u"}"#)),
        ("VerifyCertificate", V::Bool(false)),
        ("DeliveryMode", V::from("queue")),
    ];
    for (name, value) in &values {
        obj.set(name, value.clone())
            .unwrap_or_else(|e| panic!("{name} = {value:?}: {e}"));
        let back = obj.get(name).unwrap();
        let same = match (value, &back) {
            (V::I32(a), b) => b.as_f64() == Some(f64::from(*a)),
            (a, b) => a == b,
        };
        assert!(same, "{name}: wrote {value:?}, read {back:?}");
    }
    finish(obj);
}

#[test]
fn component_objects_are_independent() {
    let a = create();
    let b = create();
    a.set("EventSource", "A").unwrap();
    a.set("Timeout", 9).unwrap();
    assert_eq!(b.get("EventSource").unwrap(), V::from("SocketIO"));
    assert_eq!(b.get("Timeout").unwrap(), V::from("5"));
    finish(a);
    finish(b);
}

#[test]
fn component_a_malformed_uri_raises_at_once() {
    let obj = create();
    for uri in ["not a uri", "ftp://example.com/", ""] {
        let err = obj
            .call("Connect", &[uri.into()])
            .expect_err("malformed URI");
        assert!(err.exception && !err.message.is_empty(), "{uri:?}: {err:?}");
    }
    finish(obj);
}

/// A loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn component_connecting_to_a_closed_port_sends_the_fail_event() {
    let obj = create();
    obj.set("Reconnection", false).unwrap();
    obj.set("Timeout", 3).unwrap();
    obj.set("EventSource", "probe").unwrap();
    let uri = format!("ws://127.0.0.1:{}/", closed_port());
    obj.call("Подключиться", &[uri.as_str().into()])
        .expect("Connect returns at once");
    let ev = obj
        .wait_event(Duration::from_secs(15), |e| {
            e.event.contains(r#""Event": "Connection""#)
        })
        .unwrap_or_else(|| panic!("no Connection event; seen {:?}", obj.seen()));
    assert_eq!(ev.source, "probe");
    assert_eq!(ev.event, r#"{"Event": "Connection","State": "Fail"}"#);
    assert_eq!(ev.data, r#"{"Connection": "Fail"}"#);
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(false));
    assert_eq!(obj.dropped_events(), 0);
    finish(obj);
}

#[test]
fn component_queue_mode_delivers_events_through_get_event() {
    let obj = create_with(&HostOptions::server());
    obj.set("Reconnection", false).unwrap();
    obj.set("Timeout", 3).unwrap();
    let mut args = [V::Empty, V::Empty, V::I32(0)];
    assert_eq!(
        obj.call_out("GetEvent", &mut args).unwrap(),
        V::Bool(false),
        "nothing queued yet"
    );
    let uri = format!("ws://127.0.0.1:{}/", closed_port());
    obj.call("Connect", &[uri.into()]).unwrap();
    let mut args = [V::Empty, V::Empty, V::I32(15_000)];
    assert_eq!(
        obj.call_out("ПолучитьСобытие", &mut args).unwrap(),
        V::Bool(true),
        "an event within 15 s"
    );
    assert_eq!(
        args[0],
        V::from(r#"{"Event": "Connection","State": "Fail"}"#)
    );
    assert_eq!(args[1], V::from(r#"{"Connection": "Fail"}"#));
    assert_eq!(
        obj.queued_events(),
        0,
        "queue mode sends no external events"
    );
    finish(obj);
}
