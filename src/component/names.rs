//! The 1C-facing names of the `Client` object: every property and method with its English and
//! Russian name, in the order that gives their indexes. This table is the API of
//! `../shared/docs/api.md`; change it only together with that page.

/// One property: names, access, index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropInfo {
    /// Alias 0 (`GetPropName(n, 0)`): the international name.
    pub en: &'static str,
    /// Alias 1: the Russian name.
    pub ru: &'static str,
    /// Whether 1C may write it.
    pub writable: bool,
}

/// One method: names, arity, whether it returns a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodInfo {
    /// Alias 0: the international name.
    pub en: &'static str,
    /// Alias 1: the Russian name.
    pub ru: &'static str,
    /// `GetNParams`: 1C always passes exactly this many arguments.
    pub params: usize,
    /// How many of the trailing parameters may be omitted (they get a default value).
    pub optional: usize,
    /// `HasRetVal`.
    pub returns: bool,
    /// How many of the leading parameters are out-parameters that the method writes back
    /// (`GetEvent`'s Event and Data).
    pub outs: usize,
}

/// Property indexes, in table order.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prop {
    SessionId,
    Connected,
    Timeout,
    Version,
    EventSource,
    Reconnection,
    ReconnectionAttempts,
    ReconnectionDelay,
    ReconnectionDelayMax,
    Transports,
    ProtocolVersion,
    Path,
    Query,
    Headers,
    Auth,
    VerifyCertificate,
    CaCertificate,
    SystemCertificates,
    ClientCertificate,
    ClientCertificatePassword,
    Proxy,
    LogFile,
    LogLevel,
    DeliveryMode,
    EventBufferDepth,
    QueueLength,
    LastError,
}

/// Every property, indexed by `Prop as usize`.
pub const PROPS: [(Prop, PropInfo); 27] = {
    const fn p(en: &'static str, ru: &'static str, writable: bool) -> PropInfo {
        PropInfo { en, ru, writable }
    }
    [
        (Prop::SessionId, p("SessionID", "ИДСессии", false)),
        (Prop::Connected, p("Connected", "Подключено", false)),
        (Prop::Timeout, p("Timeout", "Таймаут", true)),
        (Prop::Version, p("Version", "Версия", false)),
        (Prop::EventSource, p("EventSource", "ИсточникСобытия", true)),
        (
            Prop::Reconnection,
            p("Reconnection", "Переподключение", true),
        ),
        (
            Prop::ReconnectionAttempts,
            p("ReconnectionAttempts", "ПопыткиПереподключения", true),
        ),
        (
            Prop::ReconnectionDelay,
            p("ReconnectionDelay", "ЗадержкаПереподключения", true),
        ),
        (
            Prop::ReconnectionDelayMax,
            p(
                "ReconnectionDelayMax",
                "МаксимальнаяЗадержкаПереподключения",
                true,
            ),
        ),
        (Prop::Transports, p("Transports", "Транспорты", true)),
        (
            Prop::ProtocolVersion,
            p("ProtocolVersion", "ВерсияПротокола", true),
        ),
        (Prop::Path, p("Path", "Путь", true)),
        (Prop::Query, p("Query", "ПараметрыЗапроса", true)),
        (Prop::Headers, p("Headers", "Заголовки", true)),
        (Prop::Auth, p("Auth", "Авторизация", true)),
        (
            Prop::VerifyCertificate,
            p("VerifyCertificate", "ПроверятьСертификат", true),
        ),
        (
            Prop::CaCertificate,
            p("CACertificate", "СертификатУЦ", true),
        ),
        (
            Prop::SystemCertificates,
            p("SystemCertificates", "СертификатыОС", true),
        ),
        (
            Prop::ClientCertificate,
            p("ClientCertificate", "КлиентскийСертификат", true),
        ),
        (
            Prop::ClientCertificatePassword,
            p(
                "ClientCertificatePassword",
                "ПарольКлиентскогоСертификата",
                true,
            ),
        ),
        (Prop::Proxy, p("Proxy", "Прокси", true)),
        (Prop::LogFile, p("LogFile", "ФайлЖурнала", true)),
        (Prop::LogLevel, p("LogLevel", "УровеньЖурнала", true)),
        (Prop::DeliveryMode, p("DeliveryMode", "РежимДоставки", true)),
        (
            Prop::EventBufferDepth,
            p("EventBufferDepth", "ГлубинаБуфераСобытий", true),
        ),
        (Prop::QueueLength, p("QueueLength", "ДлинаОчереди", false)),
        (Prop::LastError, p("LastError", "ОписаниеОшибки", false)),
    ]
};

/// Method indexes, in table order.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Connect,
    Disconnect,
    Send,
    SendJson,
    SendWithAck,
    Ack,
    On,
    Off,
    OffAll,
    GetEvent,
}

/// Every method, indexed by `Method as usize`.
pub const METHODS: [(Method, MethodInfo); 10] = {
    const fn m(
        en: &'static str,
        ru: &'static str,
        params: usize,
        optional: usize,
        returns: bool,
    ) -> MethodInfo {
        MethodInfo {
            en,
            ru,
            params,
            optional,
            returns,
            outs: 0,
        }
    }
    [
        (Method::Connect, m("Connect", "Подключиться", 1, 0, false)),
        (
            Method::Disconnect,
            m("Disconnect", "Отключиться", 0, 0, false),
        ),
        (Method::Send, m("Send", "Отправить", 2, 0, false)),
        (
            Method::SendJson,
            m("SendJSON", "ОтправитьJSON", 2, 0, false),
        ),
        (
            Method::SendWithAck,
            m("SendWithAck", "ОтправитьСПодтверждением", 3, 1, true),
        ),
        (Method::Ack, m("Ack", "Подтвердить", 2, 0, false)),
        (Method::On, m("On", "Подписаться", 1, 0, false)),
        (Method::Off, m("Off", "Отписаться", 1, 0, false)),
        (Method::OffAll, m("OffAll", "ОтписатьсяВсе", 0, 0, false)),
        (
            Method::GetEvent,
            MethodInfo {
                outs: 2,
                ..m("GetEvent", "ПолучитьСобытие", 3, 1, true)
            },
        ),
    ]
};

/// Index of the property called `name` (English or Russian, any case).
pub fn find_prop(name: &str) -> Option<usize> {
    position(PROPS.iter().map(|(_, p)| (p.en, p.ru)), name)
}

/// The Russian name of the property or method whose English name is `en` (for texts in Russian,
/// which must name what 1C code wrote: `Таймаут`, not `Timeout`); `en` itself when there is none.
pub fn russian(en: &str) -> &str {
    PROPS
        .iter()
        .map(|(_, p)| (p.en, p.ru))
        .chain(METHODS.iter().map(|(_, m)| (m.en, m.ru)))
        .find(|(e, _)| *e == en)
        .map_or(en, |(_, ru)| ru)
}

/// The index of the (English, Russian) names that `name` is, in any case. 1C asks on every
/// call, so an ASCII `name` (the common case) is compared only with the ASCII names: no other
/// name lowercases to the same text.
fn position<'a>(mut names: impl Iterator<Item = (&'a str, &'a str)>, name: &str) -> Option<usize> {
    if name.is_ascii() {
        return names.position(|(en, ru)| {
            en.eq_ignore_ascii_case(name) || (ru.is_ascii() && ru.eq_ignore_ascii_case(name))
        });
    }
    names.position(|(en, ru)| eq_ignore_case(en, name) || eq_ignore_case(ru, name))
}

/// Index of the method called `name` (English or Russian, any case).
pub fn find_method(name: &str) -> Option<usize> {
    position(METHODS.iter().map(|(_, m)| (m.en, m.ru)), name)
}

/// Unicode-aware case-insensitive comparison (Cyrillic included), without allocating. Names in
/// ASCII and basic Cyrillic (all of the table's) are compared without Unicode tables.
fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    let (mut x, mut y) = (a.chars(), b.chars());
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) => match (quick_lower(p), quick_lower(q)) {
                (Some(p), Some(q)) if p == q => {}
                (Some(_), Some(_)) => return false,
                _ => return eq_ignore_case_unicode(a, b),
            },
            // Equal so far char by char, and every char lowers to at least one: the rest of
            // the longer one makes it longer.
            _ => return false,
        }
    }
}

/// `c.to_lowercase()` when that is one char known without Unicode tables (ASCII and the basic
/// Cyrillic block), `None` for any other char.
fn quick_lower(c: char) -> Option<char> {
    match c {
        'A'..='Z' => Some(c.to_ascii_lowercase()),
        '\0'..='\x7f' | 'а'..='я' | 'ѐ'..='џ' => Some(c),
        'А'..='Я' => char::from_u32(c as u32 + 0x20),
        'Ѐ'..='Џ' => char::from_u32(c as u32 + 0x50),
        _ => None,
    }
}

/// [`eq_ignore_case`] for any text: full Unicode lower case.
fn eq_ignore_case_unicode(a: &str, b: &str) -> bool {
    let mut x = a.chars().flat_map(char::to_lowercase);
    let mut y = b.chars().flat_map(char::to_lowercase);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p == q => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_parameters_are_leading_parameters() {
        for (method, info) in METHODS {
            assert!(info.outs <= info.params, "{}", info.en);
            assert_eq!(info.outs > 0, method == Method::GetEvent, "{}", info.en);
        }
    }

    #[test]
    fn tables_are_in_index_order() {
        for (i, (p, _)) in PROPS.iter().enumerate() {
            assert_eq!(*p as usize, i);
        }
        for (i, (m, _)) in METHODS.iter().enumerate() {
            assert_eq!(*m as usize, i);
        }
    }

    #[test]
    fn quick_lower_is_to_lowercase() {
        for c in ('\0'..='\u{5ff}').chain(['\u{212a}', '\u{130}']) {
            if let Some(l) = quick_lower(c) {
                assert_eq!(c.to_lowercase().collect::<String>(), l.to_string(), "{c:?}");
            }
        }
        // Beyond the quick ranges the full comparison decides.
        assert!(eq_ignore_case("\u{212a}ey", "key"));
        assert!(eq_ignore_case("ΣΟΦΊΑ", "σοφία"));
        assert!(!eq_ignore_case("Ab", "abc"));
        assert!(!eq_ignore_case("abc", "ab"));
        assert!(eq_ignore_case("ЁЖЪ", "ёжъ"));
    }

    #[test]
    fn names_match_in_any_case_and_language() {
        assert_eq!(find_prop("sessionid"), Some(Prop::SessionId as usize));
        assert_eq!(find_prop("ИДСЕССИИ"), Some(Prop::SessionId as usize));
        assert_eq!(find_prop("идсессии"), Some(Prop::SessionId as usize));
        assert_eq!(find_method("ПОДКЛЮЧИТЬСЯ"), Some(Method::Connect as usize));
        assert_eq!(find_method("sendjson"), Some(Method::SendJson as usize));
        assert_eq!(
            find_method("ОтправитьJson"),
            Some(Method::SendJson as usize)
        );
        assert_eq!(find_method("Connec"), None);
        assert_eq!(find_prop(""), None);
    }
}
