//! The `Client` object as 1C sees it, in safe Rust.
//!
//! `src/addin` turns each vtable call into one call here, with owned [`Value`]s; this module keeps
//! the properties, checks the arguments and sends commands to the actors. It never blocks the
//! 1C thread beyond the bounded waits documented on each method.
//!
//! - `names`: the property and method tables (English and Russian names, arity).

pub mod names;

use crate::host::Platform;
use crate::value::Value;
pub use names::{Method, Prop, METHODS, PROPS};

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
#[derive(Debug, Default)]
pub struct Component {
    last_error: String,
}

impl Component {
    /// A fresh object with every property at its default (`GetClassObject`).
    pub fn new() -> Component {
        Component::default()
    }

    /// `Init`: remembers the platform's event sink, raises the event buffer depth and picks the
    /// default delivery mode from the platform type. Returns what `Init` returns.
    pub fn init(&mut self, _platform: &dyn Platform) -> bool {
        true
    }

    /// `Done`: stops every actor of this object and waits for them (bounded: see
    /// `DONE_WAIT`). After it returns no task of this object runs and no event is sent.
    pub fn done(&mut self) {}

    /// `SetUserInterfaceLanguageCode` ("ru", "en") or `SetLocale` ("ru_RU", "rus_RUS"): the
    /// language of error texts.
    pub fn set_language(&mut self, _code: &str) {}

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
        match PROPS.get(index).map(|(p, _)| *p) {
            Some(Prop::LastError) => Ok(Value::String(self.last_error.clone())),
            Some(_) => Ok(Value::Empty),
            None => Err(Error(format!("no property with index {index}"))),
        }
    }

    /// `SetPropVal`. On error the old value stays.
    pub fn set_prop(&mut self, index: usize, _value: Value) -> Result<(), Error> {
        Err(Error(format!("property {index} is read-only")))
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

    /// `GetParamDefValue`: the default of an omitted argument, `None` when it is required.
    pub fn param_default(method: usize, param: usize) -> Option<Value> {
        let (_, m) = METHODS.get(method)?;
        if param < m.params && param >= m.params - m.optional {
            Some(Value::Empty)
        } else {
            None
        }
    }

    /// `HasRetVal`.
    pub fn has_return(index: usize) -> bool {
        METHODS.get(index).is_some_and(|(_, m)| m.returns)
    }

    /// `CallAsProc` / `CallAsFunc`. `args` has exactly `param_count` values; a method with
    /// out-parameters (`GetEvent`) writes them back into `args`. Returns the result
    /// (`Value::Empty` for procedures).
    pub fn call(&mut self, index: usize, _args: &mut [Value]) -> Result<Value, Error> {
        Err(Error(format!("method {index} is not implemented yet")))
    }

    /// Stores the text of a failure that happened outside a normal call (a caught panic) so that
    /// `LastError` shows it.
    pub fn record_error(&mut self, text: &str) {
        self.last_error = text.to_owned();
    }
}
